/** Generated (IR) designs for the co-simulation runner's tests and benchmark: stream hierarchies. */
import { ModuleBuilder, uint, type Module } from '../../generator/ir/index.js';
import { feedStream, fifo, instanceOutStream, skidBuffer, streamIn, streamOut } from '../../generator/lib/stream/index.js';

/**
 * A stream stage that drops its word after one cycle whether or not it was taken: valid and data
 * are registered copies of the input (tready is always high), so a stalled word vanishes.
 */
export function leaky(): Module {
  const m = new ModuleBuilder('leaky_w8', {});
  m.clock();
  const i = streamIn(m, 'in', uint(8));
  const o = streamOut(m, 'out', uint(8));
  m.assign(i.ready, 1);
  m.assign(o.valid, m.pipe('valid_q', i.valid, { reset: 0 }));
  m.assign(o.data, m.pipe('data_q', i.data, { reset: null }));
  m.unused(o.ready);
  return m.build();
}

/** in → first → skid buffer → fifo(8 × 4) → out; `first` is a skid buffer or the leaky stage. */
export function chain(name: string, first: Module): Module {
  const m = new ModuleBuilder(name, {});
  m.clock();
  const s = streamIn(m, 'in', uint(8));
  const o = streamOut(m, 'out', uint(8));
  const aReady = m.wire('a_ready', uint(1));
  const a = m.instance('u_first', first, { ...feedStream('in', { valid: s.valid, data: s.data }), m_axis_out_tready: aReady });
  m.assign(s.ready, a.out('s_axis_in_tready'));
  const ao = instanceOutStream(a, 'out');
  const bReady = m.wire('b_ready', uint(1));
  const b = m.instance('u_skid', skidBuffer(8), { ...feedStream('in', { valid: ao.valid, data: ao.data }), m_axis_out_tready: bReady });
  m.assign(aReady, b.out('s_axis_in_tready'));
  const bo = instanceOutStream(b, 'out');
  const q = m.instance('u_fifo', fifo(8, 4), { ...feedStream('in', { valid: bo.valid, data: bo.data }), m_axis_out_tready: o.ready });
  m.assign(bReady, q.out('s_axis_in_tready'));
  m.unused(q.out('count'));
  const qo = instanceOutStream(q, 'out');
  m.assign(o.valid, qo.valid);
  m.assign(o.data, qo.data);
  return m.build();
}
