/**
 * HEBBIAN-UPDATE UNIT: streams a hidden layer's weights through L = cfg.lanes lanes, applying the rank-1
 * update of the rule and, in the same pass, the forward MAC of the next sample with the updated weights.
 * Spec: updatePass of sim/golden/fixed (the rank-1 update W ← sat(W + SR(−mul·δ_j·h_i, k)) with the
 * layer's LFSR bank, fused with a = W'·h_next + b); co-simulated word for word in test/units/hebbian.test.ts.
 *
 * ROW GROUPS (numeric.lfsr.rowGroups = G; config.ts autoRowGroups): the L lanes are G groups of g = L/G lanes in lockstep on
 *   G consecutive rows: in round r group γ takes row j = r·G + γ, every group at the same chunk of its row. Word i
 *   of row j lives in bank (and rounds with LFSR lane) γ·g + i mod g. Per group: ν and the act flag, a bias memory
 *   (bias_mem_g<γ>, row j at bBase + r), the adder tree over its g lanes, the row accumulator and a 16-word queue;
 *   the acc stream pops the queues in turn, so rows leave in order. A round takes G δ words: the first R − 1 of
 *   its R rows are gathered (dgather_*) while the round before issues, the last is taken at chunk 0 as with
 *   G = 1. The h buffer is g lanes wide; h lane p feeds lanes p, g + p, …. Below, read L as g, a row as a
 *   round and row j as round r, except where a group is named. G = 1 is the unit as described.
 *
 * STORAGE (layout from the ChipConfig, hiddenLayout()):
 *   wbank_<q>  L block RAMs (simple dual port), one per lane: word i of row j of hidden layer l lives in
 *              bank i mod L at address wBase_l + j·C_l + ⌊i/L⌋, C_l = ⌈nIn_l / L⌉ chunks per row; all
 *              hidden layers at per-layer bases. Lanes ≥ r_l = nIn_l − (C_l − 1)·L of a row's last chunk
 *              hold no word.
 *              cfg.weightMemory 'spram': each bank is two single-port RAMs wbank_<q>_0 / wbank_<q>_1 (memory
 *              style 'huge', iCE40 UltraPlus SB_SPRAM256KA), word A of the bank in RAM A mod 2 at ⌊A/2⌋.
 *              A pass's consecutive issues read consecutive addresses, and each write (A, one cycle after
 *              its read) meets at most the read of A + 1 in the other RAM: same issue rate, same
 *              latencies, bit-identical results; the read data passes one 2:1 mux (the parity of the read).
 *   bias_mem   the biases, layer l row j at bBase_l + j; processed with the row's last chunk.
 *   hbuf_<q>   input vectors, S = 3 slots per layer (word i of slot s of layer l at hBase_l + s·C_l + ⌊i/L⌋
 *              in lane i mod L), stored aligned to the largest input fraction of the hidden layers.
 *              Passes read two slots (the update's h and the forward's h_next); the loader fills a third.
 *   LFSRs      one bank of L lanes per hidden layer (lfsr_save_<l>_<q>, the spec's LfsrBank.states);
 *              a pass copies its layer's bank into the working registers lfsr_<q> and back at the end.
 *
 * PORTS (clk, rst synchronous active high)
 *   start, cmd_layer, cmd_update, cmd_forward, cmd_cur, cmd_nxt   a pass: layer, whether to update with δ
 *        and slot cmd_cur, whether to forward slot cmd_nxt; sampled at start (ignored while busy)
 *   busy, done        busy from the edge after start until done (1-cycle pulse: every write is in the
 *                     memories and every accumulator word in the output queue)
 *   s_axis_delta      δ_j of the layer's rows in order (delta format), consumed at the row's first
 *                     chunk, only in update passes
 *   m_axis_acc        a_j = Σ_i W'_ji h_next,i + b'_j·2^(f_w + f_in − f_b), exact, in the product's
 *                     fraction f_w + f_in of the layer (acc.forward bits), one word per row, tlast on the
 *                     last row; only in forward passes. A 16-word queue; rows issue only with room left.
 *   hl_start, hl_layer, hl_slot, hl_busy, s_axis_h   vector loader: after hl_start it takes nIn_l words
 *                     (the layer's input format, sign-extended) into slot hl_slot; runs beside a pass
 *                     (load a slot the pass does not read)
 *   host_re, host_we, host_kind, host_bank, host_addr, host_wdata, host_rdata   host port while not busy:
 *                     kind 0 = weight word at (bank, addr) (weightAddress()), 1 = bias at addr, 2 = LFSR
 *                     state of lane `bank` of layer `addr`. Writes at the edge; reads have latency 2
 *                     (host_rdata holds the word from the second edge after host_re until the next read).
 *   sat_w_hi, sat_w_lo, sat_b_hi, sat_b_lo   saturation counts of the updates (32-bit, wrap), cleared by rst
 *
 * PIPELINE (one chunk of L words per cycle; rows back to back):
 *   issue  t    bank read at A = wBase + j·C + k (A runs through the layer's rows contiguously), h_cur read,
 *               bias read on the last chunk; δ taken at k = 0
 *   S1     t+1  nu·h (nu = −mul·δ_j), draw (the lane's LFSR advanced LEAP steps; the bias lane of a row whose
 *               last chunk is full draws twice: LEAP and 2·LEAP), round, add, saturate, WRITE back at A;
 *               h_next read
 *   S2     t+2  W'·h_next per lane, adder tree over lanes (+ the bias term on the last chunk)
 *   S3     t+3  row accumulator; the last chunk pushes a_j into the queue
 *   Read-after-write: within a pass every address is read once, at issue, and written two edges later;
 *   addresses of different chunks differ, so no read sees a pending write. A new pass starts only after
 *   done (all writes retired), so a pass never reads a word an earlier pass has yet to write.
 *
 * CYCLES per pass: 1 (start) + nOut·C (with row groups ⌈nOut/G⌉·C, + up to 2·(G − 1): the first round's gather,
 * the last round's G words leaving the queues) (issue; update-only passes spend 1 cycle on a row with δ = 0 and
 * skip it) + 4 (drain), with a ready δ source and acc sink. Skipped rows: no write, no draw. Rows issue back
 * to back; a row's last chunk leaves L − r_l lanes idle (e.g. 128 inputs at L = 48: 3 chunks for 128 words),
 * because word i draws from LFSR lane i mod L, the spec's order — packing the next row's head into them would
 * change the draws.
 */
import { fx, mulFormat, sumFormat, toHls, width, type FixedFormat } from '../fixed/index.js';
import { ModuleBuilder, Signal, cat, constant, mux, select, sint, uint, addrWidth, type Expr, type Module } from '../ir/index.js';
import { fifo } from '../lib/stream/fifo.js';
import { streamIn, streamOut } from '../lib/stream/bundle.js';
import type { ChipConfig } from '../config.js';
import { resolveNumeric, type ResolvedNumeric } from '../numeric.js';
import { DEFAULT_TAPS } from '../fixed/index.js';
import { HOST_KIND, NATIVE, bitsFor, gatedLeapPacked, gatedUpdateWord, hostReadPort, laneProduct, laneSum, gatedLeap, leapPlan, packedLeap, satCounters, satFlagsAny, updateWord, type SatCounter } from './lane.js';

/** Vector slots per hidden layer in hbuf. */
export const H_SLOTS = 3;
/** Depth of the accumulator output queue. */
export const ACC_QUEUE = 16;
/** Host port kinds (host_kind). */
export { HOST_KIND };

export interface HiddenLayer {
  nIn: number;
  nOut: number;
  /** chunks per row ⌈nIn / g⌉ (g = the lanes of a row group; g = L without groups) */
  chunks: number;
  /** rounds of a pass: ⌈nOut / G⌉ (G row groups work on G consecutive rows at once) */
  rounds: number;
  /** words in the last chunk (1 … g) */
  lastLanes: number;
  /** lane of the bias word within its row's group: nIn mod g */
  biasLane: number;
  wBase: number;
  bBase: number;
  hBase: number;
  inFormat: FixedFormat;
  /** left shift aligning this layer's input to the common h fraction */
  align: number;
  /** fraction bits the weight update drops (spec's k): f_δ + f_in + hiddenShift − f_w */
  kW: number;
  /** weight words draw (stochastic rounding and kW > 0) */
  drawW: boolean;
  /** exact accumulator format of a = W·h + b (the spec's forward accumulator) */
  accFormat: FixedFormat;
}

export interface HebbianLayout {
  lanes: number;
  /** row groups G (numeric.lfsr.rowGroups) and the lanes of each, g = L / G */
  groups: number;
  groupLanes: number;
  layers: HiddenLayer[];
  /** words per weight bank */
  depth: number;
  biasDepth: number;
  hDepth: number;
  /** common fraction of the stored h words, and their width */
  hFrac: number;
  hWidth: number;
  /** bias update drops kB bits; draws when drawB */
  kB: number;
  drawB: boolean;
  /** weight block-RAM bits (L banks × depth × weight width) and the words they hold */
  weightBits: number;
  weightWords: number;
  N: ResolvedNumeric;
}

/** The unit's memory layout for a configuration (hidden layers only). */
export function hebbianLayout(cfg: ChipConfig): HebbianLayout {
  const N = resolveNumeric(cfg.numeric);
  const L = cfg.lanes;
  const G = N.lfsr.rowGroups ?? 1;
  const g = L / G;
  const sizes = cfg.layers;
  const H = sizes.length - 2;
  const fIn = (l: number) => (l === 0 ? N.input.format : N.act.format);
  let hFrac = -Infinity;
  for (let l = 0; l < H; l++) hFrac = Math.max(hFrac, fIn(l).fracBits);
  const FW = N.weight.format;
  const fd = N.delta.format.fracBits;
  const layers: HiddenLayer[] = [];
  let wBase = 0;
  let bBase = 0;
  let hBase = 0;
  let hWidth = 1;
  let words = 0;
  for (let l = 0; l < H; l++) {
    const nIn = sizes[l];
    const nOut = sizes[l + 1];
    const chunks = Math.ceil(nIn / g);
    const rounds = Math.ceil(nOut / G);
    const F = fIn(l);
    const align = hFrac - F.fracBits;
    hWidth = Math.max(hWidth, width(F) + align);
    const kW = fd + F.fracBits + N.lr.hiddenShift - FW.fracBits;
    const prod = mulFormat(FW, F);
    const term = fx(Math.max(prod.intBits, N.bias.format.intBits) + prod.fracBits, Math.max(prod.intBits, N.bias.format.intBits), true);
    layers.push({
      nIn,
      nOut,
      chunks,
      rounds,
      lastLanes: nIn - (chunks - 1) * g,
      biasLane: nIn % g,
      wBase,
      bBase,
      hBase,
      inFormat: F,
      align,
      kW,
      drawW: N.weight.rounding === 'stochastic' && kW > 0,
      accFormat: sumFormat(term, nIn + 1),
    });
    wBase += rounds * chunks;
    bBase += rounds;
    hBase += H_SLOTS * chunks;
    words += nOut * (nIn + 1);
  }
  const kB = fd + N.lr.hiddenShift - N.bias.format.fracBits;
  return {
    lanes: L,
    groups: G,
    groupLanes: g,
    layers,
    depth: wBase,
    biasDepth: bBase,
    hDepth: hBase,
    hFrac,
    hWidth,
    kB,
    drawB: N.bias.rounding === 'stochastic' && kB > 0,
    weightBits: L * wBase * width(FW),
    weightWords: words,
    N,
  };
}

/**
 * Bank and address of weight word i of row j of hidden layer l: bank (j mod G)·g + i mod g, address
 * wBase + ⌊j/G⌋·C + ⌊i/g⌋ (G = 1: bank i mod L, wBase + j·C + ⌊i/L⌋).
 */
export function weightAddress(lay: HebbianLayout, l: number, j: number, i: number): { bank: number; addr: number } {
  const y = lay.layers[l];
  const g = lay.groupLanes;
  return { bank: (j % lay.groups) * g + (i % g), addr: y.wBase + Math.floor(j / lay.groups) * y.chunks + Math.floor(i / g) };
}

/** Bias memory (the row's group) and address of the bias of row j of hidden layer l: group j mod G at bBase + ⌊j/G⌋. */
export function biasAddress(lay: HebbianLayout, l: number, j: number): { bank: number; addr: number } {
  const y = lay.layers[l];
  return { bank: j % lay.groups, addr: y.bBase + Math.floor(j / lay.groups) };
}

/** Reset value of LFSR lane q of layer l (nonzero; the host loads the training seeds). */
export function lfsrResetSeed(width: number, l: number, q: number, lanes: number): number {
  return ((l * lanes + q) % (2 ** width - 1)) + 1;
}

function checkUnit(cfg: ChipConfig, N: ResolvedNumeric): void {
  if (cfg.layers.length < 3) throw new RangeError('hebbian: layers needs an input, a hidden layer and an output');
  if (N.lfsr.lanes !== cfg.lanes) throw new RangeError(`hebbian: numeric.lfsr.lanes (${N.lfsr.lanes}) must equal lanes (${cfg.lanes})`);
}

/** A lane's weight bank: its read register (latency 1) and its write port (connected once). */
interface WeightBank {
  rd: Expr;
  write(addr: Expr, data: Expr, en: Expr): void;
}

/**
 * Weight bank of lane q, read at raddr when ren. 'block': one simple-dual-port memory `wbank_<q>`.
 * 'spram': two single-port memories `wbank_<q>_<p>` (style 'huge'), word A in memory p = A mod 2 at ⌊A/2⌋;
 * each memory's one address is its write address in a cycle that writes it, else the read address. A pass
 * reads A at issue and writes it one cycle later, while the next issue reads A + 1 (the other memory), so a
 * read never meets a write of its memory; the read enable excludes one anyway. rd = the word of the memory
 * read last (its parity registered with the read).
 */
function weightBank(m: ModuleBuilder, q: number, depth: number, ww: number, spram: boolean, raddr: Expr, ren: Expr): WeightBank {
  if (!spram) {
    const mem = m.memory(`wbank_${q}`, { depth: Math.max(depth, 2), type: uint(ww) });
    return { rd: mem.readSync(`w_rd_${q}`, raddr, ren), write: (a, d, e) => mem.write(a, d, e) };
  }
  const half = Math.max(Math.ceil(depth / 2), 2);
  const hw = addrWidth(half);
  const wa = m.wire(`w_waddr_${q}`, uint(raddr.width));
  const wd = m.wire(`w_wdata_${q}`, uint(ww));
  const we = m.wire(`w_wen_${q}`, uint(1));
  const upper = (a: Expr): Expr => (a.width > 1 ? a.shr(1).resize(hw) : constant(0, uint(hw)));
  const rds = [0, 1].map((p) => {
    const weP = m.wire(`wbank_${q}_${p}_we`, we.and(wa.bit(0).eq(p)));
    const addr = m.wire(`wbank_${q}_${p}_addr`, mux(weP, upper(wa), upper(raddr)));
    const mem = m.memory(`wbank_${q}_${p}`, { depth: half, type: uint(ww), style: 'huge' });
    mem.write(addr, wd, weP);
    return mem.readSync(`w_rd_${q}_${p}`, addr, ren.and(raddr.bit(0).eq(p)).and(weP.not()));
  });
  const odd = m.reg(`w_rd_odd_${q}`, uint(1), { reset: 0 });
  m.seq(`w_rd_odd_${q}`, ($) => $.if(ren, () => $.set(odd, raddr.bit(0))));
  return {
    rd: m.wire(`w_rd_${q}`, mux(odd, rds[1], rds[0])),
    write: (a, d, e) => {
      m.assign(wa, a);
      m.assign(wd, d);
      m.assign(we, e);
    },
  };
}

/**
 * Module `hebbian` (the configuration is in its parameters and header hash); see the file comment.
 * `opts.simLoops`: add the Verilator form of the lanes (simLanes: loops over lane arrays under `ifdef VERILATOR;
 * the hardware is the same). Off by default: on the chip it simulates slower (bench/RESULTS.md, "Lanes as loops
 * in the Verilator model (session 9)").
 */
export function hebbian(cfg: ChipConfig, opts: { simLoops?: boolean } = {}): Module {
  const lay = hebbianLayout(cfg);
  const N = lay.N;
  checkUnit(cfg, N);
  const L = lay.lanes;
  const H = lay.layers.length;
  const FW = N.weight.format;
  const FB = N.bias.format;
  const FD = N.delta.format;
  const ww = width(FW);
  const wb = width(FB);
  const LW = N.lfsr.width;
  const rb = N.lfsr.rbits;
  const taps = DEFAULT_TAPS[LW];
  const plan = leapPlan(LW, taps, N.lfsr.leap);
  const K = FD.fracBits + lay.hFrac + N.lr.hiddenShift - FW.fracBits; // common rounding shift of aligned products
  const accOut = N.acc.forward;
  const params = {
    layers: cfg.layers.slice(0, -1),
    lanes: L,
    weight: toHls(FW),
    bias: toHls(FB),
    delta: toHls(FD),
    input: toHls(N.input.format),
    act: toHls(N.act.format),
    rounding: [N.weight.rounding, N.bias.rounding],
    lfsr: { width: LW, rbits: rb, leap: N.lfsr.leap },
    lr: { shift: N.lr.hiddenShift, mul: N.lr.hiddenMul },
    accForward: accOut,
    slots: H_SLOTS,
    ...(cfg.weightMemory === 'spram' ? { weightMemory: 'spram' } : {}),
  };
  const m = new ModuleBuilder('hebbian', params);
  m.clock();

  // ---- widths
  const lw = bitsFor(H);
  const G = lay.groups;
  const g = lay.groupLanes;
  if (G > 1 && opts.simLoops) throw new RangeError('hebbian: the Verilator lane form (simLoops) is for one row group only');
  const maxOut = Math.max(...lay.layers.map((y) => y.rounds));
  const maxC = Math.max(...lay.layers.map((y) => y.chunks));
  const rowW = bitsFor(maxOut);
  const chW = bitsFor(maxC);
  const aw = addrWidth(Math.max(lay.depth, 2));
  const bw = addrWidth(Math.max(lay.biasDepth, 2));
  const hw = addrWidth(Math.max(lay.hDepth, 2));
  const qw = bitsFor(L);
  const inW = Math.max(...lay.layers.map((y) => width(y.inFormat)));
  const hostAw = Math.max(aw, bw, lw);
  const hostDw = Math.max(ww, wb, LW);
  const mul = N.lr.hiddenMul;

  // ---- ports
  const start = m.input('start', uint(1));
  const cmdLayer = m.input('cmd_layer', uint(lw));
  const cmdUpdate = m.input('cmd_update', uint(1));
  const cmdForward = m.input('cmd_forward', uint(1));
  const cmdCur = m.input('cmd_cur', uint(2));
  const cmdNxt = m.input('cmd_nxt', uint(2));
  const delta = streamIn(m, 'delta', sint(width(FD)));
  const accS = streamOut(m, 'acc', sint(accOut), { last: true });
  const hlStart = m.input('hl_start', uint(1));
  const hlLayer = m.input('hl_layer', uint(lw));
  const hlSlot = m.input('hl_slot', uint(2));
  const hS = streamIn(m, 'h', sint(inW));
  const hostRe = m.input('host_re', uint(1));
  const hostWe = m.input('host_we', uint(1));
  const hostKind = m.input('host_kind', uint(2));
  const hostBank = m.input('host_bank', uint(qw));
  const hostAddr = m.input('host_addr', uint(hostAw));
  const hostWdata = m.input('host_wdata', uint(hostDw));

  // a constant when every layer has the same value (no select for the simulator to evaluate per lane)
  const perLayer = (f: (y: HiddenLayer, l: number) => number | bigint, t: ReturnType<typeof uint>, sel: Expr): Expr => {
    const opts = lay.layers.map((y, l) => constant(BigInt(f(y, l)), t));
    return select(sel, opts, opts[0]);
  };

  // ---- pass state
  const busy = m.reg('busy_q', uint(1), { reset: 0 });
  const doneQ = m.reg('done_q', uint(1), { reset: 0 });
  const layerQ = m.reg('layer_q', uint(lw), { reset: 0 });
  const updQ = m.reg('upd_q', uint(1), { reset: 0 });
  const fwdQ = m.reg('fwd_q', uint(1), { reset: 0 });
  const issuing = m.reg('issuing_q', uint(1), { reset: 0 });
  const rowQ = m.reg('row_q', uint(rowW), { reset: 0 });
  const chunkQ = m.reg('chunk_q', uint(chW), { reset: 0 });
  const waddrQ = m.reg('waddr_q', uint(aw), { reset: 0 });
  const baddrQ = m.reg('baddr_q', uint(bw), { reset: 0 });
  const hcBaseQ = m.reg('hc_base_q', uint(hw), { reset: 0 });
  const hnBaseQ = m.reg('hn_base_q', uint(hw), { reset: 0 });
  const lastChunkQ = m.reg('last_chunk_q', uint(chW), { reset: 0 }); // C − 1
  const lastRowQ = m.reg('last_row_q', uint(rowW), { reset: 0 }); // rounds − 1 (G = 1: nOut − 1)
  const nuW = width(FD) + (mul === 1 ? 1 : bitsFor(mul + 1) + 2);
  // per row group γ (G = 1: the one group keeps the plain names)
  const gname = (base: string, γ: number, suffix = '_q'): string => (G === 1 ? `${base}${suffix}` : `${base}_g${γ}${suffix}`);
  const groupsOf = <T>(f: (γ: number) => T): T[] => Array.from({ length: G }, (_, γ) => f(γ));
  const nuQ = groupsOf((γ) => m.reg(gname('nu', γ), sint(nuW), { reset: 0 }));
  const actQ = groupsOf((γ) => m.reg(gname('act', γ), uint(1), { reset: 0 }));

  // constants of the commanded layer, registered at start
  // (base + slot·C) mod 2^hw as a table over the slot and the layer, not a product of the two-bit slot and the
  // chunk count: no multiplier for synthesis to place (the default design's DSP48E1 count stayed 189 with it)
  const hBaseOf = (slot: Expr, sel: Expr): Expr =>
    select(slot, Array.from({ length: 2 ** slot.width }, (_, s) => perLayer((y) => (y.hBase + s * y.chunks) % 2 ** hw, uint(hw), sel)));

  // ---- output queue and credits
  const inflight = m.reg('inflight_q', uint(bitsFor(ACC_QUEUE + 1)), { reset: 0 });
  const q = fifo(accOut, ACC_QUEUE, { last: true });
  // one queue per row group (G = 1: the one queue `acc_queue`); the stream pops them in turn, so rows leave in order
  const gw = bitsFor(G);
  const outSel = G > 1 ? m.reg('acc_out_group_q', uint(gw), { reset: 0 }) : null;
  const pushes = groupsOf((γ) => {
    const v = m.wire(gname('acc_push', γ, ''), uint(1));
    const d = m.wire(gname('acc_push_data', γ, ''), uint(accOut));
    const l = m.wire(gname('acc_push_last', γ, ''), uint(1));
    const qi = m.instance(gname('acc_queue', γ, ''), q, {
      s_axis_in_tvalid: v,
      s_axis_in_tdata: d,
      s_axis_in_tlast: l,
      m_axis_out_tready: outSel ? accS.ready.and(outSel.eq(γ)) : accS.ready,
    });
    m.unused(qi.out('s_axis_in_tready'));
    if (γ > 0) m.unused(qi.out('count'));
    return { v, d, l, qi };
  });
  const qOut = (port: string): Expr => (outSel ? select(outSel, pushes.map((x) => x.qi.out(port)), constant(0, uint(pushes[0].qi.out(port).width))) : pushes[0].qi.out(port));
  m.assign(accS.valid, qOut('m_axis_out_tvalid'));
  m.assign(accS.data, qOut('m_axis_out_tdata').asSigned());
  if (accS.last) m.assign(accS.last, qOut('m_axis_out_tlast'));
  if (outSel) {
    const lastOut = qOut('m_axis_out_tlast');
    m.seq('acc_out_group', ($) => {
      $.if(accS.valid.and(accS.ready), () => $.set(outSel, mux(lastOut.or(outSel.eq(G - 1)), constant(0, uint(gw)), outSel.addWrap(1))));
    });
  }
  // group 0's queue holds the most words but one (the others are popped after it): one word of room kept for them
  const qCount = pushes[0].qi.out('count');
  const used = qCount.zext(inflight.width + 1).add(inflight.zext(inflight.width + 1));
  const room = m.wire('room', G === 1 ? used.lt(ACC_QUEUE) : used.lt(ACC_QUEUE - 1));

  // ---- issue
  const atFirst = chunkQ.eq(0);
  const atLast = chunkQ.eq(lastChunkQ);
  const needDelta = updQ.and(atFirst);
  const needRoom = fwdQ.and(atLast);
  const creditOk = needRoom.not().or(room);
  const zeroD = constant(0, sint(width(FD)));
  // G > 1: a round takes G δ words. The first R − 1 of the round's R rows (R = G but in a short last round) are
  // gathered from the stream while the round before issues; the last is taken from the stream at chunk 0, as the
  // one row of G = 1 is.
  const gcount = G > 1 ? m.reg('dgather_count_q', uint(gw), { reset: 0 }) : null;
  const dg = groupsOf((γ) => (γ < G - 1 ? m.reg(gname('dgather', γ), sint(width(FD)), { reset: 0 }) : null));
  const lastRoundM1Q = G > 1 ? m.reg('last_round_rows_q', uint(gw), { reset: 0 }) : null; // R − 1 of the last round
  const gK = (v: number): Expr => constant(v, uint(gw));
  // R − 1 of the round at chunk 0 (row_q) and of the round δ words are gathered for (row_q, or the next round
  // after row_q's chunk 0 issued; none past the last)
  const roundM1 = gcount && lastRoundM1Q ? m.wire('round_rows_m1', mux(rowQ.eq(lastRowQ), lastRoundM1Q, gK(G - 1))) : null;
  const gatherNeed =
    gcount && lastRoundM1Q && roundM1
      ? m.wire('dgather_need', mux(atFirst, roundM1, mux(rowQ.eq(lastRowQ), gK(0), mux(rowQ.addWrap(1).eq(lastRowQ), lastRoundM1Q, gK(G - 1)))))
      : null;
  const gFull = gcount && gatherNeed ? m.wire('dgather_full', gcount.eq(gatherNeed)) : constant(1, uint(1));
  const gatherTake = gcount && gatherNeed ? m.wire('dgather_take', issuing.and(updQ).and(gcount.lt(gatherNeed))) : null;
  const directReady = issuing.and(needDelta).and(creditOk).and(gFull);
  m.assign(delta.ready, gatherTake ? gatherTake.or(directReady) : directReady);
  const canIssue = m.wire('can_issue', issuing.and(creditOk).and(needDelta.not().or(delta.valid.and(gFull))));
  // the δ word of group γ at chunk 0: gathered (γ < R − 1), the stream's (γ = R − 1), none (γ ≥ R)
  const dOf = groupsOf((γ) => {
    if (G === 1 || !roundM1) return delta.data;
    const mine = mux(roundM1.eq(γ), delta.data, zeroD);
    const g0 = dg[γ];
    return m.wire(`delta_g${γ}`, g0 ? mux(roundM1.gt(γ), g0, mine) : mine);
  });
  const dZero = dOf.map((d) => d.eq(zeroD));
  const deltaZero = G === 1 ? dZero[0] : m.wire('delta_all_zero', dZero.reduce((a, b) => a.and(b)));
  const skip = m.wire('skip_row', canIssue.and(needDelta).and(fwdQ.not()).and(deltaZero));
  const issue = m.wire('issue', canIssue.and(skip.not()));
  const mulC = constant(mul, sint(bitsFor(mul + 1) + 1));
  const nuIssue = groupsOf((γ) => {
    const d = dOf[γ];
    const nuNew = (mul === 1 ? d.neg() : d.mul(mulC).neg()).resize(nuW);
    return m.wire(gname('nu_issue', γ, ''), mux(atFirst, nuNew, nuQ[γ]));
  });
  const actIssue = groupsOf((γ) => m.wire(gname('act_issue', γ, ''), updQ.and(mux(atFirst, dZero[γ].not(), actQ[γ]))));
  const rowDone = atLast.or(skip);
  if (gcount && gatherTake) {
    m.seq('dgather', ($) => {
      $.if(gatherTake.and(delta.valid), () => {
        $.set(gcount, gcount.addWrap(1));
        let sw = $.switch(gcount);
        dg.forEach((r, γ) => {
          if (r) sw = sw.case(γ, () => $.set(r, delta.data));
        });
      }).elseIf(canIssue.and(needDelta), () => $.set(gcount, 0));
    });
  }
  // groups holding a row in the round (G > 1): forward pushes and updates only for those
  const liveIssue = groupsOf((γ) => (roundM1 && γ > 0 ? roundM1.ge(γ) : constant(1, uint(1))));

  // ---- pipeline control registers
  const v1 = m.reg('v1_q', uint(1), { reset: 0 });
  const last1 = m.reg('last1_q', uint(1), { reset: 0 });
  const act1 = groupsOf((γ) => m.reg(gname('act1', γ), uint(1), { reset: 0 }));
  // ν of the chunk in S1, and the same value extended to the simulator's word, the lanes' update products' first
  // factor (their second, h, extended by Expr.sextSim). Held at 64 bits in the register instead, synthesis
  // took 14–19 more LUTs (64-16-4, L = 2 / 64-32-16-10, L = 4) for no fewer simulator instructions.
  const nu1 = groupsOf((γ) => m.reg(gname('nu1', γ), sint(nuW), { reset: 0 }));
  const nu1W = nu1.map((r) => r.sext(NATIVE));
  // groups live in S1…S3 (G > 1)
  const liveRegs = (stage: number): (Signal | null)[] => groupsOf((γ) => (G > 1 && γ > 0 ? m.reg(gname(`live${stage}`, γ), uint(1), { reset: 0 }) : null));
  const [live1, live2, live3] = [1, 2, 3].map(liveRegs);
  const waddr1 = m.reg('waddr1_q', uint(aw), { reset: 0 });
  const baddr1 = m.reg('baddr1_q', uint(bw), { reset: 0 });
  const hnAddr1 = m.reg('hn_addr1_q', uint(hw), { reset: 0 });
  const v2 = m.reg('v2_q', uint(1), { reset: 0 });
  const last2 = m.reg('last2_q', uint(1), { reset: 0 });
  const v3 = m.reg('v3_q', uint(1), { reset: 0 });
  const last3 = m.reg('last3_q', uint(1), { reset: 0 });
  const first3 = m.reg('first3_q', uint(1), { reset: 0 });
  const first2 = m.reg('first2_q', uint(1), { reset: 0 });
  const first1 = m.reg('first1_q', uint(1), { reset: 0 });
  const final1 = m.reg('final1_q', uint(1), { reset: 0 });
  const final2 = m.reg('final2_q', uint(1), { reset: 0 });
  const final3 = m.reg('final3_q', uint(1), { reset: 0 });
  // drain and done: the cycle after the last issue with the pipeline empty
  const drained = issuing.not().and(v1.not()).and(v2.not()).and(v3.not());
  const finish = m.wire('finish', busy.and(drained));
  m.seq('pass_control', ($) => {
    $.set(doneQ, finish);
    $.if(finish, () => $.set(busy, 0));
    $.if(busy.not().and(start), () => {
      $.set(busy, 1);
      $.set(issuing, 1);
      $.set(layerQ, cmdLayer);
      $.set(updQ, cmdUpdate);
      $.set(fwdQ, cmdForward);
      $.set(rowQ, 0);
      $.set(chunkQ, 0);
      $.set(waddrQ, perLayer((y) => y.wBase, uint(aw), cmdLayer));
      $.set(baddrQ, perLayer((y) => y.bBase, uint(bw), cmdLayer));
      $.set(hcBaseQ, hBaseOf(cmdCur, cmdLayer));
      $.set(hnBaseQ, hBaseOf(cmdNxt, cmdLayer));
      $.set(lastChunkQ, perLayer((y) => y.chunks - 1, uint(chW), cmdLayer));
      $.set(lastRowQ, perLayer((y) => y.rounds - 1, uint(rowW), cmdLayer));
      if (lastRoundM1Q) $.set(lastRoundM1Q, perLayer((y) => y.nOut - (y.rounds - 1) * G - 1, uint(gw), cmdLayer));
    });
    $.if(issue, () => {
      nuQ.forEach((r, γ) => $.set(r, nuIssue[γ]));
      actQ.forEach((r, γ) => $.set(r, actIssue[γ]));
    });
    $.if(issue.or(skip), () => {
      $.if(rowDone, () => {
        $.set(chunkQ, 0);
        $.set(rowQ, rowQ.addWrap(1));
        $.set(baddrQ, baddrQ.addWrap(1));
        $.if(rowQ.eq(lastRowQ), () => $.set(issuing, 0));
      }).else(() => $.set(chunkQ, chunkQ.addWrap(1)));
      $.if(skip, () => $.set(waddrQ, waddrQ.addWrap(lastChunkQ.zext(aw).addWrap(1)))).else(() => $.set(waddrQ, waddrQ.addWrap(1)));
    });
  });

  m.seq('pipe_control', ($) => {
    $.set(v1, issue);
    $.set(v2, v1);
    $.set(v3, v2);
    $.if(issue, () => {
      $.set(last1, atLast);
      $.set(first1, atFirst);
      $.set(final1, atLast.and(rowQ.eq(lastRowQ)));
      act1.forEach((r, γ) => $.set(r, actIssue[γ]));
      nu1.forEach((r, γ) => $.set(r, nuIssue[γ]));
      live1.forEach((r, γ) => r && $.set(r, liveIssue[γ]));
      $.set(waddr1, waddrQ);
      $.set(baddr1, baddrQ);
      $.set(hnAddr1, hnBaseQ.addWrap(chunkQ.zext(hw)));
    });
    $.set(last2, last1);
    live2.forEach((r, γ) => r && $.set(r, live1[γ] as Signal));
    live3.forEach((r, γ) => r && $.set(r, live2[γ] as Signal));
    $.set(first2, first1);
    $.set(last3, last2);
    $.set(first3, first2);
    $.set(final2, final1);
    $.set(final3, final2);
  });

  m.output('busy', busy);
  m.output('done', doneQ);

  // ---- per-lane LFSR working registers and per-layer banks
  const loadLfsr = busy.not().and(start);
  const hostIdle = busy.not();
  const hostLfsrWe = hostIdle.and(hostWe).and(hostKind.eq(HOST_KIND.lfsr));
  const hcAddr = m.wire('hc_addr', hcBaseQ.addWrap(chunkQ.zext(hw)));
  const hostAddrW = hostAddr.width > aw ? hostAddr.trunc(aw) : hostAddr;
  if (hostAddr.width > aw) m.unused(hostAddr.slice(hostAddr.width - 1, aw));
  const hostAddrB = hostAddr.width > bw ? hostAddr.trunc(bw) : hostAddr;
  const hostLayer = hostAddr.width > lw ? hostAddr.trunc(lw) : hostAddr;
  // the host's weight read and write, decoded once: each bank then adds only its bank compare
  const weRead = m.wire('host_w_rd', hostIdle.and(hostRe).and(hostKind.eq(HOST_KIND.weight)));
  const weWrite = m.wire('host_w_wr', hostIdle.and(hostWe).and(hostKind.eq(HOST_KIND.weight)));

  // lane q = γ·g + p of row group γ is a word of the chunk in S1: always, except lanes p ≥ r_l on a row's last chunk
  const grp = (q: number): number => Math.floor(q / g);
  const laneLive = (q: number, last: Expr): Expr => {
    const p = q % g;
    const always = lay.layers.every((y) => p < y.lastLanes);
    if (always) return constant(1, uint(1));
    const inLast = perLayer((y) => (p < y.lastLanes ? 1 : 0), uint(1), layerQ);
    return last.not().or(inLast);
  };
  const isBiasLane = (q: number): Expr => perLayer((y) => (y.biasLane === q % g ? 1 : 0), uint(1), layerQ);
  const drawWLayer = perLayer((y) => (y.drawW ? 1 : 0), uint(1), layerQ);
  const canDouble = (q: number) => lay.drawB && lay.layers.some((y) => y.biasLane === q % g && y.lastLanes === g && y.drawW);

  const stage1 = groupsOf((γ) => (G === 1 ? v1.and(act1[γ]) : m.wire(gname('stage1', γ, ''), v1.and(act1[γ]))));
  // some group writes in S1 (the weight saturation counters' enable)
  const stage1Any = G === 1 ? stage1[0] : m.wire('stage1_any', stage1.reduce((a, b) => a.or(b)));
  const wSatHi: Expr[] = [];
  const wSatLo: Expr[] = [];
  const wPacked: Expr[] = [];
  const fprods: Expr[][] = groupsOf(() => []);
  const biasDraws: { q: number; r: Expr }[] = [];
  const hostRdW: Expr[] = [];
  const hostRdL: Expr[] = [];
  const lfsrLanes: { lf: Expr; saves: Signal[] }[] = [];
  const layerRdQ = m.reg('host_layer_q', uint(lw), { reset: 0 });

  // loader state (declared before the lanes: they write hbuf)
  const hlBusy = m.reg('hl_busy_q', uint(1), { reset: 0 });
  // the lane the next h word goes to, one-hot (its lane write enable; no decoder per lane, and the simulator
  // tests one bit per lane instead of shifting an L-bit vector for each)
  const hlLanes = m.reg('hl_lanes_q', uint(g), { reset: 1 });
  const hlAddr = m.reg('hl_addr_q', uint(hw), { reset: 0 });
  const hlLeft = m.reg('hl_left_q', uint(bitsFor(Math.max(...lay.layers.map((y) => y.nIn)) + 1)), { reset: 0 });
  const hlLayerQ = m.reg('hl_layer_q', uint(lw), { reset: 0 });
  m.assign(hS.ready, hlBusy);
  const hlFire = hS.fire;
  const alignSel = perLayer((y) => y.align, uint(bitsFor(Math.max(...lay.layers.map((y) => y.align)) + 1)), hlLayerQ);
  const hAligned = m.wire(
    'h_aligned',
    (lay.layers.every((y) => y.align === 0) ? hS.data.resize(lay.hWidth) : hS.data.resize(lay.hWidth).shlBy(alignSel)).asUnsigned(),
  );
  m.seq('loader', ($) => {
    $.if(hlBusy.not().and(hlStart), () => {
      $.set(hlBusy, 1);
      $.set(hlLanes, 1);
      $.set(hlLayerQ, hlLayer);
      $.set(hlAddr, hBaseOf(hlSlot, hlLayer));
      $.set(hlLeft, perLayer((y) => y.nIn, uint(hlLeft.width), hlLayer));
    });
    $.if(hlFire, () => {
      $.if(hlLanes.bit(g - 1), () => {
        $.set(hlLanes, 1);
        $.set(hlAddr, hlAddr.addWrap(1));
      }).else(() => $.set(hlLanes, g > 1 ? hlLanes.slice(g - 2, 0).shl(1) : hlLanes));
      $.set(hlLeft, hlLeft.subWrap(1));
      $.if(hlLeft.eq(1), () => $.set(hlBusy, 0));
    });
  });
  m.output('hl_busy', hlBusy);

  // the biases: one memory per row group (group γ's row of round r at bBase + r)
  const issueLast = issue.and(atLast);
  const biasQ = groupsOf((γ) => m.memory(gname('bias_mem', γ, ''), { depth: Math.max(lay.biasDepth, 2), type: uint(wb) }));
  const bReadEn = mux(busy, issueLast, hostIdle.and(hostRe).and(hostKind.eq(HOST_KIND.bias)));
  const bRead = biasQ.map((mem, γ) => mem.readSync(gname('bias_rd', γ), mux(busy, baddrQ, hostAddrB), bReadEn));

  // what every lane shares is formed once (the simulator evaluates each per-lane copy of an expression):
  // the banks' read and write addresses, and the write / draw enable of the lanes that always hold a word
  const rAddrW = m.wire('w_raddr', mux(busy, waddrQ, hostAddrW));
  const wAddrW = m.wire('w_waddr', mux(busy, waddr1, hostAddrW));
  const isConst = (e: Expr, v: number): boolean => e.node.op === 'const' && e.node.value === BigInt(v);
  const weAll = groupsOf((γ) => m.wire(gname('w_we', γ, ''), stage1[γ]));
  // every bank reads on a host weight read (the host port takes bank host_bank's word; the others' read
  // registers are free while idle): one read enable for all lanes
  const rEn = m.wire('w_re', mux(busy, issue, weRead));
  // the input vectors: one memory, word k of a slot holding lane q's word in lane q of the word (bits
  // [q·hw + hw − 1 : q·hw]); the loader writes one lane (lane write enable), a pass reads all lanes at once. The
  // same RAM bits and ports as a memory per lane; the simulator reads a chunk in one access and, while the
  // loader is idle, tests one enable instead of one per lane.
  const hbuf = m.memory('hbuf', { depth: Math.max(lay.hDepth, 2), type: uint(g * lay.hWidth) });
  const hcRdAll = hbuf.readSync('hc_rd', hcAddr, issue);
  const hnRdAll = hbuf.readSync('hn_rd', hnAddr1, v1);
  hbuf.write(hlAddr, hAligned.repeat(g), hlFire, g > 1 ? { lanes: hlLanes } : {});
  // ---- LFSR working registers and per-layer banks. Lanes with the same liveness per layer write (and draw) in
  // the same cycles: one enable wire per such class. Two lanes of a class that never draw for a bias share one
  // register of two LFSR states, advanced by one packed leap (lane.ts packedLeap: the same XOR network, half
  // the simulator's operations); the others keep a register each.
  const liveKey = (q: number): string => `${grp(q)}:` + lay.layers.map((y) => (q % g < y.lastLanes ? 1 : 0)).join('');
  const enByClass = new Map<string, { we: Expr; draw: Expr }>();
  const laneEnables = (q: number): { we: Expr; draw: Expr } => {
    const known = enByClass.get(liveKey(q));
    if (known) return known;
    const live1 = laneLive(q, last1);
    const st = stage1[grp(q)];
    const we = isConst(live1, 1) ? weAll[grp(q)] : m.wire(`w_we_${q}`, st.and(live1));
    const draw = isConst(drawWLayer, 1) ? we : isConst(drawWLayer, 0) ? constant(0, uint(1)) : m.wire(`draw_w_${q}`, st.and(drawWLayer).and(live1));
    enByClass.set(liveKey(q), { we, draw });
    return { we, draw };
  };
  const mayBias = (q: number): boolean => lay.drawB && lay.layers.some((y) => y.biasLane === q % g);
  const pk = packedLeap(plan, 2);
  const bankSel = (saves: Signal[], sel: Expr): Expr => (H === 1 ? saves[0] : select(sel, saves, constant(0, uint(LW))));
  const rWords: Signal[] = [];
  for (let q = 0; q < L; ) {
    const lanes = pk && q + 1 < L && !mayBias(q) && !mayBias(q + 1) && liveKey(q) === liveKey(q + 1) ? [q, q + 1] : [q];
    const saves = lanes.map((p) => lay.layers.map((_, l) => m.reg(`lfsr_save_${l}_${p}`, uint(LW), { reset: lfsrResetSeed(LW, l, p, L) })));
    for (const sv of saves) hostRdL.push(bankSel(sv, layerRdQ));
    const { we: writeLane, draw: wordDraw } = laneEnables(q);
    // the advanced state is read only while the lane writes its word or draws for the bias: formed only then
    // (lane.ts gatedLeap); the working register still takes it only on a draw
    let lf: Signal;
    let nextState: Expr;
    if (lanes.length === 2 && pk) {
      lf = m.reg(`lfsr_${q}_${q + 1}`, uint(2 * LW), { reset: null });
      const s1 = gatedLeapPacked(m, `lfsr_next_${q}_${q + 1}`, plan, pk, lf, writeLane);
      rWords.push(m.wire(`r_${q}`, s1.trunc(rb)), m.wire(`r_${q + 1}`, s1.slice(LW + rb - 1, LW)));
      nextState = wordDraw === writeLane ? s1 : mux(wordDraw, s1, lf);
      lfsrLanes.push({ lf: lf.trunc(LW), saves: saves[0] }, { lf: lf.slice(2 * LW - 1, LW), saves: saves[1] });
    } else {
      lf = m.reg(`lfsr_${q}`, uint(LW), { reset: null });
      const biasDraw = mayBias(q) ? m.wire(`draw_b_${q}`, stage1[grp(q)].and(last1).and(isBiasLane(q))) : null;
      const s1 = gatedLeap(m, `lfsr_next_${q}`, plan, lf, biasDraw ? writeLane.or(biasDraw) : writeLane);
      rWords.push(m.wire(`r_${q}`, s1.trunc(rb)));
      nextState = wordDraw === writeLane && !biasDraw ? s1 : mux(wordDraw, s1, lf);
      if (biasDraw) {
        if (canDouble(q)) {
          const s2 = gatedLeap(m, `lfsr_next2_${q}`, plan, s1, biasDraw.and(wordDraw));
          nextState = mux(biasDraw, mux(wordDraw, s2, s1), nextState);
          biasDraws.push({ q, r: mux(wordDraw, s2.trunc(rb), s1.trunc(rb)) });
        } else {
          nextState = mux(biasDraw, s1, nextState);
          biasDraws.push({ q, r: s1.trunc(rb) });
        }
      }
      lfsrLanes.push({ lf, saves: saves[0] });
    }
    // the working register changes at a pass's start and on a draw (S1 only): it holds otherwise
    const load = cat(...saves.map((sv) => bankSel(sv, cmdLayer)).reverse());
    m.seq(`lfsr_lane_${lanes.join('_')}`, ($) => {
      $.if(loadLfsr, () => $.set(lf, load)).elseIf(stage1[grp(q)], () => $.set(lf, nextState));
    });
    q += lanes.length;
  }

  const fwdNative = ww + lay.hWidth <= NATIVE;
  // Verilator form (see simLanes below): the lanes' update words, S2 operands, lane sum and saturation counts as
  // arrays updated in loops; the unrolled items stay the hardware
  const sim = opts.simLoops ? simLanes(cfg, lay, K, nuW, rb) : null;
  const only = <T>(body: () => T): T => (sim ? m.unrolledOnly(body) : body());
  const wRdSigs: Signal[] = [];
  const updSigs: Signal[] = [];
  const wnSigs: Signal[] = [];
  for (let q = 0; q < L; q++) {
    const wbank = weightBank(m, q, lay.depth, ww, cfg.weightMemory === 'spram', rAddrW, rEn);
    const wRd = wbank.rd;
    hostRdW.push(wRd);
    const p = q % g;
    const hcRd = hcRdAll.slice((p + 1) * lay.hWidth - 1, p * lay.hWidth);
    const hnRd = hnRdAll.slice((p + 1) * lay.hWidth - 1, p * lay.hWidth);
    const writeLane = laneEnables(q).we;

    // update word, its arithmetic formed only in the lane's writing cycles (lane.ts gatedUpdateWord); its value
    // is the read word in the other cycles — the forward's operand, so wn takes it as it is — and it is written
    // out where it is used (wn's enabled branch, the bank's write data), its flags into the gated counters
    const upd = only(() =>
      gatedUpdateWord(
        m,
        `w_upd_${q}`,
        { w: wRd.asSigned(), x: { a: nu1[grp(q)], b: hcRd.asSigned(), aWide: nu1W[grp(q)] }, k: K, rounding: N.weight.rounding, r: rWords[q], F: FW, oneShift: true, simExtend: true },
        writeLane,
        { packFlags: true },
      ),
    );
    if (wRd instanceof Signal) wRdSigs.push(wRd);
    if (upd.packed) updSigs.push(upd.packed);
    if (upd.packed) wPacked.push(upd.packed);
    wSatHi.push(upd.satHi);
    wSatLo.push(upd.satLo);
    const hostWeQ = weWrite.and(hostBank.eq(q));
    wbank.write(wAddrW, mux(busy, upd.value.asUnsigned(), hostWdata.trunc(ww)), mux(busy, writeLane, hostWeQ));
    // when the exact forward product fits the simulator's word, the S2 operand is held sign-extended to it
    // (hardware: the copies of the sign bit are one flip-flop) and the product is a mulWrap at NATIVE bits:
    // the simulator multiplies whole words and extends only h_next
    const wn = m.reg(`wn_${q}`, sint(fwdNative ? NATIVE : ww), { reset: null });
    only(() => m.seq(`wn_${q}`, ($) => $.if(v1, () => $.set(wn, fwdNative ? upd.value.sextSim(NATIVE) : upd.value))));
    wnSigs.push(wn);
    // S2: product with h_next, zero for lanes without a word
    const in2 = laneLive(q, last2);
    const fp = fwdNative ? wn.mulWrap(hnRd.asSigned().sextSim(NATIVE)) : laneProduct(wn, hnRd.asSigned());
    fprods[grp(q)].push(in2.node.op === 'const' ? fp : mux(in2, fp, constant(0, sint(fp.width))));
  }

  // the banks change only when a pass finishes (its layer's bank takes the working registers) or on a host
  // write (busy low, so never both): one process, so the simulator tests the two conditions once a cycle
  m.seq('lfsr_banks', ($) => {
    $.if(finish, () => {
      lay.layers.forEach((_, l) => $.if(layerQ.eq(l), () => lfsrLanes.forEach(({ lf, saves }) => $.set(saves[l], lf))));
    }).elseIf(hostLfsrWe, () => {
      let sw = $.switch(hostBank);
      lfsrLanes.forEach(({ saves }, q) => {
        sw = sw.case(q, () => saves.forEach((sv, l) => $.if(hostLayer.eq(l), () => $.set(sv, hostWdata.trunc(LW)))));
      });
    });
  });

  // ---- bias (S1), one per row group: its draw from the group's bias lane γ·g + nIn mod g
  const bShift = FW.fracBits + lay.hFrac - FB.fracBits;
  if (bShift < 0) throw new RangeError(`hebbian: the bias format has more fraction bits than W·h (${bShift})`);
  const hostBWe = hostIdle.and(hostWe).and(hostKind.eq(HOST_KIND.bias));
  const bSat: { hi: Expr[]; lo: Expr[] } = { hi: [], lo: [] };
  const bn = groupsOf((γ) => {
    const draws = biasDraws.filter((d) => grp(d.q) === γ);
    const rBias =
      draws.length === 0
        ? null
        : m.wire(gname('r_bias', γ, ''), H === 1 || draws.length === 1 ? draws[0].r : select(layerQ, lay.layers.map((y) => (draws.find((d) => d.q === γ * g + y.biasLane) ?? draws[0]).r), constant(0, uint(rb))));
    const bUpd = updateWord(m, gname('b_upd', γ, ''), { w: bRead[γ].asSigned(), x: nu1[γ], k: lay.kB, rounding: N.bias.rounding, r: rBias, F: FB });
    const bWe = m.wire(gname('b_we', γ, ''), stage1[γ].and(last1));
    const bNew = m.wire(gname('b_new', γ, ''), bUpd.value);
    const hostWeG = G === 1 ? hostBWe : hostBWe.and(hostBank.eq(γ));
    biasQ[γ].write(mux(busy, baddr1, hostAddrB), mux(busy, bNew.asUnsigned(), hostWdata.trunc(wb)), mux(busy, bWe, hostWeG));
    const r = m.reg(gname('bn', γ), sint(wb), { reset: null });
    m.seq(gname('bn', γ), ($) => $.set(r, mux(bWe, bNew, bRead[γ].asSigned())));
    bSat.hi.push(bWe.and(bUpd.satHi));
    bSat.lo.push(bWe.and(bUpd.satLo));
    return r;
  });

  // ---- S2: each group's tree + its bias term; S3: its row accumulator
  // a chunk's sum is a partial sum of the row's exact accumulator, so it fits accW bits (the spec's proof);
  // the tree adds at that width (or the width the g + 1 terms can reach, if smaller)
  const accW = Math.max(...lay.layers.map((y) => width(y.accFormat) + y.align));
  const termW = Math.max(ww + lay.hWidth, wb + bShift);
  const sumW = Math.min(termW + bitsFor(g + 2), accW);
  const accFits = groupsOf((γ) => {
    const biasTerm = mux(last2, bn[γ].shl(bShift), constant(0, sint(wb + bShift)));
    const sumQ = m.reg(gname('sum', γ), sint(sumW), { reset: 0 });
    // taken for a chunk in S2 only (S3 reads it then): the lane products and their sum are written into the
    // process, so the simulator forms them only in those cycles
    only(() => m.seq(gname('sum', γ), ($) => $.if(v2, () => $.set(sumQ, laneSum([...fprods[γ], biasTerm], sumW)))));
    const accQ = m.reg(gname('acc', γ), sint(accW), { reset: 0 });
    const accNext = m.wire(gname('acc_next', γ, ''), mux(first3, constant(0, sint(accW)), accQ).add(sumQ).resize(accW));
    m.seq(gname('acc', γ), ($) => $.if(v3, () => $.set(accQ, accNext)));
    // the accumulator in the layer's own fraction: the aligned sum carries `align` zero bits
    const accLayer = H === 1 || lay.layers.every((y) => y.align === 0)
      ? accNext.shr(0)
      : select(layerQ, lay.layers.map((y) => (y.align > 0 ? accNext.shr(y.align).sext(accW) : accNext)), constant(0, sint(accW)));
    return { fit: accLayer.width >= accOut ? accLayer.trunc(accOut) : accLayer.sext(accOut), sum: sumQ };
  });
  const pushRound = v3.and(last3).and(fwdQ);
  pushes.forEach((ps, γ) => {
    const live = live3[γ];
    m.assign(ps.v, live ? pushRound.and(live) : pushRound);
    m.assign(ps.d, accFits[γ].fit.asUnsigned());
    // tlast on the group that holds the layer's last row
    m.assign(ps.l, G === 1 ? final3 : final3.and(perLayer((y) => ((y.nOut - 1) % G === γ ? 1 : 0), uint(1), layerQ)));
  });
  m.seq('credits', ($) => {
    const inc = issue.and(atLast).and(fwdQ);
    // group 0 holds a row in every round: its push is the round's
    const pushed = pushes[0].v;
    $.if(inc.and(pushed.not()), () => $.set(inflight, inflight.addWrap(1))).elseIf(pushed.and(inc.not()), () => $.set(inflight, inflight.subWrap(1)));
  });

  // ---- saturation counters (S1), counted only in cycles where some word saturated
  const wAny = satFlagsAny(wPacked);
  const wCounters: SatCounter[] = [
    ['sat_w_hi', wSatHi, stage1Any, wAny],
    ['sat_w_lo', wSatLo, stage1Any, wAny],
  ];
  const bCounters: SatCounter[] = [
    ['sat_b_hi', bSat.hi],
    ['sat_b_lo', bSat.lo],
  ];
  // with the Verilator form the weight counters are a process of their own (its loop counts them)
  if (sim) {
    satCounters(m, wCounters, { process: 'sat_count_w', wrap: only });
    satCounters(m, bCounters);
  } else satCounters(m, [...wCounters, ...bCounters]);
  if (sim) {
    if (wRdSigs.length !== L || updSigs.length !== L || sumW > NATIVE) throw new Error('hebbian: the Verilator lane form needs every lane\'s read register and packed update word (internal)');
    m.laneArray('w_rd', wRdSigs);
    m.laneArray('w_upd', updSigs);
    m.laneArray('wn', wnSigs);
    m.laneArray('r', rWords);
    const named = (...sg: Signal[]): string[] => sg.map((x) => x.name);
    const [nu, hc, hn, we, l1, l2, ly, s1, s2, b, sq] = named(nu1[0], hcRdAll, hnRdAll, weAll[0] as Signal, last1, last2, layerQ, v1, v2, bn[0], accFits[0].sum);
    const text = sim.text({ nu, hc, hn, we, last1: l1, last2: l2, layer: ly, v1: s1, v2: s2, bias: b, bShift, sum: sq, sumW, satHi: 'sat_w_hi_q', satLo: 'sat_w_lo_q' });
    m.verilatorBlock('lane_update', [], text.update);
    m.verilatorBlock('lane_regs', [], text.regs);
  }

  // ---- host read data (latency 2): the bank's read register, selected once into host_rdata_q
  hostReadPort(m, { idle: hostIdle, re: hostRe, kind: hostKind, bank: hostBank }, { weights: hostRdW, lfsrs: hostRdL, bias: bRead }, hostDw, [[layerRdQ, hostLayer]]);
  return m.build();
}

/** The signal names the Verilator lane form reads and writes (simLanes). */
interface SimNames {
  nu: string;
  hc: string;
  hn: string;
  we: string;
  last1: string;
  last2: string;
  layer: string;
  v1: string;
  v2: string;
  bias: string;
  bShift: number;
  sum: string;
  sumW: number;
  satHi: string;
  satLo: string;
}

/**
 * The Verilator form of the lanes (VerilatorForm in generator/ir/module.ts): the unit's per-lane update words,
 * S2 operands, forward products with their sum, and the weight saturation counts, written once as loops over
 * arrays instead of L copies — the chip's model is bound by instruction fetch, and Verilator writes every copy
 * out as straight-line code. Two blocks:
 *   lane_update  always @*, only while the lanes write (w_we): w_upd[k] = the packed update word of lane k
 *                (gatedUpdateWord with packFlags: the saturated word and its two rail flags where the lane holds a
 *                word, the read word otherwise), from w_rd[k], ν, h_cur's lane k and the draw r[k] — the items'
 *                arithmetic at 64 bits; in the other cycles nothing reads the words, and they hold;
 *   lane_regs    always @(posedge clk), with a chunk in S1 or S2: per lane, first the S2 product with the old
 *                wn[k] (the sum), then wn[k] takes the update word, or the read word when the lanes do not write
 *                (a blocking write after the read: this block alone reads and writes wn); sum_q, the two weight
 *                saturation counters (flags counted in writing cycles) and their reset as in the items.
 * The weight banks, read registers (w_rd[k]) and LFSRs keep their items (the memories stay the harness's public
 * memories), which read and write the arrays' elements. Only for the configurations whose arithmetic is the
 * 64-bit path of lane.ts (block weight memory, exact forward product in 64 bits, stochastic rounding in one
 * shift), else null: every tool then reads the items.
 */
function simLanes(cfg: ChipConfig, lay: HebbianLayout, K: number, nuW: number, rb: number): { text(n: SimNames): { update: string[]; regs: string[] } } | null {
  const N = lay.N;
  const L = lay.lanes;
  const ww = width(N.weight.format);
  const wb = width(N.bias.format);
  const hw = lay.hWidth;
  const xw = nuW + hw;
  const bShift = N.weight.format.fracBits + lay.hFrac - N.bias.format.fracBits;
  const wd = Math.max(xw, K + 2) + 2 - K;
  const WS = Math.max(ww, Math.min(wd, NATIVE)) + 1;
  const fits =
    cfg.weightMemory !== 'spram' &&
    N.weight.rounding === 'stochastic' &&
    K > rb &&
    xw + 2 <= NATIVE &&
    K + 2 <= NATIVE &&
    WS <= NATIVE &&
    ww + hw + bitsFor(L + 2) <= NATIVE &&
    wb + bShift + bitsFor(L + 2) <= NATIVE;
  if (!fits) return null;
  const lit = (v: bigint, w: number): string => `${w}'h${v.toString(16)}`;
  // sign extension of an n-bit value to 64 bits in Verilator's cheap form (Expr.sextSim: (x ^ 2^(n−1)) − 2^(n−1))
  const sext = (x: string, n: number): string => (n === NATIVE ? x : `(({${NATIVE - n}'d0, ${x}} ^ ${lit(1n << BigInt(n - 1), NATIVE)}) - ${lit(1n << BigInt(n - 1), NATIVE)})`);
  // lane k holds a word of the chunk: every lane except those ≥ r_l on a row's last chunk
  const live = (last: string, layer: string): string => {
    if (lay.layers.every((y) => y.lastLanes === L)) return '1\'b1';
    const sel = lay.layers.reduceRight((acc: string, y, l) => (acc === '' ? `${kw}'d${y.lastLanes}` : `(${layer} == ${l} ? ${kw}'d${y.lastLanes} : ${acc})`), '');
    return `(!${last} || k < ${sel})`;
  };
  // the sum's rail flags: its bits from ww − 1 up, n of them, not all equal (railFlag)
  const n = WS - ww + 1;
  const flag = (side: 'hi' | 'lo'): string => {
    if (n === 1) return "1'b0";
    const top = `s[${WS - 1}:${ww - 1}]`;
    if (n === 2) return `${top} == 2'd${side === 'hi' ? 1 : 2}`;
    const off = side === 'hi' ? 1n : 1n << BigInt(n - 1);
    return `${top} - ${lit(off, n)} < ${lit((1n << BigInt(n - 1)) - 1n, n)}`;
  };
  const hiV = (1n << BigInt(ww)) | ((1n << BigInt(ww - 1)) - 1n);
  const loV = (2n << BigInt(ww)) | (1n << BigInt(ww - 1));
  const cw = bitsFor(L + 1);
  // the loop index: unsigned, wide enough to reach L (Verilator's signed integer compares and products cost calls)
  const kw = bitsFor(L + 1);
  // k < L as the index: its log2(span) low bits (the lane arrays span a power of two: no bounds check)
  const kx = `k[${Math.max(bitsFor(L), 1) - 1}:0]`;
  const loop = `for (k = ${kw}'d0; k < ${kw}'d${L}; k = k + ${kw}'d1) begin`;
  const lane = (x: string): string => `${x}[${Number.isInteger(Math.log2(hw)) ? `{k, ${Math.log2(hw)}'d0}` : `k * ${hw}`} +: ${hw}]`;
  return {
    text: (s) => ({
      update: [
        // formed only while the lanes write (w_we): the words are read only then (the bank writes; wn takes the
        // read word itself otherwise), so they hold in the other cycles — not a latch of the hardware, which is
        // the items: this block is the simulator's only
        '  // verilator lint_off LATCH',
        '  always @* begin : lane_update',
        `    reg [${kw - 1}:0] k;`,
        `    reg [${NATIVE - 1}:0] p;`,
        `    reg [${WS - 1}:0] s;`,
        `    p = ${NATIVE}'d0;`,
        `    s = ${WS}'d0;`,
        `    if (${s.we}) begin`,
        `      ${loop}`,
        `        if (${live(s.last1, s.layer)}) begin`,
        `          p = ${sext(s.nu, nuW)} * ${sext(lane(s.hc), hw)};`,
        `          p = $signed(p + ({${NATIVE - rb}'d0, r[${kx}]} << ${K - rb})) >>> ${K};`,
        `          p = ${sext(`w_rd[${kx}]`, ww)} + p;`,
        `          s = p[${WS - 1}:0];`,
        `          if (${flag('hi')}) w_upd[${kx}] = ${lit(hiV, ww + 2)};`,
        `          else if (${flag('lo')}) w_upd[${kx}] = ${lit(loV, ww + 2)};`,
        `          else w_upd[${kx}] = {2'd0, s[${ww - 1}:0]};`,
        '        end else begin',
        `          w_upd[${kx}] = {2'd0, w_rd[${kx}]};`,
        '        end',
        '      end',
        '    end',
        '  end',
        '  // verilator lint_on LATCH',
      ],
      regs: [
        '  // verilator lint_off BLKSEQ',
        '  always @(posedge clk) begin : lane_regs',
        `    reg [${kw - 1}:0] k;`,
        `    reg [${NATIVE - 1}:0] acc;`,
        `    reg [${cw - 1}:0] nhi;`,
        `    reg [${cw - 1}:0] nlo;`,
        `    acc = ${s.last2} ? ${s.bShift === 0 ? sext(s.bias, wb) : `${sext(s.bias, wb)} << ${s.bShift}`} : ${NATIVE}'d0;`,
        `    nhi = ${cw}'d0;`,
        `    nlo = ${cw}'d0;`,
        `    if (${s.v1} || ${s.v2}) begin`,
        `      ${loop}`,
        `        if (${s.v2} && ${live(s.last2, s.layer)}) acc = acc + wn[${kx}] * ${sext(lane(s.hn), hw)};`,
        `        if (${s.we}) begin`,
        `          nhi = nhi + {${cw - 1}'d0, w_upd[${kx}][${ww}]};`,
        `          nlo = nlo + {${cw - 1}'d0, w_upd[${kx}][${ww + 1}]};`,
        `          if (${s.v1}) wn[${kx}] = ${sext(`w_upd[${kx}][${ww - 1}:0]`, ww)};`,
        `        end else if (${s.v1}) wn[${kx}] = ${sext(`w_rd[${kx}]`, ww)};`,
        '      end',
        '    end',
        `    if (${s.v2}) ${s.sum} <= acc[${s.sumW - 1}:0];`,
        `    if (${s.we} && (nhi != ${cw}'d0 || nlo != ${cw}'d0)) begin`,
        `      ${s.satHi} <= ${s.satHi} + {${32 - cw}'d0, nhi};`,
        `      ${s.satLo} <= ${s.satLo} + {${32 - cw}'d0, nlo};`,
        '    end',
        '    if (rst) begin',
        `      ${s.sum} <= ${s.sumW}'d0;`,
        `      ${s.satHi} <= 32'd0;`,
        `      ${s.satLo} <= 32'd0;`,
        '    end',
        '  end',
        '  // verilator lint_on BLKSEQ',
      ],
    }),
  };
}
