/**
 * fifo(width, depth, {last}): synchronous first-in first-out queue between two streams.
 *
 * Ports (clk, rst synchronous active high):
 *   s_axis_in_tvalid/tready/tdata[width]/tlast?    input stream
 *   m_axis_out_tvalid/tready/tdata[width]/tlast?   output stream
 *   count[log2(depth)+1]                           words held (0..depth), a register
 *
 * Behaviour:
 *   - depth is a power of two ≥ 2; storage is a depth × (width [+1 for tlast]) memory `mem` with one
 *     write port and an asynchronous read of the head (maps to distributed RAM / LUT RAM or flip-flops,
 *     not block RAM);
 *   - latency 1: a word accepted at edge t is presented just after edge t;
 *   - full throughput: a word can enter and one leave in the same cycle; with both sides always ready
 *     the queue never holds more than one word and N words take N + 1 cycles;
 *   - s_axis_in_tready = (count != depth) and m_axis_out_tvalid = (count != 0) are functions of
 *     registers only: no combinational path from any stream input to any stream output. A full FIFO
 *     does not accept in the cycle it is read (tready is low while count = depth);
 *   - the head word in the memory is never overwritten while it is presented (the write pointer only
 *     meets the read pointer when the FIFO is empty or full), so tdata/tlast are held until the transfer.
 */
import { HdlError, ModuleBuilder, cat, uint, type Module } from '../../ir/index.js';
import { streamIn, streamOut, type StreamOptions } from './bundle.js';

export function fifo(width: number, depth: number, opts: StreamOptions = {}): Module {
  if (!Number.isInteger(depth) || depth < 2 || (depth & (depth - 1)) !== 0) {
    throw new HdlError(`fifo: depth must be a power of two ≥ 2, got ${String(depth)}`);
  }
  const hasLast = opts.last === true;
  const aw = Math.log2(depth);
  const m = new ModuleBuilder(`fifo_w${width}_d${depth}${hasLast ? '_l' : ''}`, { width, depth, last: hasLast });
  m.clock();
  const s = streamIn(m, 'in', uint(width), { last: hasLast });
  const o = streamOut(m, 'out', uint(width), { last: hasLast });

  const wrPtr = m.reg('wr_ptr_q', uint(aw), { reset: 0 });
  const rdPtr = m.reg('rd_ptr_q', uint(aw), { reset: 0 });
  const count = m.reg('count_q', uint(aw + 1), { reset: 0 });
  m.output('count', count);

  m.assign(s.ready, count.ne(depth));
  m.assign(o.valid, count.ne(0));
  const push = m.wire('push', s.fire);
  const pop = m.wire('pop', o.fire);

  const mem = m.memory('mem', { depth, type: uint(width + (hasLast ? 1 : 0)) });
  mem.write(wrPtr, s.last ? cat(s.last, s.data) : s.data, push);
  const head = m.wire('head', mem.readAsync(rdPtr));
  if (o.last) {
    m.assign(o.data, head.slice(width - 1, 0));
    m.assign(o.last, head.bit(width));
  } else {
    m.assign(o.data, head);
  }

  m.seq('pointers', ($) => {
    $.if(push, () => $.set(wrPtr, wrPtr.addWrap(1)));
    $.if(pop, () => $.set(rdPtr, rdPtr.addWrap(1)));
    $.if(push.and(pop.not()), () => $.set(count, count.addWrap(1))).elseIf(pop.and(push.not()), () =>
      $.set(count, count.subWrap(1)),
    );
  });
  return m.build();
}
