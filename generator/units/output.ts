/**
 * OUTPUT-LAYER UNIT: the output layer trained by cross-entropy over the window, one step per command.
 * Spec: outputStep of sim/golden/fixed/output.ts (logits of the B stored h, table softmax, e_p = (P_p − y_p)/B,
 * G = Σ_p h_p ⊗ e_p exact, W ← sat(W + SR(−mul·G, k)) with the layer's own LFSR bank, no row skipped);
 * co-simulated word for word in test/units/output.test.ts.
 *
 * LANES: P = outputLanesOf(cfg) physical lanes (multiplier, weight bank, gradient register, update word) for
 * the spec's L = cfg.lanes LFSR lanes. Word i of a row belongs to LFSR lane q = i mod L and chunk ⌊i/L⌋ as in
 * the Hebbian unit; each L-word chunk is taken in S = ⌈L/P⌉ sub-chunks, sub-chunk s holding lanes s·P …
 * s·P + P − 1, so physical lane r serves LFSR lanes r, r + P, … (n_r = ⌈(L − r)/P⌉ of them). Their states form a
 * ring of registers (lfsr_q) with the current sub-chunk's at its head (lfsr_r): a sub-chunk's update draws
 * from the head and turns the ring, and every chunk turns it fully, so each LFSR lane draws in the spec's
 * order and the ring is home whenever the unit is idle. P = L is the unit with one lane per LFSR lane.
 *
 * WEIGHTS: its own P banks (wbank_<r>: word i of row j, LFSR lane q = i mod L, at (j·C_h + ⌊i/L⌋)·S + ⌊q/P⌋
 * of bank q mod P, C_h = ⌈nIn/L⌉ chunks; bias_mem for the C biases), not the Hebbian unit's: (1) the output step of sample c needs
 * nothing from the hidden passes of sample c + 1, so with its own memory it runs beside the next layer-1
 * pass instead of after it (its cycles hide behind that pass); (2) its access pattern differs — every
 * weight chunk is read B times for the logits and once for the update, and the gradient is a sum over
 * the window, not a rank-1 product; (3) it is small (nIn·C words: 640 for 64 → 10). The lane datapath is
 * the Hebbian unit's (lane.ts: LFSR leap, update word with stochastic rounding and saturation, the bias
 * lane's double draw); one multiplier per lane serves both the logits (W·h) and the gradient (h·e).
 *
 * PORTS (clk, rst synchronous active high)
 *   start, cmd_train, cmd_slot   cmd_train = 1: the training step over the window; 0: inference, the C
 *                logits of window slot cmd_slot on m_axis_logit (tlast on the last; start it with the
 *                logit stream drained). Sampled at start, ignored while busy.
 *   busy, done   busy from the edge after start until done (1-cycle pulse; all writes retired)
 *   h_re, h_addr, h_rdata   window memory read port (the working memory's windowZ of the last hidden layer):
 *                address p·C_h + k returns the L words i = k·L … k·L + L − 1 of slot p, lane q in bits
 *                [q·w, q·w + w) (w = windowZ width; lanes past nIn are ignored). Read latency 1. Read once
 *                per sub-chunk; the unit takes the sub-chunk's P words.
 *   y_re, y_addr, y_rdata   label read port: slot p → its label. Read latency 1.
 *   m_axis_logit inference logits (logit format), C words per command
 *   host_re, host_we, host_kind, host_bank, host_addr, host_wdata, host_rdata   as the Hebbian unit's:
 *                kind 0 = weight (bank, addr), 1 = bias at addr, 2 = LFSR state of lane `bank`; while not
 *                busy; reads have latency 2. Banks and addresses are the L-lane view (outputWeightAddress)
 *                whatever P is; the unit maps them to its P banks (outputPhysicalAddress).
 *   sat_<q>_hi/lo  saturation counts of training steps (32-bit, wrap; cleared by rst): weight, bias,
 *                logit (hi, lo), prob (hi: the exp table's clamp and P > max), err (hi, lo)
 *
 * SCHEDULE (one item per cycle; A and D each start when the previous phase has drained):
 *   A  logits     p, k, s, j (j innermost): acc_j += Σ_lanes W_j,ks · h_p,ks (+ the bias term at the first
 *                 sub-chunk); at the last o_pj = resize_logit(acc_j), running max per slot  B·C_h·S·C cycles + 3
 *   softmax       beside A, slot by slot from the cycle after A has written slot p's logits and max (training):
 *                 E  p, j: e_pj = exp(o_pj − max_p) (table, latency 4), S_p += e_pj; the slot's S_p straight
 *                    into the reciprocal table, r_p = recip(S_p) written 5 cycles later
 *                 R  p, j once r_p is written: P = min(rnd(e·r, f_r), max), e_pj = sat_err(rnd((P − [y_p = j])·κ_B))
 *                 after A: the last slot's C + 2·4 + C + 4 cycles (S·C_h·C ≥ C per slot keeps E and R up with A)
 *   D  update     j, k, s, p (p innermost): G_lane += h_p,ks · e_pj; after the last p the sub-chunk's words
 *                 W ← sat(W + SR(−mul·G, kW)), the bias (last chunk, the sub-chunk of LFSR lane nIn mod L)
 *                 with Σ_p e_pj                                                           C·C_h·S·B + 3
 *   Inference runs A for one slot and streams the logits. Default 784-128-64-10, B = 8, L = 64, P = 32 (S = 2):
 *   163 + ~32 + 163 ≈ 360 cycles per step, as the sequential phases took with P = 64, beside the layer-1 pass
 *   (bench/chip.ts --samples 400: 1,991 cycles per sample against 1,994 with P = 64 and the phases in turn;
 *   P = 32 with the phases in turn: 2,072)
 */
import { dotFormat, fx, mulFormat, sumFormat, toHls, width, DEFAULT_TAPS, type FixedFormat, type TableFunction } from '../fixed/index.js';
import { ModuleBuilder, addrWidth, constant, mux, select, sint, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import { resizeHw, tableLookup, TABLE_LATENCY } from '../lib/arith/index.js';
import { fifo } from '../lib/stream/fifo.js';
import { streamOut } from '../lib/stream/bundle.js';
import { ConstScale } from '../fixed/scale.js';
import { outputLanesOf, type ChipConfig } from '../config.js';
import { chipTables, resolveNumeric, type ResolvedNumeric } from '../numeric.js';
import { gatedRegs, type GatedTemp } from './common.js';
import { HOST_KIND, bitsFor, gatedUpdateWord, hostReadPort, laneProduct, laneSum, gatedLeap, leapPlan, satCounters } from './lane.js';

export interface OutputLayout {
  nIn: number;
  C: number;
  B: number;
  /** LFSR lanes (cfg.lanes): the host's view — banks, chunks and the window's words are in these lanes */
  lanes: number;
  chunks: number;
  lastLanes: number;
  biasLane: number;
  /** words per (host-view) weight bank: C·chunks */
  depth: number;
  /** physical lanes P (outputLanesOf(cfg)) and sub-chunks per chunk S = ⌈lanes / P⌉ */
  physLanes: number;
  subChunks: number;
  /** words per physical weight bank: C·chunks·S */
  physDepth: number;
  /** the exact logit accumulator and the gradient, from the formats (the spec's proofs) */
  accFormat: FixedFormat;
  gradFormat: FixedFormat;
  kW: number;
  kB: number;
  drawW: boolean;
  drawB: boolean;
  N: ResolvedNumeric;
  tables: { exp: TableFunction; recip: TableFunction };
}

export function outputLayout(cfg: ChipConfig): OutputLayout {
  const N = resolveNumeric(cfg.numeric);
  const L = cfg.lanes;
  const nIn = cfg.layers[cfg.layers.length - 2];
  const C = cfg.layers[cfg.layers.length - 1];
  const B = cfg.window;
  const chunks = Math.ceil(nIn / L);
  const FW = N.weight.format;
  const FZ = N.windowZ.format;
  const prod = mulFormat(FW, FZ);
  const ib = Math.max(prod.intBits, N.bias.format.intBits);
  const term = fx(ib + prod.fracBits, ib, true);
  const kW = FZ.fracBits + N.err.format.fracBits + N.lr.outShift - FW.fracBits;
  const kB = N.err.format.fracBits + N.lr.outShift - N.bias.format.fracBits;
  const t = chipTables(N, C);
  const P = outputLanesOf(cfg);
  const S = Math.ceil(L / P);
  return {
    nIn,
    C,
    B,
    lanes: L,
    chunks,
    lastLanes: nIn - (chunks - 1) * L,
    biasLane: nIn % L,
    depth: C * chunks,
    physLanes: P,
    subChunks: S,
    physDepth: C * chunks * S,
    accFormat: sumFormat(term, nIn + 1),
    gradFormat: dotFormat(FZ, N.err.format, B),
    kW,
    kB,
    drawW: N.weight.rounding === 'stochastic' && kW > 0,
    drawB: N.bias.rounding === 'stochastic' && kB > 0,
    N,
    tables: { exp: t.exp, recip: t.recip },
  };
}

/** Bank and address of weight word i of row j as the host port sees them (LFSR lanes). */
export function outputWeightAddress(lay: OutputLayout, j: number, i: number): { bank: number; addr: number } {
  return { bank: i % lay.lanes, addr: j * lay.chunks + Math.floor(i / lay.lanes) };
}

/**
 * Where host bank q, address a is stored: physical bank q mod P at a·S + ⌊q / P⌋ (sub-chunk s of chunk
 * a holds the words of LFSR lanes s·P … s·P + P − 1).
 */
export function outputPhysicalAddress(lay: OutputLayout, bank: number, addr: number): { bank: number; addr: number } {
  return { bank: bank % lay.physLanes, addr: addr * lay.subChunks + Math.floor(bank / lay.physLanes) };
}

const PHASE = { idle: 0, logits: 1, softmax: 2, update: 3 } as const;

/** Module `output_layer` (the configuration is in its parameters and header hash); see the file comment. */
export function outputUnit(cfg: ChipConfig): Module {
  const lay = outputLayout(cfg);
  const N = lay.N;
  const { nIn, C, B, lanes: L, chunks: Ch, physLanes: PL, subChunks: SC } = lay;
  if (N.lfsr.lanes !== L) throw new RangeError(`output: numeric.lfsr.lanes (${N.lfsr.lanes}) must equal lanes (${L})`);
  const FW = N.weight.format;
  const FB = N.bias.format;
  const FZ = N.windowZ.format;
  const FO = N.logit.format;
  const FP = N.prob.format;
  const FE = N.err.format;
  const ww = width(FW);
  const wb = width(FB);
  const wz = width(FZ);
  const wo = width(FO);
  const we = width(FE);
  const LW = N.lfsr.width;
  const rb = N.lfsr.rbits;
  const plan = leapPlan(LW, DEFAULT_TAPS[LW], N.lfsr.leap);
  const expT = lay.tables.exp;
  const recipT = lay.tables.recip;
  const invB = new ConstScale(1 / B, N.constBits);
  const eShift = FP.fracBits - FE.fracBits;
  const params = {
    nIn,
    classes: C,
    window: B,
    lanes: L,
    physLanes: PL,
    weight: toHls(FW),
    bias: toHls(FB),
    windowZ: toHls(FZ),
    logit: toHls(FO),
    prob: toHls(FP),
    err: toHls(FE),
    rounding: [N.weight.rounding, N.bias.rounding, N.logit.rounding],
    lfsr: { width: LW, rbits: rb, leap: N.lfsr.leap },
    lr: { shift: N.lr.outShift, mul: N.lr.outMul },
    constBits: N.constBits,
  };
  const m = new ModuleBuilder('output_layer', params);
  m.clock();

  // ---- widths
  const pw = bitsFor(B);
  const jw = bitsFor(C);
  const kw = bitsFor(Ch);
  const sw = bitsFor(SC);
  const qw = bitsFor(L);
  const aw = addrWidth(Math.max(lay.depth, 2));
  const paw = addrWidth(Math.max(lay.physDepth, 2));
  const hAw = addrWidth(Math.max(B * Ch, 2));
  const eAw = addrWidth(Math.max(B * C, 2));
  const bAw = addrWidth(Math.max(C, 2));
  const hostAw = Math.max(aw, bAw);
  const hostDw = Math.max(ww, wb, LW);
  const mul = N.lr.outMul;

  // ---- ports
  const start = m.input('start', uint(1));
  const cmdTrain = m.input('cmd_train', uint(1));
  const cmdSlot = m.input('cmd_slot', uint(pw));
  const hRe = m.output('h_re', uint(1));
  const hAddr = m.output('h_addr', uint(hAw));
  const hRdata = m.input('h_rdata', uint(L * wz));
  const yRe = m.output('y_re', uint(1));
  const yAddr = m.output('y_addr', uint(pw));
  const yRdata = m.input('y_rdata', uint(jw));
  const logitS = streamOut(m, 'logit', sint(wo), { last: true });
  const hostRe = m.input('host_re', uint(1));
  const hostWe = m.input('host_we', uint(1));
  const hostKind = m.input('host_kind', uint(2));
  const hostBank = m.input('host_bank', uint(qw));
  const hostAddr = m.input('host_addr', uint(hostAw));
  const hostWdata = m.input('host_wdata', uint(hostDw));

  // ---- control: phase and loop counters (p, k, j), issue valid
  const busy = m.reg('busy_q', uint(1), { reset: 0 });
  const doneQ = m.reg('done_q', uint(1), { reset: 0 });
  const train = m.reg('train_q', uint(1), { reset: 0 });
  const phase = m.reg('phase_q', uint(2), { reset: PHASE.idle });
  const issuing = m.reg('issuing_q', uint(1), { reset: 0 });
  const pQ = m.reg('p_q', uint(pw), { reset: 0 });
  const kQ = m.reg('k_q', uint(kw), { reset: 0 });
  const sQ = m.reg('sub_q', uint(sw), { reset: 0 });
  const jQ = m.reg('j_q', uint(jw), { reset: 0 });
  const inA = phase.eq(PHASE.logits);
  const inD = phase.eq(PHASE.update);
  const pLast = mux(train, pQ.eq(B - 1), constant(1, uint(1)));
  const kLast = kQ.eq(Ch - 1);
  const sLast = sQ.eq(SC - 1);
  const jLast = jQ.eq(C - 1);
  // the row's first and last sub-chunk
  const rowFirst = kQ.eq(0).and(sQ.eq(0));
  const rowLast = kLast.and(sLast);
  const issue = m.wire('issue', issuing);
  // the end of the current phase's loop nest
  const loopEnd = m.wire(
    'loop_end',
    mux(inA, pLast.and(rowLast).and(jLast), jLast.and(rowLast).and(pQ.eq(B - 1))),
  );

  // pipeline valid bits of A and D (the softmax engines have their own)
  const DEPTH = 2;
  // a register chain of n stages behind e (`<name><i>_q`, i = 1 … n): the valid bits and the tags they carry.
  // They shift only while the unit is busy: every valid bit is 0 when a step has finished (the pipelines have
  // drained), so holding them between steps changes nothing, and a simulator skips them in the idle cycles.
  const tag = (name: string, e: Expr, n: number): Signal[] => {
    const out: Signal[] = [];
    for (let i = 1; i <= n; i++) out.push(m.reg(`${name}${i}_q`, e.type, { reset: 0 }));
    m.seq(`${name}_tags`, ($) => {
      $.if(busy, () => {
        let src: Expr = e;
        out.forEach((r) => {
          $.set(r, src);
          src = r;
        });
      });
    });
    return out;
  };
  const vs = tag('v', issue, DEPTH);
  const drained = vs.map((v) => v.not()).reduce((a, b) => a.and(b));
  const pipeEmpty = m.wire('pipe_empty', issuing.not().and(drained));

  // logit queue for inference
  const QD = 2 ** Math.max(1, Math.ceil(Math.log2(C)));
  const qOut = fifo(wo, QD, { last: true });
  const qPush = m.wire('logit_push', uint(1));
  const qData = m.wire('logit_push_data', uint(wo));
  const qLast = m.wire('logit_push_last', uint(1));
  const qi = m.instance('logit_queue', qOut, { s_axis_in_tvalid: qPush, s_axis_in_tdata: qData, s_axis_in_tlast: qLast, m_axis_out_tready: logitS.ready });
  m.assign(logitS.valid, qi.out('m_axis_out_tvalid'));
  m.assign(logitS.data, qi.out('m_axis_out_tdata').asSigned());
  if (logitS.last) m.assign(logitS.last, qi.out('m_axis_out_tlast'));
  m.unused(qi.out('s_axis_in_tready'));
  const qEmpty = qi.out('count').eq(0);

  const ph = (v: number): Expr => constant(v, uint(2));
  const nextPhase = (cur: Expr): Expr =>
    mux(cur.eq(PHASE.logits), mux(train, ph(PHASE.softmax), ph(PHASE.idle)), mux(cur.eq(PHASE.softmax), ph(PHASE.update), ph(PHASE.idle)));
  // the softmax phase issues nothing: it waits for the error engine's last word (errorsDone, below)
  const errorsDone = m.wire('errors_done', uint(1));
  const finish = m.wire('finish', busy.and(pipeEmpty).and(nextPhase(phase).eq(PHASE.idle)).and(phase.ne(PHASE.idle)));
  const advancePhase = m.wire('advance_phase', busy.and(pipeEmpty).and(phase.ne(PHASE.idle)).and(finish.not()).and(phase.ne(PHASE.softmax).or(errorsDone)));
  const begin = busy.not().and(start).and(cmdTrain.or(qEmpty));

  m.seq('control', ($) => {
    $.set(doneQ, finish);
    $.if(begin, () => {
      $.set(busy, 1);
      $.set(train, cmdTrain);
      $.set(phase, PHASE.logits);
      $.set(issuing, 1);
      $.set(pQ, mux(cmdTrain, constant(0, uint(pw)), cmdSlot));
      $.set(kQ, 0);
      $.set(sQ, 0);
      $.set(jQ, 0);
    });
    $.if(finish, () => {
      $.set(busy, 0);
      $.set(phase, PHASE.idle);
    });
    $.if(advancePhase, () => {
      $.set(phase, nextPhase(phase));
      $.set(issuing, phase.ne(PHASE.logits));
      $.set(pQ, 0);
      $.set(kQ, 0);
      $.set(sQ, 0);
      $.set(jQ, 0);
    });
    $.if(issue, () => {
      $.if(loopEnd, () => $.set(issuing, 0));
      // A: p, k, s, j (j inner); D: j, k, s, p (p inner)
      const nextChunk = (outer: () => void): void => {
        $.if(sLast, () => {
          $.set(sQ, 0);
          $.if(kLast, () => {
            $.set(kQ, 0);
            outer();
          }).else(() => $.set(kQ, kQ.addWrap(1)));
        }).else(() => $.set(sQ, sQ.addWrap(1)));
      };
      $.if(inA, () => {
        $.if(jLast, () => {
          $.set(jQ, 0);
          nextChunk(() => $.set(pQ, pQ.addWrap(1)));
        }).else(() => $.set(jQ, jQ.addWrap(1)));
      });
      $.if(inD, () => {
        $.if(pQ.eq(B - 1), () => {
          $.set(pQ, 0);
          nextChunk(() => $.set(jQ, jQ.addWrap(1)));
        }).else(() => $.set(pQ, pQ.addWrap(1)));
      });
    });
  });
  m.output('busy', busy);
  m.output('done', doneQ);

  const pT = tag('p', pQ, 2);
  const jT = tag('j', jQ, 2);
  // the sub-chunk of the items at stages 1 and 2 (none when a chunk is one sub-chunk)
  const sT = SC === 1 ? [constant(0, uint(1)), constant(0, uint(1))] : tag('sub', sQ, 2);
  const rowFirstT = tag('row_first', rowFirst, 2);
  const rowLastT = tag('row_last', rowLast, 2);
  const kLastT = tag('k_last', kLast, 2);
  const jFirstT = tag('j_first', jQ.eq(0), 2);
  const jLastT = tag('j_last', jLast, 2);
  const pFirstT = tag('p_first', pQ.eq(0), 1);
  const pLastT = tag('p_last', pQ.eq(B - 1), 2);

  // ---- memory read ports driven at issue
  const hostIdle = busy.not();
  const hostAddrW = hostAddr.width > aw ? hostAddr.trunc(aw) : hostAddr;
  if (hostAddr.width > aw) m.unused(hostAddr.slice(hostAddr.width - 1, aw));
  const hostAddrB = hostAddr.width > bAw ? hostAddr.trunc(bAw) : hostAddr;
  const times = (x: Expr, n: number, w: number): Expr => {
    const xw = x.width < w ? x.zext(w) : x.trunc(w);
    if (n === 1) return xw;
    if (Number.isInteger(Math.log2(n))) return xw.shl(Math.log2(n)).trunc(w);
    return xw.mul(constant(n, uint(bitsFor(n + 1)))).trunc(w);
  };
  // the physical word of the issued item: sub-chunk s of chunk j·C_h + k
  const subAddr = (chunk: Expr, sub: Expr): Expr => (SC === 1 ? chunk : times(chunk, SC, paw).addWrap(sub.zext(paw)));
  const chunkAddr = m.wire('w_addr', subAddr(times(jQ, Ch, paw).addWrap(kQ.zext(paw)), sQ));
  // host bank q, address a → physical bank q mod P at a·S + ⌊q / P⌋ (outputPhysicalAddress)
  const hostSub = SC === 1 ? null : m.wire('host_sub', select(hostBank, Array.from({ length: L }, (_, q) => constant(Math.floor(q / PL), uint(sw))), constant(0, uint(sw))));
  const hostAddrP = hostSub === null ? hostAddrW : m.wire('host_addr_p', subAddr(hostAddrW, hostSub));
  // the physical bank of host bank q, one-hot (q mod P), decoded once for all banks; a bank's host read or
  // write enable is then one bit of it and one shared flag
  const hostHitVec = m.wire('host_hit', select(hostBank, Array.from({ length: L }, (_, q) => constant(1n << BigInt(q % PL), uint(PL))), constant(0, uint(PL))));
  const hostHit = (r: number): Expr => hostHitVec.bit(r);
  const hostWRe = m.wire('host_w_re', hostIdle.and(hostRe).and(hostKind.eq(HOST_KIND.weight)));
  const hostWWe = m.wire('host_w_we', hostIdle.and(hostWe).and(hostKind.eq(HOST_KIND.weight)));
  // A reads W every item; D reads it at the last p of a sub-chunk (the register then holds it for the update)
  const wRead = issue.and(inA.or(inD.and(pQ.eq(B - 1))));
  m.assign(hRe, issue.and(inA.or(inD)));
  m.assign(hAddr, times(pQ, Ch, hAw).addWrap(kQ.zext(hAw)));
  // the bias: its logit term with the row's first sub-chunk; its update with the last chunk's sub-chunk
  // that holds LFSR lane biasLane (its draw follows that lane's word draws of the row)
  const sBias = Math.floor(lay.biasLane / PL);
  const rBiasLane = lay.biasLane % PL;
  const atBiasSub = (sub: Expr): Expr => (SC === 1 ? constant(1, uint(1)) : sub.eq(sBias));
  const bRead = issue.and(inA.and(rowFirst).or(inD.and(kLast).and(atBiasSub(sQ)).and(pQ.eq(B - 1))));
  const biasMem = m.memory('bias_mem', { depth: Math.max(C, 2), type: uint(wb) });
  const bRd = biasMem.readSync('bias_rd', mux(busy, jQ.zext(bAw), hostAddrB), mux(busy, bRead, hostIdle.and(hostRe).and(hostKind.eq(HOST_KIND.bias))));

  // ---- lanes: physical lane r serves LFSR lanes q = s·P + r (s < n_r = ⌈(L − r) / P⌉), one per sub-chunk
  // lane r takes part in sub-chunk `sub` (q < L) and, in the row's last chunk, holds a word (q < lastLanes)
  const subLt = (sub: Expr, n: number): Expr => (n >= SC ? constant(1, uint(1)) : n <= 0 ? constant(0, uint(1)) : sub.lt(n));
  const lanesOf = (r: number): number => Math.ceil((L - r) / PL);
  const live = (r: number, sub: Expr, last: Expr): Expr => {
    const inRow = subLt(sub, lanesOf(r));
    const nLast = Math.max(0, Math.ceil((lay.lastLanes - r) / PL));
    if (nLast >= lanesOf(r)) return inRow;
    return inRow.and(last.not().or(subLt(sub, nLast)));
  };
  const hostRdW: Expr[] = [];
  const lfsrs: Signal[] = Array.from({ length: L }, (_, q) => m.reg(`lfsr_${q}`, uint(LW), { reset: (q % (2 ** LW - 1)) + 1 }));
  const hostLfsrWe = m.wire('host_lfsr_we', hostIdle.and(hostWe).and(hostKind.eq(HOST_KIND.lfsr)));
  /** each lane's product operands, gradient register, and whether it holds a word of the logit item (stage 1) */
  const lanes: { h: Expr; op: Expr; g: Signal; live: Expr }[] = [];
  const wSatHi: Expr[] = [];
  const wSatLo: Expr[] = [];
  let rBias: Expr | null = null;
  // errors of the window, read in D (p, j), written in C2
  const errMem = m.memory('err_mem', { depth: Math.max(B * C, 2), type: uint(we) });
  const eIdx = (p: Expr, j: Expr): Expr => times(p, C, eAw).addWrap(j.zext(eAw));
  const errRd = errMem.readSync('err_rd', eIdx(pQ, jQ), issue.and(inD));
  const gW = width(lay.gradFormat);
  const inD1 = m.wire('d1', vs[0].and(phase.eq(PHASE.update)));
  const upd2 = m.wire('upd2', vs[1].and(phase.eq(PHASE.update)).and(pLastT[1]));
  const chunkLast2 = kLastT[1];
  const wAddr2 = m.reg('w_addr2_q', uint(paw), { reset: 0 });
  const wAddr1 = m.reg('w_addr1_q', uint(paw), { reset: 0 });
  m.seq('w_addr_tags', ($) => {
    $.set(wAddr1, chunkAddr);
    $.set(wAddr2, wAddr1);
  });
  const gBias = m.reg('g_bias_q', sint(gW), { reset: 0 });
  const banks: Expr[] = [];
  for (let r = 0; r < PL; r++) {
    const n = lanesOf(r);
    const wbank = m.memory(`wbank_${r}`, { depth: Math.max(lay.physDepth, 2), type: uint(ww) });
    const wRd = wbank.readSync(`w_rd_${r}`, mux(busy, chunkAddr, hostAddrP), mux(busy, wRead, hostWRe.and(hostHit(r))));
    banks.push(wRd);
    // the word of LFSR lane s·P + r of the window chunk read (sub-chunk s, tagged with the read)
    const hWord = (q: number): Expr => hRdata.slice(q * wz + wz - 1, q * wz);
    const hSel = n === 1 ? hWord(r) : select(sT[0], Array.from({ length: n }, (_, s) => hWord(s * PL + r)), 2 ** sw > n ? constant(0, uint(wz)) : undefined);
    // one multiplier per lane: W·h for the logits (A), h·e for the gradient (D), formed with the lane's window
    // word and operand in the gated process of the logit sum and the gradient registers (below), only in
    // their cycles
    const fw = Math.max(we, ww);
    const g = m.reg(`g_${r}`, sint(gW), { reset: 0 });
    lanes.push({ h: hSel.asSigned(), op: mux(inD, errRd.asSigned().sext(fw), wRd.asSigned().sext(fw)), g, live: live(r, sT[0], kLastT[0]) });
    // the LFSR lanes of this physical lane form a ring, the current sub-chunk's at its head (lfsr_r): a
    // sub-chunk's update draws from the head and turns the ring by one; every chunk turns it n times, so it
    // is back home (lane q in lfsr_q) whenever the unit is idle
    const ring = Array.from({ length: n }, (_, s) => lfsrs[s * PL + r]);
    const lf = ring[0];
    const live2 = live(r, sT[1], chunkLast2);
    const wordDraw = m.wire(`draw_w_${r}`, upd2.and(live2).and(lay.drawW ? 1 : 0));
    // the advanced state is read only while the lane writes its word or draws for the bias: formed only then
    // (lane.ts gatedLeap; a turn of the ring without a draw takes the head itself)
    const writeLane = m.wire(`w_we_${r}`, upd2.and(live2));
    const biasDraw = lay.drawB && r === rBiasLane ? m.wire('draw_b', upd2.and(chunkLast2).and(atBiasSub(sT[1]))) : null;
    const s1 = gatedLeap(m, `lfsr_next_${r}`, plan, lf, biasDraw ? writeLane.or(biasDraw) : writeLane);
    const rWord = m.wire(`r_${r}`, s1.trunc(rb));
    let next: Expr = s1;
    let draws: Expr = wordDraw;
    if (biasDraw) {
      draws = wordDraw.or(biasDraw);
      if (lay.lastLanes === L && lay.drawW) {
        // the row's last chunk is full: its word on this lane draws first, then the bias (2·LEAP steps)
        const s2 = gatedLeap(m, `lfsr_next2_${r}`, plan, s1, biasDraw.and(wordDraw));
        next = mux(biasDraw.and(wordDraw), s2, s1);
        rBias = m.wire('r_bias', mux(wordDraw, s2.trunc(rb), s1.trunc(rb)));
      } else {
        rBias = m.wire('r_bias', s1.trunc(rb));
      }
    }
    const turn = n === 1 ? null : m.wire(`lfsr_turn_${r}`, upd2.and(subLt(sT[1], n)));
    m.seq(`lfsr_${r}`, ($) => {
      // written only when it changes (a host write, a draw, a turn of the ring): the registers hold otherwise;
      // the host's write (idle) and the update's write cycles (upd2) tested first, one flag each, so a
      // simulator skips the lane's selects in the other cycles
      $.if(hostLfsrWe, () => ring.forEach((reg, s) => $.if(hostBank.eq(s * PL + r), () => $.set(reg, hostWdata.trunc(LW))))).elseIf(upd2, () =>
        ring.forEach((reg, s) => {
          if (turn === null) $.if(draws, () => $.set(reg, next));
          else $.if(turn, () => $.set(reg, s < n - 1 ? ring[s + 1] : mux(draws, next, lf)));
        }),
      );
    });
    const xq = mul === 1 ? g.neg() : g.mul(constant(mul, sint(bitsFor(mul + 1) + 1))).neg();
    // the update word, its arithmetic formed only when the lane writes (lane.ts gatedUpdateWord; its flags
    // are 0 otherwise)
    const upd = gatedUpdateWord(m, `w_upd_${r}`, { w: wRd.asSigned(), x: xq, k: lay.kW, rounding: N.weight.rounding, r: rWord, F: FW }, writeLane);
    wSatHi.push(upd.satHi);
    wSatLo.push(upd.satLo);
    const hostWeQ = hostWWe.and(hostHit(r));
    wbank.write(mux(busy, wAddr2, hostAddrP), mux(busy, upd.value.asUnsigned(), hostWdata.trunc(ww)), mux(busy, writeLane, hostWeQ));
  }
  // the host reads bank q's word from physical bank q mod P
  for (let q = 0; q < L; q++) hostRdW.push(banks[q % PL]);

  // ---- bias gradient Σ_p e_pj (accumulated over the p of the row's first chunk) and bias update
  m.seq('g_bias', ($) => $.if(inD1.and(rowFirstT[0]), () => $.set(gBias, mux(pFirstT[0], constant(0, sint(gW)), gBias).add(errRd.asSigned()).resize(gW))));
  const xb = mul === 1 ? gBias.neg() : gBias.mul(constant(mul, sint(bitsFor(mul + 1) + 1))).neg();
  const bWe = m.wire('b_we', upd2.and(chunkLast2).and(atBiasSub(sT[1])));
  const bUpd = gatedUpdateWord(m, 'b_upd', { w: bRd.asSigned(), x: xb, k: lay.kB, rounding: N.bias.rounding, r: rBias as Signal | null, F: FB }, bWe);
  const hostBWe = hostIdle.and(hostWe).and(hostKind.eq(HOST_KIND.bias));
  const jAddr2 = jT[1].zext(bAw);
  biasMem.write(mux(busy, jAddr2, hostAddrB), mux(busy, bUpd.value.asUnsigned(), hostWdata.trunc(wb)), mux(busy, bWe, hostBWe));

  // ---- A: logit accumulation (stage 2), resize, running max
  const bShift = FW.fracBits + FZ.fracBits - FB.fracBits;
  if (bShift < 0) throw new RangeError(`output: the bias format has more fraction bits than W·h (${bShift})`);
  const accW = width(lay.accFormat);
  const termW = Math.max(wz + Math.max(we, ww), wb + bShift);
  const sumW = Math.min(termW + bitsFor(PL + 2), accW);
  const biasTerm = mux(rowFirstT[0], bRd.asSigned().shl(bShift), constant(0, sint(wb + bShift)));
  const sumQ = m.reg('sum_q', sint(sumW), { reset: 0 });
  // the lanes' products in one gated process, read by the logit sum (taken only for a logit item at stage 1 of
  // A; the phase cannot change while an item is in flight) and the gradient registers (D): formed only in
  // those cycles, each once (synthesis: one multiplier per lane)
  const a1 = m.wire('a1', vs[0].and(inA));
  const temps: GatedTemp[] = lanes.flatMap((x, r): GatedTemp[] => [
    [`h_${r}`, () => x.h],
    [`op_${r}`, () => x.op],
    [`prod_${r}`, (t) => laneProduct(t[3 * r], t[3 * r + 1]), Math.max(gW, sumW)],
  ]);
  const prodOf = (t: Signal[], r: number): Signal => t[3 * r + 2];
  gatedRegs(m, 'lane_products', inD1.or(a1), temps, [
    {
      reg: sumQ,
      en: a1,
      value: (t) => laneSum([...lanes.map((x, r) => (x.live.node.op === 'const' ? prodOf(t, r) : mux(x.live, prodOf(t, r), constant(0, prodOf(t, r).type)))), biasTerm], sumW),
    },
    ...lanes.map((x, r) => ({ reg: x.g, en: inD1, value: (t: Signal[]) => mux(pFirstT[0], constant(0, sint(gW)), x.g).add(prodOf(t, r)).resize(gW) })),
  ]);
  const accMem = m.memory('acc_mem', { depth: Math.max(C, 2), type: sint(accW) });
  const accOld = accMem.readAsync(jT[1].zext(bAw));
  const a2 = m.wire('a2', vs[1].and(phase.eq(PHASE.logits)));
  const accNew = m.wire('acc_new', mux(rowFirstT[1], constant(0, sint(accW)), accOld).add(sumQ).resize(accW));
  accMem.write(jT[1].zext(bAw), accNew, a2);
  const lg = resizeHw(m, accNew, FW.fracBits + FZ.fracBits, FO, N.logit.rounding, 'saturate', null);
  const logitV = m.wire('logit', lg.value);
  const logitDone = m.wire('logit_done', a2.and(rowLastT[1]));
  const logitMem = m.memory('logit_mem', { depth: Math.max(B * C, 2), type: sint(wo) });
  logitMem.write(eIdx(pT[1], jT[1]), logitV, logitDone.and(train));
  const mx = m.reg('max_q', sint(wo), { reset: 0 });
  const mxNew = m.wire('max_new', mux(jFirstT[1].or(logitV.gt(mx)), logitV, mx));
  m.seq('max_q', ($) => $.if(logitDone, () => $.set(mx, mxNew)));
  const mxMem = m.memory('max_mem', { depth: Math.max(B, 2), type: sint(wo) });
  mxMem.write(pT[1].zext(addrWidth(Math.max(B, 2))), mxNew, logitDone.and(jLastT[1]));
  m.assign(qPush, logitDone.and(train.not()));
  m.assign(qData, logitV.asUnsigned());
  m.assign(qLast, jLastT[1]);

  // ---- the softmax and the errors (training), slot by slot beside the logits of the later slots: an exp
  // engine (E: one item (p, j) a cycle from the cycle after A has written slot p's logits and max; stage 1 reads,
  // table stages 2…5, stage 6 accumulates S_p; S_p of the slot's last item goes straight into the reciprocal
  // table, r_p written TABLE_LATENCY + 1 cycles later) and an error engine (R: one item (p, j) a cycle once r_p
  // is written; stage 1 reads e, r and the label, and writes the error). After A, the last slot's
  // C + 2·TABLE_LATENCY + C + 3 cycles remain before D.
  const pAw = addrWidth(Math.max(B, 2));
  const cw = bitsFor(B + 1);
  const slotsA = m.reg('slots_logits_q', uint(cw), { reset: 0 });
  const slotsR = m.reg('slots_recip_q', uint(cw), { reset: 0 });
  const pE = m.reg('exp_p_q', uint(pw), { reset: 0 });
  const jE = m.reg('exp_j_q', uint(jw), { reset: 0 });
  const doneE = m.reg('exp_issued_q', uint(1), { reset: 0 });
  const pR = m.reg('err_p_q', uint(pw), { reset: 0 });
  const jR = m.reg('err_j_q', uint(jw), { reset: 0 });
  const doneR = m.reg('err_issued_q', uint(1), { reset: 0 });
  const stepTrain = busy.and(train);
  const issueE = m.wire('exp_issue', stepTrain.and(doneE.not()).and(pE.zext(cw).lt(slotsA)));
  const issueR = m.wire('err_issue', stepTrain.and(doneR.not()).and(pR.zext(cw).lt(slotsR)));
  const eLast = jE.eq(C - 1);
  const rLast = jR.eq(C - 1);
  const slotWritten = m.wire('slot_logits_written', logitDone.and(jLastT[1]).and(train));
  const recipDone = m.wire('recip_done', uint(1));
  m.seq('softmax_control', ($) => {
    $.if(begin, () => {
      $.set(slotsA, 0);
      $.set(slotsR, 0);
      $.set(pE, 0);
      $.set(jE, 0);
      $.set(doneE, 0);
      $.set(pR, 0);
      $.set(jR, 0);
      $.set(doneR, 0);
    });
    $.if(slotWritten, () => $.set(slotsA, slotsA.addWrap(1)));
    $.if(recipDone, () => $.set(slotsR, slotsR.addWrap(1)));
    // each engine: items (p, j), j inner, one per issue; done after the last slot's last item
    for (const [issueX, pX, jX, lastX, doneX] of [
      [issueE, pE, jE, eLast, doneE],
      [issueR, pR, jR, rLast, doneR],
    ] as const) {
      $.if(issueX, () => {
        $.if(lastX, () => {
          $.set(jX, 0);
          $.set(pX, pX.addWrap(1));
          $.if(pX.eq(B - 1), () => $.set(doneX, 1));
        }).else(() => $.set(jX, jX.addWrap(1)));
      });
    }
  });
  // E's valid bits and tags (stage i + 1 = index i)
  const vE = tag('exp_v', issueE, TABLE_LATENCY + 1);
  const pET = tag('exp_p', pE, TABLE_LATENCY + 1);
  const jET = tag('exp_j', jE, TABLE_LATENCY + 1);
  const jFirstET = tag('exp_j_first', jE.eq(0), TABLE_LATENCY + 1);
  const jLastET = tag('exp_j_last', eLast, TABLE_LATENCY + 1);
  const oRd = logitMem.readSync('logit_rd', eIdx(pE, jE), issueE);
  const mxRd = mxMem.readSync('max_rd', pE.zext(pAw), issueE);
  const expIn = hwSigned(oRd.sub(mxRd), width(expT.inFormat));
  // the tables compute only in the cycles their input holds an item (x_valid): vE[0] is the cycle the logit and
  // max reads reach the exp table's input, recipV[0] the cycle s_fin_q holds a finished sum
  const expI = m.instance('exp_table', tableLookup(expT, { valid: true }), { x: expIn, x_valid: vE[0] });
  const eVal = expI.out('y');
  const bDone = m.wire('exp_done', vE[TABLE_LATENCY]);
  const eMem = m.memory('e_mem', { depth: Math.max(B * C, 2), type: uint(width(FP)) });
  const pTL = pET[TABLE_LATENCY];
  eMem.write(eIdx(pTL, jET[TABLE_LATENCY]), eVal, bDone);
  const sW = width(recipT.inFormat);
  const S = m.reg('s_q', uint(sW), { reset: 0 });
  const sNew = m.wire('s_new', mux(jFirstET[TABLE_LATENCY], constant(0, uint(sW)), S).add(eVal.zext(sW)).trunc(sW));
  m.seq('s_q', ($) => $.if(bDone, () => $.set(S, sNew)));

  // r_p = recip(S_p): S_p held in s_fin_q for the table's input, its slot and valid bit carried beside it
  const sFin = m.reg('s_fin_q', uint(sW), { reset: 0 });
  const sumDone = m.wire('sum_done', bDone.and(jLastET[TABLE_LATENCY]));
  m.seq('s_fin_q', ($) => $.if(sumDone, () => $.set(sFin, sNew)));
  const recipV = tag('recip_v', sumDone, TABLE_LATENCY + 1);
  const pRecT = tag('recip_p', pTL, TABLE_LATENCY + 1);
  m.assign(recipDone, recipV[TABLE_LATENCY]);
  const recipI = m.instance('recip_table', tableLookup(recipT, { valid: true }), { x: sFin, x_valid: recipV[0] });
  m.unused(recipI.out('sat'));
  const rMem = m.memory('r_mem', { depth: Math.max(B, 2), type: uint(width(recipT.outFormat)) });
  rMem.write(pRecT[TABLE_LATENCY].zext(pAw), recipI.out('y'), recipDone);

  // R: P, error (stage 1 reads e, r and the label and writes err)
  const vR = tag('err_v', issueR, 1)[0];
  const pRT = tag('err_p', pR, 1);
  const jRT = tag('err_j', jR, 1);
  const e2Rd = eMem.readSync('e_rd', eIdx(pR, jR), issueR);
  const rRd = rMem.readSync('r_rd', pR.zext(pAw), issueR);
  m.assign(yRe, issueR);
  m.assign(yAddr, pR);
  const fr = recipT.outFormat.fracBits;
  const Pexact = e2Rd.mul(rRd);
  const P = Pexact.add(constant(2n ** BigInt(fr - 1), uint(Pexact.width))).shr(fr);
  const pHi = 2n ** BigInt(width(FP)) - 1n;
  const pW = Math.max(P.width, width(FP) + 1);
  const onehot = yRdata.eq(jRT[0]);
  const k = invB.s + eShift;
  const FEw = width(FE);
  // e = rnd((clamped P − onehot)·m, k): the error before its saturation into FE
  const roundedErr = (Pc: Expr): Expr => {
    const diff = Pc.toSigned().sub(mux(onehot, constant(2n ** BigInt(FP.fracBits), sint(width(FP) + 1)), constant(0, sint(width(FP) + 1))));
    const scaled = invB.m === 1 ? diff : diff.mul(constant(invB.m, sint(bitsFor(invB.m + 1) + 1)));
    return k > 0 ? scaled.add(constant(2n ** BigInt(k - 1), sint(k + 1))).shr(k) : scaled.shl(-k);
  };
  // the error word and its flags, formed in one comb process only in the cycles an error is written (vR): as
  // continuous assignments the product, its rounding and the saturation were evaluated in every cycle
  const pSat = m.wire('p_sat', uint(1));
  const errWord = m.wire('err_word', uint(FEw));
  const errHi = m.wire('err_sat_hi', uint(1));
  const errLo = m.wire('err_sat_lo', uint(1));
  const pRound = m.wire('p_round', P.type);
  const pSatT = m.wire('p_sat_t', uint(1));
  const errRounded = m.wire('err_rounded', roundedErr(constant(0, uint(width(FP)))).type);
  m.comb('err_word', ($) => {
    $.if(vR, () => {
      $.setTemp(pRound, P);
      $.setTemp(pSatT, pRound.zext(pW).gt(constant(pHi, uint(pW))));
      const Pc = mux(pSatT, constant(pHi, uint(width(FP))), pRound.zext(pW).trunc(width(FP)));
      $.setTemp(errRounded, roundedErr(Pc));
      const er = resizeHw(m, errRounded, FE.fracBits, FE, 'nearest', 'saturate', null);
      $.set(pSat, pSatT);
      $.set(errWord, er.value.asUnsigned());
      $.set(errHi, er.satHi ?? constant(0, uint(1)));
      $.set(errLo, er.satLo ?? constant(0, uint(1)));
    }).else(() => {
      $.setTemp(pRound, constant(0, P.type));
      $.setTemp(pSatT, 0);
      $.setTemp(errRounded, constant(0, errRounded.type));
      $.set(pSat, 0);
      $.set(errWord, constant(0, uint(FEw)));
      $.set(errHi, 0);
      $.set(errLo, 0);
    });
  });
  const c2 = m.wire('err_done', vR);
  errMem.write(eIdx(pRT[0], jRT[0]), errWord, c2);
  m.assign(errorsDone, doneR.and(vR.not()));

  // ---- saturation counters (training steps only)
  satCounters(m, [
    ['sat_w_hi', wSatHi, upd2],
    ['sat_w_lo', wSatLo, upd2],
    ['sat_b_hi', [bUpd.satHi], upd2],
    ['sat_b_lo', [bUpd.satLo], upd2],
    ['sat_logit_hi', [logitDone.and(train).and(lg.satHi ?? constant(0, uint(1)))]],
    ['sat_logit_lo', [logitDone.and(train).and(lg.satLo ?? constant(0, uint(1)))]],
    ['sat_prob_hi', [bDone.and(expI.out('sat')), c2.and(pSat)]],
    ['sat_err_hi', [c2.and(errHi)]],
    ['sat_err_lo', [c2.and(errLo)]],
  ]);

  // ---- host read data (latency 2)
  hostReadPort(m, { idle: hostIdle, re: hostRe, kind: hostKind, bank: hostBank }, { weights: hostRdW, lfsrs, bias: [bRd] }, hostDw);
  return m.build();
}

/** A signed difference narrowed to the table's input width (o − max ≤ 0 fits it: logit width + 1). */
function hwSigned(e: Expr, w: number): Expr {
  return e.width > w ? e.trunc(w) : e.width < w ? e.sext(w) : e;
}
