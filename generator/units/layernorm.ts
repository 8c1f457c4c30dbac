/**
 * LAYERNORM-FORWARD unit: a hidden layer's pre-activations → relu → parameter-free LayerNorm → z, bit-exact
 * with the fixed-point golden model (sim/golden/fixed/forward.ts: preactWord, layerNormRelu, windowZ).
 *
 * One call normalises one hidden layer (n outputs, `layer` selects which):
 *   ACC   n accumulator words Σ_i W_ji h_i + b_j (the exact forward sum, fraction f_w + f_h) arrive on
 *         s_axis_acc, row j = 0 … n−1 in order, one word per row; a_j = sat_preact(resize(acc_j)) with the
 *         preact rounding, r_j = max(a_j, 0) kept in a block RAM; S1 = Σ r, S2 = Σ r² exact.
 *   VAR   V = n·S2 − S1² (= n²·var, exact), v = sat_lnVar(rnd(V·m₂, s₂ + 2f_a − f_var) + ε), m₂·2^−s₂ the spec's
 *         constant 1/n² (n = 2^k: m₂ = 1, s₂ = 2k, a shift).
 *   RSQRT s⁻¹ = rsqrt(v) from the table block (tbl_rsqrt…, 4 cycles), kept per layer for the modulator.
 *   NORM  z_j = sat_act(rnd((n·r_j − S1)·s⁻¹·m₁, s₁ + f_a + f_s − f_z)), m₁·2^−s₁ the spec's 1/n (n = 2^k: a
 *         shift by k), zw_j = resize_windowZ(z_j), streamed
 *         out on m_axis_z with back-pressure, j = 0 … n−1, tlast on j = n−1.
 * rnd(x, k) = ⌊(x + 2^(k−1)) / 2^k⌋ (round half up); every sum and product is exact (widths from the formats).
 *
 * Ports:   clk, rst (synchronous, active high)
 *          start      in   1-cycle pulse in idle: begin a call; `layer` is sampled with it (ignored while busy)
 *          layer      in   hidden-layer index (0 = network layer 1)
 *          busy       out  high from the cycle after start through the cycle of the last z transfer
 *          done       out  1-cycle pulse in the cycle after the last z transfer (busy is already low)
 *          s_axis_acc_{tvalid,tready,tdata}   in stream, tdata sint(acc.forward): n accumulator words
 *          m_axis_z_{tvalid,tready,tdata,tlast} out stream, tdata = {pos, zw, z}: bit [wz+wzw] = (a_j > 0)
 *                     (relu′ for the modulator), [wz+wzw−1 : wz] = zw_j raw windowZ (to the working memory),
 *                     [wz−1 : 0] = z_j raw act (the next layer's input and the modulator's z_c)
 *          s_inv_<l>  out  s⁻¹ (raw lnInvStd) of hidden layer l's last call, one port per hidden layer: valid from
 *                     that call's NORM phase on and held until the layer's next call (the modulator's s_inv)
 *          stats      out  1-cycle pulse in the first cycle of NORM: the call's statistics are final, s_inv_<l> holds
 *                     its s⁻¹, and z words follow (a consumer of the whole z vector, e.g. the K_Z row and the
 *                     modulator call of this layer, may start and read each z word once it has left)
 *          sat_preact, sat_var, sat_inv_std, sat_act, sat_window_z  out  saturations in this call (cleared by
 *                     start): words clamped into preact, v clamped into lnVar, the rsqrt output clamped, z
 *                     clamped into act, zw clamped into windowZ
 * Cycles:  a call without stalls takes 2n + 14 cycles from the edge that samples start to the edge of the last z
 *          transfer (done is high in the next cycle): n + 1 (ACC) + 2 (sums drain) + 2 (VAR) + 5 (RSQRT) + n + 4
 *          (NORM: one word per cycle after the pipeline fills); the ideal for one word per cycle in and out is 2n.
 */
import { fromReal, toHls, width } from '../fixed/index.js';
import { ModuleBuilder, cat, constant, mux, sint, uint, type Module } from '../ir/index.js';
import { resizeHw, tableLookup, TABLE_LATENCY } from '../lib/arith/index.js';
import { streamIn, streamOut } from '../lib/stream/index.js';
import { configHash, type ChipConfig } from '../config.js';
import { chipTables, resolveNumeric } from '../numeric.js';
import { bitsOf, byLayer, constByLayer, gatedPipe, hiddenLayers, layerPort, mulByConst, satCounter, saturate, scaleRnd, stalledOutput } from './common.js';

export const LAYERNORM_MODULE = 'layernorm';

/** Cycles of a call without stalls, for n outputs: from the edge that samples start to the edge of the last z transfer, inclusive. */
export function layernormCycles(n: number): number {
  return 2 * n + 14;
}

export function layernorm(cfg: ChipConfig): Module {
  const N = resolveNumeric(cfg.numeric);
  const H = hiddenLayers(cfg, 'layernorm', N.constBits);
  const L = cfg.layers.length - 1;
  const maxN = Math.max(...H.map((h) => h.n));
  const lgMax = bitsOf(Math.max(maxN - 1, 1)); // Σ of n words of w bits < 2^(w + ⌈log2 n⌉)
  const FA = N.preact.format;
  const FZ = N.act.format;
  const FWZ = N.windowZ.format;
  const FV = N.lnVar.format;
  const FS = N.lnInvStd.format;
  const wa = width(FA);
  const wz = width(FZ);
  const wzw = width(FWZ);
  const accW = N.acc.forward;
  const fAcc = H.map((h) => N.weight.format.fracBits + (h.index === 0 ? N.input.format : FZ).fracBits);
  const epsRaw = fromReal(cfg.lnEps, FV, 'nearest', 'saturate');
  if (epsRaw === 0) throw new RangeError(`layernorm: lnEps ${cfg.lnEps} rounds to 0 in the lnVar format ${toHls(FV)}; the smallest ε it holds is 2^−${FV.fracBits}`);
  const rsqrtFn = chipTables(N, cfg.layers[L]).rsqrt;

  const m = new ModuleBuilder(LAYERNORM_MODULE, {
    config: configHash(cfg),
    hidden: H.map((h) => h.n),
    acc: accW,
    preact: toHls(FA),
    act: toHls(FZ),
    windowZ: toHls(FWZ),
    lnVar: toHls(FV),
    lnInvStd: toHls(FS),
    eps: epsRaw,
    cycles: '2n + 14',
  });
  m.clock();
  const start = m.input('start', uint(1));
  const layer = layerPort(m, H);
  const acc = streamIn(m, 'acc', sint(accW));
  const out = streamOut(m, 'z', uint(1 + wzw + wz), { last: true });

  // ---- control
  const S = { IDLE: 0, ACC: 1, VAR1: 2, VAR2: 3, RSQRT: 4, NORM: 5 };
  const state = m.reg('state_q', uint(3), { reset: S.IDLE });
  const is = (s: number) => state.eq(constant(s, uint(3)));
  const go = m.wire('go', start.and(is(S.IDLE)));
  const layerQ = m.reg('layer_q', layer.type, { reset: 0 });
  if (H.length === 1) m.unused(layerQ);
  const nSel = m.wire('n_sel', constByLayer(layerQ, H.map((h) => h.n)).zext(bitsOf(maxN)));
  const cw = bitsOf(maxN);

  // ---- ACC: accept, resize, relu, sums
  const cnt = m.reg('acc_count_q', uint(cw), { reset: 0 });
  m.assign(acc.ready, is(S.ACC).and(cnt.lt(nSel)));
  const pre = H.map((_, i) => resizeHw(m, acc.data, fAcc[i], FA, N.preact.rounding, 'saturate', null));
  const aVal = byLayer(layerQ, pre.map((p) => p.value));
  const aHi = byLayer(layerQ, pre.map((p) => p.satHi ?? constant(0, uint(1))));
  const aLo = byLayer(layerQ, pre.map((p) => p.satLo ?? constant(0, uint(1))));
  const a = m.wire('a', aVal);
  const rW = wa - 1;
  const relu = mux(a.msb(), constant(0, uint(rW)), a.trunc(rW).asUnsigned());
  const jw = bitsOf(maxN - 1);
  const r0 = m.pipe('r0_q', relu, { reset: 0, enable: acc.fire });
  const j0 = m.pipe('j0_q', cnt.trunc(jw), { reset: 0, enable: acc.fire });
  const v0 = m.pipe('v0_q', acc.fire, { reset: 0 });
  const rmem = m.memory('r_mem', { depth: maxN, type: uint(rW) });
  rmem.write(j0, r0, v0);
  const rr = gatedPipe(m, 'rr1_q', r0.mul(r0), { reset: 0, enable: v0 });
  const v1 = m.pipe('v1_q', v0, { reset: 0 });
  const s1W = rW + lgMax;
  const s2W = 2 * rW + lgMax;
  const S1 = m.reg('s1_q', uint(s1W), { reset: 0 });
  const S2 = m.reg('s2_q', uint(s2W), { reset: 0 });
  m.seq('sums', ($) => {
    $.if(go, () => {
      $.set(S1, 0);
      $.set(S2, 0);
    }).else(() => {
      $.if(v0, () => $.set(S1, S1.add(r0).trunc(s1W)));
      $.if(v1, () => $.set(S2, S2.add(rr).trunc(s2W)));
    });
  });

  // ---- VAR: V = n·S2 − S1², v = sat(rnd(V, 2k + 2f_a − f_var) + ε)
  const nS2 = byLayer(layerQ, H.map((h) => mulByConst(S2, h.n)));
  const V = m.wire('v_exact', nS2.sub(S1.mul(S1)));
  const Vq = m.pipe('v_q', V, { reset: 0, enable: is(S.VAR1) });
  const vR = byLayer(
    layerQ,
    H.map((h) => scaleRnd(Vq, h.invN2, 2 * FA.fracBits - FV.fracBits)),
  );
  const vSat = saturate(m, vR.add(constant(epsRaw, sint(bitsOf(epsRaw) + 1))), FV);
  const vin = m.pipe('var_q', vSat.value, { reset: 0, enable: is(S.VAR2) });
  // the table computes only in RSQRT, where var_q holds the variance from the state's first cycle on (x_valid)
  const tbl = m.instance('rsqrt', tableLookup(rsqrtFn, { valid: true }), { x: vin, x_valid: is(S.RSQRT) });
  const tw = bitsOf(TABLE_LATENCY + 1);
  const tc = m.reg('rsqrt_wait_q', uint(tw), { reset: 0 });
  const tblDone = tc.eq(constant(TABLE_LATENCY, uint(tw)));
  const capture = is(S.RSQRT).and(tblDone);
  const sInv = m.pipe('s_inv_q', tbl.out('y'), { reset: 0, enable: capture });
  for (const h of H) {
    const mine = H.length === 1 ? capture : capture.and(layerQ.eq(constant(h.index, layerQ.type)));
    m.output(`s_inv_${h.index}`, m.pipe(`s_inv_layer${h.index}_q`, tbl.out('y'), { reset: 0, enable: mine }));
  }

  // ---- NORM: z = sat(rnd((n r − S1)·s⁻¹, k + f_a + f_s − f_z)), zw = resize(z), stalled by the output
  const { adv, load } = stalledOutput(m, out);
  const jn = m.reg('norm_j_q', uint(cw), { reset: 0 });
  const issue = m.wire('issue', is(S.NORM).and(jn.lt(nSel)));
  const rd = rmem.readSync('r_rd', jn.trunc(jw), adv);
  const v1n = m.pipe('n1_valid_q', issue, { reset: 0, enable: adv });
  const last1 = m.pipe('n1_last_q', jn.eq(nSel.subWrap(constant(1, uint(cw)))), { reset: 0, enable: adv });
  const nr = byLayer(layerQ, H.map((h) => mulByConst(rd, h.n)));
  const t = nr.sub(S1.zext(nr.width));
  const P = m.pipe('p2_q', t.mul(sInv.toSigned()), { reset: 0, enable: adv });
  const v2n = m.pipe('n2_valid_q', v1n, { reset: 0, enable: adv });
  const last2 = m.pipe('n2_last_q', last1, { reset: 0, enable: adv });
  const pos2 = m.pipe('n2_pos_q', rd.ne(0), { reset: 0, enable: adv });
  const kz = FA.fracBits + FS.fracBits - FZ.fracBits;
  const zR = byLayer(layerQ, H.map((h) => scaleRnd(P, h.invN, kz)));
  const zs = saturate(m, zR, FZ);
  const zv = m.wire('z', zs.value);
  const zwr = resizeHw(m, zv, FZ.fracBits, FWZ, N.windowZ.rounding, 'saturate', null);
  const finish = load(v2n, cat(pos2, zwr.value.asUnsigned(), zv.asUnsigned()), last2);

  // ---- sequencing
  m.seq('control', ($) => {
    $.if(go, () => {
      $.set(state, S.ACC);
      $.set(layerQ, layer);
      $.set(cnt, 0);
      $.set(jn, 0);
    });
    $.if(acc.fire, () => $.set(cnt, cnt.addWrap(1)));
    $.if(is(S.ACC).and(cnt.eq(nSel)).and(v0.not()).and(v1.not()), () => $.set(state, S.VAR1));
    $.if(is(S.VAR1), () => $.set(state, S.VAR2));
    $.if(is(S.VAR2), () => {
      $.set(state, S.RSQRT);
      $.set(tc, 0);
    });
    $.if(is(S.RSQRT), () => {
      $.set(tc, tc.addWrap(1));
      $.if(tblDone, () => $.set(state, S.NORM));
    });
    $.if(adv.and(issue), () => $.set(jn, jn.addWrap(1)));
    $.if(finish, () => $.set(state, S.IDLE));
  });
  m.output('busy', state.ne(constant(S.IDLE, uint(3))));
  m.output('stats', m.pipe('stats_q', capture, { reset: 0 }));
  m.output('done', m.pipe('done_q', finish, { reset: 0 }));

  // ---- per-call saturation counters
  const satAct = adv.and(v2n).and(zs.hi.or(zs.lo));
  const satWz = adv.and(v2n).and((zwr.satHi ?? constant(0, uint(1))).or(zwr.satLo ?? constant(0, uint(1))));
  satCounter(m, 'preact', go, acc.fire.and(aHi.or(aLo)), maxN);
  satCounter(m, 'var', go, is(S.VAR2).and(vSat.hi), 1);
  satCounter(m, 'inv_std', go, is(S.RSQRT).and(tblDone).and(tbl.out('sat')), 1);
  satCounter(m, 'act', go, satAct, maxN);
  satCounter(m, 'window_z', go, satWz, maxN);
  return m.build();
}
