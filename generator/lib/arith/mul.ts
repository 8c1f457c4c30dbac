/**
 * Fixed-point multiply with rounding and overflow, bit-exact with the golden model:
 *
 *   out = fast.resize(fast.mul(a, b), mulFormat(fa, fb), out, rounding, overflow, src)
 *
 * The exact product (width wa + wb) is rounded by k = fa.fracBits + fb.fracBits − out.fracBits bits
 * (k ≤ 0: an exact left shift, nothing rounded and nothing drawn) and wrapped or saturated into `out`.
 *
 * Ports:   clk, rst (sync, active high)
 *          a       in  raw word of fa (sint when signed, else uint)
 *          b       in  raw word of fb
 *          r       in  uint(rbits), only for 'stochastic' with k > 0: the draw this product consumes,
 *                      ⌊(p + ⌊r·2^(k−rbits)⌋) / 2^k⌋ exactly as fast.resize consumes one NoiseSource draw;
 *                      connect an `lfsr` block's `r` and raise its `en` in the cycles a, b are valid
 *          out     out raw word of `out`, registered: the product of the a, b (and r) of the previous cycle
 *          sat     out uint(1), only for 'saturate': the registered result was clamped (either way)
 *          sat_lo  out uint(1), only for 'saturate': it was clamped to the minimum (SatSlot.low;
 *                      sat & ~sat_lo is SatSlot.high)
 * Latency: 1 cycle (every cycle; registers reset to 0).
 */
import { mulFormat, toHls, width, type FixedFormat, type Overflow, type Rounding } from '../../fixed/index.js';
import { ModuleBuilder, constant, mux, sint, uint, type Expr, type Module, type Signal } from '../../ir/index.js';
import { formatTag, hwType, overflowTag, roundingTag } from './common.js';

export interface FixedMulOptions {
  /** bits per draw of the stochastic-rounding source (default 16, as an Lfsr of width ≥ 16) */
  rbits?: number;
}

export const FIXED_MUL_LATENCY = 1;

export interface ResizeHw {
  value: Expr;
  satHi: Expr | null;
  satLo: Expr | null;
}

/**
 * The hardware of fast.resize: `p` holds raw words with `fromFrac` fraction bits; the result is the raw
 * word of `to` (its IR type), with saturation flags under 'saturate'. `r` is the draw for 'stochastic'
 * (required iff rounding is stochastic and bits are dropped).
 */
export function resizeHw(
  m: ModuleBuilder,
  p: Expr,
  fromFrac: number,
  to: FixedFormat,
  rounding: Rounding,
  overflow: Overflow,
  r: Signal | null,
): ResizeHw {
  const ps = p.signed ? p : p.toSigned();
  const k = fromFrac - to.fracBits;
  let q: Expr;
  if (k > 0) {
    const W1 = Math.max(ps.width, k + 2) + 1;
    const x = ps.sext(W1);
    switch (rounding) {
      case 'floor':
        q = x.shr(k);
        break;
      case 'truncate': {
        const inc = x.msb().and(x.slice(k - 1, 0).orReduce());
        q = x.shr(k).add(inc.toSigned());
        break;
      }
      case 'nearest':
        q = x.add(constant(2n ** BigInt(k - 1), sint(W1))).shr(k);
        break;
      case 'nearest-even': {
        const fl = x.shr(k);
        const h = x.bit(k - 1);
        const odd = fl.bit(0);
        const inc = k >= 2 ? h.and(x.slice(k - 2, 0).orReduce().or(odd)) : h.and(odd);
        q = fl.add(inc.toSigned());
        break;
      }
      case 'stochastic': {
        if (!r) throw new Error('resizeHw: stochastic rounding needs the draw r');
        const rb = r.width;
        if (k >= rb) {
          const t = k > rb ? x.shr(k - rb) : x;
          q = t.add(r.toSigned()).shr(rb);
        } else {
          const add = r.shr(rb - k);
          m.unused(r.slice(rb - k - 1, 0)); // ⌊r·2^(k−rbits)⌋ keeps only the top k bits of the draw
          q = x.add(add.toSigned()).shr(k);
        }
        break;
      }
    }
  } else {
    q = -k > 0 ? ps.shl(-k) : ps;
  }
  const wo = width(to);
  if (overflow === 'wrap') {
    const wq = q.width < wo ? q.sext(wo) : q.trunc(wo);
    return { value: to.signed ? wq : wq.asUnsigned(), satHi: null, satLo: null };
  }
  const WQ = Math.max(q.width, wo + 2);
  const qx = q.sext(WQ);
  const hi = to.signed ? 2n ** BigInt(wo - 1) - 1n : 2n ** BigInt(wo) - 1n;
  const lo = to.signed ? -(2n ** BigInt(wo - 1)) : 0n;
  const hiC = constant(hi, sint(WQ));
  const loC = constant(lo, sint(WQ));
  const satHi = qx.gt(hiC);
  const satLo = qx.lt(loC);
  const c = mux(satHi, hiC, mux(satLo, loC, qx)).trunc(wo);
  return { value: to.signed ? c : c.asUnsigned(), satHi, satLo };
}

/**
 * Module `fmul_<fa>_<fb>_<out>_<rounding>[<rbits>]_<overflow>` (formats tagged like s16im4 =
 * fixed<16,-4>); ports and latency in the file comment.
 */
export function fixedMul(
  fa: FixedFormat,
  fb: FixedFormat,
  out: FixedFormat,
  rounding: Rounding,
  overflow: Overflow,
  opts: FixedMulOptions = {},
): Module {
  const pf = mulFormat(fa, fb);
  const k = pf.fracBits - out.fracBits;
  const stoch = rounding === 'stochastic' && k > 0;
  const rbits = opts.rbits ?? 16;
  if (!Number.isInteger(rbits) || rbits < 1 || rbits > 32) throw new RangeError(`fixedMul: rbits must be in 1..32, got ${rbits}`);
  if (!['floor', 'truncate', 'nearest', 'nearest-even', 'stochastic'].includes(rounding)) {
    throw new RangeError(`fixedMul: unknown rounding ${JSON.stringify(rounding)}`);
  }
  if (overflow !== 'wrap' && overflow !== 'saturate') throw new RangeError(`fixedMul: unknown overflow ${JSON.stringify(overflow)}`);
  const rtag = rounding === 'stochastic' ? `st${rbits}` : roundingTag(rounding);
  const name = `fmul_${formatTag(fa)}_${formatTag(fb)}_${formatTag(out)}_${rtag}_${overflowTag(overflow)}`;
  const m = new ModuleBuilder(name, {
    fa: toHls(fa),
    fb: toHls(fb),
    out: toHls(out),
    rounding,
    overflow,
    rbits: stoch ? rbits : null,
    latency: FIXED_MUL_LATENCY,
  });
  m.clock();
  const a = m.input('a', hwType(fa));
  const b = m.input('b', hwType(fb));
  const r = stoch ? m.input('r', uint(rbits)) : null;
  let prod: Expr;
  if (a.signed === b.signed) prod = a.mul(b);
  else prod = (a.signed ? a : a.toSigned()).mul(b.signed ? b : b.toSigned());
  const res = resizeHw(m, prod, pf.fracBits, out, rounding, overflow, r);
  const outQ = m.pipe('out_q', res.value, { reset: 0 });
  m.output('out', outQ);
  if (res.satHi && res.satLo) {
    const satQ = m.pipe('sat_q', res.satHi.or(res.satLo), { reset: 0 });
    const loQ = m.pipe('sat_lo_q', res.satLo, { reset: 0 });
    m.output('sat', satQ);
    m.output('sat_lo', loQ);
  }
  return m.build();
}
