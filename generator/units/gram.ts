/**
 * SYSTOLIC GRAM ARRAY (module `gram`): exact squared distances d(p, q) = Σ_i (u_p[i] − u_q[i])² between window
 * vectors, on an R × C output-stationary array of processing elements (PE → row → mesh, Gemmini-style), the
 * integers the fixed golden model's Gram rows use (pixels for K_X, each hidden layer's stored z for K_Z).
 *
 * Dataflow. Element i of every slot comes from the working memory's banked vector read (all B slots per read,
 * latency 1). Row r of the mesh takes slot p = g_r·R + r on its left edge (operand A, skewed by r cycles), column
 * c slot q on its top edge (operand B, skewed by c cycles); A moves right and B down one PE per cycle through
 * neighbour-to-neighbour registers only, so PE(r, c) sees the pair (A_r[i], B_c[i]) at cycle i + r + c and
 * accumulates (A − B)² in an exact accumulator (distBits, from the formats). The element flags (valid, first,
 * last) travel with A. On the last element a PE drops its sum into its result register, and results move LEFT one
 * PE per cycle — against the wavefront, so a PE's own result never meets its neighbour's — and leave each row at
 * its left edge into a per-row FIFO; the collector de-skews them (row by row, column by column), tags them and
 * drops the pairs nobody asked for. A global enable stalls the mesh while a row FIFO is full.
 *
 * Work. An "item" is one pass of `len` elements of one vector kind over one tile; items follow each other with
 * no gap (the next item's first element enters right behind the last one; an item shorter than 2C starts after
 * 2C − len idle cycles, so that results in a row chain never collide):
 *   ROW  (mode 0)  the incremental row: d(p, c) for every occupied slot p ≠ c (p < count), rows = slots in groups
 *                  of R, column 0 = the current slot c: ⌈count/R⌉ passes of len cycles (bandwidth: R slot words per
 *                  cycle); output in increasing p.
 *   FULL (mode 1)  every pair p < q < count of the window: tiles (row group, column group ≥ …) of R × C pairs;
 *                  output tile by tile (row groups, then column groups, in increasing order), each row-major.
 * Kinds: the `kinds` mask (bit 0 pixels, bit l the z of layer l) — every selected kind in increasing order, back
 * to back. Output words {kind, p, q, d} with tlast on the command's final word.
 *
 * Ports (clk, rst synchronous active high)
 *   start (pulse), mode, kinds[K], cur[slotBits], count[bitsOf(B)] (sampled at start) → busy, done (pulse after
 *     the final word has been taken; no words when no pair is asked for)
 *   vr_en, vr_kind, vr_addr → (working memory) → vr_data_<s> (s < B, sint(wordBits)), read latency 1
 *   hold  while high the feeder issues no element (vr_en low; the mesh takes bubbles): a caller whose vectors
 *     are still being written holds the array while vr_addr has not been written yet (tie to 0 otherwise)
 *   m_axis_d_tvalid/tready/tdata[kindBits + 2·slotBits + distBits]/tlast
 * Latency: a pass's last element is read at cycle t; its row r, column c result reaches the row FIFO about
 * r + 2c + 4 cycles later; the collector emits at most one word per cycle. Measured at full rate on the default
 * chip (bench/units/gram.ts): a ROW command over one pass of len elements ends with its last word len + 13
 * cycles after the start edge (K_X row: 797), a FULL command over pixels + z1 + z2 after 1,044 cycles (93.5% of
 * PE-cycles doing a MAC).
 */
import { ModuleBuilder, cat, constant, mux, select, sint, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import type { ChipConfig } from '../config.js';
import { fifo, streamOut } from '../lib/stream/index.js';
import { bitsOf } from '../lib/arith/common.js';
import { unitShapes, type UnitShapes } from './shapes.js';
import { sumTreeWrap } from './lane.js';

export const GRAM_MODE = { ROW: 0, FULL: 1 } as const;
/**
 * Items issued and not yet fully collected, at most (the descriptor FIFO's depth): each row FIFO then never
 * holds more than this many items' C results, so its depth 2C is never exceeded and the mesh never waits on
 * the collector — the feeder does, which cannot deadlock. Two keep the array busy while the collector takes
 * up to R·C cycles per item.
 */
const GRAM_ITEMS_IN_FLIGHT = 2;

export interface GramOptions {
  /**
   * 'inline' (default): the PE's logic is written into `gram` once per position (registers pe_<r>_<c>_…);
   * 'module': the PE is a sub-module `gram_pe_…` instantiated R·C times. The same hardware; the inlined mesh
   * simulates 1.6–2.5× faster in Verilator 5.006 on the default 8 × 8 (bench/units/gram.ts, bench/RESULTS.md).
   */
  peStyle?: 'module' | 'inline';
  /**
   * How a PE squares a − b: 'logic' (default): as |a − b|·|a − b| written out as its shifted partial products
   * and an adder tree, which synthesis keeps in LUTs and carry chains (no DSP tile: on the Arty the DSP48E1s
   * are the scarce resource, ~300 LUTs a PE instead); 'multiplier': a product, one DSP tile per PE.
   */
  square?: 'logic' | 'multiplier';
}

/**
 * (a − b)² of two sint(wb) values as uint(2·wb) without a multiplier: |d| (wb bits) times itself as the sum of
 * |d| << i for its set bits i, added in a balanced tree at 2·wb bits (exact: |d|² < 2^(2·wb)).
 */
export function squareLogic(a: Expr, b: Expr): Expr {
  const wb = a.width;
  const d = a.sub(b);
  const u = mux(d.bit(wb), d.neg().trunc(wb), d.trunc(wb)).asUnsigned();
  const W = 2 * wb;
  return sumTreeWrap(
    Array.from({ length: wb }, (_, i) => mux(u.bit(i), u.zext(W).shl(i).trunc(W), constant(0, uint(W)))),
    W,
  );
}

/** Field widths of the output word {kind, p, q, d}. */
export function gramFields(cfg: ChipConfig, sh: UnitShapes = unitShapes(cfg)) {
  return { kindBits: sh.kindBits, slotBits: sh.slotBits, distBits: sh.distBits, width: sh.kindBits + 2 * sh.slotBits + sh.distBits };
}

/**
 * Idle cycles before an item of `len` elements: the last elements of consecutive items must be ≥ 2C cycles
 * apart, or a PE's result would meet its right neighbour's earlier one in the row's result chain.
 */
export function gramPad(cols: number, len: number): number {
  return Math.max(0, 2 * cols - len);
}

interface PeIn {
  en: Expr;
  a: Expr;
  fv: Expr;
  first: Expr;
  last: Expr;
  aok: Expr;
  b: Expr;
  bok: Expr;
  chV: Expr;
  chD: Expr;
}

interface PeOut {
  a: Signal;
  fv: Signal;
  first: Signal;
  last: Signal;
  aok: Signal;
  b: Signal;
  bok: Signal;
  chV: Signal;
  chD: Signal;
}

/**
 * One processing element written into `m` with register names prefixed by `p`: operands and flags registered on
 * to the right (A, flags) and down (B); acc += (a − b)² on valid elements (restarting on `first`); on the last
 * element of an item with both operands wanted the sum enters the result register, which otherwise takes the
 * right neighbour's (results move left).
 */
function peLogic(m: ModuleBuilder, p: string, i: PeIn, DB: number, square: 'logic' | 'multiplier'): PeOut {
  const wb = i.a.width;
  const o: PeOut = {
    a: m.reg(`${p}a_q`, sint(wb), { reset: null }),
    fv: m.reg(`${p}fv_q`, uint(1), { reset: 0 }),
    first: m.reg(`${p}first_q`, uint(1), { reset: 0 }),
    last: m.reg(`${p}last_q`, uint(1), { reset: 0 }),
    aok: m.reg(`${p}aok_q`, uint(1), { reset: 0 }),
    b: m.reg(`${p}b_q`, sint(wb), { reset: null }),
    bok: m.reg(`${p}bok_q`, uint(1), { reset: 0 }),
    chV: m.reg(`${p}res_valid_q`, uint(1), { reset: 0 }),
    chD: m.reg(`${p}res_q`, uint(DB), { reset: null }),
  };
  const acc = m.reg(`${p}acc_q`, uint(DB), { reset: null });
  // (a − b)² and the sum are written into the register process, not as wires: a simulator then evaluates them
  // only in the enabled cycles of a valid element, not every cycle (the same hardware)
  // (each use gets its own copy of the expression: Verilator computes a subexpression used twice in every cycle)
  const sum = (): Expr => {
    // each factor its own copy, for the same reason
    const sqFull = square === 'logic' ? squareLogic(i.a, i.b) : i.a.sub(i.b).mul(i.a.sub(i.b)).asUnsigned();
    const sq = sqFull.width >= DB ? sqFull.trunc(DB) : sqFull.zext(DB);
    return mux(i.first, constant(0, uint(DB)), acc).addWrap(sq);
  };
  const sqWidth = 2 * (i.a.width + 1);
  // |a − b|² < 2^DB for every kind
  if (sqWidth > DB) m.unused((square === 'logic' ? squareLogic(i.a, i.b).zext(sqWidth) : i.a.sub(i.b).mul(i.a.sub(i.b)).asUnsigned()).slice(sqWidth - 1, DB));
  const emit = i.fv.and(i.last).and(i.aok).and(i.bok);
  m.seq(`${p}pe`, ($) => {
    $.if(i.en, () => {
      $.set(o.a, i.a);
      $.set(o.fv, i.fv);
      $.set(o.first, i.first);
      $.set(o.last, i.last);
      $.set(o.aok, i.aok);
      $.set(o.b, i.b);
      $.set(o.bok, i.bok);
      $.set(o.chV, emit.or(i.chV));
      $.if(i.fv, () => {
        $.set(acc, sum());
        $.if(emit, () => $.set(o.chD, sum())).else(() => $.set(o.chD, i.chD));
      }).else(() => $.set(o.chD, i.chD));
    });
  });
  return o;
}

/** Module `gram_pe_w<WB>_d<DB>`: one PE (ports en, the inputs and the registered outputs of peLogic). */
export function gramPe(wb: number, db: number, square: 'logic' | 'multiplier' = 'logic'): Module {
  const m = new ModuleBuilder(`gram_pe_w${wb}_d${db}${square === 'multiplier' ? '_mul' : ''}`, { wordBits: wb, distBits: db, square });
  m.clock();
  const i: PeIn = {
    en: m.input('en', uint(1)),
    a: m.input('a_in', sint(wb)),
    fv: m.input('fv_in', uint(1)),
    first: m.input('first_in', uint(1)),
    last: m.input('last_in', uint(1)),
    aok: m.input('aok_in', uint(1)),
    b: m.input('b_in', sint(wb)),
    bok: m.input('bok_in', uint(1)),
    chV: m.input('res_valid_in', uint(1)),
    chD: m.input('res_in', uint(db)),
  };
  const o = peLogic(m, '', i, db, square);
  for (const [k, s] of Object.entries(o)) m.output(`${PE_OUT_PORT[k as keyof PeOut]}`, s);
  return m.build();
}

const PE_OUT_PORT: Record<keyof PeOut, string> = {
  a: 'a_out',
  fv: 'fv_out',
  first: 'first_out',
  last: 'last_out',
  aok: 'aok_out',
  b: 'b_out',
  bok: 'bok_out',
  chV: 'res_valid_out',
  chD: 'res_out',
};

/** Index of the lowest set bit of `mask` at or above `from` (K = mask width), and whether there is one. */
function nextKind(mask: Expr, from: Expr, K: number, kb: number): { found: Expr; kind: Expr } {
  let kind: Expr = constant(0, uint(kb));
  let found: Expr = constant(0, uint(1));
  for (let k = K - 1; k >= 0; k--) {
    const hit = mask.bit(k).and(from.le(constant(k, uint(Math.max(from.width, kb)))));
    kind = mux(hit, constant(k, uint(kb)), kind);
    found = found.or(hit);
  }
  return { found, kind };
}

/** Module `gram`: see the file comment. */
export function gramArray(cfg: ChipConfig, opts: GramOptions = {}): Module {
  const sh = unitShapes(cfg);
  const peStyle = opts.peStyle ?? 'inline';
  const square = opts.square ?? 'logic';
  const { rows: R, cols: C } = cfg.gram;
  const B = sh.B;
  const K = sh.kinds.length;
  const SB = sh.slotBits;
  const KB = sh.kindBits;
  const DB = sh.distBits;
  const WB = sh.wordBits;
  const CB = bitsOf(B);
  const maxLen = Math.max(...sh.kinds.map((k) => k.len));
  const IW = bitsOf(Math.max(maxLen - 1, 1));
  const nRG = Math.ceil(B / R);
  const nCG = Math.ceil(B / C);
  const GRB = bitsOf(Math.max(nRG - 1, 1));
  const GCB = bitsOf(Math.max(nCG - 1, 1));
  const pads = sh.kinds.map((k) => gramPad(C, k.len));
  const PB = bitsOf(Math.max(...pads, 1));
  const m = new ModuleBuilder('gram', {
    rows: R,
    cols: C,
    window: B,
    kinds: sh.kinds.map((k) => `${k.name}:${k.len}`),
    distBits: DB,
    wordBits: WB,
    peStyle,
    square,
  });
  m.clock();
  const start = m.input('start', uint(1));
  const modeIn = m.input('mode', uint(1));
  const kindsIn = m.input('kinds', uint(K));
  const curIn = m.input('cur', uint(SB));
  const countIn = m.input('count', uint(CB));
  const hold = m.input('hold', uint(1));
  const vrData = Array.from({ length: B }, (_, s) => m.input(`vr_data_${s}`, sint(WB)));
  const out = streamOut(m, 'd', uint(KB + 2 * SB + DB), { last: true });

  // ---- command registers
  const busyQ = m.reg('busy_q', uint(1), { reset: 0 });
  const mode = m.reg('mode_q', uint(1), { reset: 0 });
  const mask = m.reg('kinds_q', uint(K), { reset: 0 });
  const cur = m.reg('cur_q', uint(SB), { reset: 0 });
  const count = m.reg('count_q', uint(CB), { reset: 0 });
  const go = m.wire('go', start.and(busyQ.not()));
  const full = m.wire('full', mode.eq(GRAM_MODE.FULL));

  // ---- row result FIFOs and the global enable
  const depth = 2 ** bitsOf(Math.max(2 * C - 1, 1));
  const rowFifo = (r: number, valid: Expr, data: Expr, pop: Expr) =>
    m.instance(`u_row${r}_fifo`, fifo(DB, depth), { s_axis_in_tvalid: valid, s_axis_in_tdata: data, m_axis_out_tready: pop });
  const rowReady = Array.from({ length: R }, (_, r) => m.wire(`row${r}_room`, uint(1)));
  const en = m.wire('en', rowReady.reduce<Expr>((a, b) => a.and(b), constant(1, uint(1))));
  // The feed pipeline (F1, F2, the skew registers) and the mesh run only while a command is in flight: every
  // valid bit in them is 0 when the previous command has finished (its results are all collected), so holding
  // them between commands changes no output, and saves the simulator (and the clock tree) their shifts in the
  // idle cycles.
  const meshEn = m.wire('mesh_en', en.and(busyQ));

  // ---- feeder: items (kind, row group, column group), element index, pad cycles
  const active = m.reg('feed_active_q', uint(1), { reset: 0 });
  const kind = m.reg('feed_kind_q', uint(KB), { reset: 0 });
  const gr = m.reg('feed_gr_q', uint(GRB), { reset: 0 });
  const gc = m.reg('feed_gc_q', uint(GCB), { reset: 0 });
  const idx = m.reg('feed_i_q', uint(IW), { reset: 0 });
  const padding = m.reg('feed_padding_q', uint(1), { reset: 0 });
  const pad = m.reg('feed_pad_q', uint(PB), { reset: 0 });
  const endPending = m.reg('feed_end_q', uint(1), { reset: 0 });
  const lenOf = m.wire('feed_len_m1', select(kind, sh.kinds.map((k) => constant(k.len - 1, uint(IW))), constant(0, uint(IW))));
  const padOf = m.wire('feed_pad_n', select(kind, pads.map((p) => constant(p, uint(PB))), constant(0, uint(PB))));
  // the item's tile: first row slot gr·R, column slots gc·C … gc·C + C − 1 (FULL)
  const WS = bitsOf(Math.max(nRG * R, nCG * C) + C);
  const pMin = m.wire('feed_p_min', gr.zext(WS).mul(constant(R, uint(bitsOf(R)))).trunc(WS));
  const qMin = m.wire('feed_q_min', gc.zext(WS).mul(constant(C, uint(bitsOf(C)))).trunc(WS));
  const cnt = count.zext(WS);
  const qEnd = m.wire('feed_q_end', mux(qMin.addWrap(C).lt(cnt), qMin.addWrap(C), cnt)); // one past the last column slot
  const needed = m.wire('feed_needed', mux(full, pMin.lt(cnt).and(qMin.lt(cnt)).and(pMin.addWrap(1).lt(qEnd)), pMin.lt(cnt)));
  const lastGr = m.wire('feed_last_gr', pMin.addWrap(R).ge(cnt).or(gr.eq(nRG - 1)));
  const lastGc = m.wire('feed_last_gc', qMin.addWrap(C).ge(cnt).or(gc.eq(nCG - 1)));
  const nk = nextKind(mask, kind.zext(KB + 1).addWrap(1), K, KB);
  const DW = 1 + KB + GRB + GCB;
  const descPush = m.wire('desc_push', uint(1));
  const descWord = m.wire('desc_word', uint(DW));
  const descPop = m.wire('desc_pop', uint(1));
  const desc = m.instance('u_desc_fifo', fifo(DW, GRAM_ITEMS_IN_FLIGHT), { s_axis_in_tvalid: descPush, s_axis_in_tdata: descWord, m_axis_out_tready: descPop });
  m.unused(desc.out('count'));
  const descRoom = desc.out('s_axis_in_tready');
  const padded = m.reg('feed_padded_q', uint(1), { reset: 0 });
  const inElems = active.and(padding.not()).and(endPending.not());
  const atItemStart = idx.eq(0);
  // an item shorter than 2C starts after idle cycles, so that its results never meet the previous item's in a chain
  const padFirst = m.wire('pad_first', inElems.and(needed).and(atItemStart).and(padded.not()).and(padOf.ne(0)));
  // issue element idx of the current item this cycle
  const issue = m.wire('issue', inElems.and(needed).and(en).and(hold.not()).and(padFirst.not()).and(atItemStart.not().or(descRoom)));
  const skip = m.wire('skip_item', inElems.and(needed.not()));
  const lastElem = m.wire('last_elem', idx.eq(lenOf));
  const advance = m.wire('advance', skip.or(issue.and(lastElem)));
  const endNow = m.wire('end_push', endPending.and(descRoom));
  m.assign(descPush, issue.and(atItemStart).or(endNow));
  m.assign(descWord, mux(endNow, constant(2 ** (DW - 1), uint(DW)), cat(constant(0, uint(1)), kind, gr, gc)));
  m.seq('feeder', ($) => {
    $.if(go, () => {
      const k0 = nextKind(kindsIn, constant(0, uint(1)), K, KB);
      $.set(active, k0.found);
      $.set(endPending, k0.found.not());
      $.set(kind, k0.kind);
      $.set(gr, 0);
      $.set(gc, 0);
      $.set(idx, 0);
      $.set(padding, 0);
      $.set(padded, 0);
    });
    $.if(padFirst, () => {
      $.set(padding, 1);
      $.set(pad, padOf);
    });
    $.if(padding.and(en), () => {
      $.set(pad, pad.subWrap(1));
      $.if(pad.eq(1), () => {
        $.set(padding, 0);
        $.set(padded, 1);
      });
    });
    $.if(issue, () => $.set(idx, mux(lastElem, constant(0, uint(IW)), idx.addWrap(1))));
    $.if(advance, () => {
      $.set(padded, 0);
      $.if(full.and(lastGc.not()), () => $.set(gc, gc.addWrap(1)))
        .elseIf(lastGr.not(), () => {
          $.set(gc, 0);
          $.set(gr, gr.addWrap(1));
        })
        .else(() => {
          $.set(gc, 0);
          $.set(gr, 0);
          $.set(kind, nk.kind);
          $.if(nk.found.not(), () => {
            $.set(active, 0);
            $.set(endPending, 1);
          });
        });
    });
    $.if(endNow, () => $.set(endPending, 0));
  });

  // ---- F1: the working memory's read register; flags and tile alongside
  m.output('vr_en', issue);
  m.output('vr_kind', kind);
  m.output('vr_addr', idx);
  const f1 = (name: string, v: Expr, reset: number | null) => m.pipe(`f1_${name}_q`, v, { reset, enable: meshEn });
  const f1v = f1('valid', issue, 0);
  const f1first = f1('first', atItemStart, 0);
  const f1last = f1('last', lastElem, 0);
  const f1gr = f1('gr', gr, 0);
  const f1gc = f1('gc', gc, 0);
  // ---- F2: operands routed to the array edges (registered)
  const zeroW = constant(0, sint(WB));
  const rowOp = (r: number): Expr => {
    const opts = Array.from({ length: nRG }, (_, g) => (g * R + r < B ? vrData[g * R + r] : zeroW));
    return opts.length === 1 ? opts[0] : select(f1gr, opts, zeroW);
  };
  const colOp = (c: number): Expr => {
    const opts = Array.from({ length: nCG }, (_, g) => (g * C + c < B ? vrData[g * C + c] : zeroW));
    const fullOp = opts.length === 1 ? opts[0] : select(f1gc, opts, zeroW);
    if (c > 0) return mux(full, fullOp, zeroW);
    return mux(full, fullOp, B === 1 ? vrData[0] : select(cur, vrData, zeroW));
  };
  const slotLt = (g: Signal, size: number, off: number): Expr =>
    g.zext(WS).mul(constant(size, uint(bitsOf(size)))).trunc(WS).addWrap(off).lt(cnt);
  const f2 = (name: string, v: Expr, reset: number | null) => m.pipe(`f2_${name}_q`, v, { reset, enable: meshEn });
  const f2v = f2('valid', f1v, 0);
  const f2first = f2('first', f1first, 0);
  const f2last = f2('last', f1last, 0);
  const rowA = Array.from({ length: R }, (_, r) => f2(`a${r}`, rowOp(r), null));
  const rowOk = Array.from({ length: R }, (_, r) => f2(`aok${r}`, slotLt(f1gr, R, r), 0));
  const colB = Array.from({ length: C }, (_, c) => f2(`b${c}`, colOp(c), null));
  const colOk = Array.from({ length: C }, (_, c) => f2(`bok${c}`, c === 0 ? mux(full, slotLt(f1gc, C, 0), constant(1, uint(1))) : full.and(slotLt(f1gc, C, c)), 0));

  // ---- skew: row r delayed by r cycles, column c by c cycles
  const delay = (name: string, v: Expr, n: number, reset: number | null): Expr => {
    let x = v;
    for (let k = 0; k < n; k++) x = m.pipe(`${name}_d${k + 1}_q`, x, { reset, enable: meshEn });
    return x;
  };
  const edgeA = rowA.map((a, r) => ({
    a: delay(`skew_a${r}`, a, r, null),
    fv: delay(`skew_fv${r}`, f2v, r, 0),
    first: delay(`skew_first${r}`, f2first, r, 0),
    last: delay(`skew_last${r}`, f2last, r, 0),
    aok: delay(`skew_aok${r}`, rowOk[r], r, 0),
  }));
  const edgeB = colB.map((b, c) => ({ b: delay(`skew_b${c}`, b, c, null), bok: delay(`skew_bok${c}`, colOk[c], c, 0) }));

  // ---- mesh
  const pe: PeOut[][] = [];
  const chainWires = new Map<string, Signal>();
  const chainIn = (name: string, t: ReturnType<typeof uint>): Signal => {
    const w = m.wire(name, t);
    chainWires.set(name, w);
    return w;
  };
  const zeroD = constant(0, uint(DB));
  const zero1 = constant(0, uint(1));
  // In ROW mode only column 0 works: columns ≥ 1 get no B operand (bok = 0), so they never emit and hold their
  // idle state. Gating them changes no output and saves the simulator (and the chip's clock tree) the cycles of
  // 64 PEs when at most R are useful.
  // (one column, as on the chip, which only runs ROW commands: no column ≥ 1 to gate)
  const meshFullEn = C > 1 ? m.wire('mesh_full_en', meshEn.and(full)) : meshEn;
  for (let r = 0; r < R; r++) {
    pe.push([]);
    for (let c = 0; c < C; c++) {
      // inputs from the left / top neighbour (or the edge) are known now; the right neighbour's result later
      const left = c === 0 ? edgeA[r] : pe[r][c - 1];
      const up = r === 0 ? edgeB[c] : pe[r - 1][c];
      const chV = c === C - 1 ? zero1 : chainIn(`pe_${r}_${c}_res_valid_in`, uint(1));
      const chD = c === C - 1 ? zeroD : chainIn(`pe_${r}_${c}_res_in`, uint(DB));
      const inp: PeIn = { en: c === 0 ? meshEn : meshFullEn, a: left.a, fv: left.fv, first: left.first, last: left.last, aok: left.aok, b: up.b, bok: up.bok, chV, chD };
      if (peStyle === 'inline') pe[r].push(peLogic(m, `pe_${r}_${c}_`, inp, DB, square));
      else {
        const u = m.instance(`u_pe_${r}_${c}`, gramPe(WB, DB, square), {
          en: inp.en,
          a_in: inp.a,
          fv_in: inp.fv,
          first_in: inp.first,
          last_in: inp.last,
          aok_in: inp.aok,
          b_in: inp.b,
          bok_in: inp.bok,
          res_valid_in: inp.chV,
          res_in: inp.chD,
        });
        const o = Object.fromEntries(Object.entries(PE_OUT_PORT).map(([k, port]) => [k, u.out(port)])) as unknown as PeOut;
        pe[r].push(o);
      }
    }
  }
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C - 1; c++) {
      m.assign(chainWires.get(`pe_${r}_${c}_res_valid_in`)!, pe[r][c + 1].chV);
      m.assign(chainWires.get(`pe_${r}_${c}_res_in`)!, pe[r][c + 1].chD);
    }
  }
  // PE outputs nobody reads: the right column's A side and the bottom row's B side
  for (let r = 0; r < R; r++) m.unused(pe[r][C - 1].a, pe[r][C - 1].fv, pe[r][C - 1].first, pe[r][C - 1].last, pe[r][C - 1].aok);
  for (let c = 0; c < C; c++) m.unused(pe[R - 1][c].b, pe[R - 1][c].bok);

  // ---- row FIFOs: results leaving the left edge
  const popRow = Array.from({ length: R }, (_, r) => m.wire(`row${r}_pop`, uint(1)));
  const rows = Array.from({ length: R }, (_, r) => {
    const u = rowFifo(r, en.and(pe[r][0].chV), pe[r][0].chD, popRow[r]);
    m.assign(rowReady[r], u.out('s_axis_in_tready'));
    m.unused(u.out('count'));
    return { valid: u.out('m_axis_out_tvalid'), data: u.out('m_axis_out_tdata') };
  });

  // ---- collector: de-skew, tag, keep the asked-for pairs
  const RB = bitsOf(Math.max(R - 1, 1));
  const CCB = bitsOf(Math.max(C - 1, 1));
  const cr = m.reg('col_r_q', uint(RB), { reset: 0 });
  const cc = m.reg('col_c_q', uint(CCB), { reset: 0 });
  const outV = m.reg('out_valid_q', uint(1), { reset: 0 });
  const outD = m.reg('out_data_q', uint(KB + 2 * SB + DB), { reset: null });
  const outL = m.reg('out_last_q', uint(1), { reset: 0 });
  const TB = bitsOf(K * Math.max(1, (B * (B - 1)) / 2));
  const total = m.reg('out_total_q', uint(TB), { reset: 0 });
  const sent = m.reg('out_sent_q', uint(TB), { reset: 0 });
  const done = m.reg('done_q', uint(1), { reset: 0 });
  m.assign(out.valid, outV);
  m.assign(out.data, outD);
  m.assign(out.last!, outL);
  m.output('busy', busyQ);
  m.output('done', done);

  const dv = desc.out('m_axis_out_tvalid');
  const dw = desc.out('m_axis_out_tdata');
  const dEnd = dw.bit(DW - 1);
  const dKind = dw.slice(DW - 2, GRB + GCB);
  const dGr = dw.slice(GRB + GCB - 1, GCB);
  const dGc = dw.trunc(GCB);
  // the collector works on the descriptor at the FIFO's head and pops it when the item is complete
  const cv = m.wire('col_item', dv.and(dEnd.not()));
  const cEnd = m.wire('col_end', dv.and(dEnd));
  // last row / column of the tile that holds a slot < count
  const lastIdx = (g: Expr, size: number, bits: number): Expr => {
    const base = g.zext(WS).mul(constant(size, uint(bitsOf(size)))).trunc(WS);
    const n = mux(base.addWrap(size).le(cnt), constant(size, uint(WS)), cnt.subWrap(base));
    return n.subWrap(1).trunc(bits);
  };
  const rLast = m.wire('col_r_last', lastIdx(dGr, R, RB));
  const cLast = m.wire('col_c_last', mux(full, lastIdx(dGc, C, CCB), constant(0, uint(CCB))));
  const pSlot = m.wire('col_p', dGr.zext(WS).mul(constant(R, uint(bitsOf(R)))).trunc(WS).addWrap(cr.zext(WS)));
  const qSlot = m.wire('col_q', mux(full, dGc.zext(WS).mul(constant(C, uint(bitsOf(C)))).trunc(WS).addWrap(cc.zext(WS)), cur.zext(WS)));
  const keep = m.wire('col_keep', mux(full, pSlot.lt(qSlot), pSlot.ne(qSlot)));
  const rowValid = m.wire('col_row_valid', R === 1 ? rows[0].valid : select(cr, rows.map((x) => x.valid), zero1));
  const rowData = m.wire('col_row_data', R === 1 ? rows[0].data : select(cr, rows.map((x) => x.data), zeroD));
  const canLoad = m.wire('out_can_load', outV.not().or(out.ready));
  const step = m.wire('col_step', cv.and(rowValid).and(keep.not().or(canLoad)));
  const itemDone = m.wire('col_item_done', step.and(cr.eq(rLast)).and(cc.eq(cLast)));
  const finish = m.wire('col_finish', cEnd.and(outV.not()));
  m.assign(descPop, itemDone.or(finish));
  for (let r = 0; r < R; r++) m.assign(popRow[r], step.and(cr.eq(constant(r, uint(RB)))));
  // words of the command: (pairs per kind) × (kinds selected), without a multiplier — the pair count of a FULL
  // command from a table of count(count − 1)/2 over the count port's values, added once per selected kind
  const TM = (1n << BigInt(TB)) - 1n;
  const fullPairs = Array.from({ length: 2 ** countIn.width }, (_, c) => constant(((BigInt(c) * ((BigInt(c) - 1n) & TM)) >> 1n) & TM, uint(TB)));
  const pairs = m.wire('cmd_pairs', mux(modeIn.eq(GRAM_MODE.FULL), select(countIn, fullPairs), countIn.zext(TB).subWrap(1)));
  let words: Expr = constant(0, uint(TB));
  for (let k = 0; k < K; k++) words = words.addWrap(mux(kindsIn.bit(k), pairs, constant(0, uint(TB))));
  m.seq('collector', ($) => {
    $.set(done, 0);
    $.if(go, () => {
      $.set(busyQ, 1);
      $.set(mode, modeIn);
      $.set(mask, kindsIn);
      $.set(cur, curIn);
      $.set(count, countIn);
      $.set(sent, 0);
      $.set(total, words);
    });
    $.if(canLoad, () => $.set(outV, step.and(keep)));
    $.if(step, () => {
      $.if(keep, () => {
        $.set(outD, cat(dKind, pSlot.trunc(SB), qSlot.trunc(SB), rowData));
        $.set(outL, sent.eq(total.subWrap(1)));
        $.set(sent, sent.addWrap(1));
      });
      $.if(cc.eq(cLast), () => {
        $.set(cc, 0);
        $.if(cr.eq(rLast), () => $.set(cr, 0)).else(() => $.set(cr, cr.addWrap(1)));
      }).else(() => $.set(cc, cc.addWrap(1)));
    });
    $.if(finish, () => {
      $.set(busyQ, 0);
      $.set(done, 1);
    });
  });
  return m.build();
}
