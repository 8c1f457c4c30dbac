/**
 * KERNEL UNIT (module `kernel`): every table function of the chip behind one request/response stream, bit-exact
 * with the fixed-point golden model (sim/golden/fixed: kernel words of the Gram rows, the softmax exp, the
 * LayerNorm rsqrt and the softmax reciprocal, all from chipTables).
 *
 * Requests  s_axis_req_tdata = {fn[FB−1:0], arg[AW−1:0]}, tlast passed through to the response.
 *   fn = k < K   (K = window vector kinds: 0 = pixels, l = stored z of hidden layer l; the Gram array's kind tag)
 *                arg = exact squared distance d (uint, distBits);
 *                t = min(rnd(d·m_k, s_k + e_k), max kernelArg)  (ConstScale κ_k = m_k·2^−s_k, e_k brings d to
 *                kernelArg units: e_0 = −f_t for pixels, e_l = 2 f_wz − f_t), y = expNeg(t)      → gram word
 *                κ_0 = 4/(2^16·2σx²·dim) (the models read pixel p as (2p − 255)/2^8), κ_l = 1/(2σz²·n_l)
 *   fn = K       K_Y word: arg = {label_c, label_q} (labelBits each); y = 1.0 if equal, else expNeg(t_y),
 *                t_y = min(rnd(2/(2σy²·C)), max kernelArg) — a constant of the configuration
 *   fn = K + 1   softmax numerator exp(o − max o): arg = o − max o (sint, logit width + 1)        → prob
 *   fn = K + 2   LayerNorm 1/√(var + ε): arg = var + ε (lnVar raw)                                  → lnInvStd
 *   fn = K + 3   1/Σ e: arg = Σ of the C numerators (sumFormat(prob, C))                            → UQ1.f_prob
 *   other fn     y = 0 (no flag)
 * Responses m_axis_rsp_tdata = {sat_arg, sat_out, y[YW−1:0]} (y zero-extended): sat_arg = t was clamped to the
 *   kernelArg maximum (the golden model's kernelArg counter), sat_out = the table clamped its output (the counter
 *   of the result's quantity: gram, prob or lnInvStd).
 *
 * Timing: one request per cycle; responses in request order. A request transferred at edge i is presented on
 *   m_axis_rsp from just after edge i + KERNEL_LATENCY (7) when the sink is ready: input register, κ product,
 *   rounding and clamp, the 4-cycle table (generator/lib/arith/table.ts), then an output FIFO. The pipeline never
 *   stalls; a credit counter admits a request only while the FIFO is sure to have room for it, so back-pressure
 *   on m_axis_rsp reaches s_axis_req_tready (a register) without a combinational path.
 */
import { fromReal, maxRawNum, width, ConstScale, type TableFunction } from '../fixed/index.js';
import { ModuleBuilder, cat, constant, mux, select, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import type { ChipConfig } from '../config.js';
import { chipTables } from '../numeric.js';
import { fifo, streamIn, streamOut } from '../lib/stream/index.js';
import { constMulWrap, tableLookup, TABLE_LATENCY } from '../lib/arith/index.js';
import { bitsOf } from '../lib/arith/common.js';
import { unitShapes, type UnitShapes } from './shapes.js';

export const KERNEL_LATENCY = 3 + TABLE_LATENCY;
/** Module names: the whole unit, and the unit with the kernel words and K_Y only (KernelOptions.functions). */
export const KERNEL_MODULE = 'kernel';
export const KERNEL_WORDS_MODULE = 'kernel_words';
/** The models read pixel p as x = (2p − 255)/2^PIXEL_SHIFT (sim/data.ts), so ‖x_c − x_q‖² = 4·d_pix/2^(2·PIXEL_SHIFT). */
const PIXEL_SHIFT = 8;
/** Words the output FIFO holds; also the credit limit (≥ latency + 1 for one response per cycle). */
const KERNEL_FIFO_DEPTH = 16;

export interface KernelConstants {
  /** per vector kind: κ as mantissa m and shift s, and the extra shift e into kernelArg units */
  kappa: { m: number; s: number; e: number }[];
  /** the K_Y word of two samples with different labels, and 1.0 in gram units */
  kyDiff: number;
  one: number;
  tables: { expNeg: TableFunction; exp: TableFunction; rsqrt: TableFunction; recip: TableFunction };
}

/** The kernel unit's constants for a configuration (the golden model reports the same κ as kappaX, kappaZ<l>). */
export function kernelConstants(cfg: ChipConfig, sh: UnitShapes = unitShapes(cfg)): KernelConstants {
  const N = sh.N;
  const cb = N.constBits;
  const [sx, sy, sz] = cfg.sigma;
  const fT = N.kernelArg.format.fracBits;
  const fZ = N.windowZ.format.fracBits;
  const kappa = sh.kinds.map((k, i) => {
    // the golden model's expressions in its evaluation order (sim/golden/fixed/kernel.ts kernelParams): the
    // constant is part of the specification
    const c = i === 0 ? new ConstScale(4 / (2 ** (2 * PIXEL_SHIFT) * 2 * sx * sx * k.len), cb) : new ConstScale(1 / (2 * (sz * sz * k.len)), cb);
    return { m: c.m, s: c.s, e: i === 0 ? -fT : 2 * fZ - fT };
  });
  const tables = chipTables(N, sh.classes);
  const tY = Math.min(fromReal(2 / (2 * sy * sy * sh.classes), N.kernelArg.format, 'nearest', 'saturate'), maxRawNum(N.kernelArg.format));
  return { kappa, kyDiff: tables.expNeg.eval(tY), one: 2 ** N.gram.format.fracBits, tables };
}

/** Function codes and field widths of the request and response words. */
export function kernelCodes(cfg: ChipConfig, sh: UnitShapes = unitShapes(cfg)) {
  const K = sh.kinds.length;
  const t = kernelConstants(cfg, sh).tables;
  const argBits = Math.max(sh.distBits, 2 * sh.labelBits, width(t.exp.inFormat), width(t.rsqrt.inFormat), width(t.recip.inFormat));
  const yBits = Math.max(width(t.expNeg.outFormat), width(t.exp.outFormat), width(t.rsqrt.outFormat), width(t.recip.outFormat));
  return { KY: K, EXP: K + 1, RSQRT: K + 2, RECIP: K + 3, fnBits: bitsOf(K + 3), argBits, yBits };
}

/** rnd(p / 2^k) half up for k > 0, p·2^−k for k ≤ 0 (p unsigned). */
function roundShift(p: Expr, k: number): Expr {
  if (k <= 0) return p.shl(-k);
  const x = p.zext(Math.max(p.width, k) + 1);
  return x.add(constant(2n ** BigInt(k - 1), uint(x.width))).shr(k);
}

/** min(v, max) as uint(bitsOf(max)); `sat` is whether it clamped. */
function clampTo(v: Expr, max: number): { value: Expr; sat: Expr } {
  const w = bitsOf(max);
  const ww = Math.max(v.width, w);
  const vx = v.width < ww ? v.zext(ww) : v;
  const sat = vx.gt(constant(max, uint(ww)));
  return { value: mux(sat, constant(max, uint(ww)), vx).trunc(w), sat };
}

/** Module `kernel`: see the file comment. */
export interface KernelOptions {
  /**
   * 'all' (default): every function above; 'kernel' (module kernel_words): the kernel words and the K_Y word
   * only (fn ≤ K), as the
   * chip uses the unit (its output layer and LayerNorm have their own tables): the exp, rsqrt and reciprocal
   * tables are left out (their DSP tiles and block RAMs), and their requests answer y = 0 like other fn.
   */
  functions?: 'all' | 'kernel';
}

export function kernelUnit(cfg: ChipConfig, opts: KernelOptions = {}): Module {
  const functions = opts.functions ?? 'all';
  const sh = unitShapes(cfg);
  const N = sh.N;
  const kc = kernelConstants(cfg, sh);
  const codes = kernelCodes(cfg, sh);
  const { fnBits: FB, argBits: AW, yBits: YW } = codes;
  const K = sh.kinds.length;
  const tMax = maxRawNum(N.kernelArg.format);
  const m = new ModuleBuilder(functions === 'all' ? KERNEL_MODULE : KERNEL_WORDS_MODULE, {
    kinds: sh.kinds.map((k) => k.name),
    kappa: kc.kappa.map((k) => ({ m: k.m, s: k.s, e: k.e })),
    kyDiff: kc.kyDiff,
    ...(functions === 'all' ? {} : { functions }),
    argBits: AW,
    yBits: YW,
    latency: KERNEL_LATENCY,
  });
  m.clock();
  const req = streamIn(m, 'req', uint(FB + AW), { last: true });
  const rsp = streamOut(m, 'rsp', uint(2 + YW), { last: true });

  // ---- credits: requests in the pipeline or the FIFO
  const CW = bitsOf(KERNEL_FIFO_DEPTH);
  const used = m.reg('credit_used_q', uint(CW), { reset: 0 });
  const ready = m.reg('req_ready_q', uint(1), { reset: 1 });
  m.assign(req.ready, ready);
  const accept = m.wire('accept', req.valid.and(ready));

  // ---- S0: input register
  const v0 = m.pipe('s0_valid_q', accept, { reset: 0 });
  const fn0 = m.pipe('s0_fn_q', req.data.slice(FB + AW - 1, AW), { reset: 0, enable: accept });
  const arg0 = m.pipe('s0_arg_q', req.data.trunc(AW), { reset: 0, enable: accept });
  const last0 = m.pipe('s0_last_q', req.last!, { reset: 0, enable: accept });

  // ---- S1: d·m_k, the kind's product by its constant mantissa as shifts and adds (lib/arith/constmul.ts): one
  // multiplier by the selected mantissa took 4 DSP48E1s on the Arty (an unsigned 39 × 18 product)
  const mBits = Math.max(...kc.kappa.map((k) => bitsOf(k.m)));
  const dist = arg0.trunc(sh.distBits);
  const pw = sh.distBits + mBits;
  const prodSel = select(
    fn0,
    kc.kappa.map((k) => constMulWrap(dist, k.m, pw)),
    constant(0, uint(pw)),
  );
  const p1 = m.pipe('s1_prod_q', prodSel, { reset: 0 });
  // the argument carried on: whole for the other functions' tables, else the two labels of a K_Y request
  const a1 = m.pipe('s1_arg_q', functions === 'all' ? arg0 : arg0.trunc(Math.min(AW, 2 * sh.labelBits)), { reset: 0 });
  const v1 = m.pipe('s1_valid_q', v0, { reset: 0 });
  const fn1 = m.pipe('s1_fn_q', fn0, { reset: 0 });
  const last1 = m.pipe('s1_last_q', last0, { reset: 0 });

  // ---- S2: t = min(rnd(p, s_k + e_k), max) for the request's kind; the other functions' arguments
  const ts = kc.kappa.map((k) => clampTo(roundShift(p1, k.s + k.e), tMax));
  const kaBits = width(N.kernelArg.format);
  const tSel = select(fn1, ts.map((t) => t.value.zext(kaBits)), constant(0, uint(kaBits)));
  const satSel = select(fn1, ts.map((t) => t.sat), constant(0, uint(1)));
  const t2 = m.pipe('s2_t_q', tSel, { reset: 0 });
  const satArg2 = m.pipe('s2_sat_arg_q', satSel, { reset: 0 });
  const others = functions === 'all' ? [kc.tables.exp, kc.tables.rsqrt, kc.tables.recip] : [];
  // the other functions' argument (none without them)
  const a2 = others.length > 0 ? m.pipe('s2_arg_q', a1, { reset: 0 }) : null;
  const LB = sh.labelBits;
  const eq2 = m.pipe('s2_label_eq_q', a1.slice(2 * LB - 1, LB).eq(a1.trunc(LB)), { reset: 0 });
  let v: Signal = m.pipe('s2_valid_q', v1, { reset: 0 });
  let fn: Signal = m.pipe('s2_fn_q', fn1, { reset: 0 });
  let last: Signal = m.pipe('s2_last_q', last1, { reset: 0 });
  let satArg: Signal = satArg2;
  let eq: Signal = eq2;

  // ---- S3…S6: the tables (always running: expNeg, and with functions 'all' exp, rsqrt, recip); the request's tags travel alongside
  // each table computes only in the cycles stage 2 holds a request (x_valid): its result is read with s6_valid_q
  const v2 = v;
  const tbl = (name: string, fnT: TableFunction, x: Expr) => m.instance(name, tableLookup(fnT, { valid: true }), { x, x_valid: v2 });
  const slice = (f: TableFunction): Expr => {
    const w = width(f.inFormat);
    const s = (a2 as Signal).trunc(w);
    return f.inFormat.signed ? s.asSigned() : s;
  };
  const uExpNeg = tbl('u_expneg', kc.tables.expNeg, t2);
  const uOthers = others.map((f, i) => tbl(['u_exp', 'u_rsqrt', 'u_recip'][i], f, slice(f)));
  if (a2) {
    const argUsed = Math.max(...others.map((f) => width(f.inFormat)));
    if (argUsed < AW) m.unused(a2.slice(AW - 1, argUsed));
  }
  for (let i = 0; i < TABLE_LATENCY; i++) {
    const st = 3 + i;
    v = m.pipe(`s${st}_valid_q`, v, { reset: 0 });
    fn = m.pipe(`s${st}_fn_q`, fn, { reset: 0 });
    last = m.pipe(`s${st}_last_q`, last, { reset: 0 });
    satArg = m.pipe(`s${st}_sat_arg_q`, satArg, { reset: 0 });
    eq = m.pipe(`s${st}_label_eq_q`, eq, { reset: 0 });
  }
  const yOf = (u: typeof uExpNeg): Expr => u.out('y').zext(YW);
  const kernelY = yOf(uExpNeg);
  const options: Expr[] = [];
  const sats: Expr[] = [];
  for (let k = 0; k < K; k++) {
    options.push(kernelY);
    sats.push(uExpNeg.out('sat'));
  }
  options.push(mux(eq, constant(kc.one, uint(YW)), constant(kc.kyDiff, uint(YW))));
  sats.push(constant(0, uint(1)));
  for (const u of uOthers) {
    options.push(yOf(u));
    sats.push(u.out('sat'));
  }
  const y = m.wire('result', select(fn, options, constant(0, uint(YW))));
  const satOut = m.wire('result_sat', select(fn, sats, constant(0, uint(1))));
  const isKernel = m.wire('result_is_kernel', fn.lt(constant(K, uint(FB))));

  // ---- output FIFO (never full: the credits count its words)
  const q = m.instance('u_out', fifo(2 + YW, KERNEL_FIFO_DEPTH, { last: true }), {
    s_axis_in_tvalid: v,
    s_axis_in_tdata: cat(satArg.and(isKernel), satOut, y),
    s_axis_in_tlast: last,
    m_axis_out_tready: rsp.ready,
  });
  m.unused(q.out('s_axis_in_tready'), q.out('count'));
  m.assign(rsp.valid, q.out('m_axis_out_tvalid'));
  m.assign(rsp.data, q.out('m_axis_out_tdata'));
  m.assign(rsp.last!, q.out('m_axis_out_tlast'));
  const outFire = m.wire('out_fire', q.out('m_axis_out_tvalid').and(rsp.ready));
  const usedNext = m.wire('credit_used_next', mux(accept, used.addWrap(1), used).subWrap(mux(outFire, constant(1, uint(CW)), constant(0, uint(CW)))));
  m.seq('credits', ($) => {
    $.set(used, usedNext);
    $.set(ready, usedNext.lt(constant(KERNEL_FIFO_DEPTH, uint(CW))));
  });
  return m.build();
}
