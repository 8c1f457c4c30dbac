import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BuildError, build, buildHash, buildStats, cacheRoot, Model, type BuildSpec } from '../../sim/verilator/index.js';
import { ADDER } from './designs.js';

const TINY: BuildSpec = {
  top: 'tiny',
  files: [
    {
      name: 'tiny.v',
      text: `module tiny (input wire clk, input wire rst, output reg [3:0] n);
  always @(posedge clk) n <= rst ? 4'd0 : n + 4'd1;
endmodule
`,
    },
  ],
  ports: [
    { name: 'clk', dir: 'in', width: 1 },
    { name: 'rst', dir: 'in', width: 1 },
    { name: 'n', dir: 'out', width: 4 },
  ],
};

describe('co-simulation build cache', () => {
  const saved = process.env.IBHEBB_VERILATOR_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.IBHEBB_VERILATOR_CACHE;
    else process.env.IBHEBB_VERILATOR_CACHE = saved;
  });

  it('a second build with the same inputs runs no tool and reuses the binary', async () => {
    const first = await build(ADDER);
    const mtime = statSync(first.binary).mtimeMs;
    const runs = buildStats.verilatorRuns;
    const hits = buildStats.cacheHits;
    const again = await build(structuredClone(ADDER));
    expect(again.cached).toBe(true);
    expect(again.dir).toBe(first.dir);
    expect(again.hash).toBe(first.hash);
    expect(buildStats.verilatorRuns).toBe(runs);
    expect(buildStats.cacheHits).toBe(hits + 1);
    expect(statSync(again.binary).mtimeMs).toBe(mtime);
    // and the cached binary runs
    const m = Model.start(again);
    try {
      await m.reset(1);
      await m.step(5);
      expect(await m.peek('count')).toBe(5);
    } finally {
      await m.close();
    }
  });

  it('the hash changes with every input that can change the binary', () => {
    const h = (s: BuildSpec, harness = 'H', version = 'V'): string => buildHash(s, harness, version);
    const base = h(ADDER);
    expect(h(structuredClone(ADDER))).toBe(base);
    const f = ADDER.files[0];
    const variants: BuildSpec[] = [
      { ...ADDER, files: [{ ...f, text: f.text + ' ' }] },
      { ...ADDER, files: [{ ...f, name: 'other.v' }] },
      { ...ADDER, top: 'other' },
      { ...ADDER, ports: ADDER.ports.map((p) => (p.name === 'a' ? { ...p, width: 15 } : p)) },
      { ...ADDER, ports: ADDER.ports.map((p) => (p.name === 'a' ? { ...p, signed: true } : p)) },
      { ...ADDER, ports: [...ADDER.ports].reverse() },
      { ...ADDER, trace: true },
      { ...ADDER, optFast: '-O1' },
      { ...ADDER, extraFlags: ['-Wno-fatal'] },
      { ...ADDER, profile: { id: 'w1', run: async () => undefined } },
      { ...ADDER, profile: { id: 'w2', run: async () => undefined } },
    ];
    const hashes = new Set([base, ...variants.map((v) => h(v)), h(ADDER, 'H2'), h(ADDER, 'H', 'V2')]);
    expect(hashes.size).toBe(variants.length + 3);
    // the defaults are part of the key, spelled or not
    expect(h({ ...ADDER, optFast: '-O2', trace: false, extraFlags: [] })).toBe(base);
  });

  it('a profile-guided build runs its workload once on an instrumented model, then builds from the profile', async () => {
    process.env.IBHEBB_VERILATOR_CACHE = mkdtempSync(join(tmpdir(), 'ibhebb-pgo-'));
    const seen: { binary: string; dir: string; counts: number[] }[] = [];
    const stages: string[] = [];
    const spec: BuildSpec = {
      ...TINY,
      onStage: (s) => stages.push(s),
      profile: {
        id: 'count-to-40',
        run: async (b) => {
          const m = Model.start(b);
          const counts: number[] = [];
          try {
            await m.reset(1);
            for (let i = 0; i < 40; i++) {
              await m.step(1);
              counts.push(await m.peek('n'));
            }
          } finally {
            await m.close();
          }
          seen.push({ binary: b.binary, dir: b.dir, counts });
        },
      },
    };
    try {
      const first = await build(spec);
      expect(seen).toHaveLength(1);
      // the workload ran a different (instrumented) binary, in the build's temporary folder
      expect(seen[0].binary).not.toBe(first.binary);
      expect(seen[0].dir).not.toBe(first.dir);
      expect(seen[0].counts).toEqual(Array.from({ length: 40 }, (_, i) => (i + 1) % 16));
      expect(stages).toEqual(['verilating', 'compiling the instrumented model', 'profile run (count-to-40)', 'compiling the model from its profile']);
      const log = readFileSync(join(first.dir, 'build.log'), 'utf8');
      expect(log).toMatch(/-fprofile-generate/);
      expect(log).toMatch(/-fprofile-use/);
      // the final model counts as the instrumented one did
      const m = Model.start(first);
      try {
        await m.reset(1);
        await m.step(21);
        expect(await m.peek('n')).toBe(21 % 16);
      } finally {
        await m.close();
      }
      // cached: the workload does not run again
      const again = await build(spec);
      expect(again.cached).toBe(true);
      expect(seen).toHaveLength(1);
      expect(stages).toHaveLength(4);
      // a workload that fails, or that never closes its model (no profile written), fails the build
      await expect(build({ ...TINY, profile: { id: 'fails', run: async () => Promise.reject(new Error('no data')) } })).rejects.toThrow(/profile workload 'fails' failed[\s\S]*no data/);
      await expect(build({ ...TINY, profile: { id: 'idle', run: async () => undefined } })).rejects.toThrow(/profile workload 'idle' wrote no profile/);
    } finally {
      rmSync(process.env.IBHEBB_VERILATOR_CACHE, { recursive: true, force: true });
    }
  }, 180_000);

  it('two processes building the same design at once end up with one cache entry', async () => {
    // Verilator's runtime objects exist in the main cache after any build there: check, and seed the
    // temporary cache with them so that the racing builds compile only the model and the harness.
    const main = await build(ADDER);
    const runtimes = readdirSync(cacheRoot()).filter((n) => /^runtime-[0-9a-f]{16}$/.test(n));
    expect(runtimes.length).toBeGreaterThan(0);
    const root = mkdtempSync(join(tmpdir(), 'ibhebb-vcache-'));
    process.env.IBHEBB_VERILATOR_CACHE = root;
    try {
      for (const r of runtimes) cpSync(join(main.dir, '..', r), join(root, r), { recursive: true });
      // A second module instance has its own in-process table, like a second test process.
      const one = await import('../../sim/verilator/build.js');
      vi.resetModules();
      const two = await import('../../sim/verilator/build.js');
      expect(two.build).not.toBe(one.build);
      const [a, b] = await Promise.all([one.build(TINY), two.build(TINY)]);
      expect(a.dir).toBe(b.dir);
      expect([a.cached, b.cached]).toEqual([false, false]); // both really built
      // the loser's temporary folder is gone: one copy of the design beside the runtime objects
      expect(readdirSync(root).sort()).toEqual([a.hash, ...runtimes].sort());
      const log = readFileSync(join(a.dir, 'build.log'), 'utf8');
      expect(log).toMatch(/harness\.cpp/);
      expect(log).not.toMatch(/verilated\.cpp/); // runtime taken from the cache
      const m = Model.start(a);
      try {
        await m.reset(1);
        await m.step(3);
        expect(await m.peek('n')).toBe(3);
      } finally {
        await m.close();
      }
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('reports a port list that does not match the verilated module, before compiling', async () => {
    const bad: BuildSpec = {
      ...ADDER,
      ports: ADDER.ports.filter((p) => p.name !== 'e').map((p) => (p.name === 'count' ? { ...p, width: 9 } : p.name === 'sum' ? { ...p, dir: 'in' as const } : p)),
    };
    const err = await build(bad).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(BuildError);
    const msg = (err as BuildError).message;
    expect(msg).toMatch(/port list does not match/);
    expect(msg).toMatch(/port 'count': declared 9 bits, verilated as 8/);
    expect(msg).toMatch(/port 'sum': declared in, verilated as out/);
    expect(msg).toMatch(/verilated port 'e' \(in, 64 bits\) is missing from the port list/);
    expect(existsSync(join((err as BuildError).dir, 'build.log'))).toBe(true);
    expect(existsSync(join((err as BuildError).dir, 'obj'))).toBe(false);
  });

  it('reports Verilator errors with the log excerpt', async () => {
    const broken: BuildSpec = { ...TINY, files: [{ name: 'tiny.v', text: TINY.files[0].text.replace("4'd1;", "4'd1") }] };
    await expect(build(broken)).rejects.toThrow(/verilator failed \(top tiny; .*\):\n%Error: .*tiny\.v:3/s);
    const undeclared: BuildSpec = { ...TINY, files: [{ name: 'tiny.v', text: TINY.files[0].text.replace('n + ', 'm + ') }] };
    await expect(build(undeclared)).rejects.toThrow(/%Error: .*Can't find definition of variable: 'm'/);
  });

  it('rejects port lists the harness cannot drive', async () => {
    const wide = { ...TINY, ports: [...TINY.ports, { name: 'w', dir: 'out' as const, width: 65537 }] };
    await expect(build(wide)).rejects.toThrow(/'w' is 65537 bits wide; the co-simulation harness supports at most 65536/);
    const noClk = { ...TINY, ports: TINY.ports.filter((p) => p.name !== 'clk') };
    await expect(build(noClk)).rejects.toThrow(/needs a 1-bit input 'clk'/);
    const halfStream = { ...TINY, ports: [...TINY.ports, { name: 's_axis_x_tvalid', dir: 'in' as const, width: 1 }] };
    await expect(build(halfStream)).rejects.toThrow(/stream s_axis_x: missing s_axis_x_tready/);
    const backwards = {
      ...TINY,
      ports: [
        ...TINY.ports,
        { name: 'm_axis_y_tvalid', dir: 'out' as const, width: 1 },
        { name: 'm_axis_y_tready', dir: 'out' as const, width: 1 },
        { name: 'm_axis_y_tdata', dir: 'out' as const, width: 8 },
      ],
    };
    await expect(build(backwards)).rejects.toThrow(/m_axis_y_tready must be an input/);
    await expect(build({ ...TINY, files: [{ name: '../x.v', text: '' }] })).rejects.toThrow(/plain name/);
  });
});
