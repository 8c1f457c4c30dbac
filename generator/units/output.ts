/**
 * OUTPUT-LAYER UNIT: the output layer trained by cross-entropy over the window, one step per command.
 * Spec: outputStep of sim/golden/fixed/output.ts (logits of the B stored h, table softmax, e_p = (P_p − y_p)/B,
 * G = Σ_p h_p ⊗ e_p exact, W ← sat(W + SR(−mul·G, k)) with the layer's own LFSR bank, no row skipped);
 * co-simulated word for word in test/units/output.test.ts.
 *
 * WEIGHTS: its own L banks (wbank_<q>, word i of row j in bank i mod L at j·C_h + ⌊i/L⌋, C_h = ⌈nIn/L⌉
 * chunks; bias_mem for the C biases), not the Hebbian unit's: (1) the output step of sample c needs
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
 *                [q·w, q·w + w) (w = windowZ width; lanes past nIn are ignored). Read latency 1.
 *   y_re, y_addr, y_rdata   label read port: slot p → its label. Read latency 1.
 *   m_axis_logit inference logits (logit format), C words per command
 *   host_re, host_we, host_kind, host_bank, host_addr, host_wdata, host_rdata   as the Hebbian unit's:
 *                kind 0 = weight (bank, addr), 1 = bias at addr, 2 = LFSR state of lane `bank`; while not
 *                busy; reads have latency 2.
 *   sat_<q>_hi/lo  saturation counts of training steps (32-bit, wrap; cleared by rst): weight, bias,
 *                logit (hi, lo), prob (hi: the exp table's clamp and P > max), err (hi, lo)
 *
 * SCHEDULE (one item per cycle in each phase; a phase starts when the previous one has drained):
 *   A  logits     p, k, j (j innermost): acc_j += Σ_lanes W_j,k · h_p,k (+ the bias term at k = 0); at the
 *                 last chunk o_pj = resize_logit(acc_j), running max per slot            B·C_h·C cycles + 3
 *   B  exp        p, j: e_pj = exp(o_pj − max_p) (table, latency 4), S_p += e_pj          B·C + 6
 *   C1 recip      p: r_p = recip(S_p) (table)                                             B + 6
 *   C2 error      p, j: P = min(rnd(e·r, f_r), max), e_pj = sat_err(rnd((P − [y_p = j])·κ_B))   B·C + 3
 *   D  update     j, k, p (p innermost): G_lane += h_p,k · e_pj; after the last p the chunk's words
 *                 W ← sat(W + SR(−mul·G, kW)), the bias (last chunk) with Σ_p e_pj            C·C_h·B + 3
 *   Inference runs A for one slot and streams the logits. Default 784-128-64-10, B = 8, L = 64:
 *   80 + 86 + 14 + 83 + 83 ≈ 350 cycles per step, beside the 1,669-cycle layer-1 pass.
 */
import { dotFormat, fx, mulFormat, sumFormat, toHls, width, DEFAULT_TAPS, type FixedFormat, type TableFunction } from '../fixed/index.js';
import { ModuleBuilder, addrWidth, constant, mux, sint, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import { resizeHw, tableLookup, TABLE_LATENCY } from '../lib/arith/index.js';
import { fifo } from '../lib/stream/fifo.js';
import { streamOut } from '../lib/stream/bundle.js';
import { ConstScale } from '../fixed/scale.js';
import type { ChipConfig } from '../config.js';
import { chipTables, resolveNumeric, type ResolvedNumeric } from '../numeric.js';
import { HOST_KIND, bitsFor, gatedUpdateWord, hostReadPort, laneProduct, laneSum, gatedLeap, leapPlan, satCounters } from './lane.js';

export interface OutputLayout {
  nIn: number;
  C: number;
  B: number;
  lanes: number;
  chunks: number;
  lastLanes: number;
  biasLane: number;
  /** words per weight bank: C·chunks */
  depth: number;
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
  return {
    nIn,
    C,
    B,
    lanes: L,
    chunks,
    lastLanes: nIn - (chunks - 1) * L,
    biasLane: nIn % L,
    depth: C * chunks,
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

/** Bank and address of weight word i of row j. */
export function outputWeightAddress(lay: OutputLayout, j: number, i: number): { bank: number; addr: number } {
  return { bank: i % lay.lanes, addr: j * lay.chunks + Math.floor(i / lay.lanes) };
}

const PHASE = { idle: 0, logits: 1, exp: 2, recip: 3, err: 4, update: 5 } as const;

/** Module `output_layer` (the configuration is in its parameters and header hash); see the file comment. */
export function outputUnit(cfg: ChipConfig): Module {
  const lay = outputLayout(cfg);
  const N = lay.N;
  const { nIn, C, B, lanes: L, chunks: Ch } = lay;
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
  const qw = bitsFor(L);
  const aw = addrWidth(Math.max(lay.depth, 2));
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
  const phase = m.reg('phase_q', uint(3), { reset: PHASE.idle });
  const issuing = m.reg('issuing_q', uint(1), { reset: 0 });
  const pQ = m.reg('p_q', uint(pw), { reset: 0 });
  const kQ = m.reg('k_q', uint(kw), { reset: 0 });
  const jQ = m.reg('j_q', uint(jw), { reset: 0 });
  const inA = phase.eq(PHASE.logits);
  const inB = phase.eq(PHASE.exp);
  const inC1 = phase.eq(PHASE.recip);
  const inC2 = phase.eq(PHASE.err);
  const inD = phase.eq(PHASE.update);
  const pLast = mux(train, pQ.eq(B - 1), constant(1, uint(1)));
  const kLast = kQ.eq(Ch - 1);
  const jLast = jQ.eq(C - 1);
  const issue = m.wire('issue', issuing);
  // the end of the current phase's loop nest
  const loopEnd = m.wire(
    'loop_end',
    mux(inA, pLast.and(kLast).and(jLast), mux(inB.or(inC2), pQ.eq(B - 1).and(jLast), mux(inC1, pQ.eq(B - 1), jLast.and(kLast).and(pQ.eq(B - 1))))),
  );

  // pipeline valid bits: 6 stages cover every phase's latency (the tables take 4)
  const DEPTH = TABLE_LATENCY + 2;
  const vs: Signal[] = [];
  for (let i = 1; i <= DEPTH; i++) vs.push(m.reg(`v${i}_q`, uint(1), { reset: 0 }));
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

  const nextPhase = (cur: Expr): Expr =>
    mux(cur.eq(PHASE.logits), mux(train, constant(PHASE.exp, uint(3)), constant(PHASE.idle, uint(3))), mux(cur.eq(PHASE.exp), constant(PHASE.recip, uint(3)), mux(cur.eq(PHASE.recip), constant(PHASE.err, uint(3)), mux(cur.eq(PHASE.err), constant(PHASE.update, uint(3)), constant(PHASE.idle, uint(3))))));
  const finish = m.wire('finish', busy.and(pipeEmpty).and(nextPhase(phase).eq(PHASE.idle)).and(phase.ne(PHASE.idle)));
  const advancePhase = m.wire('advance_phase', busy.and(pipeEmpty).and(phase.ne(PHASE.idle)).and(finish.not()));
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
      $.set(jQ, 0);
    });
    $.if(finish, () => {
      $.set(busy, 0);
      $.set(phase, PHASE.idle);
    });
    $.if(advancePhase, () => {
      $.set(phase, nextPhase(phase));
      $.set(issuing, 1);
      $.set(pQ, 0);
      $.set(kQ, 0);
      $.set(jQ, 0);
    });
    $.if(issue, () => {
      $.if(loopEnd, () => $.set(issuing, 0));
      // A: p, k, j (j inner); B, C2: p, j; C1: p; D: j, k, p (p inner)
      $.if(inA, () => {
        $.if(jLast, () => {
          $.set(jQ, 0);
          $.if(kLast, () => {
            $.set(kQ, 0);
            $.set(pQ, pQ.addWrap(1));
          }).else(() => $.set(kQ, kQ.addWrap(1)));
        }).else(() => $.set(jQ, jQ.addWrap(1)));
      });
      $.if(inB.or(inC2), () => {
        $.if(jLast, () => {
          $.set(jQ, 0);
          $.set(pQ, pQ.addWrap(1));
        }).else(() => $.set(jQ, jQ.addWrap(1)));
      });
      $.if(inC1, () => $.set(pQ, pQ.addWrap(1)));
      $.if(inD, () => {
        $.if(pQ.eq(B - 1), () => {
          $.set(pQ, 0);
          $.if(kLast, () => {
            $.set(kQ, 0);
            $.set(jQ, jQ.addWrap(1));
          }).else(() => $.set(kQ, kQ.addWrap(1)));
        }).else(() => $.set(pQ, pQ.addWrap(1)));
      });
    });
  });
  m.output('busy', busy);
  m.output('done', doneQ);

  // stage tags carried with the valid bits
  const tag = (name: string, e: Expr, n: number): Signal[] => {
    const out: Signal[] = [];
    for (let i = 1; i <= n; i++) out.push(m.reg(`${name}${i}_q`, e.type, { reset: 0 }));
    m.seq(`${name}_tags`, ($) => {
      let src: Expr = e;
      out.forEach((r) => {
        $.set(r, src);
        src = r;
      });
    });
    return out;
  };
  m.seq('valids', ($) => {
    let src: Expr = issue;
    vs.forEach((v) => {
      $.set(v, src);
      src = v;
    });
  });
  const pT = tag('p', pQ, TABLE_LATENCY + 1);
  const jT = tag('j', jQ, TABLE_LATENCY + 1);
  const kFirstT = tag('k_first', kQ.eq(0), 2);
  const kLastT = tag('k_last', kLast, 2);
  const jFirstT = tag('j_first', jQ.eq(0), TABLE_LATENCY + 1);
  const jLastT = tag('j_last', jLast, TABLE_LATENCY + 1);
  const pFirstT = tag('p_first', pQ.eq(0), 1);
  const pLastT = tag('p_last', pQ.eq(B - 1), 2);

  // ---- memory read ports driven at issue
  const hostIdle = busy.not();
  const hostAddrW = hostAddr.width > aw ? hostAddr.trunc(aw) : hostAddr;
  if (hostAddr.width > aw) m.unused(hostAddr.slice(hostAddr.width - 1, aw));
  const hostAddrB = hostAddr.width > bAw ? hostAddr.trunc(bAw) : hostAddr;
  const times = (x: Expr, n: number, w: number): Expr => x.zext(w).mul(constant(n, uint(bitsFor(n + 1)))).trunc(w);
  const chunkAddr = m.wire('w_addr', times(jQ, Ch, aw).addWrap(kQ.zext(aw)));
  // A reads W every item; D reads it at the last p of a chunk (the register then holds it for the update)
  const wRead = issue.and(inA.or(inD.and(pQ.eq(B - 1))));
  m.assign(hRe, issue.and(inA.or(inD)));
  m.assign(hAddr, times(pQ, Ch, hAw).addWrap(kQ.zext(hAw)));
  const bRead = issue.and(inA.and(kQ.eq(0)).or(inD.and(kLast).and(pQ.eq(B - 1))));
  const biasMem = m.memory('bias_mem', { depth: Math.max(C, 2), type: uint(wb) });
  const bRd = biasMem.readSync('bias_rd', mux(busy, jQ.zext(bAw), hostAddrB), mux(busy, bRead, hostIdle.and(hostRe).and(hostKind.eq(HOST_KIND.bias))));

  // ---- lanes
  const live = (q: number, last: Expr): Expr => (q < lay.lastLanes ? constant(1, uint(1)) : last.not());
  const hostRdW: Expr[] = [];
  const lfsrs: Signal[] = [];
  const prods: Expr[] = [];
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
  const wAddr2 = m.reg('w_addr2_q', uint(aw), { reset: 0 });
  const wAddr1 = m.reg('w_addr1_q', uint(aw), { reset: 0 });
  m.seq('w_addr_tags', ($) => {
    $.set(wAddr1, chunkAddr);
    $.set(wAddr2, wAddr1);
  });
  const gBias = m.reg('g_bias_q', sint(gW), { reset: 0 });
  for (let q = 0; q < L; q++) {
    const wbank = m.memory(`wbank_${q}`, { depth: Math.max(lay.depth, 2), type: uint(ww) });
    const wRd = wbank.readSync(`w_rd_${q}`, mux(busy, chunkAddr, hostAddrW), mux(busy, wRead, hostIdle.and(hostRe).and(hostKind.eq(HOST_KIND.weight)).and(hostBank.eq(q))));
    hostRdW.push(wRd);
    const hq = m.wire(`h_${q}`, hRdata.slice(q * wz + wz - 1, q * wz).asSigned());
    // one multiplier per lane: W·h for the logits (A), h·e for the gradient (D). The product is written out
    // where each phase uses it (the logit sum, the gradient register), under that phase's enable, so the
    // simulator multiplies only in those cycles; synthesis merges the two identical products into one.
    const fw = Math.max(we, ww);
    const prod = (): Expr => laneProduct(hq, mux(inD, errRd.asSigned().sext(fw), wRd.asSigned().sext(fw)));
    const liveA = live(q, kLastT[0]);
    prods.push(liveA.node.op === 'const' ? prod() : mux(liveA, prod(), constant(0, sint(prod().width))));
    // gradient accumulator of this lane
    const g = m.reg(`g_${q}`, sint(gW), { reset: 0 });
    m.seq(`g_${q}`, ($) => $.if(inD1, () => $.set(g, mux(pFirstT[0], constant(0, sint(gW)), g).add(prod()).resize(gW))));
    // LFSR (the output layer's bank) and the update at the chunk's last p
    const lf = m.reg(`lfsr_${q}`, uint(LW), { reset: ((q % (2 ** LW - 1)) + 1) });
    lfsrs.push(lf);
    const live2 = live(q, chunkLast2);
    const wordDraw = m.wire(`draw_w_${q}`, upd2.and(live2).and(lay.drawW ? 1 : 0));
    // the advanced state is read only while the lane writes its word or draws for the bias: formed only then
    // (lane.ts gatedLeap)
    const writeLane = m.wire(`w_we_${q}`, upd2.and(live2));
    const biasLane = lay.drawB && q === lay.biasLane;
    const biasDraw = biasLane ? m.wire('draw_b', upd2.and(chunkLast2)) : null;
    const s1 = gatedLeap(m, `lfsr_next_${q}`, plan, lf, biasDraw ? writeLane.or(biasDraw) : writeLane);
    const rWord = m.wire(`r_${q}`, s1.trunc(rb));
    let next: Expr = s1;
    let draws: Expr = wordDraw;
    if (biasDraw) {
      draws = wordDraw.or(biasDraw);
      if (lay.lastLanes === L && lay.drawW) {
        // the row's last chunk is full: its word on this lane draws first, then the bias (2·LEAP steps)
        const s2 = gatedLeap(m, `lfsr_next2_${q}`, plan, s1, biasDraw.and(wordDraw));
        next = mux(biasDraw.and(wordDraw), s2, s1);
        rBias = m.wire('r_bias', mux(wordDraw, s2.trunc(rb), s1.trunc(rb)));
      } else {
        rBias = m.wire('r_bias', s1.trunc(rb));
      }
    }
    const hostLfsrWe = hostIdle.and(hostWe).and(hostKind.eq(HOST_KIND.lfsr)).and(hostBank.eq(q));
    m.seq(`lfsr_${q}`, ($) => {
      // written only when it changes (a host write or a draw): the register holds otherwise, and a simulator
      // skips the lanes' 64 selects in every cycle without a draw
      $.if(hostLfsrWe, () => $.set(lf, hostWdata.trunc(LW))).elseIf(draws, () => $.set(lf, next));
    });
    const xq = mul === 1 ? g.neg() : g.mul(constant(mul, sint(bitsFor(mul + 1) + 1))).neg();
    // the update word, its arithmetic formed only when the lane writes (lane.ts gatedUpdateWord; its flags
    // are 0 otherwise)
    const upd = gatedUpdateWord(m, `w_upd_${q}`, { w: wRd.asSigned(), x: xq, k: lay.kW, rounding: N.weight.rounding, r: rWord, F: FW }, writeLane);
    wSatHi.push(upd.satHi);
    wSatLo.push(upd.satLo);
    const hostWeQ = hostIdle.and(hostWe).and(hostKind.eq(HOST_KIND.weight)).and(hostBank.eq(q));
    wbank.write(mux(busy, wAddr2, hostAddrW), mux(busy, upd.value.asUnsigned(), hostWdata.trunc(ww)), mux(busy, writeLane, hostWeQ));
  }

  // ---- bias gradient Σ_p e_pj (accumulated over the p of the row's first chunk) and bias update
  m.seq('g_bias', ($) => $.if(inD1.and(kFirstT[0]), () => $.set(gBias, mux(pFirstT[0], constant(0, sint(gW)), gBias).add(errRd.asSigned()).resize(gW))));
  const xb = mul === 1 ? gBias.neg() : gBias.mul(constant(mul, sint(bitsFor(mul + 1) + 1))).neg();
  const bWe = m.wire('b_we', upd2.and(chunkLast2));
  const bUpd = gatedUpdateWord(m, 'b_upd', { w: bRd.asSigned(), x: xb, k: lay.kB, rounding: N.bias.rounding, r: rBias as Signal | null, F: FB }, bWe);
  const hostBWe = hostIdle.and(hostWe).and(hostKind.eq(HOST_KIND.bias));
  const jAddr2 = jT[1].zext(bAw);
  biasMem.write(mux(busy, jAddr2, hostAddrB), mux(busy, bUpd.value.asUnsigned(), hostWdata.trunc(wb)), mux(busy, bWe, hostBWe));

  // ---- A: logit accumulation (stage 2), resize, running max
  const bShift = FW.fracBits + FZ.fracBits - FB.fracBits;
  if (bShift < 0) throw new RangeError(`output: the bias format has more fraction bits than W·h (${bShift})`);
  const accW = width(lay.accFormat);
  const termW = Math.max(wz + Math.max(we, ww), wb + bShift);
  const sumW = Math.min(termW + bitsFor(L + 2), accW);
  const biasTerm = mux(kFirstT[0], bRd.asSigned().shl(bShift), constant(0, sint(wb + bShift)));
  const sumQ = m.reg('sum_q', sint(sumW), { reset: 0 });
  // taken only for a logit item (read at stage 2 of phase A; the phase cannot change while an item is in
  // flight), the lane products and their sum written into the process: evaluated only then
  m.seq('sum_q', ($) => $.if(vs[0].and(inA), () => $.set(sumQ, laneSum([...prods, biasTerm], sumW))));
  const accMem = m.memory('acc_mem', { depth: Math.max(C, 2), type: sint(accW) });
  const accOld = accMem.readAsync(jT[1].zext(bAw));
  const a2 = m.wire('a2', vs[1].and(phase.eq(PHASE.logits)));
  const accNew = m.wire('acc_new', mux(kFirstT[1], constant(0, sint(accW)), accOld).add(sumQ).resize(accW));
  accMem.write(jT[1].zext(bAw), accNew, a2);
  const lg = resizeHw(m, accNew, FW.fracBits + FZ.fracBits, FO, N.logit.rounding, 'saturate', null);
  const logitV = m.wire('logit', lg.value);
  const logitDone = m.wire('logit_done', a2.and(kLastT[1]));
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

  // ---- B: exp of o − max (stage 1 reads, table stages 2…5, stage 6 accumulates)
  const pAw = addrWidth(Math.max(B, 2));
  const oRd = logitMem.readSync('logit_rd', eIdx(pQ, jQ), issue.and(inB));
  const mxRd = mxMem.readSync('max_rd', pQ.zext(pAw), issue.and(inB));
  const expIn = hwSigned(oRd.sub(mxRd), width(expT.inFormat));
  const expI = m.instance('exp_table', tableLookup(expT), { x: expIn });
  const eVal = expI.out('y');
  const bDone = m.wire('exp_done', vs[TABLE_LATENCY].and(inB));
  const eMem = m.memory('e_mem', { depth: Math.max(B * C, 2), type: uint(width(FP)) });
  const pTL = pT[TABLE_LATENCY];
  const jTL = jT[TABLE_LATENCY];
  eMem.write(eIdx(pTL, jTL), eVal, bDone);
  const sW = width(recipT.inFormat);
  const S = m.reg('s_q', uint(sW), { reset: 0 });
  const sNew = m.wire('s_new', mux(jFirstT[TABLE_LATENCY], constant(0, uint(sW)), S).add(eVal.zext(sW)).trunc(sW));
  m.seq('s_q', ($) => $.if(bDone, () => $.set(S, sNew)));
  const sMem = m.memory('s_mem', { depth: Math.max(B, 2), type: uint(sW) });
  sMem.write(pTL.zext(pAw), sNew, bDone.and(jLastT[TABLE_LATENCY]));

  // ---- C1: r_p = recip(S_p)
  const sRd = sMem.readSync('s_rd', pQ.zext(pAw), issue.and(inC1));
  const recipI = m.instance('recip_table', tableLookup(recipT), { x: sRd });
  m.unused(recipI.out('sat'));
  const rMem = m.memory('r_mem', { depth: Math.max(B, 2), type: uint(width(recipT.outFormat)) });
  rMem.write(pTL.zext(pAw), recipI.out('y'), vs[TABLE_LATENCY].and(inC1));

  // ---- C2: P, error (stage 1 reads e, r and the label; stage 2 writes err)
  const e2Rd = eMem.readSync('e_rd', eIdx(pQ, jQ), issue.and(inC2));
  const rRd = rMem.readSync('r_rd', pQ.zext(pAw), issue.and(inC2));
  m.assign(yRe, issue.and(inC2));
  m.assign(yAddr, pQ);
  const fr = recipT.outFormat.fracBits;
  const Pexact = e2Rd.mul(rRd);
  const P = Pexact.add(constant(2n ** BigInt(fr - 1), uint(Pexact.width))).shr(fr);
  const pHi = 2n ** BigInt(width(FP)) - 1n;
  const pW = Math.max(P.width, width(FP) + 1);
  const pSat = m.wire('p_sat', P.zext(pW).gt(constant(pHi, uint(pW))));
  const Pc = m.wire('p_clamped', mux(pSat, constant(pHi, uint(width(FP))), P.zext(pW).trunc(width(FP))));
  const onehot = yRdata.eq(jT[0]);
  const diff = Pc.toSigned().sub(mux(onehot, constant(2n ** BigInt(FP.fracBits), sint(width(FP) + 1)), constant(0, sint(width(FP) + 1))));
  const scaled = invB.m === 1 ? diff : diff.mul(constant(invB.m, sint(bitsFor(invB.m + 1) + 1)));
  const k = invB.s + eShift;
  const rounded = k > 0 ? scaled.add(constant(2n ** BigInt(k - 1), sint(k + 1))).shr(k) : scaled.shl(-k);
  const er = resizeHw(m, rounded, FE.fracBits, FE, 'nearest', 'saturate', null);
  const c2 = m.wire('err_done', vs[0].and(inC2));
  errMem.write(eIdx(pT[0], jT[0]), er.value.asUnsigned(), c2);

  // ---- saturation counters (training steps only)
  satCounters(m, [
    ['sat_w_hi', wSatHi, upd2],
    ['sat_w_lo', wSatLo, upd2],
    ['sat_b_hi', [bUpd.satHi], upd2],
    ['sat_b_lo', [bUpd.satLo], upd2],
    ['sat_logit_hi', [logitDone.and(train).and(lg.satHi ?? constant(0, uint(1)))]],
    ['sat_logit_lo', [logitDone.and(train).and(lg.satLo ?? constant(0, uint(1)))]],
    ['sat_prob_hi', [bDone.and(expI.out('sat')), c2.and(pSat)]],
    ['sat_err_hi', [c2.and(er.satHi ?? constant(0, uint(1)))]],
    ['sat_err_lo', [c2.and(er.satLo ?? constant(0, uint(1)))]],
  ]);

  // ---- host read data (latency 2)
  hostReadPort(m, { idle: hostIdle, re: hostRe, kind: hostKind, bank: hostBank }, { weights: hostRdW, lfsrs, bias: bRd }, hostDw);
  return m.build();
}

/** A signed difference narrowed to the table's input width (o − max ≤ 0 fits it: logit width + 1). */
function hwSigned(e: Expr, w: number): Expr {
  return e.width > w ? e.trunc(w) : e.width < w ? e.sext(w) : e;
}
