/**
 * MODULATOR unit: for one hidden layer per call, the per-sample coefficients c_p, the global signal ξ, the
 * LayerNorm backward and relu′ → δ, bit-exact with the fixed-point golden model (sim/golden/fixed/modulator.ts:
 * modulate = variantWeights, coefficients, globalSignal, lnBackward).
 * N = B (window), c = the current sample's slot, n = 2^k the layer's width, f(Q) = fraction bits of Q,
 * rnd(x, k) = ⌊(x + 2^(k−1)) / 2^k⌋ (round half up; an exact left shift for k ≤ 0), sat_Q = saturate into Q.
 *
 *   LOAD   the K rows of slot c and the row sums arrive (B words each, slot p = 0 … B−1); the row means enter
 *          as the exact row sums R (m_p = R_p / N is never rounded): Rt_p = Rx_p·2^fγ − γ·Ry_p,
 *          ND_p = (N·1 − Rx_p)·2^fγ − γ·(N·1 − Ry_p), Kt_p = Kx_cp·2^fγ − γ·Ky_cp (units 2^−(f_k+fγ));
 *          Σ_p Rt_p and Rt_c / ND_c are formed as the words arrive.
 *   COEF   for p ≠ c (the configured variant only):
 *            E: W_p = −(N²·Kt_p − N·Rt_c − N·Rt_p + Σ_q Rt_q)   J: W_p = −(N·Kt_p − Rt_c)
 *            P: W_p = ND_c                                     F: W_p = ND_p + ND_c
 *          u_p = rnd(W_p·kz_p, f_k), c_p = sat_coef(rnd(u_p·m, s + f_k + fγ − f_coef)) with the ξ scale
 *          m·2^−s = (2/s_z²)/(N²(N−1)²) (E, P, F) or (2/s_z²)/(N(N−1)²) (J), s_z² = σ_z²·n; c_c = 0.
 *          Three pipeline stages, one slot per cycle.
 *   XI     ξ_j = sat_xi(rnd(Σ_{p≠c} c_p·(zw_cj − zw_pj), f_coef + f_wz − f_xi)) from the window z stream;
 *          G1 = Σ ξ_j, G2 = Σ ξ_j·z_j exact. Two generation options (ModulatorOptions.zwSlots):
 *            1      (module `modulator`, the default) one window word per cycle (row j: slot c first, then c+1,
 *                   …, N−1, 0, …, c−1), one multiplier and an accumulator: B cycles per row;
 *            'all'  (module `modulator_wide`) row j of all N slots in one beat, N multipliers c_p·(zw_cj − zw_pj)
 *                   (c_c = 0: the slot-c product is zero) and an adder tree, each level one bit wider, so the
 *                   sum is exact and its order does not matter (the spec's sum is exact too: Σ < 2^53); the
 *                   coefficients sit in N registers instead of a memory. One row per cycle.
 *          Both: stage x1 the products, x2 the row sum, x3 ξ (saturated, into the ξ memory; z_j read), x4 ξ·z_j.
 *   MEAN   M1 = rnd(G1, k − g), M2 = rnd(G2, k + f_z − g)  (g = LN_BWD_GUARD: mean(ξ), mean(ξ⊙z) in units 2^−(f_xi+g))
 *   DELTA  T_j = ξ_j·2^g − M1 − rnd(z_j·M2, f_z), δ_j = a_j > 0 ? sat_delta(rnd(T_j·s⁻¹, g + f_xi + f_s − f_delta)) : 0,
 *          streamed out j = 0 … n−1 (the order the Hebbian-update unit consumes rows), with back-pressure.
 * Multipliers: W·kz, u·m (COEF), c·Δz (N of them with zwSlots 'all'), ξ·z (XI), z·M2, T·s⁻¹ (DELTA); the
 * constant products (N·, N²·, γ·) are shifts and adds.
 *
 * Ports:   clk, rst (synchronous, active high)
 *          start    in   1-cycle pulse in idle: begin a call; layer, slot and s_inv are sampled with it
 *          layer    in   hidden-layer index (0 = network layer 1): selects n and the ξ scale
 *          slot     in   c, the window slot of the current sample (0 … B−1)
 *          s_inv    in   s⁻¹ of the current sample's forward LayerNorm (raw lnInvStd, the layernorm unit's s_inv)
 *          busy     out  high from the cycle after start through the cycle of the last δ transfer
 *          done     out  1-cycle pulse in the cycle after the last δ transfer (busy is already low)
 *          s_axis_kxy  {Ky_cp, Kx_cp}  (2 × gram)   B words, p = 0 … B−1 (word c is not used; variants P and
 *                      F use only the row sums: the words are accepted and dropped)
 *          s_axis_kz   kz_p = K_Z[c][p] (gram)       B words, p = 0 … B−1 (word c is not used)
 *          s_axis_rsum {Ry_p, Rx_p}    (2 × rowSum)  B words, p = 0 … B−1
 *          s_axis_zc   {pos_j, z_j}    (1 + act)     n words: relu′ (a_j > 0) and z_c of the forward (the
 *                      layernorm unit's m_axis_z without the windowZ field); accepted any time in the call
 *          s_axis_zw   zwSlots 1:     zw_pj (windowZ)  n·B words, rows j in order, slot c first in each row
 *                      zwSlots 'all': {zw_(B−1)j, …, zw_1j, zw_0j}  (B × windowZ, slot p in bits [p·w, (p+1)·w),
 *                                     w = windowZ width)  n words, j = 0 … n−1, one row of every slot: the
 *                                     working memory's vector read of element j, {vr_data_<B−1>[w−1:0], …,
 *                                     vr_data_<0>[w−1:0]} (its words are max(9, w) bits, z sign-extended)
 *                      either way row j is accepted only after zc word j
 *          m_axis_delta_{tvalid,tready,tdata,tlast}  δ_j (delta), j = 0 … n−1, tlast on j = n−1
 *          sat_coef, sat_xi, sat_delta  out  values clamped in this call (cleared by start)
 *          All input streams are accepted only while busy; each takes exactly its word count per call.
 * Cycles:  without stalls a call takes (modulatorCycles) from the edge that samples start to the edge of the
 *          last δ transfer (done is high in the next cycle)
 *            zwSlots 1:     B·n + n + 2B + 15   (n = 128, B = 8: 1,183)
 *            zwSlots 'all': 2n + 2B + 11        (n = 128, B = 8: 283)
 *          zwSlots 1: B + 1 (LOAD), B + 3 (COEF), B·n + 5 (XI, one window word per cycle, then the sums drain),
 *          1 (MEAN), n + 4 (DELTA, one δ per cycle after the pipeline fills) and the state changes between them.
 *          zwSlots 'all' (on the chip's critical path) overlaps the phase changes: the first coefficient issues
 *          in the cycle that finds the three B-word streams loaded, XI starts while the last coefficient is
 *          written, and DELTA follows XI directly while the last ξ·z is added (no MEAN state: the means are
 *          registered every cycle from G1, G2 and are needed in stages d1 / d2 of the first δ row): B + 1
 *          (LOAD, overlapping the first COEF issue), B + 2 (COEF), n + 4 (XI), n + 4 (DELTA). Slot p's coefficient
 *          issues as soon as the kxy and rsum streams are complete and kz word p is in, so when the kz words come
 *          last (the chip's K_Z row) the coefficients follow them one a cycle and XI starts 3 cycles after the
 *          last kz word.
 *          The ideal of the streams is B·n + n resp. 2n: δ_j needs mean(ξ) and mean(ξ⊙z) over all j, so no δ
 *          can leave before the last ξ is in.
 */
import { ConstScale, fromReal, fx, toHls, width } from '../fixed/index.js';
import { ModuleBuilder, constant, mux, select, sint, uint, type Expr, type Memory, type Module, type ProcScope, type Signal } from '../ir/index.js';
import { streamIn, streamOut } from '../lib/stream/index.js';
import { configHash, type ChipConfig } from '../config.js';
import { resolveNumeric } from '../numeric.js';
import { bitsOf, byLayer, constByLayer, fitS, gatedPipe, hiddenLayers, layerPort, rnd, satCounter, saturate, sbits, scaleRnd, smux, stalledOutput } from './common.js';

export const MODULATOR_MODULE = 'modulator';
/** The module name of the variant that takes a whole window row per beat (zwSlots: 'all'). */
export const MODULATOR_WIDE_MODULE = 'modulator_wide';

/**
 * How the window z arrives in the ξ phase: 1 = one word zw_pj per beat (n·B beats, the default), 'all' = row j of
 * every slot packed in one beat (n beats; B multipliers and an adder tree).
 */
export type ZwSlots = 1 | 'all';

export interface ModulatorOptions {
  /** default 1 */
  readonly zwSlots?: ZwSlots;
}
/** Extra fraction bits of mean(ξ) and mean(ξ⊙z) in the LayerNorm backward (the golden model's LN_BWD_GUARD). */
export const MODULATOR_GUARD = 4;

/** Cycles of a call without stalls: from the edge that samples start to the edge of the last δ transfer, inclusive. */
export function modulatorCycles(B: number, n: number, zwSlots: ZwSlots = 1): number {
  return zwSlots === 'all' ? 2 * n + 2 * B + 11 : B * n + n + 2 * B + 15;
}

const sconst = (v: number | bigint): Expr => {
  const b = BigInt(v);
  const mag = b < 0n ? -b : b;
  return constant(b, sint(mag.toString(2).length + 1));
};

export function modulator(cfg: ChipConfig, opts: ModulatorOptions = {}): Module {
  const zwSlots = opts.zwSlots ?? 1;
  if (zwSlots !== 1 && zwSlots !== 'all') throw new RangeError(`modulator: zwSlots must be 1 or 'all', got ${String(zwSlots)}`);
  const wide = zwSlots === 'all';
  const N = resolveNumeric(cfg.numeric);
  const H = hiddenLayers(cfg, 'modulator', N.constBits);
  const B = cfg.window;
  const v = cfg.variant;
  const maxN = Math.max(...H.map((h) => h.n));
  const FK = N.gram.format;
  const FR = N.rowSum.format;
  const FC = N.coef.format;
  const FX = N.xi.format;
  const FZ = N.act.format;
  const FWZ = N.windowZ.format;
  const FS = N.lnInvStd.format;
  const FD = N.delta.format;
  const wk = width(FK);
  const wr = width(FR);
  const wz = width(FZ);
  const fg = N.gammaFracBits;
  const gammaRaw = fromReal(cfg.gamma, fx(24, 24 - fg, false), 'nearest', 'saturate');
  const ONE = 2 ** FK.fracBits;
  const g = MODULATOR_GUARD;
  const sz = cfg.sigma[2];
  const nrm = v === 'J' ? B * (B - 1) ** 2 : B * B * (B - 1) ** 2;
  const scales = H.map((h) => new ConstScale(2 / (sz * sz * h.n) / nrm, N.constBits));
  const cShift = FK.fracBits + fg - FC.fracBits;
  const pw = bitsOf(B - 1);
  const bw = bitsOf(B);
  const jw = bitsOf(maxN - 1);
  const cw = bitsOf(maxN);

  const m = new ModuleBuilder(wide ? MODULATOR_WIDE_MODULE : MODULATOR_MODULE, {
    config: configHash(cfg),
    variant: v,
    window: B,
    hidden: H.map((h) => h.n),
    gamma: gammaRaw,
    xiScale: scales.map((s) => [s.m, s.s]),
    formats: { gram: toHls(FK), rowSum: toHls(FR), coef: toHls(FC), xi: toHls(FX), act: toHls(FZ), windowZ: toHls(FWZ), lnInvStd: toHls(FS), delta: toHls(FD) },
    guard: g,
    ...(wide ? { zwSlots } : {}),
    cycles: wide ? '2n + 2B + 11' : 'B*n + n + 2B + 15',
  });
  m.clock();
  const start = m.input('start', uint(1));
  const layer = layerPort(m, H);
  const slot = m.input('slot', uint(pw));
  const sInvIn = m.input('s_inv', uint(width(FS)));
  const kxy = streamIn(m, 'kxy', uint(2 * wk));
  const kz = streamIn(m, 'kz', uint(wk));
  const rsum = streamIn(m, 'rsum', uint(2 * wr));
  const zc = streamIn(m, 'zc', uint(1 + wz));
  const wwz = width(FWZ);
  const zw = streamIn(m, 'zw', wide ? uint(B * wwz) : sint(wwz));
  const out = streamOut(m, 'delta', sint(width(FD)), { last: true });

  // ---- control
  const S = { IDLE: 0, LOAD: 1, COEF: 2, XI: 3, MEAN: 4, DELTA: 5 };
  const state = m.reg('state_q', uint(3), { reset: S.IDLE });
  const is = (s: number) => state.eq(constant(s, uint(3)));
  const go = m.wire('go', start.and(is(S.IDLE)));
  const layerQ = m.reg('layer_q', layer.type, { reset: 0 });
  if (H.length === 1) m.unused(layerQ);
  const c = m.reg('slot_q', uint(pw), { reset: 0 });
  const sInv = m.reg('s_inv_q', uint(width(FS)), { reset: 0 });
  const nSel = m.wire('n_sel', constByLayer(layerQ, H.map((h) => h.n)).zext(cw));
  const Bc = constant(B, uint(bw));
  const Bm1 = constant(B - 1, uint(pw));

  // ---- LOAD: three B-word streams into small memories; Σ Rt, Rt_c, ND_c as the row sums arrive
  const loader = (name: string, s: typeof kxy, store: boolean) => {
    const cnt = m.reg(`${name}_count_q`, uint(bw), { reset: 0 });
    m.assign(s.ready, is(S.LOAD).and(cnt.lt(Bc)));
    if (!store) {
      m.unused(s.data);
      return { cnt, mem: null };
    }
    const mem = m.memory(`${name}_mem`, { depth: B, type: s.data.type });
    mem.write(cnt.trunc(pw), s.data, s.fire);
    return { cnt, mem };
  };
  const usesK = v === 'E' || v === 'J';
  const lk = loader('kxy', kxy, usesK);
  const lz = loader('kz', kz, true);
  const lr = loader('rsum', rsum, v === 'E' || v === 'F');
  const gam = constant(gammaRaw, uint(bitsOf(gammaRaw)));
  const rowTerms = (word: Expr) => {
    const rx = word.trunc(wr);
    const ry = word.shr(wr);
    const rt = rx.shl(fg).sub(ry.mul(gam));
    const BONE = constant(B * ONE, uint(bitsOf(B * ONE)));
    const nd = BONE.sub(rx).shl(fg).sub(BONE.sub(ry).mul(gam.toSigned()));
    return { rt, nd };
  };
  const rIn = rowTerms(rsum.data);
  const rtW = rIn.rt.width;
  const sumRt = m.reg('sum_rt_q', sint(rtW + bw), { reset: 0 });
  const rtC = m.reg('rt_c_q', sint(rtW), { reset: 0 });
  const ndC = m.reg('nd_c_q', sint(rIn.nd.width), { reset: 0 });
  const atC = lr.cnt.trunc(pw).eq(c);
  m.seq('row_terms', ($) => {
    $.if(go, () => $.set(sumRt, 0)).elseIf(rsum.fire, () => $.set(sumRt, sumRt.add(rIn.rt).trunc(rtW + bw)));
    $.if(rsum.fire.and(atC), () => {
      $.set(rtC, rIn.rt);
      $.set(ndC, rIn.nd);
    });
  });
  if (v !== 'E') m.unused(sumRt);
  if (v !== 'E' && v !== 'J') m.unused(rtC);
  if (v !== 'P' && v !== 'F') m.unused(ndC);
  const loaded = lk.cnt.eq(Bc).and(lz.cnt.eq(Bc)).and(lr.cnt.eq(Bc));

  // zc loader: any time in the call, n words into the z memory (pos, z_c)
  const zcCnt = m.reg('zc_count_q', uint(cw), { reset: 0 });
  m.assign(zc.ready, state.ne(constant(S.IDLE, uint(3))).and(zcCnt.lt(nSel)));
  const zmem = m.memory('zc_mem', { depth: maxN, type: zc.data.type });
  zmem.write(zcCnt.trunc(jw), zc.data, zc.fire);

  // ---- COEF: one slot per cycle, three stages → coef memory
  const pc = m.reg('coef_p_q', uint(bw), { reset: 0 });
  // zwSlots 'all' overlaps the phase changes (the short call is on the chip's critical path): slot p issues in LOAD
  // once the K rows and row sums are in (Σ Rt complete) and its kz word is (the K_Z row, which arrives last on the
  // chip, then meets its coefficients one a cycle as its words come)
  const coefPhase = wide ? is(S.COEF).or(is(S.LOAD).and(lk.cnt.eq(Bc)).and(lr.cnt.eq(Bc)).and(lz.cnt.gt(pc))) : is(S.COEF);
  const cIssue = m.wire('coef_issue', coefPhase.and(pc.lt(Bc)));
  const pa = pc.trunc(pw);
  const memOf = (l: { mem: Memory | null }): Memory => {
    if (!l.mem) throw new Error('modulator: a stream this variant needs was not stored');
    return l.mem;
  };
  // the slot's K word and row sums as wires (read once, only by the variants that store them): W below is formed
  // in a gated process, which reads them as signals
  let kRdW: Signal | null = null;
  let rRdW: Signal | null = null;
  const kt = (): Expr => {
    const kw = (kRdW ??= m.wire('kxy_rd', memOf(lk).readAsync(pa)));
    return kw.trunc(wk).shl(fg).sub(kw.shr(wk).mul(gam));
  };
  const rP = (): { rt: Expr; nd: Expr } => rowTerms((rRdW ??= m.wire('rsum_rd', memOf(lr).readAsync(pa))));
  const Bs = sconst(B);
  let W: Expr;
  switch (v) {
    case 'E':
      W = Bs.mul(rtC).add(Bs.mul(rP().rt)).sub(sumRt).sub(sconst(B * B).mul(kt()));
      break;
    case 'J':
      W = rtC.sub(Bs.mul(kt()));
      break;
    case 'P':
      W = ndC;
      break;
    case 'F':
      W = rP().nd.add(ndC);
      break;
  }
  const Wq = gatedPipe(m, 'w_q', W, { reset: 0, enable: cIssue });
  const kq = m.pipe('kz_q', memOf(lz).readAsync(pa), { reset: 0, enable: cIssue });
  const cv1 = m.pipe('c1_valid_q', cIssue, { reset: 0 });
  const cp1 = m.pipe('c1_p_q', pa, { reset: 0, enable: cIssue });
  const u = gatedPipe(m, 'u_q', rnd(Wq.mul(kq.toSigned()), FK.fracBits), { reset: 0, enable: cv1 });
  const cv2 = m.pipe('c2_valid_q', cv1, { reset: 0 });
  const cp2 = m.pipe('c2_p_q', cp1, { reset: 0, enable: cv1 });
  // one product per distinct mantissa (widths that differ by a power of two share it; only the shift differs)
  const mantissas = [...new Set(scales.map((sc) => sc.m))];
  const prods = mantissas.map((mm, i) => m.wire(`u_scaled${mantissas.length > 1 ? i : ''}`, u.mul(constant(mm, uint(bitsOf(mm))).toSigned())));
  const cRaw = byLayer(
    layerQ,
    scales.map((sc) => rnd(prods[mantissas.indexOf(sc.m)], sc.s + cShift)),
  );
  const cs = saturate(m, cRaw, FC);
  const isC2 = cp2.eq(c);
  const coefIn = smux(isC2, constant(0, sint(width(FC))), cs.value).resize(width(FC));
  // one slot at a time: a B-word memory; all slots at once: B registers
  const coefMem = wide ? null : m.memory('coef_mem', { depth: B, type: sint(width(FC)) });
  const coefRegs = wide ? Array.from({ length: B }, (_, p) => m.reg(`coef_${p}_q`, sint(width(FC)), { reset: 0 })) : [];
  if (coefMem) coefMem.write(cp2, coefIn, cv2);
  else m.seq('coef_regs', ($) => coefRegs.forEach((r, p) => $.if(cv2.and(cp2.eq(p)), () => $.set(r, coefIn))));
  // 'all': XI may start while the last coefficient is written (its first products read the registers a cycle later)
  const coefDone = wide ? pc.eq(Bc).and(cv1.not()) : pc.eq(Bc).and(cv1.not()).and(cv2.not());

  // ---- XI: Σ_p c_p (zw_c − zw_p) per row; stage x1 the products, x2 the row sum (sv, ssum, sj), x3 ξ, x4 ξ·z
  const xiStream = wide ? xiAllSlots() : xiOneSlot();
  const { xj, pv, sv, ssum, sj } = xiStream;

  /** The row counter j of the window stream (row j is accepted only after zc word j). */
  function rowCounter() {
    const xj = m.reg('xi_j_q', uint(cw), { reset: 0 });
    m.assign(zw.ready, is(S.XI).and(xj.lt(nSel)).and(zcCnt.gt(xj)));
    return xj;
  }

  /** One window word per cycle (row j: slot c first, then ring order); a multiply-accumulate over the row. */
  function xiOneSlot() {
    const xi = m.reg('xi_i_q', uint(pw), { reset: 0 });
    const xq = m.reg('xi_slot_q', uint(pw), { reset: 0 });
    const xj = rowCounter();
    const zcCap = m.reg('zw_c_q', zw.data.type, { reset: 0 });
    const dz = zcCap.sub(zw.data);
    const prod = (coefMem as Memory).readAsync(xq).mul(dz);
    const take = zw.fire.and(xi.ne(0));
    const pv = m.pipe('x1_valid_q', take, { reset: 0 });
    const pq = m.pipe('x1_prod_q', prod, { reset: 0, enable: take });
    const pFirst = m.pipe('x1_first_q', xi.eq(1), { reset: 0, enable: take });
    const pLast = m.pipe('x1_last_q', xi.eq(Bm1), { reset: 0, enable: take });
    const pj = m.pipe('x1_j_q', xj.trunc(jw), { reset: 0, enable: take });
    const accW = pq.width + bitsOf(B);
    const accQ = m.reg('x_acc_q', sint(accW), { reset: 0 });
    const accNext = m.wire('x_acc_next', smux(pFirst, pq.sext(accW), accQ.add(pq).trunc(accW)).resize(accW));
    const sv = m.pipe('x2_valid_q', pv.and(pLast), { reset: 0 });
    const ssum = m.pipe('x2_sum_q', accNext, { reset: 0, enable: pv.and(pLast) });
    const sj = m.pipe('x2_j_q', pj, { reset: 0, enable: pv.and(pLast) });
    m.seq('x_acc_q', ($) => $.if(pv, () => $.set(accQ, accNext)));
    const enter = ($: ProcScope) => {
      $.set(xi, 0);
      $.set(xq, c);
      $.set(xj, 0);
    };
    const step = ($: ProcScope) => {
      $.if(zw.fire, () => {
        $.if(xi.eq(0), () => $.set(zcCap, zw.data));
        $.if(xi.eq(Bm1), () => {
          $.set(xi, 0);
          $.set(xj, xj.addWrap(1));
        }).else(() => $.set(xi, xi.addWrap(1)));
        $.if(xq.eq(Bm1), () => $.set(xq, 0)).else(() => $.set(xq, xq.addWrap(1)));
      });
    };
    return { xj, pv, sv, ssum, sj, enter, step };
  }

  /**
   * Row j of every slot in one beat (slot p in bits [p·w, (p+1)·w)): B products c_p·(zw_cj − zw_pj) (c_c = 0, so
   * the slot-c term is zero) and an exact adder tree (each level one bit wider: no sum is ever truncated).
   */
  function xiAllSlots() {
    const xj = rowCounter();
    const lanes = Array.from({ length: B }, (_, p) => zw.data.slice((p + 1) * wwz - 1, p * wwz).asSigned());
    const zwc = m.wire('zw_c', select(c, lanes, lanes[0]));
    const take = zw.fire;
    const pv = m.pipe('x1_valid_q', take, { reset: 0 });
    let terms: Expr[] = lanes.map((z, p) => m.pipe(`x1_prod${p}_q`, coefRegs[p].mul(zwc.sub(z)), { reset: 0, enable: take }));
    const pj = m.pipe('x1_j_q', xj.trunc(jw), { reset: 0, enable: take });
    while (terms.length > 1) {
      const next: Expr[] = [];
      for (let i = 0; i + 1 < terms.length; i += 2) next.push(terms[i].add(terms[i + 1]));
      if (terms.length % 2) next.push(terms[terms.length - 1]);
      terms = next;
    }
    const sv = m.pipe('x2_valid_q', pv, { reset: 0 });
    const ssum = m.pipe('x2_sum_q', terms[0], { reset: 0, enable: pv });
    const sj = m.pipe('x2_j_q', pj, { reset: 0, enable: pv });
    const enter = ($: ProcScope) => $.set(xj, 0);
    const step = ($: ProcScope) => {
      $.if(zw.fire, () => $.set(xj, xj.addWrap(1)));
    };
    return { xj, pv, sv, ssum, sj, enter, step };
  }
  const xs = saturate(m, rnd(ssum, FC.fracBits + FWZ.fracBits - FX.fracBits), FX);
  const xv = m.pipe('x3_valid_q', sv, { reset: 0 });
  const xiQ = m.pipe('x3_xi_q', xs.value, { reset: 0, enable: sv });
  const xj3 = m.pipe('x3_j_q', sj, { reset: 0, enable: sv });
  // one read port on the z memory: the row in flight in XI, the issued row in DELTA
  const { adv, load } = stalledOutput(m, out);
  const jd = m.reg('delta_j_q', uint(cw), { reset: 0 });
  const inDelta = is(S.DELTA);
  const zr = zmem.readSync('zc_rd', mux(inDelta, jd.trunc(jw), sj), inDelta.not().or(adv));
  const zrz = zr.trunc(wz).asSigned();
  const ximem = m.memory('xi_mem', { depth: maxN, type: sint(width(FX)) });
  ximem.write(xj3, xiQ, xv);
  const g1W = width(FX) + bitsOf(maxN);
  const g2W = width(FX) + wz + bitsOf(maxN);
  const G1 = m.reg('g1_q', sint(g1W), { reset: 0 });
  const G2 = m.reg('g2_q', sint(g2W), { reset: 0 });
  const gv = m.pipe('x4_valid_q', xv, { reset: 0 });
  const pz = gatedPipe(m, 'x4_xz_q', xiQ.mul(zrz), { reset: 0, enable: xv });
  m.seq('g_sums', ($) => {
    $.if(go, () => {
      $.set(G1, 0);
      $.set(G2, 0);
    }).else(() => {
      $.if(xv, () => $.set(G1, G1.add(xiQ).trunc(g1W)));
      $.if(gv, () => $.set(G2, G2.add(pz).trunc(g2W)));
    });
  });
  // 'all': straight to DELTA while the last ξ·z is added (G2 final a cycle later, the registered means one
  // more: the first δ row needs M2 in stage d1, M1 in d2, one and two cycles after its issue)
  const xiDone = wide ? xj.eq(nSel).and(pv.not()).and(sv.not()).and(xv.not()) : xj.eq(nSel).and(pv.not()).and(sv.not()).and(xv.not()).and(gv.not());

  // ---- MEAN
  // bounds from the word formats alone (hold for any input): |ξ| ≤ 2^(wξ−1), |z| ≤ 2^(wz−1), so
  // |M1| ≤ 2^(wξ−1+g), |M2| ≤ 2^(wξ+wz−2+g−f_z), |rnd(z·M2, f_z)| ≤ 2^(wz−1)·|M2|/2^f_z (+1), |T| ≤ their sum
  const wx = width(FX);
  // (a width n that is not a power of two: the spec's 1/n is within 2^−constBits of it, n·(1/n) ≤ nc, + 1 for the rounding)
  const nc = Math.max(...H.map((h) => h.n * h.invN.effective));
  const extra = nc === 1 ? 0 : 1;
  const m1Max = 2 ** (wx - 1 + g) * nc + extra;
  const m2Max = Math.max(1, 2 ** (wx + wz - 2 + g - FZ.fracBits) * nc + extra);
  const tMax = 2 * m1Max + Math.ceil(2 ** (wz - 1 - FZ.fracBits) * m2Max) + 1;
  const m1v = fitS(byLayer(layerQ, H.map((h) => scaleRnd(G1, h.invN, -g))), sbits(m1Max));
  const m2v = fitS(byLayer(layerQ, H.map((h) => scaleRnd(G2, h.invN, FZ.fracBits - g))), sbits(m2Max));
  // 1: loaded in the MEAN state; 'all' (no MEAN state): follow G1, G2 every cycle (they hold still in DELTA)
  const meanEnable = wide ? {} : { enable: is(S.MEAN) };
  const M1 = m.pipe('m1_q', m1v, { reset: 0, ...meanEnable });
  const M2 = m.pipe('m2_q', m2v, { reset: 0, ...meanEnable });

  // ---- DELTA: stalled by the output
  const dIssue = m.wire('delta_issue', inDelta.and(jd.lt(nSel)));
  const xr = ximem.readSync('xi_rd', jd.trunc(jw), adv);
  const d1v = m.pipe('d1_valid_q', dIssue, { reset: 0, enable: adv });
  const d1l = m.pipe('d1_last_q', jd.eq(nSel.subWrap(constant(1, uint(cw)))), { reset: 0, enable: adv });
  // the two products are taken only with their stage's valid item (gatedPipe: formed in a comb process only
  // then); the other stage registers follow adv as before
  const pzm = gatedPipe(m, 'd2_zm2_q', zrz.mul(M2), { reset: 0, enable: adv.and(d1v) });
  const x2 = m.pipe('d2_xi_q', xr, { reset: 0, enable: adv });
  const pos2 = m.pipe('d2_pos_q', zr.msb(), { reset: 0, enable: adv });
  const d2v = m.pipe('d2_valid_q', d1v, { reset: 0, enable: adv });
  const d2l = m.pipe('d2_last_q', d1l, { reset: 0, enable: adv });
  const T = fitS(x2.shl(g).sub(M1).sub(rnd(pzm, FZ.fracBits)), sbits(tMax));
  const P = gatedPipe(m, 'd3_p_q', T.mul(sInv.toSigned()), { reset: 0, enable: adv.and(d2v) });
  const pos3 = m.pipe('d3_pos_q', pos2, { reset: 0, enable: adv });
  const d3v = m.pipe('d3_valid_q', d2v, { reset: 0, enable: adv });
  const d3l = m.pipe('d3_last_q', d2l, { reset: 0, enable: adv });
  const ds = saturate(m, rnd(P, g + FX.fracBits + FS.fracBits - FD.fracBits), FD);
  const finish = load(d3v, smux(pos3, ds.value, constant(0, sint(width(FD)))).resize(width(FD)), d3l);

  // ---- sequencing
  m.seq('control', ($) => {
    $.if(go, () => {
      $.set(state, S.LOAD);
      $.set(layerQ, layer);
      $.set(c, slot);
      $.set(sInv, sInvIn);
      $.set(lk.cnt, 0);
      $.set(lz.cnt, 0);
      $.set(lr.cnt, 0);
      $.set(zcCnt, 0);
      $.set(pc, 0);
      $.set(jd, 0);
    });
    $.if(kxy.fire, () => $.set(lk.cnt, lk.cnt.addWrap(1)));
    $.if(kz.fire, () => $.set(lz.cnt, lz.cnt.addWrap(1)));
    $.if(rsum.fire, () => $.set(lr.cnt, lr.cnt.addWrap(1)));
    $.if(zc.fire, () => $.set(zcCnt, zcCnt.addWrap(1)));
    $.if(is(S.LOAD).and(loaded), () => $.set(state, S.COEF));
    $.if(cIssue, () => $.set(pc, pc.addWrap(1)));
    $.if(is(S.COEF).and(coefDone), () => {
      $.set(state, S.XI);
      xiStream.enter($);
    });
    xiStream.step($);
    $.if(is(S.XI).and(xiDone), () => $.set(state, wide ? S.DELTA : S.MEAN));
    $.if(is(S.MEAN), () => $.set(state, S.DELTA));
    $.if(adv.and(dIssue), () => $.set(jd, jd.addWrap(1)));
    $.if(finish, () => $.set(state, S.IDLE));
  });
  m.output('busy', state.ne(constant(S.IDLE, uint(3))));
  m.output('done', m.pipe('done_q', finish, { reset: 0 }));

  satCounter(m, 'coef', go, cv2.and(isC2.not()).and(cs.hi.or(cs.lo)), B);
  satCounter(m, 'xi', go, sv.and(xs.hi.or(xs.lo)), maxN);
  satCounter(m, 'delta', go, adv.and(d3v).and(pos3).and(ds.hi.or(ds.lo)), maxN);
  return m.build();
}

/** The layout of the stream words, for the chip top and the tests. */
export function modulatorWords(cfg: ChipConfig): { gramBits: number; rowSumBits: number; zBits: number } {
  const N = resolveNumeric(cfg.numeric);
  return { gramBits: width(N.gram.format), rowSumBits: width(N.rowSum.format), zBits: width(N.act.format) };
}

