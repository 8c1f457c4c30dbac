/**
 * skidBuffer(width, {last}): a 2-entry skid buffer (pipeline register slice) between two streams.
 *
 * Ports (clk, rst synchronous active high):
 *   s_axis_in_tvalid/tready/tdata[width]/tlast?    input stream
 *   m_axis_out_tvalid/tready/tdata[width]/tlast?   output stream
 *
 * Behaviour:
 *   - latency 1: a word accepted at edge t is presented on m_axis_out from just after edge t, so it can
 *     transfer at edge t+1 at the earliest;
 *   - full throughput: one word per cycle while the sink keeps tready high;
 *   - s_axis_in_tready is a register (in_ready_q): there is no combinational path from any input to
 *     any output, in particular none from m_axis_out_tready to s_axis_in_tready. When the sink stalls
 *     with a word presented, one more input word is caught in the skid register and tready drops on
 *     the next edge;
 *   - m_axis_out_tvalid/tdata/tlast are registers that change only when the output is empty or
 *     transferring, so they obey the stream rules by construction. Order and tlast are preserved.
 *   - after reset both entries are empty and s_axis_in_tready is high.
 */
import { ModuleBuilder, uint, type Module } from '../../ir/index.js';
import { streamIn, streamOut, type StreamOptions } from './bundle.js';

export function skidBuffer(width: number, opts: StreamOptions = {}): Module {
  const hasLast = opts.last === true;
  const m = new ModuleBuilder(`skid_w${width}${hasLast ? '_l' : ''}`, { width, last: hasLast });
  m.clock();
  const s = streamIn(m, 'in', uint(width), { last: hasLast });
  const o = streamOut(m, 'out', uint(width), { last: hasLast });

  const inReady = m.reg('in_ready_q', uint(1), { reset: 1 });
  const outValid = m.reg('out_valid_q', uint(1), { reset: 0 });
  const outData = m.reg('out_data_q', uint(width), { reset: null });
  const skidValid = m.reg('skid_valid_q', uint(1), { reset: 0 });
  const skidData = m.reg('skid_data_q', uint(width), { reset: null });
  const outLast = hasLast ? m.reg('out_last_q', uint(1), { reset: null }) : null;
  const skidLast = hasLast ? m.reg('skid_last_q', uint(1), { reset: null }) : null;

  m.assign(s.ready, inReady);
  m.assign(o.valid, outValid);
  m.assign(o.data, outData);
  if (o.last && outLast) m.assign(o.last, outLast);

  const inFire = m.wire('in_fire', s.valid.and(inReady));
  // the output register may take a new word: it is empty or its word transfers at this edge
  const canLoad = m.wire('out_can_load', o.ready.or(outValid.not()));

  m.seq('skid', ($) => {
    $.if(canLoad, () => {
      $.if(skidValid, () => {
        // in_ready_q was low, so nothing is accepted this cycle: the skid word moves out
        $.set(outValid, 1);
        $.set(outData, skidData);
        if (outLast && skidLast) $.set(outLast, skidLast);
        $.set(skidValid, 0);
      }).else(() => {
        $.set(outValid, inFire);
        $.if(inFire, () => {
          $.set(outData, s.data);
          if (outLast && s.last) $.set(outLast, s.last);
        });
      });
    }).else(() => {
      // output stalled: a word accepted now (in_ready_q high means the skid is empty) waits in the skid
      $.if(inFire, () => {
        $.set(skidValid, 1);
        $.set(skidData, s.data);
        if (skidLast && s.last) $.set(skidLast, s.last);
      });
    });
    // ready next cycle iff the skid will be empty
    $.set(inReady, canLoad.or(skidValid.or(inFire).not()));
  });
  return m.build();
}
