/**
 * Transcendental functions as the chip computes them: deterministic integer pipelines of a range
 * reduction, a table lookup with optional linear interpolation, and a final shift. The golden model
 * calls `eval` (integer in, integer out); the generator emits `tables()` as ROMs and the pipeline
 * described by `describe()`. Every rounding is round half up, written ⌊(z + 2^(s−1)) / 2^s⌋ = rnd(z, s).
 *
 * Table + interpolation core, shared by all functions. A mantissa function g on a segment grid of
 * N = 2^tableBits segments is stored to P = outFormat.fracBits + guardBits fraction bits:
 *   interpolate: base[i] = rnd(g(a_i)·2^P), slope[i] = base[i+1] − base[i] (from the endpoint value at
 *                a_N), and y = base[i] + rnd(slope[i]·f, s) with f the s = interpBits bits below the index;
 *   otherwise:   base[i] = rnd(g(midpoint of segment i)·2^P) and y = base[i].
 * Table values are computed once in float64 and rounded; the integer arrays are the specification.
 *
 *   expNeg(t) = e^−t, t ≥ 0:  v = rnd(t·L, F_t + C − F_v) with L = rnd(log2(e)·2^C) and F_v =
 *               tableBits + interpBits, so v ≈ t·log2 e with F_v fraction bits; n = ⌊v⌋, u = v − n; the core
 *               gives y ≈ 2^−u·2^P (g(u) = 2^−u on [0,1)); out = min(rnd(y, n + guardBits), max).
 *               Large t shifts everything out, giving 0.
 *   exp(x)    = e^x, x ≤ 0 (softmax after max subtraction): expNeg of −x; x > 0 is treated as 0.
 *   recip(x)  = 1/x, x > 0:  m = index of the leading one of raw x (a leading-zero count); the tableBits +
 *               interpBits bits after it (lower bits truncated, zeros appended if fewer) index the core
 *               over g(M) = 1/M, M ∈ [1,2); out = y·2^(F_x − m + F_o − P), rounded (rnd) when that is a
 *               right shift, saturated to max. x = 0 gives max.
 *   rsqrt(x)  = 1/√x, x > 0: as recip, with E = m − F_x and parity p = E mod 2: M' = M·2^p ∈ [1,4). The
 *               table's first half (index msb p = 0) covers [1,2), the second [2,4), each with
 *               2^(tableBits−1) segments indexed by the same mantissa bits; out = y·2^(−(E−p)/2 + F_o − P).
 *
 * Each function states an error bound |out − f(x)| ≤ abs + rel·|f(x)| over its domain (derivations next to
 * each), checked exhaustively or on 2^20 points by the tests; `maxError` measures the actual figures.
 */
import { shiftRight } from './fast.js';
import { checkFormat, fitsFast, parseFormat, resolution, toHls, toQ, width, type FixedFormat } from './format.js';
import type { SatSlot } from './types.js';

/** A ROM the generator emits: `entries[i]` at address i. */
export interface TableRom {
  name: string;
  entries: number[];
  /** bits per entry (two's complement when signed) */
  width: number;
  signed: boolean;
}

/** |out − f(x)| ≤ abs + rel·|f(x)|, with f(x) clamped to the output's largest value. */
export interface ErrorBound {
  abs: number;
  rel: number;
}

export interface TableDescription {
  name: string;
  computes: string;
  inFormat: string;
  outFormat: string;
  tableBits: number;
  interpolate: boolean;
  interpBits: number;
  guardBits: number;
  precisionBits: number;
  constants: Record<string, number>;
  tables: { name: string; length: number; width: number; signed: boolean }[];
  bound: ErrorBound;
  domain: [number, number];
}

export interface TableFunction {
  readonly name: string;
  readonly inFormat: FixedFormat;
  readonly outFormat: FixedFormat;
  /** raw inputs over which the function is specified and the bound holds */
  readonly domain: readonly [number, number];
  readonly bound: ErrorBound;
  /** the chip's result for a raw input; a saturation of the output is recorded in `sat` */
  eval(raw: number, sat?: SatSlot): number;
  /** the real function, in float64 */
  ideal(x: number): number;
  tables(): TableRom[];
  describe(): TableDescription;
}

export interface TableConfig {
  inFormat?: FixedFormat | string;
  outFormat?: FixedFormat | string;
  /** log2 of the number of table segments */
  tableBits?: number;
  interpolate?: boolean;
  /** bits of the interpolation fraction f */
  interpBits?: number;
  /** table fraction bits beyond the output's */
  guardBits?: number;
}

export interface ExpConfig extends TableConfig {
  /** fraction bits of the log2(e) constant */
  constBits?: number;
}

// ---------------------------------------------------------------------------------------------------

const rnd = (z: number, s: number): number => shiftRight(z, s, 'nearest');

function fmt(f: FixedFormat | string): FixedFormat {
  return typeof f === 'string' ? parseFormat(f) : checkFormat(f);
}

function intIn(name: string, v: number, lo: number, hi: number): number {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new RangeError(`${name} must be an integer in ${lo}..${hi}, got ${v}`);
  return v;
}

function romWidth(entries: number[], signed: boolean): number {
  let w = 1;
  for (const e of entries) {
    while (signed ? e < -(2 ** (w - 1)) || e > 2 ** (w - 1) - 1 : e > 2 ** w - 1) w++;
  }
  return w;
}

function rom(name: string, entries: number[]): TableRom {
  const signed = entries.some((e) => e < 0);
  return { name, entries: entries.slice(), width: romWidth(entries, signed), signed };
}

/** Index of the leading one of a positive integer < 2^53. */
export function leadingOne(x: number): number {
  if (x >= 2 ** 32) return 32 + leadingOne(Math.floor(x / 2 ** 32));
  return 31 - Math.clz32(x);
}

/** The table + interpolation core over segments [a_i, a_{i+1}) of one or more halves. */
class Core {
  readonly base: number[] = [];
  readonly slope: number[] = [];
  constructor(
    readonly P: number,
    readonly s: number,
    readonly interpolate: boolean,
    /** segment endpoints a_0..a_N per piece; entries are concatenated */
    pieces: { g: (a: number) => number; a0: number; h: number; n: number }[],
  ) {
    for (const { g, a0, h, n } of pieces) {
      const at = (a: number) => Math.floor(g(a) * 2 ** P + 0.5); // g·2^P rounded half up (exact below 2^52)
      for (let i = 0; i < n; i++) {
        if (interpolate) {
          const b = at(a0 + i * h);
          this.base.push(b);
          this.slope.push(at(a0 + (i + 1) * h) - b);
        } else {
          this.base.push(at(a0 + (i + 0.5) * h));
        }
      }
    }
  }
  /** y ≈ g·2^P at index `idx` with interpolation fraction `f` (s bits) */
  y(idx: number, f: number): number {
    return this.interpolate ? this.base[idx] + rnd(this.slope[idx] * f, this.s) : this.base[idx];
  }
  roms(prefix: string): TableRom[] {
    return this.interpolate ? [rom(`${prefix}_base`, this.base), rom(`${prefix}_slope`, this.slope)] : [rom(`${prefix}_base`, this.base)];
  }
}

interface Common {
  inF: FixedFormat;
  outF: FixedFormat;
  n: number;
  interpolate: boolean;
  s: number;
  g: number;
  P: number;
  outMax: number;
}

function common(cfg: TableConfig, defIn: string, defOut: string, defTableBits: number, inSigned: boolean, minTableBits = 1): Common {
  const inF = fmt(cfg.inFormat ?? defIn);
  const outF = fmt(cfg.outFormat ?? defOut);
  if (inF.signed !== inSigned) throw new RangeError(`input format ${toHls(inF)} must be ${inSigned ? 'signed' : 'unsigned'}`);
  if (outF.signed) throw new RangeError(`output format ${toHls(outF)} must be unsigned`);
  if (!fitsFast(inF) || width(inF) > 40) throw new RangeError(`input format ${toHls(inF)} must be at most 40 bits wide`);
  if (width(outF) > 40) throw new RangeError(`output format ${toHls(outF)} must be at most 40 bits wide`);
  const n = intIn('tableBits', cfg.tableBits ?? defTableBits, minTableBits, 14);
  const interpolate = cfg.interpolate ?? true;
  const s = intIn('interpBits', cfg.interpBits ?? 10, 0, 20);
  const g = intIn('guardBits', cfg.guardBits ?? 4, 0, 12);
  const P = outF.fracBits + g;
  if (P < 1 || P + s > 48) throw new RangeError(`table precision P = outFormat.fracBits + guardBits = ${P} must be in 1..${48 - s}`);
  return { inF, outF, n, interpolate, s, g, P, outMax: 2 ** width(outF) - 1 };
}

function describeOf(
  name: string,
  computes: string,
  c: Common,
  constants: Record<string, number>,
  roms: TableRom[],
  bound: ErrorBound,
  domain: [number, number],
): TableDescription {
  return {
    name,
    computes,
    inFormat: `${toHls(c.inF)} (${toQ(c.inF)})`,
    outFormat: `${toHls(c.outF)} (${toQ(c.outF)})`,
    tableBits: c.n,
    interpolate: c.interpolate,
    interpBits: c.s,
    guardBits: c.g,
    precisionBits: c.P,
    constants,
    tables: roms.map((r) => ({ name: r.name, length: r.entries.length, width: r.width, signed: r.signed })),
    bound,
    domain,
  };
}

function clampOut(v: number, max: number, sat: SatSlot | undefined): number {
  if (v > max) {
    if (sat) sat.high++;
    return max;
  }
  return v;
}

/** y·2^sh, rounded half up when sh < 0, saturated to max (y ≥ 0). */
function scaleOut(y: number, sh: number, max: number, sat: SatSlot | undefined): number {
  if (sh >= 0) {
    if (sh > 60 || y > Math.floor(max / 2 ** sh)) return clampOut(Infinity, max, sat);
    return y * 2 ** sh;
  }
  return clampOut(rnd(y, -sh), max, sat);
}

// ---------------------------------------------------------------------------------------------------
// e^−t and e^x

const SAFETY = 1 + 2 ** -10; // covers second-order terms of the first-order bounds below

function makeExp(name: 'expNeg' | 'exp', cfg: ExpConfig): TableFunction {
  const signedIn = name === 'exp';
  const c = common(cfg, signedIn ? 'fixed<16,6>' : 'ufixed<16,5>', signedIn ? 'ufixed<17,1>' : 'ufixed<16,0>', 7, signedIn);
  const C = intIn('constBits', cfg.constBits ?? 18, 1, 30);
  const Ft = c.inF.fracBits;
  if (width(c.inF) + C + 2 > 52) throw new RangeError(`input width ${width(c.inF)} + constBits ${C} is too wide for exact products`);
  const L = Math.round(Math.LOG2E * 2 ** C);
  const Fv = c.n + c.s;
  const vShift = Ft + C - Fv;
  const N = 2 ** c.n;
  const core = new Core(c.P, c.s, c.interpolate, [{ g: (u) => 2 ** -u, a0: 0, h: 1 / N, n: N }]);
  const idxDiv = 2 ** c.s;
  const uMod = 2 ** Fv;

  const tOf = signedIn ? (raw: number) => (raw >= 0 ? 0 : -raw) : (raw: number) => raw;
  function evalRaw(raw: number, sat?: SatSlot): number {
    const t = tOf(raw);
    const v = vShift >= 0 ? rnd(t * L, vShift) : t * L * 2 ** -vShift;
    const ip = Math.floor(v / uMod);
    const u = v - ip * uMod;
    const idx = Math.floor(u / idxDiv);
    const y = core.y(idx, u - idx * idxDiv);
    return clampOut(rnd(y, ip + c.g), c.outMax, sat);
  }

  // Bound. Mantissa 2^−u ∈ (1/2, 1] with absolute error ε_m: interpolation (ln2)²/(8N²) (h = 1/N,
  // max|g''| = (ln 2)²) or midpoint ln2/(2N) (max|g'| = ln 2, half a segment); table rounding 2^−P/2;
  // the rounded slope product 2^−P/2 (interpolation only). Scaled by 2^−n it is a relative error ≤ 2ε_m.
  // v is rounded to F_v bits: relative error ln2·2^−(F_v+1) (only when bits are dropped). The log2 e
  // constant is off by cErr: relative t·ln2·cErr, absolute ≤ max(t·e^−t)·ln2·cErr = ln2·cErr/e. The final
  // shift rounds: 2^−F_o/2. (Where e^−t exceeds the output's max, the bound is against that max.)
  const ulpP = 2 ** -c.P;
  const epsM = c.interpolate ? Math.LN2 ** 2 / (8 * N * N) + ulpP : Math.LN2 / (2 * N) + ulpP / 2;
  const cErr = Math.abs(L / 2 ** C - Math.LOG2E);
  const rel = SAFETY * (2 * epsM + (vShift > 0 ? Math.LN2 * 2 ** -(Fv + 1) : 0));
  const ulpOut = resolution(c.outF);
  const abs = ulpOut / 2 + SAFETY * (Math.LN2 * cErr) / Math.E;
  const bound = { abs, rel };
  const inMax = 2 ** width(c.inF) - (signedIn ? 2 ** (width(c.inF) - 1) : 0) - 1;
  const domain: [number, number] = signedIn ? [-(2 ** (width(c.inF) - 1)), 0] : [0, inMax];
  const scale = 2 ** -Ft;
  return {
    name,
    inFormat: c.inF,
    outFormat: c.outF,
    domain,
    bound,
    eval: evalRaw,
    ideal: signedIn ? (x) => Math.exp(x) : (t) => Math.exp(-t),
    tables: () => core.roms(name),
    describe: () =>
      describeOf(
        name,
        signedIn ? 'e^x for x ≤ 0 (x > 0 treated as 0), via 2^−(−x·log2 e)' : 'e^−t for t ≥ 0, via 2^−(t·log2 e)',
        c,
        { log2e: L, constBits: C, vFracBits: Fv, inputScale: scale },
        core.roms(name),
        bound,
        domain,
      ),
  };
}

/** e^−t for t ≥ 0 (the Gaussian kernel's exp(−d/2s²)); defaults in ufixed<16,5>, out UQ0.16, 128 segments. */
export function expNeg(cfg: ExpConfig = {}): TableFunction {
  return makeExp('expNeg', cfg);
}

/** e^x for x ≤ 0 (softmax after max subtraction); defaults in Q6.10, out UQ1.16, 128 segments. */
export function exp(cfg: ExpConfig = {}): TableFunction {
  return makeExp('exp', cfg);
}

// ---------------------------------------------------------------------------------------------------
// 1/x and 1/√x

/** Mantissa bits after the leading one of raw x (x > 0): [m, q] with q the top `bits` of them. */
function mantissa(x: number, bits: number): [number, number] {
  const m = leadingOne(x);
  const low = x - 2 ** m;
  const q = m >= bits ? Math.floor(low / 2 ** (m - bits)) : low * 2 ** (bits - m);
  return [m, q];
}

/** 1/x for x > 0; defaults in ufixed<24,8> (UQ8.16), out ufixed<17,1> (UQ1.16), 256 segments. */
export function recip(cfg: TableConfig = {}): TableFunction {
  const c = common(cfg, 'ufixed<24,8>', 'ufixed<17,1>', 8, false);
  const N = 2 ** c.n;
  const core = new Core(c.P, c.s, c.interpolate, [{ g: (M) => 1 / M, a0: 1, h: 1 / N, n: N }]);
  const bits = c.n + c.s;
  const fDiv = 2 ** c.s;
  const Fx = c.inF.fracBits;
  function evalRaw(raw: number, sat?: SatSlot): number {
    if (raw <= 0) return clampOut(Infinity, c.outMax, sat);
    const [m, q] = mantissa(raw, bits);
    const idx = Math.floor(q / fDiv);
    const y = core.y(idx, q - idx * fDiv);
    return scaleOut(y, Fx - m + c.outF.fracBits - c.P, c.outMax, sat);
  }
  // Bound (relative; 1/M ∈ (1/2, 1]): interpolation (h²/8)·max|g''|/min g = (1/(8N²))·2/(1/2) = 1/(2N²),
  // or midpoint (h/2)/M ≤ 1/(2N); table + slope rounding 2^−P over a mantissa ≥ 1/2: 2·2^−P (2^−P without
  // interpolation); truncated mantissa bits: 2^−(tableBits+interpBits). Output rounding 2^−F_o/2.
  const ulpP = 2 ** -c.P;
  const rel =
    SAFETY * ((c.interpolate ? 1 / (2 * N * N) + 2 * ulpP : 1 / (2 * N) + ulpP) + 2 ** -bits);
  const bound = { abs: resolution(c.outF) / 2, rel };
  const domain: [number, number] = [1, 2 ** width(c.inF) - 1];
  return {
    name: 'recip',
    inFormat: c.inF,
    outFormat: c.outF,
    domain,
    bound,
    eval: evalRaw,
    ideal: (x) => 1 / x,
    tables: () => core.roms('recip'),
    describe: () => describeOf('recip', '1/x for x > 0 (x = 0 saturates)', c, { mantissaBits: bits }, core.roms('recip'), bound, domain),
  };
}

/** 1/√x for x > 0; defaults in ufixed<32,16> (UQ16.16), out ufixed<24,9> (UQ9.15), 256 segments. */
export function rsqrt(cfg: TableConfig = {}): TableFunction {
  const c = common(cfg, 'ufixed<32,16>', 'ufixed<24,9>', 8, false, 2);
  const H = 2 ** (c.n - 1);
  const core = new Core(c.P, c.s, c.interpolate, [
    { g: (M) => 1 / Math.sqrt(M), a0: 1, h: 1 / H, n: H },
    { g: (M) => 1 / Math.sqrt(M), a0: 2, h: 2 / H, n: H },
  ]);
  const bits = c.n - 1 + c.s;
  const fDiv = 2 ** c.s;
  const Fx = c.inF.fracBits;
  function evalRaw(raw: number, sat?: SatSlot): number {
    if (raw <= 0) return clampOut(Infinity, c.outMax, sat);
    const [m, q] = mantissa(raw, bits);
    const E = m - Fx;
    const p = E & 1;
    const idx = Math.floor(q / fDiv);
    const y = core.y(p * H + idx, q - idx * fDiv);
    return scaleOut(y, -(E - p) / 2 + c.outF.fracBits - c.P, c.outMax, sat);
  }
  // Bound (relative; M'^−1/2 ∈ (1/2, 1]): interpolation (h²/8)·max|g''|/min g, the same 0.1326/H² on both
  // halves ([1,2): h = 1/H, |g''| ≤ 3/4, g ≥ 2^−1/2; [2,4): h = 2/H, |g''| ≤ (3/4)·2^−5/2, g ≥ 1/2), or
  // midpoint 1/(4H); table + slope rounding 2·2^−P (2^−P without interpolation); truncated mantissa
  // bits 2^−(bits+1). Output rounding 2^−F_o/2.
  const ulpP = 2 ** -c.P;
  const interpRel = Math.max((0.75 / 8) / Math.SQRT1_2, ((4 / 8) * 0.75 * 2 ** -2.5) / 0.5) / (H * H);
  const rel = SAFETY * ((c.interpolate ? interpRel + 2 * ulpP : 1 / (4 * H) + ulpP) + 2 ** -(bits + 1));
  const bound = { abs: resolution(c.outF) / 2, rel };
  const domain: [number, number] = [1, 2 ** width(c.inF) - 1];
  return {
    name: 'rsqrt',
    inFormat: c.inF,
    outFormat: c.outF,
    domain,
    bound,
    eval: evalRaw,
    ideal: (x) => 1 / Math.sqrt(x),
    tables: () => core.roms('rsqrt'),
    describe: () =>
      describeOf('rsqrt', '1/√x for x > 0 (x = 0 saturates); table halves by exponent parity', c, { mantissaBits: bits }, core.roms('rsqrt'), bound, domain),
  };
}

// ---------------------------------------------------------------------------------------------------
// Error measurement

export interface ErrorReport {
  name: string;
  points: number;
  exhaustive: boolean;
  /** max |out − f(x)| and where (real input) */
  maxAbs: number;
  maxAbsAt: number;
  /** maxAbs in output steps */
  maxAbsUlps: number;
  /** max |out − f(x)| / |f(x)| over points with |f(x)| ≥ 64 output steps, and where */
  maxRel: number;
  maxRelAt: number;
  /** max over points of |out − f(x)| / (bound.abs + bound.rel·|f(x)|): ≤ 1 means the bound holds */
  boundRatio: number;
  boundRatioAt: number;
  /** points where f(x) exceeds the output's largest value (compared there with that value) */
  saturated: number;
}

/**
 * Maximum absolute and relative error of `fn` against float64 over raw inputs [lo, hi] (default its
 * domain), the float64 value clamped to the output's largest value (a saturated result is correct): every input when there are at most `maxPoints` (default 2^20), else `maxPoints` inputs
 * spread evenly with a golden-ratio jitter (so they do not alias with the table grid), plus both ends.
 */
export function maxError(fn: TableFunction, range?: { lo?: number; hi?: number; maxPoints?: number }): ErrorReport {
  const lo = range?.lo ?? fn.domain[0];
  const hi = range?.hi ?? fn.domain[1];
  const maxPoints = range?.maxPoints ?? 2 ** 20;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || hi < lo) throw new RangeError(`maxError: bad raw range [${lo}, ${hi}]`);
  const count = hi - lo + 1;
  const exhaustive = count <= maxPoints;
  const ulp = resolution(fn.outFormat);
  const outMax = (2 ** width(fn.outFormat) - 1) * ulp;
  const inScale = resolution(fn.inFormat);
  const relFloor = 64 * ulp;
  const r: ErrorReport = {
    name: fn.name,
    points: 0,
    exhaustive,
    maxAbs: 0,
    maxAbsAt: NaN,
    maxAbsUlps: 0,
    maxRel: 0,
    maxRelAt: NaN,
    boundRatio: 0,
    boundRatioAt: NaN,
    saturated: 0,
  };
  const visit = (raw: number) => {
    r.points++;
    const x = raw * inScale;
    let want = fn.ideal(x);
    if (want > outMax) {
      r.saturated++;
      want = outMax;
    }
    const got = fn.eval(raw) * ulp;
    const err = Math.abs(got - want);
    if (err > r.maxAbs) {
      r.maxAbs = err;
      r.maxAbsAt = x;
    }
    if (Math.abs(want) >= relFloor && err / Math.abs(want) > r.maxRel) {
      r.maxRel = err / Math.abs(want);
      r.maxRelAt = x;
    }
    const ratio = err / (fn.bound.abs + fn.bound.rel * Math.abs(want));
    if (ratio > r.boundRatio) {
      r.boundRatio = ratio;
      r.boundRatioAt = x;
    }
  };
  if (exhaustive) {
    for (let raw = lo; raw <= hi; raw++) visit(raw);
  } else {
    const PHI = (Math.sqrt(5) - 1) / 2;
    const step = count / maxPoints;
    visit(lo);
    for (let i = 0; i < maxPoints; i++) {
      const j = (i * PHI) % 1;
      visit(Math.min(hi, lo + Math.floor((i + j) * step)));
    }
    visit(hi);
  }
  r.maxAbsUlps = r.maxAbs / ulp;
  return r;
}
