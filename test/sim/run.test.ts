import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Rng } from '../../sim/rng.js';
import { build, buildModel, Model, type Model as ModelT } from '../../sim/verilator/index.js';
import { ADDER, SKID } from './designs.js';

describe('co-simulation: run until tlast or a port value', () => {
  let m: ModelT;
  beforeAll(async () => {
    m = await buildModel(SKID);
  });
  afterAll(async () => {
    await m?.close();
  });

  it('stops at the edge that transferred the first tlast of the run', async () => {
    await m.sourcePattern('in', 0.7, 1);
    await m.sinkPattern('out', 0.6, 2);
    await m.reset(2);
    const frame = (base: number, n: number): number[] => Array.from({ length: n }, (_, i) => base + i);
    await m.push('in', [...frame(100, 5), ...frame(200, 3), ...frame(300, 4)], [false, false, false, false, true, false, false, true, false, false, false, true]);
    const r1 = await m.run({ untilLast: { bus: 'out' }, maxCycles: 1000 });
    expect(r1.reason).toBe('sinkLast');
    const first = await m.drain('out');
    expect(first.map((w) => w.data)).toEqual(frame(100, 5));
    expect(first[4].last).toBe(true);
    expect(first[4].cycle).toBe(r1.cycle - 1); // the run ended right after that edge
    const r2 = await m.run({ untilLast: { bus: 'out' }, maxCycles: 1000 });
    expect(r2.reason).toBe('sinkLast');
    expect((await m.drain('out')).map((w) => w.data)).toEqual(frame(200, 3));
  });

  it('stops when a port equals a value, and says what it waited for at the limit', async () => {
    await m.sourcePattern('in', 1, 1);
    await m.sinkPattern('out', 0, 1);
    await m.reset(2);
    await m.push('in', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // the skid monitor counts stalled input cycles; ready never comes, so they grow every cycle
    const r = await m.run({ untilPort: { port: 'mon_stalls', equals: 25 }, maxCycles: 1000 });
    expect(r.reason).toBe('portEquals');
    expect(await m.peek('mon_stalls')).toBe(25);
    await expect(m.run({ untilLast: { bus: 'out' }, maxCycles: 40 })).rejects.toThrow(/maxCycles=40 reached at cycle \d+: sink 'out' received no tlast \(0 words buffered\)/);
    await expect(m.run({ untilPort: { port: 'mon_errors', equals: 3 }, maxCycles: 30 })).rejects.toThrow(/port 'mon_errors' is 0, waiting for 3/);
    await expect(m.run({ untilPort: { port: 'mon_errors', equals: 1 << 16 }, maxCycles: 3 })).rejects.toThrow(/out of range/);
    await expect(m.run({ untilLast: { bus: 'in' }, maxCycles: 3 })).rejects.toThrow(/no sink stream m_axis_in/);
  });
});

describe('co-simulation: tables of inputs played cycle by cycle', () => {
  let m: ModelT;
  beforeAll(async () => {
    m = await buildModel(ADDER);
  });
  afterAll(async () => {
    await m?.close();
  });

  it('samples every cycle: a registered output shows the previous cycle\'s inputs', async () => {
    const n = 5000;
    const rng = new Rng(9);
    const a = Uint16Array.from({ length: n }, () => rng.int(0x10000));
    const b = Uint16Array.from({ length: n }, () => rng.int(0x10000));
    const c = Array.from({ length: n }, () => BigInt.asIntN(40, BigInt(rng.nextU32()) * 977n));
    await m.reset(1);
    const t = await m.play({ inputs: { a, b, c, d: new Float64Array(n).fill(-3) }, outputs: ['sum', 'sdiff', 'count'] });
    expect(t.cycles.length).toBe(n);
    expect(t.cycles[n - 1] - t.cycles[0]).toBe(n - 1);
    expect(t.cycle).toBe(t.cycles[n - 1] + 1);
    const sum = t.outputs.sum as Uint32Array;
    const sdiff = t.outputs.sdiff as Float64Array;
    let bad = 0;
    for (let i = 1; i < n; i++) {
      if (sum[i] !== a[i - 1] + b[i - 1]) bad++;
      if (sdiff[i] !== Number(c[i - 1]) + 3) bad++;
    }
    expect(bad).toBe(0);
    expect(Array.from(t.outputs.count as Uint32Array).slice(0, 4)).toEqual([0, 1, 2, 3]); // count was 0 after reset
    // the inputs hold their last values after the table
    await m.step();
    expect(await m.peek('sum')).toBe(a[n - 1] + b[n - 1]);
  });

  it('samples only when a port equals a value', async () => {
    await m.reset(1);
    const t = await m.play({ cycles: 1000, inputs: {}, outputs: ['count'], when: { port: 'count', equals: 7 } });
    const c0 = t.cycle - 1000;
    expect(Array.from(t.outputs.count as Uint32Array)).toEqual([7, 7, 7, 7]);
    expect(Array.from(t.cycles)).toEqual([7, 263, 519, 775].map((x) => c0 + x));
  });

  it('rejects tables that do not fit the design', async () => {
    await expect(m.play({ inputs: { a: [1, 2], b: [1] }, outputs: [] })).rejects.toThrow(/input 'b' has 1 values for 2 cycles/);
    await expect(m.play({ inputs: { sum: [1] }, outputs: [] })).rejects.toThrow(/not an input port/);
    await expect(m.play({ inputs: { a: [1 << 16] }, outputs: [] })).rejects.toThrow(/'a' \(u16\): 65536 is out of range/);
    await expect(m.play({ inputs: {}, outputs: ['nope'] })).rejects.toThrow(/give cycles/);
    await expect(m.play({ inputs: {}, cycles: 1, outputs: ['nope'] })).rejects.toThrow(/no port 'nope'/);
  });
});

describe('co-simulation: timeouts, close and a missing Verilator', () => {
  it('a call that exceeds its timeout kills the harness and rejects every waiting call', async () => {
    const m = Model.start(await build(ADDER));
    await m.reset(1);
    const long = expect(m.step(1e13, { timeoutMs: 300 })).rejects.toThrow(/step\(10000000000000\) got no answer within 300 ms; the harness was killed/);
    const behind = expect(m.peek('count')).rejects.toThrow(/got no answer/);
    await long;
    await behind;
    await expect(m.peek('count')).rejects.toThrow(/got no answer/);
    await m.close();
  });

  it('close() kills a busy harness at once', async () => {
    const m = Model.start(await build(ADDER), { timeoutMs: 0 });
    await m.reset(1);
    const long = expect(m.step(1e13)).rejects.toThrow(/closed while calls were running/);
    await new Promise((r) => setTimeout(r, 50));
    await m.close();
    await long;
  });

  it('a busy harness dies with its host process', async () => {
    await build(ADDER); // cached before the host starts
    const runTs = fileURLToPath(new URL('../../bin/run-ts.js', import.meta.url));
    const script = fileURLToPath(new URL('./fixtures/busy-host.ts', import.meta.url));
    const host = spawn(process.execPath, [runTs, script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((res, rej) => {
      let out = '';
      host.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        const m = /harness (\d+)/.exec(out);
        if (m) res(Number(m[1]));
      });
      host.on('exit', () => rej(new Error(`host exited early: ${out}`)));
    });
    const alive = (): boolean => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    expect(alive()).toBe(true);
    host.kill('SIGKILL');
    for (let i = 0; i < 100 && alive(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(alive()).toBe(false);
  });

  it('names scripts/setup.sh when Verilator is not on the PATH', async () => {
    const saved = process.env.PATH;
    vi.resetModules();
    const fresh = await import('../../sim/verilator/build.js');
    process.env.PATH = '/nonexistent';
    try {
      await expect(fresh.verilatorVersion()).rejects.toThrow(/Verilator is needed .*bash scripts\/setup\.sh/s);
    } finally {
      process.env.PATH = saved;
    }
  });
});
