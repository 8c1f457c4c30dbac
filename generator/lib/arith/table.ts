/**
 * The table + interpolation functions of generator/fixed/tables.ts as pipelined hardware, bit-exact
 * with `fn.eval(raw)` for every input. The ROMs are `fn.tables()` in memories with `init`, read
 * synchronously (block-RAM style); every integer step of tables.ts is reproduced:
 *
 *   expNeg / exp   S1: t (exp: t = −x for x < 0, else 0), v = rnd(t·L, F_t + C − F_v)   → v_q
 *                  S2: u = v mod 2^F_v, idx = u >> s, f = u mod 2^s, ROM reads           → base, slope, f, n = ⌊v / 2^F_v⌋
 *                  S3: y = base + rnd(slope·f, s)                                         → y, n
 *                  S4: out = min(rnd(y, n + guardBits), max), sat                         → out, sat
 *   recip / rsqrt  S1: m = index of the leading one of x (x = 0 flagged)                   → x, m, zero
 *                  S2: mantissa bits after the leading one (truncated / zero-filled),
 *                      idx (rsqrt: the exponent parity selects the table half), ROM reads → base, slope, f, m, zero
 *                  S3: y = base + rnd(slope·f, s); the output shift sh(m) as sh + B ≥ 0   → y, sh + B, big, zero
 *                  S4: out = min(⌊(y·2^(sh+B) + 2^(B−1)) / 2^B⌋, max) — y·2^sh rounded half up
 *                      when sh < 0, exact when sh ≥ 0 — saturating on x = 0 and where tables.ts does
 * Without interpolation S3 only passes base on. rnd(z, s) = ⌊(z + 2^(s−1)) / 2^s⌋ throughout.
 *
 * Ports:   clk, rst (sync, active high)
 *          x    in  raw input word (fn.inFormat; sint for exp, uint otherwise)
 *          y    out raw output word (fn.outFormat, uint)
 *          sat  out uint(1): the output was clamped to its maximum (what `eval` records in a SatSlot)
 *          x_valid in  (with `{ valid: true }` only) uint(1): x holds an input this cycle
 * Latency: TABLE_LATENCY = 4 cycles, fully pipelined (one input per cycle, every cycle): the x applied
 *          before edge i appears on y, sat after edge i + 3. The ROM read registers have no reset, so for
 *          the first 4 cycles after reset y is not a result of any input (0 out of reset, then table words).
 *          With x_valid (module name suffix `_v`) a stage's registers take their values only in the cycles its
 *          input is valid (x_valid, delayed one cycle per stage): y, sat after edge i + 3 are the results of the
 *          x applied with x_valid before edge i, and hold otherwise. The same arithmetic; a simulator forms a
 *          stage's values (products, shifts, the leading one) only in those cycles instead of in every cycle.
 */
import { constMulWrap } from './constmul.js';
import { toHls, width, type TableFunction } from '../../fixed/index.js';
import {
  ModuleBuilder,
  cat,
  constant,
  mux,
  select,
  sint,
  uint,
  type Expr,
  type Memory,
  type Module,
  type Signal,
} from '../../ir/index.js';
import { bitsOf, formatTag, hwType } from './common.js';

export const TABLE_LATENCY = 4;

const KINDS = ['expNeg', 'exp', 'recip', 'rsqrt'] as const;
type Kind = (typeof KINDS)[number];

interface Roms {
  base: Memory;
  slope: Memory | null;
  /** bounds of y over every table segment and interpolation fraction */
  yMax: number;
}

/** y = base + rnd(slope·f, s) from the registered ROM words (or base alone), as uint(bitsOf(yMax)). */
function interpolate(m: ModuleBuilder, base: Signal, slope: Signal | null, f: Signal | null, s: number, yMax: number): Expr {
  const wy = bitsOf(yMax);
  if (!slope || !f) return base.signed ? base.trunc(wy).asUnsigned() : base.width > wy ? base.trunc(wy) : base.zext(wy);
  const sl = slope.signed ? slope : slope.toSigned();
  const prod = sl.mul(f.toSigned());
  const rounded = prod.add(constant(2n ** BigInt(s - 1), sint(prod.width))).shr(s);
  const y = (base.signed ? base : base.toSigned()).add(rounded);
  return y.trunc(wy + 1).asUnsigned().trunc(wy);
}

function makeRoms(m: ModuleBuilder, fn: TableFunction, interp: boolean): Roms {
  const roms = fn.tables();
  const baseRom = roms.find((r) => r.name.endsWith('_base'));
  const slopeRom = roms.find((r) => r.name.endsWith('_slope'));
  if (!baseRom || (interp && !slopeRom)) throw new Error(`tableLookup: ${fn.name} does not provide the expected ROMs`);
  let yMax = 0;
  let yMin = Infinity;
  baseRom.entries.forEach((b, i) => {
    const e = interp && slopeRom ? b + slopeRom.entries[i] : b;
    yMax = Math.max(yMax, b, e);
    yMin = Math.min(yMin, b, e);
  });
  if (yMin < 0) throw new Error(`tableLookup: ${fn.name} has negative table values, which the output stage does not handle`);
  const typeOf = (r: { width: number; signed: boolean }) => (r.signed ? sint(r.width) : uint(r.width));
  const base = m.memory('rom_base', { depth: baseRom.entries.length, type: typeOf(baseRom), init: baseRom.entries, style: 'block' });
  const slope =
    interp && slopeRom
      ? m.memory('rom_slope', { depth: slopeRom.entries.length, type: typeOf(slopeRom), init: slopeRom.entries, style: 'block' })
      : null;
  return { base, slope, yMax };
}

/** Module `tbl_<fn>_<in>_<out>_n<tableBits>_s<interpBits>_g<guardBits>[_c<constBits>]`; see the file comment. */
export function tableLookup(fn: TableFunction, opts: { valid?: boolean } = {}): Module {
  if (!(KINDS as readonly string[]).includes(fn.name)) throw new RangeError(`tableLookup: unknown table function ${fn.name}`);
  const kind = fn.name as Kind;
  const d = fn.describe();
  const n = d.tableBits;
  const interp = d.interpolate && d.interpBits > 0;
  const s = d.interpBits; // bits below the table index (the interpolation fraction, or ignored)
  const g = d.guardBits;
  const P = d.precisionBits;
  const inF = fn.inFormat;
  const outF = fn.outFormat;
  const wo = width(outF);
  const outMax = 2n ** BigInt(wo) - 1n;
  const isExp = kind === 'expNeg' || kind === 'exp';
  const name =
    `tbl_${kind === 'expNeg' ? 'expneg' : kind}_${formatTag(inF)}_${formatTag(outF)}_n${n}_s${d.interpBits}_g${g}` +
    `${d.interpolate ? '' : '_pc'}${isExp ? `_c${d.constants.constBits}` : ''}${opts.valid ? '_v' : ''}`;
  const m = new ModuleBuilder(name, {
    fn: kind,
    inFormat: toHls(inF),
    outFormat: toHls(outF),
    tableBits: n,
    interpolate: d.interpolate,
    interpBits: d.interpBits,
    guardBits: g,
    constants: d.constants,
    latency: TABLE_LATENCY,
    ...(opts.valid ? { valid: true } : {}),
  });
  m.clock();
  const x = m.input('x', hwType(inF));
  // stage k's input is valid: x_valid delayed k cycles (k = 0 … 3); always 1 without x_valid
  const one = constant(1, uint(1));
  const sv: Expr[] = [one, one, one, one];
  if (opts.valid) {
    sv[0] = m.input('x_valid', uint(1));
    for (let k = 1; k < 4; k++) sv[k] = m.pipe(`valid_s${k}_q`, sv[k - 1], { reset: 0 });
  }
  // a stage register: free-running without x_valid; with it, taken only while the stage's input is valid
  const stage = (name: string, value: Expr, k: number): Signal => m.pipe(name, value, { reset: 0, ...(opts.valid ? { enable: sv[k] } : {}) });
  // stage registers whose values need the emitter's temporaries (a product, a shift by a constant sum, a
  // rounding): with x_valid the values are formed in one comb process only while the stage's input is valid
  // (the registers hold otherwise); as continuous assignments a simulator would evaluate them in every cycle
  const gatedStage = (name: string, values: [string, Expr][], k: number): Signal[] => {
    if (!opts.valid) return values.map(([n, v]) => m.pipe(n, v, { reset: 0 }));
    const regs = values.map(([n, v]) => m.reg(n, v.type, { reset: 0 }));
    const next = values.map(([n, v]) => m.wire(`${n}_next`, v.type));
    m.comb(name, ($) =>
      $.if(sv[k], () => values.forEach(([, v], i) => $.set(next[i], v))).else(() => regs.forEach((r, i) => $.set(next[i], r))),
    );
    regs.forEach((r, i) => m.seq(r.name, ($) => $.if(sv[k], () => $.set(r, next[i]))));
    return regs;
  };
  const read = (mem: Memory, name: string, idx: Expr): Signal => (opts.valid ? mem.readSync(name, idx, sv[1]) : mem.readSync(name, idx));
  const roms = makeRoms(m, fn, d.interpolate);
  const wy = bitsOf(roms.yMax);
  let outV: Expr;
  let satV: Expr;

  if (isExp) {
    // ---- S1: v = rnd(t·L, vShift)
    const L = d.constants.log2e;
    const C = d.constants.constBits;
    const Fv = d.constants.vFracBits;
    const vShift = inF.fracBits + C - Fv;
    let t: Expr;
    if (kind === 'exp') {
      const w = width(inF);
      t = mux(x.msb(), x.neg(), constant(0, sint(w + 1))).trunc(w).asUnsigned();
    } else t = x;
    // by shifts and adds: a product by a constant would take a DSP tile
    let prod: Expr = constMulWrap(t.asUnsigned(), L, t.width + bitsOf(L));
    let v: Expr;
    if (vShift > 0) {
      if (prod.width < vShift + 1) prod = prod.zext(vShift + 1);
      v = prod.add(constant(2n ** BigInt(vShift - 1), uint(prod.width))).shr(vShift);
    } else v = vShift < 0 ? prod.shl(-vShift) : prod;
    const [vQ] = gatedStage('v_next', [['v_q', v]], 0);
    // ---- S2: split v, read the tables
    const u = vQ.width >= Fv ? (vQ.width > Fv ? vQ.trunc(Fv) : vQ) : vQ.zext(Fv);
    const idx = s > 0 ? u.shr(s) : u;
    const baseQ = read(roms.base, 'base_q', idx);
    const slopeQ = roms.slope ? read(roms.slope, 'slope_q', idx) : null;
    const fQ = interp ? stage('f_q', u.trunc(s), 1) : null;
    if (!interp && s > 0) m.unused(u.trunc(s));
    const ip = vQ.width > Fv ? vQ.shr(Fv) : null; // n = ⌊v / 2^F_v⌋
    const ipQ = ip ? stage('n_q', ip, 1) : null;
    // ---- S3: y
    const [yQ] = gatedStage('y_next', [['y_q', interpolate(m, baseQ, slopeQ, fQ, s, roms.yMax)]], 2);
    const ipQ2 = ipQ ? stage('n_q2', ipQ, 2) : null;
    // ---- S4: out = min(rnd(y, n + g), max)
    let res: Expr;
    if (!ipQ2) {
      if (g > 1) m.unused(yQ.trunc(g - 1)); // below the rounding bit of the constant shift
      res = g > 0 ? (g > 1 ? yQ.shr(g - 1) : yQ).zext(wy + 1).add(constant(1, uint(wy + 1))).shr(1) : yQ;
    } else if (g > 0) {
      const wa = Math.max(ipQ2.width, bitsOf(g)) + 1;
      const amount = ipQ2.zext(wa).addWrap(constant(g - 1, uint(wa)));
      res = yQ.shrBy(amount).zext(wy + 1).add(constant(1, uint(wy + 1))).shr(1);
    } else {
      const amount = ipQ2.subWrap(constant(1, uint(ipQ2.width)));
      const rounded = yQ.shrBy(amount).zext(wy + 1).add(constant(1, uint(wy + 1))).shr(1);
      res = mux(ipQ2.eq(0), yQ.zext(rounded.width), rounded);
    }
    const wr = Math.max(res.width, wo + 1);
    const rx = res.width < wr ? res.zext(wr) : res;
    satV = rx.gt(constant(outMax, uint(wr)));
    outV = mux(satV, constant(outMax, uint(wr)), rx).trunc(wo);
  } else {
    // ---- S1: leading one
    const W = width(inF);
    if (W < 2) throw new RangeError(`tableLookup: ${kind} needs an input of at least 2 bits`);
    const wm = bitsOf(W - 1);
    // the index of the leading one (0 for x < 2) by halving: at step s (a power of two, largest first) bit
    // log2(s) of the index says whether the upper part of what is left is non-zero, and that part is kept; the
    // same function as a priority chain over the bits, in log2(W) steps (the simulator's cost in every cycle: a
    // handful of shifts and compares instead of W − 1 tests)
    const mW = m.wire('lead', uint(wm));
    const leadTemps: Signal[] = [];
    m.comb('leading_one', ($) => {
      if (!opts.valid) return leadingOne($);
      $.if(sv[0], () => leadingOne($)).else(() => {
        for (const t of leadTemps) $.setTemp(t, constant(0, t.type));
        $.set(mW, constant(0, uint(wm)));
      });
    });
    function leadingOne($: Parameters<Parameters<ModuleBuilder['comb']>[1]>[0]): void {
      let v: Expr = x.asUnsigned();
      let kept: Signal | null = null;
      const bits: Expr[] = [];
      for (let k = wm - 1; k >= 0; k--) {
        const sh = 2 ** k;
        if (sh >= W) {
          bits.push(constant(0, uint(1)));
          continue;
        }
        const hi = m.wire(`lead_hi${sh}`, uint(1));
        leadTemps.push(hi);
        $.setTemp(hi, v.shr(sh).ne(0));
        bits.push(hi);
        if (k > 0) {
          const vs = m.wire(`lead_v${sh}`, uint(W));
          leadTemps.push(vs);
          $.setTemp(vs, mux(hi, v.shr(sh).zext(W), v));
          v = vs;
          kept = vs;
        }
      }
      // the last step reads only the bits above bit 0 of what is left
      if (kept) m.unused(kept.bit(0));
      $.set(mW, bits.length === 1 ? bits[0] : cat(...bits));
    }
    const xQ = stage('x_q', x, 0);
    const mQ = stage('m_q', mW, 0);
    const zQ = stage('zero_q', x.eq(0), 0);
    // ---- S2: mantissa, table index
    const bits = kind === 'recip' ? n + s : n - 1 + s;
    const lz = constant(W - 1, uint(wm)).subWrap(mQ);
    const norm = m.wire('norm', xQ.shlBy(lz));
    m.unused(norm.msb()); // the leading one itself
    let q: Expr;
    if (bits <= W - 1) {
      q = norm.slice(W - 2, W - 1 - bits);
      if (W - 1 - bits > 0) m.unused(norm.slice(W - 2 - bits, 0));
    } else q = cat(norm.slice(W - 2, 0), constant(0, uint(bits - (W - 1))));
    let idx = s > 0 ? q.shr(s) : q;
    const Fx = inF.fracBits;
    if (kind === 'rsqrt') {
      const parity = mQ.bit(0).xor(constant(((Fx % 2) + 2) % 2, uint(1))); // (m − F_x) mod 2
      idx = n > 1 ? cat(parity, idx) : parity;
    }
    const baseQ = read(roms.base, 'base_q', idx);
    const slopeQ = roms.slope ? read(roms.slope, 'slope_q', idx) : null;
    const fQ = interp ? stage('f_q', q.trunc(s), 1) : null;
    if (!interp && s > 0) m.unused(q.trunc(s));
    const mQ2 = stage('m_q2', mQ, 1);
    const zQ2 = stage('zero_q2', zQ, 1);
    // ---- S3: y, and the output shift of this exponent
    const Fo = outF.fracBits;
    const shOf = (mm: number): number => (kind === 'recip' ? Fx - mm + Fo - P : -Math.floor((mm - Fx) / 2) + Fo - P);
    const shs = Array.from({ length: W }, (_, i) => shOf(i));
    const B = Math.max(0, -Math.min(...shs));
    const aMax = Math.max(...shs) + B;
    const wA = bitsOf(aMax);
    const aOpts = shs.map((v) => constant(v + B, uint(wA)));
    const bigOpts = shs.map((v) => constant(v > 60 ? 1 : 0, uint(1)));
    const full = 2 ** wm === W;
    const aV = full ? select(mQ2, aOpts) : select(mQ2, aOpts, constant(0, uint(wA)));
    const bigV = full ? select(mQ2, bigOpts) : select(mQ2, bigOpts, constant(0, uint(1)));
    const [yQ] = gatedStage('y_next', [['y_q', interpolate(m, baseQ, slopeQ, fQ, s, roms.yMax)]], 2);
    const aQ = stage('a_q', aV, 2);
    const bigQ = shs.some((v) => v > 60) ? stage('big_q', bigV, 2) : null;
    const zQ3 = stage('zero_q3', zQ2, 2);
    // ---- S4: scale, round, clamp
    const Y = yQ.zext(wy + aMax).shlBy(aQ);
    const U = B > 0 ? Y.add(constant(2n ** BigInt(B - 1), uint(Y.width))).shr(B) : Y;
    const wr = Math.max(U.width, wo + 1);
    const Ux = U.width < wr ? U.zext(wr) : U;
    let sat = Ux.gt(constant(outMax, uint(wr))).or(zQ3);
    if (bigQ) sat = sat.or(bigQ);
    satV = sat;
    outV = mux(satV, constant(outMax, uint(wr)), Ux).trunc(wo);
  }
  const [yOut, satOut] = gatedStage('out_next', [
    ['y_out_q', outV],
    ['sat_out_q', satV],
  ], 3);
  m.output('y', yOut);
  m.output('sat', satOut);
  return m.build();
}
