import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emitDesign } from '../../../generator/emit/index.js';
import { ModuleBuilder, portList, uint, type Module } from '../../../generator/ir/index.js';
import {
  feedStream,
  fifo,
  instanceOutStream,
  skidBuffer,
  streamIn,
  streamOut,
  streamPortName,
} from '../../../generator/lib/stream/index.js';
import { lintVerilator } from '../../../generator/tools/index.js';
import { expectLintClean } from '../../generator/tool-checks.js';
import { Rng } from '../../../sim/rng.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import { findStreams, type Model } from '../../../sim/verilator/index.js';
import { MIXES, fullThroughput, passThrough, randomTraffic } from './helpers.js';

/** in → fifo(8 x 4) → skid → out, wired with the bundle helpers (the skid's ready feeds the FIFO's output ready). */
function chainOk(): Module {
  const m = new ModuleBuilder('stream_chain_w8', { width: 8 });
  m.clock();
  const s = streamIn(m, 'in', uint(8), { last: true });
  const o = streamOut(m, 'out', uint(8), { last: true });
  const skidReady = m.wire('skid_in_ready', uint(1));
  const q = m.instance('u_fifo', fifo(8, 4, { last: true }), {
    ...feedStream('in', { valid: s.valid, data: s.data, last: s.last! }),
    m_axis_out_tready: skidReady,
  });
  m.assign(s.ready, q.out(streamPortName('in', 'in', 'tready')));
  m.unused(q.out('count'));
  const qo = instanceOutStream(q, 'out');
  const k = m.instance('u_skid', skidBuffer(8, { last: true }), {
    ...feedStream('in', { valid: qo.valid, data: qo.data, last: qo.last! }),
    m_axis_out_tready: o.ready,
  });
  m.assign(skidReady, k.out('s_axis_in_tready'));
  const ko = instanceOutStream(k, 'out');
  m.assign(o.valid, ko.valid);
  m.assign(o.data, ko.data);
  m.assign(o.last!, ko.last!);
  return m.build();
}

describe('stream bundles', () => {
  it('create the port names the runner recognises, with tlast only when asked', () => {
    const m = new ModuleBuilder('bundle_names', {});
    const a = streamIn(m, 'px', uint(12));
    const b = streamOut(m, 'res', uint(3), { last: true });
    expect(a.last).toBeNull();
    expect(b.last).not.toBeNull();
    m.assign(a.ready, 1);
    m.assign(b.valid, a.valid);
    m.assign(b.data, a.data.slice(2, 0));
    m.assign(b.last!, a.data.bit(11));
    const names = m.build().ports.map((p) => p.name);
    expect(names).toEqual([
      's_axis_px_tvalid',
      's_axis_px_tready',
      's_axis_px_tdata',
      'm_axis_res_tvalid',
      'm_axis_res_tready',
      'm_axis_res_tdata',
      'm_axis_res_tlast',
    ]);
    expect(streamPortName('in', 'px', 'tdata')).toBe('s_axis_px_tdata');
  });

  it('leave ready / valid undriven for the caller, and the builder says so', () => {
    const m = new ModuleBuilder('bundle_undriven', {});
    streamIn(m, 'a', uint(4));
    expect(() => m.build()).toThrow(/s_axis_a_tready.*never driven/);
  });

  it('a child stream fed without its tlast is an IR error, not a silent default', () => {
    const m = new ModuleBuilder('bundle_half', {});
    m.clock();
    const s = streamIn(m, 'in', uint(8));
    expect(() =>
      m.instance('u_fifo', fifo(8, 4, { last: true }), { ...feedStream('in', { valid: s.valid, data: s.data }), m_axis_out_tready: 1 }),
    ).toThrow(/s_axis_in_tlast.*not connected/);
  });

  it('the runner finds the streams of a module built with them', () => {
    const groups = findStreams(portList(chainOk()));
    expect(groups.map((g) => `${g.kind}:${g.bus}:${g.last >= 0}`)).toEqual(['source:in:true', 'sink:out:true']);
  });
});

describe('a fifo → skid chain wired with the bundle helpers (co-simulation)', () => {
  let m: Model;
  const mod = chainOk();
  beforeAll(async () => {
    m = await buildFromIr(mod);
  });
  afterAll(async () => {
    await m?.close();
  });

  it('emits verilator-clean Verilog for the hierarchy', async () => {
    const d = emitDesign(mod);
    expect(d.modules.map((x) => x.name)).toEqual(['fifo_w8_d4_l', 'skid_w8_l', 'stream_chain_w8']);
    expectLintClean(await lintVerilator(d.files, mod.name));
  });

  for (const mix of [MIXES[1], MIXES[2], MIXES[3]]) {
    it(`passes every word and tlast in order (valid p=${mix.pValid}, ready p=${mix.pReady})`, async () => {
      await passThrough(m, randomTraffic(new Rng(mix.seed + 300), 500, 8, 9), mix, true);
    });
  }

  it('keeps full throughput through both blocks (latency 2)', async () => {
    await fullThroughput(m, new Rng(12), 300, 8, 2);
  });
});
