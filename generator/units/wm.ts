/**
 * WORKING MEMORY (module `wm`): the window ring of B slots in block RAM, exactly the fields and bits of the fixed
 * engine's memory report (memoryBits): per slot the u8 pixels of its sample, its label and the stored z of every
 * hidden layer (windowZ words); the off-diagonal words of K_X and K_Y (B(B−1)/2 each, upper triangle, pair p < q
 * at p·(2B − p − 1)/2 + q − p − 1; the diagonal is the constant 1.0) and the row sums R_X, R_Y (B words each).
 *
 * Banking: one pixel bank and one z bank per hidden layer for every slot (bank s holds slot s's vector), so one
 * read gives element i of all B slots: the Gram array's row and column edges and the modulator's ξ (z_cj − z_pj
 * for every p) take what they need from it each cycle. Every memory is a simple-dual-port block RAM (one write,
 * one registered read), generator/lib/stream/bram.ts.
 *
 * Ports (clk, rst synchronous active high)
 *   command   start (1-cycle pulse), op[1:0], label[labelBits] (sampled at start) → busy, done (1-cycle pulse)
 *     op 0 CLEAR  epoch start: every slot (pixels, stored z, label), K_X, K_Y, R_X, R_Y ← 0, head = count = 0;
 *                 busy for clearCycles = max(B(B−1)/2, B, dim, max n_l) cycles (all memories in parallel, one word
 *                 each per cycle; 784 for the default)
 *     op 1 NEW    the next sample enters slot c = head (the oldest leaves): label[c] ← label, head ← (c+1) mod B,
 *                 count ← min(count + 1, B), the pixel and z write pointers restart at 0; done after 1 cycle
 *     op 2 KROW   the incremental K row of slot c: takes count − 1 words {K_Y[c][q], K_X[c][q]} on s_axis_krow, one
 *                 per occupied slot q ≠ c in increasing q, and for each: R_q ← R_q + new − old (old = the word the
 *                 pair held), K[c][q] ← new; then R_c ← 1.0 + Σ_q new. Exact integers. One word per cycle; done
 *                 2 cycles after the last word (1 cycle after start when count = 1).
 *     start while busy is ignored.
 *   status    cur (slot c of the last NEW), count (occupied slots), head
 *   s_axis_px    u8 pixel stream of the current sample: word i → pixel bank c, address i; with px_at_head = 1
 *                pixel bank head instead (the next sample's pixels before its NEW, whose label then follows them)
 *   s_axis_z<l>  stored-z stream of hidden layer l (windowZ raw): word j → z<l> bank c, address j
 *   (the sample streams' tready is low during CLEAR)
 *   s_axis_krow  {K_Y word, K_X word} (gram format each), accepted only during KROW
 *   vector read  vr_en, vr_kind[kindBits] (0 = pixels, l = z of layer l), vr_addr → vr_data_<s> (s = 0 … B−1,
 *                sint(wordBits): pixels zero-extended, z sign-extended) one cycle after vr_en; held while vr_en is low
 *   K read       kr_en, kr_p, kr_q → kr_kx, kr_ky (K[p][q]; 1.0 when p = q), kr_rx, kr_ry (R_q), kr_label (label q),
 *                one cycle after kr_en; served while not busy (the KROW update owns the K and R read ports)
 */
import { width } from '../fixed/index.js';
import { ModuleBuilder, constant, mux, select, sint, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import type { ChipConfig } from '../config.js';
import { bramDualPort, streamIn } from '../lib/stream/index.js';
import { bitsOf } from '../lib/arith/common.js';
import { unitShapes, type UnitShapes } from './shapes.js';

export const WM_OP = { CLEAR: 0, NEW: 1, KROW: 2 } as const;

/** The memories of the working memory: name, word width and depth (what `wm` instantiates). */
export function wmMemories(cfg: ChipConfig, sh: UnitShapes = unitShapes(cfg)): { name: string; width: number; depth: number }[] {
  const N = sh.N;
  const out: { name: string; width: number; depth: number }[] = [];
  sh.kinds.forEach((k, l) => {
    for (let s = 0; s < sh.B; s++) out.push({ name: l === 0 ? `px_${s}` : `${k.name}_${s}`, width: k.width, depth: k.len });
  });
  const T = (sh.B * (sh.B - 1)) / 2;
  out.push({ name: 'labels', width: sh.labelBits, depth: sh.B });
  out.push({ name: 'kx', width: width(N.gram.format), depth: T }, { name: 'ky', width: width(N.gram.format), depth: T });
  out.push({ name: 'rx', width: width(N.rowSum.format), depth: sh.B }, { name: 'ry', width: width(N.rowSum.format), depth: sh.B });
  return out;
}

/**
 * The working memory's capacity in bits per field, from the memories `wm` instantiates — the paper's
 * working-memory capacity; equal to the fixed engine's report().memoryBits (a test holds them together).
 */
export function wmBits(cfg: ChipConfig): { inputs: number; labels: number; storedZ: number; gram: number; rowSums: number; total: number } {
  const bits = (pred: (n: string) => boolean) =>
    wmMemories(cfg)
      .filter((x) => pred(x.name))
      .reduce((a, x) => a + x.width * x.depth, 0);
  const inputs = bits((n) => n.startsWith('px_'));
  const labels = bits((n) => n === 'labels');
  const storedZ = bits((n) => /^z\d+_/.test(n));
  const gram = bits((n) => n === 'kx' || n === 'ky');
  const rowSums = bits((n) => n === 'rx' || n === 'ry');
  return { inputs, labels, storedZ, gram, rowSums, total: inputs + labels + storedZ + gram + rowSums };
}

export function wmClearCycles(cfg: ChipConfig): number {
  const sh = unitShapes(cfg);
  return Math.max((sh.B * (sh.B - 1)) / 2, sh.B, ...sh.kinds.map((k) => k.len));
}

interface WritePort {
  we: Expr;
  waddr: Expr;
  wdata: Expr;
}

/** A simple-dual-port block RAM instance (the library's, or an inline one-word memory); returns rdata. */
function sdp(m: ModuleBuilder, name: string, w: number, depth: number, wr: WritePort, re: Expr, raddr: Expr): Signal {
  const aw = bitsOf(Math.max(depth - 1, 1));
  const fit = (a: Expr): Expr => (a.width > aw ? a.trunc(aw) : a.width < aw ? a.zext(aw) : a);
  if (depth >= 2) {
    const u = m.instance(`u_${name}`, bramDualPort(w, depth), { we: wr.we, waddr: fit(wr.waddr), wdata: wr.wdata, re, raddr: fit(raddr) });
    return u.out('rdata');
  }
  const mem = m.memory(`mem_${name}`, { depth: 1, type: uint(w) });
  mem.write(constant(0, mem.addrType), wr.wdata, wr.we);
  m.unused(wr.waddr, raddr);
  return mem.readSync(`${name}_rdata_q`, constant(0, mem.addrType), re);
}

/** Module `wm`: see the file comment. */
export function workingMemory(cfg: ChipConfig): Module {
  const sh = unitShapes(cfg);
  const N = sh.N;
  const B = sh.B;
  const SB = sh.slotBits;
  const T = (B * (B - 1)) / 2;
  const wg = width(N.gram.format);
  const wr = width(N.rowSum.format);
  const ONE = 2 ** N.gram.format.fracBits;
  const clearCycles = wmClearCycles(cfg);
  const maxLen = Math.max(...sh.kinds.map((k) => k.len));
  const AW = bitsOf(Math.max(maxLen - 1, 1));
  const CW = bitsOf(clearCycles);
  const m = new ModuleBuilder('wm', {
    window: B,
    kinds: sh.kinds.map((k) => `${k.name}:${k.len}x${k.width}`),
    gramBits: wg,
    rowSumBits: wr,
    labelBits: sh.labelBits,
    clearCycles,
    bits: wmBits(cfg).total,
  });
  m.clock();
  const start = m.input('start', uint(1));
  const op = m.input('op', uint(2));
  const labelIn = m.input('label', uint(sh.labelBits));
  const pxAtHead = m.input('px_at_head', uint(1));

  // ---- control state
  const S_IDLE = 0;
  const S_CLEAR = 1;
  const S_KROW = 2;
  const state = m.reg('state_q', uint(2), { reset: S_IDLE });
  const head = m.reg('head_q', uint(SB), { reset: 0 });
  const cur = m.reg('cur_q', uint(SB), { reset: 0 });
  const count = m.reg('count_q', uint(bitsOf(B)), { reset: 0 });
  const clr = m.reg('clear_cnt_q', uint(CW), { reset: 0 });
  const left = m.reg('krow_left_q', uint(bitsOf(B)), { reset: 0 });
  const qNext = m.reg('krow_q_q', uint(SB), { reset: 0 });
  const done = m.reg('done_q', uint(1), { reset: 0 });
  const idle = m.wire('idle', state.eq(S_IDLE));
  const clearing = m.wire('clearing', state.eq(S_CLEAR));
  const go = (o: number) => start.and(idle).and(op.eq(o));
  const cmdClear = m.wire('cmd_clear', go(WM_OP.CLEAR));
  const cmdNew = m.wire('cmd_new', go(WM_OP.NEW));
  const cmdKrow = m.wire('cmd_krow', go(WM_OP.KROW));
  m.output('busy', idle.not());
  m.output('done', done);
  m.output('cur', cur);
  m.output('count', count);
  m.output('head', head);

  // ---- sample write streams: pixels and z of the current slot
  const pxIn = streamIn(m, 'px', uint(8));
  m.assign(pxIn.ready, clearing.not());
  const zIns = sh.kinds.slice(1).map((k) => {
    const s = streamIn(m, k.name, uint(k.width));
    m.assign(s.ready, clearing.not());
    return s;
  });
  const ptrs = sh.kinds.map((k, l) => m.reg(`${l === 0 ? 'px' : k.name}_wptr_q`, uint(bitsOf(Math.max(k.len - 1, 1))), { reset: 0 }));
  const fires = [pxIn.fire, ...zIns.map((s) => s.fire)];
  m.seq('write_pointers', ($) => {
    sh.kinds.forEach((k, l) => {
      $.if(cmdNew.or(cmdClear), () => $.set(ptrs[l], 0)).elseIf(fires[l], () =>
        $.set(ptrs[l], mux(ptrs[l].eq(k.len - 1), constant(0, ptrs[l].type), ptrs[l].addWrap(1))),
      );
    });
  });

  // ---- K row update: read stage (accept), write stage (one cycle later)
  const krow = streamIn(m, 'krow', uint(2 * wg));
  const inKrow = m.wire('in_krow', state.eq(S_KROW));
  const krowReady = m.wire('krow_ready', inKrow.and(left.ne(0)));
  m.assign(krow.ready, krowReady);
  const accept = m.wire('krow_accept', krow.valid.and(krowReady));
  /**
   * pair index of (a, b), a ≠ b: lo·(2B − lo − 1)/2 + hi − lo − 1. The row base lo·(2B − lo − 1)/2 is a
   * B-entry constant table (a few LUTs), not a product: no multiplier for synthesis to place (synth_xilinx of
   * wm alone at B = 8: 629 → 623 LUTs, no DSP either way).
   */
  const ti = bitsOf(Math.max(T - 1, 1));
  const tw = Math.max(ti, SB) + 1;
  const tri = (a: Expr, b: Expr, name: string): Signal => {
    const lo = m.wire(`${name}_lo`, mux(a.lt(b), a, b));
    const hi = m.wire(`${name}_hi`, mux(a.lt(b), b, a));
    const rows = Array.from({ length: B }, (_, l) => constant((l * (2 * B - l - 1)) / 2, uint(tw)));
    const base = B === 1 ? rows[0] : select(lo, rows, 2 ** lo.width > B ? constant(0, uint(tw)) : undefined);
    const off = hi.subWrap(lo).subWrap(constant(1, uint(SB)));
    return m.wire(name, base.addWrap(off.zext(tw)).trunc(ti));
  };
  const wV = m.reg('w_valid_q', uint(1), { reset: 0 });
  const wQ = m.reg('w_q_q', uint(SB), { reset: 0 });
  const wKx = m.reg('w_kx_q', uint(wg), { reset: 0 });
  const wKy = m.reg('w_ky_q', uint(wg), { reset: 0 });
  const triIn = tri(cur, qNext, 'krow_tri');
  const wTri = m.reg('w_tri_q', triIn.type, { reset: 0 });
  const accX = m.reg('rc_x_q', uint(wr), { reset: 0 });
  const accY = m.reg('rc_y_q', uint(wr), { reset: 0 });
  const rcWrite = m.wire('rc_write', inKrow.and(left.eq(0)).and(wV.not()));

  // ---- K read port (shared with the update)
  const krEn = m.input('kr_en', uint(1));
  const krP = m.input('kr_p', uint(SB));
  const krQ = m.input('kr_q', uint(SB));
  const triRd = tri(krP, krQ, 'kr_tri');
  const kRe = m.wire('k_re', mux(inKrow, accept, krEn.and(idle)));
  const kRaddr = m.wire('k_raddr', mux(inKrow, triIn, triRd));
  const rRaddr = m.wire('r_raddr', mux(inKrow, qNext, krQ));
  const zeroG = constant(0, uint(wg));
  const zeroR = constant(0, uint(wr));
  const clrK = clearing.and(clr.lt(constant(T, uint(CW))));
  const clrB = clearing.and(clr.lt(constant(B, uint(CW))));
  const kWrite = (w: Expr): WritePort => ({ we: clrK.or(wV), waddr: mux(clearing, clr.resize(triIn.width), wTri), wdata: mux(clearing, zeroG, w) });
  const kxOld = sdp(m, 'kx', wg, T, kWrite(wKx), kRe, kRaddr);
  const kyOld = sdp(m, 'ky', wg, T, kWrite(wKy), kRe, kRaddr);
  const rowSum = (old: Signal, kOld: Signal, kNew: Signal, acc: Signal): Expr => {
    const upd = old.toSigned().add(kNew.toSigned()).sub(kOld.toSigned()).resize(wr + 1).trunc(wr).asUnsigned();
    const rc = acc.addWrap(constant(ONE, uint(wr)));
    return mux(clearing, zeroR, mux(rcWrite, rc, upd));
  };
  const rWe = clrB.or(wV).or(rcWrite);
  const rWaddr = mux(clearing, clr.resize(SB), mux(rcWrite, cur, wQ));
  const rxOld = m.wire('rx_rdata', uint(wr));
  const ryOld = m.wire('ry_rdata', uint(wr));
  m.assign(rxOld, sdp(m, 'rx', wr, B, { we: rWe, waddr: rWaddr, wdata: rowSum(rxOld, kxOld, wKx, accX) }, kRe, rRaddr));
  m.assign(ryOld, sdp(m, 'ry', wr, B, { we: rWe, waddr: rWaddr, wdata: rowSum(ryOld, kyOld, wKy, accY) }, kRe, rRaddr));
  const labels = sdp(
    m,
    'labels',
    sh.labelBits,
    B,
    { we: clrB.or(cmdNew), waddr: mux(clearing, clr.resize(SB), head), wdata: mux(clearing, constant(0, uint(sh.labelBits)), labelIn) },
    krEn.and(idle),
    krQ,
  );
  const diag = m.reg('kr_diag_q', uint(1), { reset: 0 });
  m.seq('kr_diag', ($) => $.if(krEn, () => $.set(diag, krP.eq(krQ))));
  const oneG = constant(ONE, uint(wg));
  m.output('kr_kx', mux(diag, oneG, kxOld));
  m.output('kr_ky', mux(diag, oneG, kyOld));
  m.output('kr_rx', rxOld);
  m.output('kr_ry', ryOld);
  m.output('kr_label', labels);

  // ---- vector banks and the vector read port
  const vrEn = m.input('vr_en', uint(1));
  const vrKind = m.input('vr_kind', uint(sh.kindBits));
  const vrAddr = m.input('vr_addr', uint(AW));
  const kindQ = m.reg('vr_kind_q', uint(sh.kindBits), { reset: 0 });
  m.seq('vr_kind', ($) => $.if(vrEn, () => $.set(kindQ, vrKind)));
  const WB = sh.wordBits;
  const banks: Signal[][] = []; // [kind][slot]
  sh.kinds.forEach((k, l) => {
    const row: Signal[] = [];
    const data = l === 0 ? pxIn.data : zIns[l - 1].data;
    for (let s = 0; s < B; s++) {
      const mine = (l === 0 ? mux(pxAtHead, head, cur) : cur).eq(constant(s, uint(SB)));
      const wrp: WritePort = {
        we: mux(clearing, clr.lt(constant(k.len, uint(CW))), fires[l].and(mine)),
        waddr: mux(clearing, clr.resize(Math.max(ptrs[l].width, CW)), ptrs[l].zext(Math.max(ptrs[l].width, CW))),
        wdata: mux(clearing, constant(0, uint(k.width)), data),
      };
      row.push(sdp(m, l === 0 ? `px_${s}` : `${k.name}_${s}`, k.width, k.len, wrp, vrEn.and(vrKind.eq(l)), vrAddr));
    }
    banks.push(row);
  });
  for (let s = 0; s < B; s++) {
    const opts = banks.map((row, l) => (sh.kinds[l].signed ? row[s].asSigned().sext(WB) : row[s].zext(WB).asSigned()));
    m.output(`vr_data_${s}`, opts.length === 1 ? opts[0] : select(kindQ, opts, constant(0, sint(WB))));
  }

  // ---- sequencing
  const countNext = mux(count.eq(B), count, count.addWrap(1));
  m.seq('control', ($) => {
    $.set(done, 0);
    $.set(wV, accept);
    $.if(accept, () => {
      $.set(wQ, qNext);
      $.set(wTri, triIn);
      $.set(wKx, krow.data.trunc(wg));
      $.set(wKy, krow.data.slice(2 * wg - 1, wg));
      $.set(left, left.subWrap(1));
      // the next occupied slot ≠ c
      const q1 = qNext.addWrap(1);
      $.set(qNext, mux(q1.eq(cur), q1.addWrap(1), q1));
    });
    $.if(wV, () => {
      $.set(accX, accX.addWrap(wKx.zext(wr)));
      $.set(accY, accY.addWrap(wKy.zext(wr)));
    });
    $.if(cmdClear, () => {
      $.set(state, S_CLEAR);
      $.set(clr, 0);
      $.set(head, 0);
      $.set(count, 0);
      $.set(cur, 0);
    })
      .elseIf(cmdNew, () => {
        $.set(cur, head);
        $.set(head, mux(head.eq(B - 1), constant(0, uint(SB)), head.addWrap(1)));
        $.set(count, countNext);
        $.set(done, 1);
      })
      .elseIf(cmdKrow, () => {
        $.set(state, S_KROW);
        $.set(left, count.subWrap(1));
        $.set(qNext, mux(cur.eq(0), constant(1, uint(SB)), constant(0, uint(SB))));
        $.set(accX, 0);
        $.set(accY, 0);
      });
    $.if(clearing, () => {
      $.set(clr, clr.addWrap(1));
      $.if(clr.eq(clearCycles - 1), () => {
        $.set(state, S_IDLE);
        $.set(done, 1);
      });
    });
    $.if(rcWrite, () => {
      $.set(state, S_IDLE);
      $.set(done, 1);
    });
  });
  return m.build();
}

