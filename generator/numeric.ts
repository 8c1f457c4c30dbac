/**
 * The chip's numeric configuration: one format + rounding + overflow per stored quantity, the accumulator
 * widths, the table sizes of the transcendental units, the LFSR bank of stochastic rounding and the
 * learning-rate shifts. The fixed-point golden model (sim/golden/fixed) and the Verilog generator consume
 * the same object, so the two cannot drift.
 *
 * Formats are written as strings in either notation (`Q4.12` = `fixed<16,4>`, `UQ1.16` = `ufixed<17,1>`)
 * or as FixedFormat objects; `resolveNumeric` parses them once and `validateNumeric` checks every field,
 * throwing a RangeError that names the field (`numeric.xi.format: …`).
 *
 * Every quantity saturates (overflow 'saturate', counted per quantity). Rounding: `weight`/`bias` give the
 * update's rounding (stochastic from the LFSR bank, or a deterministic mode); `input`, `preact`, `windowZ` and
 * `logit` are plain resizes and take any deterministic mode; all others are rounded half up ('nearest').
 *
 * Quantities (see sim/golden/fixed/step.ts and its unit files for where each is produced):
 *   input      network input h0. MNIST pixels p map exactly to (2p − 255)/256 (needs ≥ 8 fraction bits);
 *              other sets are quantised from the float features with `rounding`.
 *   weight     W; `rounding` is the rounding of the update (stochastic: from the LFSR bank); init is nearest.
 *   bias       b; updated like the weights.
 *   preact     a = W·h + b, rounded from the exact accumulator.
 *   act        LayerNorm output z (= next layer's input).
 *   windowZ    z (and the penultimate h) as stored in the window memory.
 *   kernelArg  t = ‖u − v‖² / (2 s²), the exp table's input.
 *   gram       kernel values k ∈ [0, 1] (K_X, K_Y ring buffers, the K_Z row). Must hold 1.0 exactly.
 *   rowSum     row sums of K_X, K_Y (exact; validated to be wide enough for B entries).
 *   coef       per-window-sample coefficient c_p = S · w_p · k_p of the ξ sum (w_p: variant weight).
 *   xi         global signal ξ.
 *   lnInvStd   1/√(var + ε) from the rsqrt table (its input is `lnVar`).
 *   lnVar      var + ε, the rsqrt table's input.
 *   delta      δ = LN backward ⊙ relu′.
 *   logit      output-layer logits.
 *   prob       softmax probabilities (must hold 1.0).
 *   err        output error e_p = (P_p − y_p)/B.
 */
import {
  exp as expTable,
  expNeg,
  fx,
  recip,
  rsqrt,
  sumFormat,
  type TableFunction,
  checkOverflow,
  checkRounding,
  DEFAULT_TAPS,
  parseFormat,
  toHls,
  toQ,
  width,
  type FixedFormat,
  type Overflow,
  type Rounding,
} from './fixed/index.js';

/** A format as written in a config: a string (`Q4.12`, `fixed<16,4>`, `s16`) or a FixedFormat. */
export type FormatSpec = string | FixedFormat;

export interface QuantSpec {
  format: FormatSpec;
  rounding: Rounding;
  overflow: Overflow;
}

export interface TableSpec {
  /** log2 of the number of table segments */
  tableBits: number;
  interpolate: boolean;
  interpBits: number;
  guardBits: number;
}

export interface LfsrSpec {
  /** register width W (2..32) */
  width: number;
  /** random bits per draw */
  rbits: number;
  /** LFSR steps per draw */
  leap: number;
  /** parallel LFSRs per layer; word i of row j (bias at i = nIn) draws from lane i mod lanes; rows with δ_j = 0 draw nothing */
  lanes: number;
  /**
   * Row groups of the hidden layers (left out: 1): the lanes in G groups of g = lanes / G, row j rounding with
   * group j mod G — word i (bias at i = nIn) draws from lane (j mod G)·g + i mod g. G = 1 is the order above. A
   * unit whose G groups of g lanes work on G consecutive rows at once (bench/RESULTS.md, "row groups") keeps
   * every lane count near ⌈words / lanes⌉ cycles a pass. The output layer always uses G = 1. A chip config file
   * or the CLI that leaves it out gets it chosen for its layers and lanes (generator/config.ts autoRowGroups).
   */
  rowGroups?: number;
  /** base seed; the lane seeds are derived from it and the training seed (laneSeed in sim/golden/fixed) */
  seed: number;
}

/**
 * Learning rates as the chip applies them (a small multiplier, then a shift). The fixed-point engine takes its
 * rates from TrainConfig.lr / lrOut and sets these fields from them (lrShifts), so the two cannot disagree.
 */
export interface LrSpec {
  /** hidden layers: lr = hiddenMul · 2^−hiddenShift (hiddenMul 0: frozen — every row has m·δ = 0, so no row is written or draws) */
  hiddenShift: number;
  hiddenMul: number;
  /** output layer: lr = outMul · 2^−outShift */
  outShift: number;
  outMul: number;
}

/** Widths (bits) of the exact accumulators; the fraction is that of the exact product, nothing is dropped. */
export interface AccSpec {
  /** forward MAC: Σ W·h + b */
  forward: number;
  /** squared distances Σ (u − v)² of the Gram units (pixels and z) */
  gram: number;
  /** ξ = Σ_p c_p (z_c − z_p) */
  xi: number;
  /** LayerNorm sums Σ r, n·Σ r² − (Σ r)² */
  ln: number;
  /** output gradient Σ_p h_p e_p */
  grad: number;
}

export interface NumericConfig {
  input: QuantSpec;
  weight: QuantSpec;
  bias: QuantSpec;
  preact: QuantSpec;
  act: QuantSpec;
  windowZ: QuantSpec;
  kernelArg: QuantSpec;
  gram: QuantSpec;
  rowSum: QuantSpec;
  coef: QuantSpec;
  xi: QuantSpec;
  lnVar: QuantSpec;
  lnInvStd: QuantSpec;
  delta: QuantSpec;
  logit: QuantSpec;
  prob: QuantSpec;
  err: QuantSpec;
  /** fraction bits of the γ constant (γ is quantised to nearest) */
  gammaFracBits: number;
  /** significant bits of the scaling constants (1/(2s²), 1/B, the ξ normalisation) */
  constBits: number;
  acc: AccSpec;
  tables: { expNeg: TableSpec; exp: TableSpec; rsqrt: TableSpec; recip: TableSpec };
  lfsr: LfsrSpec;
  lr: LrSpec;
}

const q = (format: string, rounding: Rounding = 'nearest', overflow: Overflow = 'saturate'): QuantSpec => ({ format, rounding, overflow });

/** The chip's default numerics (chosen by bench/golden-fixed.ts; figures in bench/RESULTS.md). */
export const DEFAULT_NUMERIC: NumericConfig = Object.freeze({
  input: q('Q1.8'),
  weight: q('Q4.12', 'stochastic'),
  bias: q('Q4.12', 'stochastic'),
  preact: q('Q6.10'),
  act: q('Q6.10'),
  windowZ: q('Q6.10'),
  kernelArg: q('UQ5.11'),
  gram: q('UQ1.16'),
  rowSum: q('UQ4.16'),
  coef: q('Q-6.30'),
  xi: q('Q-4.20'),
  lnVar: q('UQ16.16'),
  lnInvStd: q('UQ9.15'),
  delta: q('Q-4.20'),
  logit: q('Q6.10'),
  prob: q('UQ1.16'),
  err: q('Q-2.18'),
  gammaFracBits: 4,
  constBits: 18,
  acc: { forward: 48, gram: 48, xi: 48, ln: 53, grad: 48 },
  tables: {
    expNeg: { tableBits: 4, interpolate: true, interpBits: 8, guardBits: 4 },
    exp: { tableBits: 4, interpolate: true, interpBits: 8, guardBits: 4 },
    rsqrt: { tableBits: 6, interpolate: true, interpBits: 8, guardBits: 4 },
    recip: { tableBits: 6, interpolate: true, interpBits: 8, guardBits: 4 },
  },
  lfsr: { width: 32, rbits: 16, leap: 16, lanes: 66, seed: 0x1bb },
  lr: { hiddenShift: 1, hiddenMul: 1, outShift: 7, outMul: 1 },
}) as NumericConfig;

export const QUANTITIES = [
  'input',
  'weight',
  'bias',
  'preact',
  'act',
  'windowZ',
  'kernelArg',
  'gram',
  'rowSum',
  'coef',
  'xi',
  'lnVar',
  'lnInvStd',
  'delta',
  'logit',
  'prob',
  'err',
] as const;
export type Quantity = (typeof QUANTITIES)[number];

/** A QuantSpec with its format parsed. */
export interface Quant {
  format: FixedFormat;
  rounding: Rounding;
  overflow: Overflow;
}

export type ResolvedNumeric = Omit<NumericConfig, Quantity> & { [K in Quantity]: Quant };

function bad(field: string, msg: string): never {
  throw new RangeError(`numeric.${field}: ${msg}`);
}

function intField(field: string, v: unknown, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(field, `must be an integer in ${lo}..${hi}, got ${String(v)}`);
  return v;
}

/** f(), with an error it throws re-thrown as a RangeError naming `field`. */
function inField<T>(field: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    bad(field, (e as Error).message);
  }
}

function parseQuant(name: string, s: unknown): Quant {
  if (s === null || typeof s !== 'object') bad(name, `must be { format, rounding, overflow }, got ${String(s)}`);
  const spec = s as QuantSpec;
  const format = inField(`${name}.format`, () => (typeof spec.format === 'string' ? parseFormat(spec.format) : parseFormat(toHls(spec.format))));
  inField(`${name}.rounding`, () => checkRounding(spec.rounding));
  inField(`${name}.overflow`, () => checkOverflow(spec.overflow));
  if (width(format) > 32) bad(`${name}.format`, `${describeFormat(format)} is wider than the 32 bits a stored word may have`);
  return { format, rounding: spec.rounding, overflow: spec.overflow };
}

/** `Q4.12 = fixed<16,4>` */
export function describeFormat(f: FixedFormat): string {
  return `${toQ(f)} = ${toHls(f)}`;
}

/**
 * Parses and checks every field; throws a RangeError naming the first bad field. Structural rules:
 * signedness where the quantity can be negative, 1.0 representable where it is stored (gram, prob), the
 * LFSR parameters, table sizes, shifts. Width rules that depend on the network (accumulators) are checked
 * by the engine at construction, where the layer sizes are known.
 */
export function resolveNumeric(n: NumericConfig): ResolvedNumeric {
  if (n === null || typeof n !== 'object') throw new RangeError('numeric config must be an object');
  const out: Record<string, unknown> = {};
  for (const k of QUANTITIES) out[k] = parseQuant(k, (n as unknown as Record<string, unknown>)[k]);
  const Q = out as { [K in Quantity]: Quant };
  for (const k of ['input', 'weight', 'bias', 'preact', 'act', 'windowZ', 'coef', 'xi', 'delta', 'logit', 'err'] as const) {
    if (!Q[k].format.signed) bad(`${k}.format`, `${describeFormat(Q[k].format)} must be signed (the quantity can be negative)`);
  }
  for (const k of ['kernelArg', 'gram', 'rowSum', 'prob', 'lnVar', 'lnInvStd'] as const) {
    if (Q[k].format.signed) bad(`${k}.format`, `${describeFormat(Q[k].format)} must be unsigned`);
  }
  for (const k of ['gram', 'prob'] as const) {
    if (Q[k].format.intBits < 1) bad(`${k}.format`, `${describeFormat(Q[k].format)} cannot hold 1.0 (needs ≥ 1 integer bit)`);
  }
  for (const k of QUANTITIES) {
    if (k !== 'weight' && k !== 'bias' && Q[k].rounding === 'stochastic') {
      bad(`${k}.rounding`, 'stochastic rounding is only specified for the weight and bias updates (the LFSR bank)');
    }
  }
  for (const k of QUANTITIES) {
    if (Q[k].overflow !== 'saturate') bad(`${k}.overflow`, 'the chip saturates every stored quantity (and counts it); wrap is not specified');
  }
  // quantities produced by a unit's own arithmetic (tables, constant multipliers, sums) are rounded half up;
  // input, preact, windowZ and logit are plain resizes and take any deterministic rounding
  for (const k of ['act', 'kernelArg', 'gram', 'rowSum', 'coef', 'xi', 'lnVar', 'lnInvStd', 'delta', 'prob', 'err'] as const) {
    if (Q[k].rounding !== 'nearest') bad(`${k}.rounding`, `${Q[k].rounding} is not specified for this unit; it rounds half up ('nearest')`);
  }
  intField('gammaFracBits', n.gammaFracBits, 0, 16);
  intField('constBits', n.constBits, 4, 24);
  const acc = n.acc;
  if (acc === null || typeof acc !== 'object') bad('acc', 'must be an object of accumulator widths');
  for (const k of ['forward', 'gram', 'xi', 'ln', 'grad'] as const) intField(`acc.${k}`, acc[k], 2, 53);
  const tables = n.tables;
  if (tables === null || typeof tables !== 'object') bad('tables', 'must be an object');
  for (const k of ['expNeg', 'exp', 'rsqrt', 'recip'] as const) {
    const t = tables[k];
    if (t === null || typeof t !== 'object') bad(`tables.${k}`, 'must be { tableBits, interpolate, interpBits, guardBits }');
    intField(`tables.${k}.tableBits`, t.tableBits, k === 'rsqrt' ? 2 : 1, 14);
    if (typeof t.interpolate !== 'boolean') bad(`tables.${k}.interpolate`, 'must be a boolean');
    intField(`tables.${k}.interpBits`, t.interpBits, 0, 20);
    intField(`tables.${k}.guardBits`, t.guardBits, 0, 12);
  }
  const l = n.lfsr;
  if (l === null || typeof l !== 'object') bad('lfsr', 'must be { width, rbits, leap, lanes, seed }');
  intField('lfsr.width', l.width, 2, 32);
  if (DEFAULT_TAPS[l.width] === undefined) bad('lfsr.width', `no tap mask for width ${l.width}`);
  intField('lfsr.rbits', l.rbits, 1, Math.min(l.width, 30));
  intField('lfsr.leap', l.leap, 1, 64);
  intField('lfsr.lanes', l.lanes, 1, 4096);
  if (l.rowGroups !== undefined) {
    intField('lfsr.rowGroups', l.rowGroups, 1, l.lanes);
    if (l.lanes % l.rowGroups !== 0) bad('lfsr.rowGroups', `= ${l.rowGroups} must divide lfsr.lanes (${l.lanes}): the groups have lanes / rowGroups lanes each`);
  }
  intField('lfsr.seed', l.seed, 0, 2 ** 32 - 1);
  const lr = n.lr;
  if (lr === null || typeof lr !== 'object') bad('lr', 'must be { hiddenShift, hiddenMul, outShift, outMul }');
  intField('lr.hiddenShift', lr.hiddenShift, 0, LR_SHIFT_MAX);
  intField('lr.outShift', lr.outShift, 0, LR_SHIFT_MAX);
  intField('lr.hiddenMul', lr.hiddenMul, 0, LR_MUL_MAX);
  intField('lr.outMul', lr.outMul, 0, LR_MUL_MAX);
  // relations between quantities
  if (Q.windowZ.format.fracBits > Q.act.format.fracBits + 8) bad('windowZ.format', 'has far more fraction bits than act; store z at most as precise as it is computed');
  return { ...n, ...Q, acc: { ...acc }, tables: { ...tables }, lfsr: { ...l }, lr: { ...lr } } as ResolvedNumeric;
}

/** Throws a RangeError naming the bad field, or returns normally. */
export function validateNumeric(n: NumericConfig): void {
  resolveNumeric(n);
}

/**
 * The formats for a window of `window` samples: the K_X / K_Y row sums hold B gram words exactly, so when
 * `n.rowSum` is the default's (UQ4.16: B ≤ 8) and too narrow for B, its integer bits grow to 1 + ⌈log2 B⌉
 * (the fraction stays). A rowSum format set otherwise is left as it is (the fixed engine names it if too narrow).
 */
export function numericForWindow(n: NumericConfig, window: number): NumericConfig {
  const d = DEFAULT_NUMERIC.rowSum;
  const fmt = (x: FormatSpec) => (typeof x === 'string' ? parseFormat(x) : x);
  const f = fmt(d.format);
  const g = fmt(n.rowSum.format);
  const same = toHls(g) === toHls(f) && n.rowSum.rounding === d.rounding && n.rowSum.overflow === d.overflow;
  if (!same || !Number.isInteger(window) || window < 1) return n; // a bad window: validateChip names it
  const need = 1 + Math.ceil(Math.log2(window));
  if (need <= f.intBits) return n;
  return { ...n, rowSum: { ...d, format: `UQ${need}.${f.fracBits}` } };
}

/** A copy of `base` with the given fields replaced (shallow per section). */
export function withNumeric(base: NumericConfig, patch: Partial<NumericConfig>): NumericConfig {
  return {
    ...base,
    ...patch,
    acc: { ...base.acc, ...(patch.acc ?? {}) },
    tables: { ...base.tables, ...(patch.tables ?? {}) },
    lfsr: { ...base.lfsr, ...(patch.lfsr ?? {}) },
    lr: { ...base.lr, ...(patch.lr ?? {}) },
  };
}

/** Largest multiplier and shift of a learning rate mul·2^−shift (LrSpec; validated by resolveNumeric). */
export const LR_MUL_MAX = 255;
export const LR_SHIFT_MAX = 40;

/**
 * A learning rate as the chip applies it: lr = mul·2^−shift exactly, integer mul in 1..LR_MUL_MAX, shift in
 * 0..LR_SHIFT_MAX (the smallest such shift); lr = 0 is mul 0 (the layers are frozen). Throws a RangeError
 * naming `what`, the rate and the nearest representable rates below and above when lr has no such form.
 */
export function lrToShift(lr: number, what = 'lr'): { mul: number; shift: number } {
  if (lr === 0) return { mul: 0, shift: 0 };
  if (!(lr > 0) || !Number.isFinite(lr)) throw new RangeError(`${what} ${lr} must be a finite number ≥ 0`);
  let below = 0;
  let above = Infinity;
  for (let shift = 0; shift <= LR_SHIFT_MAX; shift++) {
    const m = lr * 2 ** shift; // exact: a power-of-two scaling
    if (Number.isInteger(m) && m >= 1 && m <= LR_MUL_MAX) return { mul: m, shift };
    const lo = Math.min(Math.floor(m), LR_MUL_MAX);
    const hi = Math.ceil(m);
    if (lo >= 1) below = Math.max(below, lo * 2 ** -shift);
    if (hi <= LR_MUL_MAX) above = Math.min(above, Math.max(hi, 1) * 2 ** -shift);
  }
  const show = (x: number) => {
    if (x === 0 || x === Infinity) return 'none';
    const { mul, shift } = lrToShift(x);
    return `${x} = ${mul}·2^−${shift}`;
  };
  throw new RangeError(
    `${what} ${lr} is not a rate the chip can apply: it must be mul·2^−shift with an integer mul in 1..${LR_MUL_MAX} and shift in 0..${LR_SHIFT_MAX} (numeric.lr); nearest below: ${show(below)}, above: ${show(above)}`,
  );
}

/**
 * The chip's learning-rate register values (numeric.lr) for float rates `lr` (hidden) and `lrOut` (output),
 * exactly (lrToShift); throws naming `lr` or `lrOut` when a rate has no exact form.
 */
export function lrShifts(lr: number, lrOut: number): LrSpec {
  const h = lrToShift(lr, 'lr');
  const o = lrToShift(lrOut, 'lrOut');
  return { hiddenShift: h.shift, hiddenMul: h.mul, outShift: o.shift, outMul: o.mul };
}

/** The learning rates an LrSpec stands for. */
export function lrValues(lr: LrSpec): { hidden: number; out: number } {
  return { hidden: lr.hiddenMul * 2 ** -lr.hiddenShift, out: lr.outMul * 2 ** -lr.outShift };
}

/**
 * The four table functions of the chip for resolved numerics and `classes` output units — defined once here,
 * used by the fixed-point golden model and by the generator, so the ROMs and the model cannot differ.
 *   expNeg  kernel values k = e^(−t): kernelArg → gram
 *   exp     softmax numerators e^(o − max o): (logit widened by one bit) → prob
 *   rsqrt   LayerNorm 1/√(var + ε): lnVar → lnInvStd
 *   recip   1/Σ e over the classes: sum of `classes` probabilities → UQ1.(prob fraction)
 */
export function chipTables(N: ResolvedNumeric, classes: number): { expNeg: TableFunction; exp: TableFunction; rsqrt: TableFunction; recip: TableFunction } {
  const T = N.tables;
  const FP = N.prob.format;
  const smIn = fx(width(N.logit.format) + 1, N.logit.format.intBits + 1, true); // o − max(o)
  return {
    expNeg: expNeg({ inFormat: N.kernelArg.format, outFormat: N.gram.format, ...T.expNeg }),
    exp: expTable({ inFormat: smIn, outFormat: FP, ...T.exp }),
    rsqrt: rsqrt({ inFormat: N.lnVar.format, outFormat: N.lnInvStd.format, ...T.rsqrt }),
    recip: recip({ inFormat: sumFormat(FP, classes), outFormat: fx(FP.fracBits + 1, 1, false), ...T.recip }),
  };
}
