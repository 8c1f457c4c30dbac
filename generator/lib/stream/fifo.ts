/**
 * fifo(width, depth, {last, storage}): synchronous first-in first-out queue between two streams.
 * Module name fifo_w<width>_d<depth>[_l][_bram].
 *
 * Ports (clk, rst synchronous active high):
 *   s_axis_in_tvalid/tready/tdata[width]/tlast?    input stream
 *   m_axis_out_tvalid/tready/tdata[width]/tlast?   output stream
 *   count[log2(depth)+1]                           words held (0..depth), a register
 *
 * Behaviour:
 *   - depth is a power of two ≥ 2; storage is a depth × (width [+1 for tlast]) memory `mem` with one
 *     write port and one read port:
 *       storage 'lut' (default): asynchronous read of the head (distributed RAM / LUT RAM or flip-flops);
 *       storage 'bram': registered read, `(* ram_style = "block" *)` (one block RAM per 4 Kbit on iCE40, one
 *         RAMB18E1 up to 18 Kbit on Xilinx). The read address looks ahead (rd_ptr + 1 when the
 *         head transfers, else rd_ptr) so the next head is in the read register one edge later; a word
 *         written at the edge where it is also read (FIFO empty or about to be) would come back OLD from
 *         the read-first RAM, so it is caught in a bypass register (`bypass_q`) and selected instead: the
 *         RAM's word on such a collision is never used (`no_rw_check`, no collision logic after the RAM),
 *         and whether it happens comes from count's flags (empty; one word: `one_q`), not from comparing
 *         the pointers.
 *       Both give the same stream behaviour, latency and count (tested against the same model).
 *   - latency 1: a word accepted at edge t is presented just after edge t;
 *   - full throughput: a word can enter and one leave in the same cycle; with both sides always ready
 *     the queue never holds more than one word and N words take N + 1 cycles;
 *   - s_axis_in_tready = (count != depth) and m_axis_out_tvalid = (count != 0), each a flip-flop of its
 *     own (not_full_q, not_empty_q, set with count): no combinational path from any stream input to any
 *     stream output, and no logic after the flip-flop for the consumer's decisions. A full FIFO
 *     does not accept in the cycle it is read (tready is low while count = depth);
 *   - the head word in the memory is never overwritten while it is presented (the write pointer only
 *     meets the read pointer when the FIFO is empty or full), so tdata/tlast are held until the transfer.
 */
import { HdlError, ModuleBuilder, cat, mux, uint, type Expr, type Module, type Signal } from '../../ir/index.js';
import { streamIn, streamOut, type StreamOptions } from './bundle.js';

export interface FifoOptions extends StreamOptions {
  /** 'lut' (default): asynchronous-read memory; 'bram': registered-read memory that maps to block RAM. */
  readonly storage?: 'lut' | 'bram';
}

export function fifo(width: number, depth: number, opts: FifoOptions = {}): Module {
  if (!Number.isInteger(depth) || depth < 2 || (depth & (depth - 1)) !== 0) {
    throw new HdlError(`fifo: depth must be a power of two ≥ 2, got ${String(depth)}`);
  }
  const hasLast = opts.last === true;
  const storage = opts.storage ?? 'lut';
  if (storage !== 'lut' && storage !== 'bram') throw new HdlError(`fifo: storage must be 'lut' or 'bram', got ${String(storage)}`);
  const aw = Math.log2(depth);
  const name = `fifo_w${width}_d${depth}${hasLast ? '_l' : ''}${storage === 'bram' ? '_bram' : ''}`;
  const m = new ModuleBuilder(name, { width, depth, last: hasLast, storage });
  m.clock();
  const s = streamIn(m, 'in', uint(width), { last: hasLast });
  const o = streamOut(m, 'out', uint(width), { last: hasLast });

  const wrPtr = m.reg('wr_ptr_q', uint(aw), { reset: 0 });
  const rdPtr = m.reg('rd_ptr_q', uint(aw), { reset: 0 });
  const count = m.reg('count_q', uint(aw + 1), { reset: 0 });
  m.output('count', count);

  const notFull = m.reg('not_full_q', uint(1), { reset: 1 });
  const notEmpty = m.reg('not_empty_q', uint(1), { reset: 0 });
  m.assign(s.ready, notFull);
  m.assign(o.valid, notEmpty);
  const push = m.wire('push', s.fire);
  const pop = m.wire('pop', o.fire);

  const wordType = uint(width + (hasLast ? 1 : 0));
  // block RAM: a read of the address written in the same cycle is never used (the bypass below replaces it)
  const mem = m.memory('mem', { depth, type: wordType, ...(storage === 'bram' ? { style: 'block' as const, noCollision: true } : {}) });
  const word = m.wire('in_word', s.last ? cat(s.last, s.data) : s.data);
  mem.write(wrPtr, word, push);
  let head: Signal;
  // count = 1 (the block-RAM FIFO keeps it as a flag: a pop then empties the FIFO, tvalid's next value a flip-flop)
  let isOne: Expr = count.eq(1);
  if (storage === 'lut') {
    head = m.wire('head', mem.readAsync(rdPtr));
  } else {
    // rd_ptr + 1 kept in a register beside rd_ptr, so the look-ahead and the bypass's compare take no adder
    const rdInc = m.reg('rd_ptr_inc_q', uint(aw), { reset: 1 });
    m.seq('read_ahead', ($) => $.if(pop, () => $.set(rdInc, rdInc.addWrap(1))));
    const rdNext = m.wire('rd_next', mux(pop, rdInc, rdPtr));
    const rdata = mem.readSync('rdata_q', rdNext);
    const bypassSel = m.reg('bypass_sel_q', uint(1), { reset: 0 });
    const bypass = m.reg('bypass_q', wordType, { reset: null });
    // the word pushed is the next head's address when the FIFO holds one word that is popped (wr_ptr = rd_ptr + 1)
    // or none (wr_ptr = rd_ptr; a pushed word is never popped in that cycle): count = 1 and count = 0 as flags
    const one = m.reg('one_q', uint(1), { reset: 0 });
    isOne = one;
    m.seq('bypass', ($) => {
      $.set(bypassSel, push.and(mux(pop, one, notEmpty.not())));
      $.if(push, () => $.set(bypass, word));
      $.if(push.and(pop.not()), () => $.set(one, notEmpty.not())).elseIf(pop.and(push.not()), () => $.set(one, count.eq(2)));
    });
    head = m.wire('head', mux(bypassSel, bypass, rdata));
  }
  if (o.last) {
    m.assign(o.data, head.slice(width - 1, 0));
    m.assign(o.last, head.bit(width));
  } else {
    m.assign(o.data, head);
  }

  m.seq('pointers', ($) => {
    $.if(push, () => $.set(wrPtr, wrPtr.addWrap(1)));
    $.if(pop, () => $.set(rdPtr, rdPtr.addWrap(1)));
    $.if(push.and(pop.not()), () => {
      $.set(count, count.addWrap(1));
      $.set(notEmpty, 1);
      $.set(notFull, count.ne(depth - 1));
    }).elseIf(pop.and(push.not()), () => {
      $.set(count, count.subWrap(1));
      $.set(notEmpty, isOne.not());
      $.set(notFull, 1);
    });
  });
  return m.build();
}
