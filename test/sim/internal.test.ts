import { afterAll, describe, expect, it } from 'vitest';
import { skidBuffer } from '../../generator/lib/stream/index.js';
import { Rng } from '../../sim/rng.js';
import { buildFromIr, declaredWatch, irPublic } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { randomTraffic } from '../lib/stream/helpers.js';
import { chain, leaky } from './designs-ir.js';

describe('co-simulation: internal streams and memories of a generated hierarchy', () => {
  const models: Model[] = [];
  afterAll(async () => {
    await Promise.all(models.map((m) => m.close()));
  });

  it('finds every sub-module stream and memory, by instance path and by name-map path', () => {
    const pub = irPublic(chain('chain_ok', skidBuffer(8)));
    // u_skid and u_fifo take their input streams straight from u_first's and u_skid's outputs
    expect(pub.watches.map((w) => w.name)).toEqual(['chain_ok.u_first.s_axis_in', 'chain_ok.u_first.m_axis_out', 'chain_ok.u_skid.m_axis_out', 'chain_ok.u_fifo.m_axis_out']);
    expect(pub.watches[3]).toMatchObject({ module: 'fifo_w8_d4', instance: 'chain_ok.u_fifo', valid: 'm_axis_out_tvalid', ready: 'm_axis_out_tready', data: 'm_axis_out_tdata', last: '', width: 8 });
    expect(pub.memories.map((m) => m.paths)).toEqual([['chain_ok.u_fifo.mem', 'fifo_w8_d4.mem']]);
  });

  it('resolves declared streams against the IR and names what is wrong', () => {
    const top = chain('chain_ok', skidBuffer(8));
    expect(declaredWatch(top, { instance: 'chain_ok.u_fifo', valid: 'm_axis_out_tvalid', ready: 'm_axis_out_tready', data: 'm_axis_out_tdata' })).toMatchObject({
      name: 'chain_ok.u_fifo.m_axis_out',
      module: 'fifo_w8_d4',
      width: 8,
    });
    expect(() => declaredWatch(top, { instance: 'chain_ok.u_nope', valid: 'v', ready: 'r', data: 'd' })).toThrow(/no instance 'u_nope' in module chain_ok/);
    expect(() => declaredWatch(top, { instance: 'other', valid: 'v', ready: 'r', data: 'd' })).toThrow(/must start with the top module 'chain_ok'/);
    expect(() => declaredWatch(top, { instance: 'chain_ok', valid: 'a_ready', ready: 'b_ready', data: 'nope' })).toThrow(/no signal 'nope' in module chain_ok/);
    expect(() => declaredWatch(top, { instance: 'chain_ok', valid: 'u_first_m_axis_out_tdata', ready: 'a_ready', data: 'a_ready' })).toThrow(/must be 1 bit wide, it has 8/);
  });

  it('a correct hierarchy passes every internal check under back-pressure, and its FIFO memory reads back', async () => {
    const m = await buildFromIr(chain('chain_ok', skidBuffer(8)), { seed: 5 });
    models.push(m);
    expect(m.build.watches.length).toBe(4);
    const rng = new Rng(3);
    const { data } = randomTraffic(rng, 2000, 8, 50);
    await m.sourcePattern('in', 0.8, 1);
    await m.sinkPattern('out', 0.3, 2);
    await m.reset(2);
    await m.push('in', data, 'none');
    await m.run({ untilSinkCount: { bus: 'out', n: data.length }, maxCycles: 100_000 });
    expect((await m.drain('out')).map((w) => w.data)).toEqual(data);
    expect((await m.violations()).total).toBe(0);
    // the FIFO's storage through the back door: the last 4 words written, slot by slot
    const mem = await m.peekMem('fifo_w8_d4.mem', 0, 4);
    expect([...mem].sort()).toEqual(data.slice(-4).sort());
    expect(await m.peekMem('chain_ok.u_fifo.mem', 0, 4)).toEqual(mem);
    await m.pokeMem('fifo_w8_d4.mem', 1, [0xee]);
    expect(await m.peekMem('fifo_w8_d4.mem', 1)).toEqual([0xee]);
    await expect(m.peekMem('fifo_w8_d4.mem', 3, 2)).rejects.toThrow(/words 3\.\.4 are outside 0\.\.3/);
    await expect(m.peekMem('u_fifo.mem', 0)).rejects.toThrow(/no memory 'u_fifo\.mem' in chain_ok \(known: chain_ok\.u_fifo\.mem, fifo_w8_d4\.mem\)/);
    await expect(m.pokeMem('fifo_w8_d4.mem', 0, [256])).rejects.toThrow(/out of range/);
  });

  it('a stage that drops a stalled word is named, though the top-level output obeys the rules', async () => {
    // the same link declared by hand as a stream of the top module's own wires
    const first = { instance: 'chain_leaky', valid: 'u_first_m_axis_out_tvalid', ready: 'a_ready', data: 'u_first_m_axis_out_tdata', name: 'first_to_skid' };
    const m = await buildFromIr(chain('chain_leaky', leaky()), { streams: [first] });
    models.push(m);
    m.failOnViolation = false;
    await m.sourcePattern('in', 1, 1);
    await m.sinkPattern('out', 0.2, 2);
    await m.reset(2);
    await m.push('in', Array.from({ length: 200 }, (_, i) => i & 0xff), 'none');
    await m.run({ cycles: 300 });
    const { list } = await m.violations();
    expect(list.length).toBeGreaterThan(0);
    // the one broken link, as the leaky stage's output and as declared by hand
    expect(new Set(list.map((v) => v.stream))).toEqual(new Set(['chain_leaky.u_first.m_axis_out', 'first_to_skid']));
    expect(list.some((v) => v.kind === 'valid-dropped')).toBe(true);
    expect(list.some((v) => v.stream.startsWith('m_axis_'))).toBe(false);
  });

  it('with the watched-stream checks off the same broken link goes unreported, and back on it is reported again', async () => {
    const m = await buildFromIr(chain('chain_leaky', leaky()), { checkWatches: false });
    models.push(m);
    m.failOnViolation = false;
    await m.sourcePattern('in', 1, 1);
    await m.sinkPattern('out', 0.2, 2);
    await m.reset(2);
    const traffic = async (): Promise<void> => {
      await m.push('in', Array.from({ length: 200 }, (_, i) => i & 0xff), 'none');
      await m.run({ cycles: 300 });
    };
    await traffic();
    expect((await m.violations()).list).toEqual([]);
    await m.setChecks({ validReady: true, watches: true });
    await traffic();
    const { list } = await m.violations();
    expect(list.some((v) => v.stream === 'chain_leaky.u_first.m_axis_out' && v.kind === 'valid-dropped')).toBe(true);
  });
});
