/**
 * The bit-exact fixed-point golden model of the chip's training step (mode S, "stored": each sample's layer
 * outputs are written to the window memory when it is current and never recomputed; plain SGD with
 * power-of-two learning rates). Every value is an integer ("raw") in the format NumericConfig gives it;
 * this file is the specification the RTL must match word for word.
 *
 * Notation: f(Q) = fraction bits of quantity Q's format; rnd(x, k) = ⌊(x + 2^(k−1)) / 2^k⌋ (round half up,
 * an exact left shift when k ≤ 0); sat_Q = saturate into Q's format (counted per quantity); SR = stochastic
 * rounding with one LFSR draw (generator/fixed/lfsr.ts); N = B (window). A "resize to Q" is the library's
 * fast.resize with Q's rounding and overflow.
 *
 * STEP (trainSample): sample c enters slot `head` (the oldest leaves).
 *  1. Forward of c through the hidden layers with the current weights (§ forward), z of c stored in the
 *     window memory (windowZ), pre-activations a_c, 1/s_c and z_c kept for the backward.
 *  2. Gram rows (§ gram): K_X[c][q] from pixels (exact integer squared distances), K_Y[c][q] from labels,
 *     for every occupied slot q ≠ c; the ring buffers and their row sums R are updated incrementally
 *     (R_q += new − old; R_c recomputed); entries are exact integers so R equals the recomputed sum.
 *  3. While the window holds fewer than B samples nothing else happens (returns false).
 *  4. Per hidden layer: K_Z row (k_p = exp table of t_p = rnd(‖z_c − z_p‖² κ_z)), per-sample coefficient
 *     c_p (§ xi), ξ_j = sat(rnd(Σ_p c_p (z_cj − z_pj))), LN backward + relu′ → δ (§ delta), then the rank-1
 *     update W_ji ← sat(W_ji + SR(−mul·δ_j · h_i, k)), b_j ← sat(b_j + SR(−mul·δ_j, k_b)) (§ update).
 *     Layers in order 1, 2, …; each layer has its own bank of `lanes` LFSRs; word i of row j (bias: i = nIn)
 *     draws from lane i mod lanes; rows in order, words in order; rows with δ_j = 0 are skipped (no write, no
 *     draw). The layer's input h is the current sample's (pixels as (2p − 255)/256, or z of the layer below).
 *  5. Output layer: logits of all B window samples from the stored h (windowZ of the last hidden layer) with
 *     the current W_L, table softmax, e_p = (P_p − y_p)/B, G = Σ_p h_p ⊗ e_p exact, W_L ← sat(W_L + SR(−mul·G, k))
 *     with the output layer's LFSR bank, same word/lane order, no row skipped.
 * Inference (predict/evaluate): the same forward; the last hidden z is resized to windowZ before the logits,
 * as the window memory would hold it; argmax with ties to the lowest class.
 *
 * Arithmetic: everything is integer. Hot loops use `number`; every place where a product or sum could
 * exceed 2^53 is bounded from the formats at construction (checkBounds) and the engine refuses configs
 * where the bound fails. Accumulators: the exact dot-product format of each MAC (dotFormat / sumFormat of
 * the generator/fixed library) must fit the configured accumulator width — asserted at construction,
 * so accumulators never wrap.
 */
import {
  dotFormat,
  fromReal,
  fx,
  maxRawNum,
  minRawNum,
  mulFormat,
  SatCounter,
  SatSlot,
  subFormat,
  sumFormat,
  width,
  fast,
  type FixedFormat,
  type NoiseSource,
  type Rounding,
  type TableFunction,
} from '../../../generator/fixed/index.js';
import { chipTables, describeFormat, lrShifts, lrValues, QUANTITIES, resolveNumeric, withNumeric, type NumericConfig, type Quant, type ResolvedNumeric } from '../../../generator/numeric.js';
import { PIXEL_SHIFT, type Split } from '../../data.js';
import type { Engine, EngineState, LayerWeights, TrainConfig } from '../../engine.js';
import { Rng } from '../../rng.js';
import { laneSeed, LfsrBank } from './lfsr-bank.js';
import { ConstScale, mulShift, rshiftNearest } from './scale.js';

type Resizer = (raw: number, src?: NoiseSource, sat?: SatSlot) => number;

const STATE_KIND = 'golden/fixed';
const STATE_VERSION = 1;
/** Extra fraction bits of mean(ξ) and mean(ξ⊙z) in the LayerNorm backward. */
export const LN_BWD_GUARD = 4;
/** Flax's truncated-normal correction: the std of N(0,1) truncated to ±2. */
const TRUNC_STD = 0.8796256610342398;

export interface RawLayer {
  nIn: number;
  nOut: number;
  /** W[j * nIn + i]: input i → output j, raw in the weight format */
  W: Int32Array;
  /** raw in the bias format */
  b: Int32Array;
}

export interface AccReport {
  name: string;
  needBits: number;
  haveBits: number;
  format: string;
}

export interface MemoryReport {
  /** window inputs (pixels u8 or input words) for B slots */
  inputs: number;
  labels: number;
  /** stored z per hidden layer (the last one is also the output layer's h) */
  storedZ: number;
  /** K_X and K_Y: B(B−1)/2 off-diagonal words each (symmetric, diagonal = 1 is a constant) */
  gram: number;
  rowSums: number;
  total: number;
  weights: number;
}

export interface FixedReport {
  formats: Record<string, string>;
  saturations: Record<string, { high: number; low: number }>;
  accumulators: AccReport[];
  memoryBits: MemoryReport;
  lr: { hidden: number; out: number };
  constants: Record<string, { value: number; mantissa: number; shift: number; effective: number }>;
  text: string;
}

export interface StepTrace {
  c: number;
  layers: {
    /** dequantised, length B×n: window memory z */
    zw: Float64Array;
    k: Float64Array;
    coef: Float64Array;
    xi: Float64Array;
    zc: Float64Array;
    ac: Float64Array;
    sInv: number;
    delta: Float64Array;
    h: Float64Array;
    Wbefore: Int32Array;
    bBefore: Int32Array;
    Wafter: Int32Array;
    bAfter: Int32Array;
  }[];
  Kx: Float64Array;
  Ky: Float64Array;
  /** output layer (dequantised): stored h (B×nIn), logits, P, e (B×C), labels; raw W/b before and after */
  out?: {
    h: Float64Array;
    logits: Float64Array;
    P: Float64Array;
    e: Float64Array;
    labels: Int32Array;
    Wbefore: Int32Array;
    bBefore: Int32Array;
    Wafter: Int32Array;
    bAfter: Int32Array;
  };
}

export interface FixedEngine extends Engine {
  readonly numeric: ResolvedNumeric;
  report(): FixedReport;
  rawWeights(): { layers: RawLayer[] };
  encodeWeights(): Buffer;
  /** When set, the next IB steps record a StepTrace in `lastTrace` (allocates; tests only). */
  trace: boolean;
  lastTrace: StepTrace | undefined;
  readonly sat: SatCounter;
}

function isPow2(n: number): boolean {
  return n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

const fb = (q: Quant) => q.format.fracBits;

function validateTrain(c: TrainConfig): void {
  const bad = (m: string) => {
    throw new RangeError(`fixed engine: ${m}`);
  };
  if (!Array.isArray(c.layers) || c.layers.length < 3) bad('layers needs an input, at least one hidden layer and an output');
  for (const n of c.layers) if (!Number.isInteger(n) || n < 1) bad(`layer width ${n} is not a positive integer`);
  if (!Number.isInteger(c.window) || c.window < 2) bad(`window ${c.window} must be an integer ≥ 2`);
  if (!['P', 'F', 'E', 'J'].includes(c.variant)) bad(`unknown variant ${String(c.variant)}`);
  if (c.memory !== 'stored') bad(`memory '${c.memory}': the chip stores past z (mode S); only 'stored' is specified`);
  if (c.optimizer !== 'sgd') bad(`optimizer '${c.optimizer}': the chip applies plain SGD (shifts); use 'sgd'`);
  if (c.rule !== 'ib') bad(`rule '${c.rule}': only the IB rule is specified in fixed point`);
  if (!(c.gamma >= 0)) bad(`gamma ${c.gamma} must be ≥ 0`);
  for (const s of c.sigma) if (!(s > 0)) bad(`sigma ${s} must be > 0`);
  if (!(c.lnEps >= 0)) bad(`lnEps ${c.lnEps} must be ≥ 0`);
  if (!Number.isInteger(c.seed)) bad(`seed ${c.seed} must be an integer`);
}

export class FixedPointEngine implements FixedEngine {
  readonly config: TrainConfig;
  readonly numeric: ResolvedNumeric;
  readonly sat = new SatCounter();
  trace = false;
  lastTrace: StepTrace | undefined;

  private readonly sizes: number[];
  private readonly L: number; // number of weight layers
  private readonly B: number;
  private readonly W: Int32Array[] = [];
  private readonly b: Int32Array[] = [];
  private readonly banks: LfsrBank[] = [];
  // window
  private count = 0;
  private head = 0;
  private steps = 0;
  private readonly slotIdx: Int32Array;
  private readonly slotLabel: Int32Array;
  private readonly zw: Int32Array[] = []; // B × n per hidden layer (windowZ raw)
  private readonly Kx: Int32Array; // B × B (gram raw), symmetric
  private readonly Ky: Int32Array;
  private readonly Rx: Float64Array; // row sums (rowSum raw, exact)
  private readonly Ry: Float64Array;
  // scratch (no per-sample allocation)
  private readonly h0: Int32Array;
  private readonly h0q: Int32Array; // quantised input of another slot (non-pixel sets)
  private readonly act: Int32Array[] = []; // per hidden layer: a_c (preact raw) — reused
  private readonly zc: Int32Array[] = []; // per hidden layer: z_c (act raw)
  private readonly sInvC: Float64Array; // per hidden layer
  private readonly accBuf: Int32Array;
  private readonly acc4 = new Float64Array(4);
  private readonly rbuf: Int32Array;
  private readonly kRow: Float64Array;
  private readonly coef: Float64Array;
  private readonly xi: Float64Array;
  private readonly delta: Float64Array;
  private readonly logits: Float64Array; // B × C
  private readonly errs: Float64Array; // B × C
  private readonly probs: Float64Array; // B × C (trace only)
  private readonly expBuf: Float64Array;
  private readonly gradW: Float64Array;
  private readonly gradB: Float64Array;
  private readonly evH: Int32Array[] = [];
  // tables and constants
  private readonly expNeg: TableFunction;
  private readonly expSm: TableFunction;
  private readonly rsqrtT: TableFunction;
  private readonly recipT: TableFunction;
  private readonly kappaX: ConstScale;
  private readonly kappaXShift: number;
  private readonly kappaZ: ConstScale[] = [];
  private readonly kyDiff: number;
  private readonly invN: ConstScale[] = [];
  private readonly invN2: ConstScale[] = [];
  private readonly xiScale: ConstScale[] = [];
  private readonly invB: ConstScale;
  private readonly gammaRaw: number;
  private readonly epsRaw: number;
  private readonly ONE: number;
  private readonly accs: AccReport[] = [];
  private readonly resizeLogit: Resizer;
  private readonly resizeWinZ: Resizer;
  private readonly kappaXq: ConstScale;
  // saturation slots
  private readonly S: Record<string, SatSlot> = {};

  constructor(config: TrainConfig, numeric: NumericConfig) {
    validateTrain(config);
    // the learning rates are TrainConfig's, applied as mul·2^−shift (numeric.lr is set from them)
    let lr: NumericConfig['lr'];
    try {
      lr = lrShifts(config.lr, config.lrOut);
    } catch (e) {
      throw new RangeError(`fixed engine: ${(e as Error).message}`);
    }
    const N = resolveNumeric(withNumeric(numeric, { lr }));
    this.config = { ...config, layers: config.layers.slice(), sigma: [...config.sigma] as [number, number, number] };
    this.numeric = N;
    this.sizes = config.layers.slice();
    this.L = this.sizes.length - 1;
    const B = (this.B = config.window);
    const sizes = this.sizes;
    // one counter per stored quantity, in QUANTITIES order; rowSum is exact (checked below) and never saturates
    for (const name of QUANTITIES) if (name !== 'rowSum') this.S[name] = this.sat.slot(name);

    // ---- structural checks that need the network
    for (let l = 1; l < this.L; l++) {
      if (!isPow2(sizes[l])) throw new RangeError(`fixed engine: hidden width ${sizes[l]} must be a power of two (LayerNorm divides by n with a shift)`);
    }
    const FW = N.weight.format;
    const FA = N.preact.format;
    const FZ = N.act.format;
    const FWZ = N.windowZ.format;
    const FK = N.gram.format;
    const FD = N.delta.format;
    const FE = N.err.format;
    const inF = (l: number) => (l === 0 ? N.input.format : l === this.L ? FWZ : FZ);
    for (let l = 0; l < this.L; l++) {
      const fIn = inF(l).fracBits;
      if (fb(N.bias) > FW.fracBits + fIn) throw new RangeError(`numeric.bias.format: ${describeFormat(N.bias.format)} has more fraction bits than the layer-${l + 1} product W·h (${FW.fracBits + fIn})`);
    }

    // ---- accumulators: exact formats from the library, asserted against the configured widths
    const need = (name: string, f: FixedFormat, have: number, field: string) => {
      this.accs.push({ name, needBits: width(f), haveBits: have, format: describeFormat(f) });
      if (width(f) > have) {
        throw new RangeError(`numeric.acc.${field}: the ${name} accumulator needs ${width(f)} bits (${describeFormat(f)}) but is ${have} bits wide; it could wrap`);
      }
    };
    for (let l = 0; l < this.L; l++) {
      // Σ_i W h + b: nIn products and the bias aligned to the product's fraction; every term fits the wider
      // of the two formats, so the exact sum fits sumFormat(term, nIn + 1)
      const prod = mulFormat(FW, inF(l));
      const term = fx(Math.max(prod.intBits, N.bias.format.intBits) + prod.fracBits, Math.max(prod.intBits, N.bias.format.intBits), true);
      const f = sumFormat(term, sizes[l] + 1);
      need(`forward layer ${l + 1} (${sizes[l]} terms + bias)`, f, N.acc.forward, 'forward');
    }
    const dx = N.input.format;
    need(`K_X distance (${sizes[0]} squared differences)`, dotFormat(subFormat(dx, dx), subFormat(dx, dx), sizes[0]), N.acc.gram, 'gram');
    need('K_X distance from pixels (u8)', dotFormat(fx(9, 9), fx(9, 9), sizes[0]), N.acc.gram, 'gram');
    const dz = subFormat(FWZ, FWZ);
    for (let l = 1; l < this.L; l++) {
      need(`K_Z distance layer ${l}`, dotFormat(dz, dz, sizes[l]), N.acc.gram, 'gram');
      need(`xi layer ${l} (${B - 1} terms)`, dotFormat(N.coef.format, dz, B - 1), N.acc.xi, 'xi');
      // LayerNorm sums: n Σ r² (r ≥ 0 in preact) — exact
      const rF = fx(width(FA) - 1, FA.intBits - 1, false);
      const s2 = sumFormat(mulFormat(rF, rF), sizes[l]);
      need(`LayerNorm n·Σr² layer ${l}`, sumFormat(s2, sizes[l]), N.acc.ln, 'ln');
    }
    need('output gradient Σ_p h_p e_p', dotFormat(FWZ, FE, B), N.acc.grad, 'grad');
    const rs = sumFormat(FK, B);
    if (N.rowSum.format.fracBits !== FK.fracBits || N.rowSum.format.intBits < rs.intBits) {
      throw new RangeError(`numeric.rowSum.format: ${describeFormat(N.rowSum.format)} cannot hold the exact sum of ${B} gram words (${describeFormat(rs)})`);
    }
    this.accs.push({ name: `row sums of K_X, K_Y (${B} words)`, needBits: width(rs), haveBits: width(N.rowSum.format), format: describeFormat(rs) });

    // ---- tables
    const tables = chipTables(N, sizes[this.L]);
    this.expNeg = tables.expNeg;
    this.expSm = tables.exp;
    this.rsqrtT = tables.rsqrt;
    this.recipT = tables.recip;
    this.ONE = 2 ** FK.fracBits;

    // ---- constants
    const cb = N.constBits;
    const [sx, sy, sz] = config.sigma;
    // K_X from pixels: x = (2p − 255)/2^PIXEL_SHIFT (sim/data.ts), so ‖x_c − x_q‖² = 4 d_pix / 2^(2·PIXEL_SHIFT)
    this.kappaX = new ConstScale(4 / (2 ** (2 * PIXEL_SHIFT) * 2 * sx * sx * sizes[0]), cb);
    this.kappaXShift = -N.kernelArg.format.fracBits;
    // non-pixel sets: d over input words (units 2^−2f_in), κ = 1/(2 s_x²)
    this.kappaXq = new ConstScale(1 / (2 * sx * sx * sizes[0]), cb);
    const C = sizes[this.L];
    const tY = Math.min(fromReal(2 / (2 * sy * sy * C), N.kernelArg.format, 'nearest', 'saturate'), maxRawNum(N.kernelArg.format));
    this.kyDiff = this.expNeg.eval(tY);
    this.gammaRaw = fromReal(config.gamma, fx(24, 24 - N.gammaFracBits, false), 'nearest', 'saturate');
    const v = config.variant;
    const nrm = v === 'J' ? B * (B - 1) ** 2 : B * B * (B - 1) ** 2; // N(N−1)² for J, N²(N−1)² for E, P, F (computeXi)
    for (let l = 1; l < this.L; l++) {
      const n = sizes[l];
      const s2 = sz * sz * n;
      this.kappaZ.push(new ConstScale(1 / (2 * s2), cb));
      this.invN.push(new ConstScale(1 / n, cb));
      this.invN2.push(new ConstScale(1 / (n * n), cb));
      this.xiScale.push(new ConstScale(2 / s2 / nrm, cb));
    }
    this.invB = new ConstScale(1 / B, cb);
    // ε in the lnVar format (round to nearest); one that rounds to 0 would leave 1/s unbounded
    this.epsRaw = fromReal(config.lnEps, N.lnVar.format, 'nearest', 'saturate');
    if (this.epsRaw === 0) {
      const f = N.lnVar.format.fracBits;
      throw new RangeError(
        `fixed engine: lnEps ${config.lnEps} rounds to 0 in the lnVar format ${describeFormat(N.lnVar.format)}; the smallest representable ε is 2^−${f} = ${2 ** -f} (use lnEps ≥ ${2 ** -(f + 1)}, or more lnVar fraction bits)`,
      );
    }

    // ---- 53-bit bounds of the number arithmetic (see the comments at each use)
    this.checkBounds();
    for (let l = 0; l < this.L - 1; l++) {
      const hw = width(inF(l));
      this.intUpdate.push(2 ** (width(FD) - 1) * N.lr.hiddenMul * 2 ** (hw - 1) < 2 ** 31);
    }

    // ---- resizers
    this.resizeLogit = fast.resizer(fx(53, 53 - (FW.fracBits + FWZ.fracBits), true), N.logit.format, N.logit.rounding, N.logit.overflow);
    this.resizeWinZ = fast.resizer(FZ, FWZ, N.windowZ.rounding, N.windowZ.overflow);

    // ---- parameters: lecun normal (truncated, Var = 1/fan_in), quantised to nearest
    const rng = new Rng(config.seed);
    for (let l = 0; l < this.L; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const W = new Int32Array(nIn * nOut);
      const std = Math.sqrt(1 / nIn) / TRUNC_STD;
      for (let i = 0; i < nIn; i++) {
        for (let j = 0; j < nOut; j++) W[j * nIn + i] = fromReal(rng.truncatedNormal() * std, FW, 'nearest', 'saturate', undefined, this.S.weight);
      }
      this.W.push(W);
      this.b.push(new Int32Array(nOut));
      const seeds = new Uint32Array(N.lfsr.lanes);
      for (let q = 0; q < N.lfsr.lanes; q++) seeds[q] = laneSeed(N.lfsr.seed, config.seed, l, q, N.lfsr.width);
      this.banks.push(new LfsrBank(N.lfsr.width, N.lfsr.rbits, N.lfsr.leap, N.lfsr.lanes, seeds));
    }

    // ---- window and scratch
    this.slotIdx = new Int32Array(B).fill(-1);
    this.slotLabel = new Int32Array(B).fill(-1);
    for (let l = 1; l < this.L; l++) {
      this.zw.push(new Int32Array(B * sizes[l]));
      this.act.push(new Int32Array(sizes[l]));
      this.zc.push(new Int32Array(sizes[l]));
      this.evH.push(new Int32Array(sizes[l]));
    }
    this.sInvC = new Float64Array(this.L);
    this.Kx = new Int32Array(B * B);
    this.Ky = new Int32Array(B * B);
    this.Rx = new Float64Array(B);
    this.Ry = new Float64Array(B);
    this.h0 = new Int32Array(sizes[0]);
    this.h0q = new Int32Array(sizes[0]);
    const maxN = Math.max(...sizes);
    this.accBuf = new Int32Array(maxN);
    this.rbuf = new Int32Array(maxN + 4);
    this.kRow = new Float64Array(B);
    this.coef = new Float64Array(B);
    this.xi = new Float64Array(maxN);
    this.delta = new Float64Array(maxN);
    this.logits = new Float64Array(B * C);
    this.errs = new Float64Array(B * C);
    this.probs = new Float64Array(B * C);
    this.expBuf = new Float64Array(C);
    this.gradW = new Float64Array(sizes[this.L - 1] * C);
    this.gradB = new Float64Array(C);
  }

  /**
   * Proves, from the formats, that every `number` intermediate stays below 2^53 (where float64 integer
   * arithmetic is exact); throws naming the computation otherwise.
   */
  private checkBounds(): void {
    const N = this.numeric;
    const w = (q: Quant) => width(q.format);
    const lim = 2 ** 53;
    const check = (what: string, bound: number) => {
      if (!(bound < lim)) throw new RangeError(`fixed engine: ${what} can reach 2^${Math.log2(bound).toFixed(1)} ≥ 2^53 with these formats`);
    };
    // 1/s ≤ 1/√ε: var + ε ≥ ε > 0 (the constructor refuses an ε that rounds to 0), and the rsqrt table is
    // within (1 + rel) of the exact value (factor 2 margin)
    const sInvMax = Math.min(2 * this.rsqrtT.eval(this.epsRaw) + 2, 2 ** w(N.lnInvStd));
    for (let l = 1; l < this.L; l++) {
      const n = this.sizes[l];
      // LN: (n·r_j − Σr)·(1/s): |n r − S1| ≤ n·2^(w_a−1), 1/s < 2^w_s (then a power-of-two shift since n = 2^k)
      check(`LayerNorm output (n·r − Σr)·(1/s), layer ${l}`, n * 2 ** (w(N.preact) - 1) * sInvMax);
      // LN backward: |ξ·2^g| ≤ 2^(w_ξ−1+g); |M2| ≤ 2^(w_ξ+w_z−2+g−f_z); |z·M2| ≤ 2^(w_z−1)·|M2|
      const g = LN_BWD_GUARD;
      const m2 = 2 ** (w(N.xi) + w(N.act) - 2 + g - fb(N.act));
      check(`LayerNorm backward z·mean(ξz), layer ${l}`, 2 ** (w(N.act) - 1) * m2);
      check(`LayerNorm backward Σ ξ z, layer ${l}`, n * 2 ** (w(N.xi) + w(N.act) - 2 + g));
      const T = 2 * 2 ** (w(N.xi) - 1 + g) + 2 ** (w(N.act) - 1) * m2 * 2 ** -fb(N.act) + 1;
      check(`LayerNorm backward T·(1/s), layer ${l}`, T * sInvMax);
      // ξ coefficient u_p = W_p·k_p: |W_p| ≤ 4N²(1+γ)·2^(f_k+f_γ) (variant E, the largest), k ≤ 2^w_k
      const Wp = 4 * this.B * this.B * (1 + this.config.gamma) * 2 ** (fb(N.gram) + N.gammaFracBits);
      check('ξ coefficient W_p·k_p', Wp * 2 ** w(N.gram));
    }
    // stochastic update products: |δ|·mul·|h| and |G|·mul
    check('hidden update δ·h', 2 ** (w(N.delta) - 1) * 255 * 2 ** Math.max(w(N.input), w(N.act)));
    check('output update G·mul', 2 ** (w(N.windowZ) + w(N.err) + Math.ceil(Math.log2(this.B))) * 255);
  }

  // ---------------------------------------------------------------------------------------------------
  // window

  beginEpoch(): void {
    this.count = 0;
    this.head = 0;
    this.slotIdx.fill(-1);
    this.slotLabel.fill(-1);
    this.Kx.fill(0);
    this.Ky.fill(0);
    this.Rx.fill(0);
    this.Ry.fill(0);
    for (const z of this.zw) z.fill(0);
  }

  /** Raw network input of sample `index` into `out` (input format). */
  private loadInput(split: Split, index: number, out: Int32Array): void {
    const dim = this.sizes[0];
    const F = this.numeric.input.format;
    if (split.pixels) {
      // p ↦ (2p − 255)/2^PIXEL_SHIFT exactly (sim/data.ts pixelToInput): raw = (2p − 255)·2^(f_in − PIXEL_SHIFT)
      const sc = 2 ** (F.fracBits - PIXEL_SHIFT);
      const px = split.pixels;
      const o = index * dim;
      for (let i = 0; i < dim; i++) out[i] = (2 * px[o + i] - 255) * sc;
    } else {
      const x = split.x;
      const o = index * dim;
      const q = this.numeric.input;
      for (let i = 0; i < dim; i++) out[i] = fromReal(x[o + i], F, q.rounding, q.overflow, undefined, this.S.input);
    }
  }

  private checkSplit(split: Split, index: number): void {
    if (split.dim !== this.sizes[0]) throw new RangeError(`fixed engine: split has ${split.dim} features, the network takes ${this.sizes[0]}`);
    if (!(Number.isInteger(index) && index >= 0 && index < split.n)) throw new RangeError(`fixed engine: sample ${index} out of range [0, ${split.n})`);
    if (split.pixels) {
      const F = this.numeric.input.format;
      if (F.fracBits < PIXEL_SHIFT || F.intBits < 1) {
        throw new RangeError(`numeric.input.format: ${describeFormat(F)} cannot hold pixels as (2p − 255)/256 (needs ≥ 1 integer and ≥ 8 fraction bits)`);
      }
    }
    const C = this.sizes[this.L];
    if (split.y[index] >= C) throw new RangeError(`fixed engine: label ${split.y[index]} ≥ ${C} classes`);
  }

  trainSample(split: Split, index: number): boolean {
    this.checkSplit(split, index);
    const B = this.B;
    const c = this.head;
    this.slotIdx[c] = index;
    this.slotLabel[c] = split.y[index];
    this.head = (c + 1) % B;
    if (this.count < B) this.count++;
    // 1. forward of c, store z
    this.loadInput(split, index, this.h0);
    let h: Int32Array = this.h0;
    for (let l = 0; l < this.L - 1; l++) {
      this.sInvC[l] = this.hiddenForward(l, h, this.act[l], this.zc[l]);
      const n = this.sizes[l + 1];
      const zw = this.zw[l];
      const z = this.zc[l];
      for (let j = 0; j < n; j++) zw[c * n + j] = this.resizeWinZ(z[j], undefined, this.S.windowZ);
      h = z;
    }
    // 2. Gram rows
    this.gramRows(split, c);
    if (this.count < B) return false;
    this.steps++;
    // 4. hidden layers
    let tr: StepTrace | undefined;
    if (this.trace) {
      tr = { c, layers: [], Kx: this.deq(this.Kx, this.numeric.gram.format), Ky: this.deq(this.Ky, this.numeric.gram.format) };
      for (let p = 0; p < B; p++) {
        tr.Kx[p * B + p] = 1;
        tr.Ky[p * B + p] = 1;
      }
    }
    for (let l = 0; l < this.L - 1; l++) this.hiddenStep(l, c, l === 0 ? this.h0 : this.zc[l - 1], tr);
    // 5. output layer
    this.outputStep(tr);
    if (tr) this.lastTrace = tr;
    return true;
  }

  private deq(a: ArrayLike<number>, f: FixedFormat, n = a.length): Float64Array {
    const out = new Float64Array(n);
    const s = 2 ** -f.fracBits;
    for (let i = 0; i < n; i++) out[i] = a[i] * s;
    return out;
  }

  // ---------------------------------------------------------------------------------------------------
  // forward

  /**
   * Hidden layer l: a_j = resize_preact(Σ_i W_ji h_i + b_j·2^(f_w+f_h−f_b)) (exact accumulator, bounded by
   * acc.forward), r = max(a, 0), S1 = Σ r, V = n·Σ r² − S1² (= n²·var exactly; < 2^acc.ln),
   * var = rnd(V·2^(f_var − 2 f_a) / n²) (n = 2^k: a shift), s⁻¹ = rsqrt(sat_var(var + ε)),
   * z_j = sat_act(rnd((n r_j − S1)·s⁻¹ · 2^(f_z − f_a − f_s) / n)). Returns s⁻¹ (lnInvStd raw).
   */
  private hiddenForward(l: number, h: Int32Array, a: Int32Array, z: Int32Array): number {
    const N = this.numeric;
    const nIn = this.sizes[l];
    const n = this.sizes[l + 1];
    const W = this.W[l];
    const bb = this.b[l];
    const fIn = l === 0 ? fb(N.input) : fb(N.act);
    const bShift = 2 ** (fb(N.weight) + fIn - fb(N.bias));
    // preact resize: product fraction f_w + f_in → f_a
    const dShift = fb(N.weight) + fIn - fb(N.preact);
    const FA = N.preact.format;
    const aLo = minRawNum(FA);
    const aHi = maxRawNum(FA);
    const Spre = this.S.preact;
    const acc4 = this.acc4;
    for (let j = 0; j < n; j++) {
      // four rows per pass share the loads of h (the sums are exact, so the order does not matter)
      if ((j & 3) === 0 && j + 3 < n) {
        let a0 = bb[j] * bShift;
        let a1 = bb[j + 1] * bShift;
        let a2 = bb[j + 2] * bShift;
        let a3 = bb[j + 3] * bShift;
        const o0 = j * nIn;
        const o1 = o0 + nIn;
        const o2 = o1 + nIn;
        const o3 = o2 + nIn;
        for (let i = 0; i < nIn; i++) {
          const x = h[i];
          a0 += W[o0 + i] * x;
          a1 += W[o1 + i] * x;
          a2 += W[o2 + i] * x;
          a3 += W[o3 + i] * x;
        }
        acc4[0] = a0;
        acc4[1] = a1;
        acc4[2] = a2;
        acc4[3] = a3;
      }
      let acc: number;
      if (j + 3 - (j & 3) < n) acc = acc4[j & 3];
      else {
        acc = bb[j] * bShift;
        const o = j * nIn;
        for (let i = 0; i < nIn; i++) acc += W[o + i] * h[i];
      }
      let y = N.preact.rounding === 'nearest' && dShift > 0 ? rshiftNearest(acc, dShift) : fast.shiftRight(acc, Math.max(dShift, 0), N.preact.rounding) * 2 ** Math.max(-dShift, 0);
      // overflow is always 'saturate' (resolveNumeric)
      if (y > aHi) {
        y = aHi;
        Spre.high++;
      } else if (y < aLo) {
        y = aLo;
        Spre.low++;
      }
      a[j] = y;
    }
    return this.layerNorm(l, a, z, n);
  }

  /** z = LN(relu(a)) of hidden layer l (see hiddenForward); returns s⁻¹. */
  private layerNorm(l: number, a: Int32Array, z: Int32Array, n: number): number {
    const N = this.numeric;
    let S1 = 0;
    let S2 = 0;
    for (let j = 0; j < n; j++) {
      const r = a[j] > 0 ? a[j] : 0;
      S1 += r;
      S2 += r * r;
    }
    // V = n·S2 − S1² ≥ 0 exactly; both terms < 2^acc.ln ≤ 2^53 (checked at construction)
    const V = n * S2 - S1 * S1;
    let v = this.invN2[l].apply(V, 2 * fb(N.preact) - fb(N.lnVar)) + this.epsRaw;
    const vMax = maxRawNum(N.lnVar.format);
    if (v > vMax) {
      v = vMax;
      this.S.lnVar.high++;
    }
    const sInv = this.rsqrtT.eval(v, this.S.lnInvStd);
    const inv = this.invN[l];
    const k = fb(N.preact) + fb(N.lnInvStd) - fb(N.act);
    const FZ = N.act.format;
    const zLo = minRawNum(FZ);
    const zHi = maxRawNum(FZ);
    const Sz = this.S.act;
    for (let j = 0; j < n; j++) {
      const r = a[j] > 0 ? a[j] : 0;
      // (n r − S1)·s⁻¹ < n·2^(w_a−1)·2^w_s < 2^53 (checkBounds); 1/n is a power of two, so apply() is a shift
      let y = inv.apply((n * r - S1) * sInv, k);
      if (y > zHi) {
        y = zHi;
        Sz.high++;
      } else if (y < zLo) {
        y = zLo;
        Sz.low++;
      }
      z[j] = y;
    }
    return sInv;
  }

  /** Output logits of input h (windowZ raw of the last hidden layer) into out[o …]. */
  private logitsOf(h: ArrayLike<number>, hOff: number, out: Float64Array, o: number): void {
    const N = this.numeric;
    const l = this.L - 1;
    const nIn = this.sizes[l];
    const C = this.sizes[l + 1];
    const W = this.W[l];
    const bb = this.b[l];
    const bShift = 2 ** (fb(N.weight) + fb(N.windowZ) - fb(N.bias));
    for (let j = 0; j < C; j++) {
      let acc = bb[j] * bShift;
      const r = j * nIn;
      for (let i = 0; i < nIn; i++) acc += W[r + i] * h[hOff + i];
      out[o + j] = this.resizeLogit(acc, undefined, this.S.logit);
    }
  }

  // ---------------------------------------------------------------------------------------------------
  // Gram rows

  /** Gram word expNeg(sat_t(rnd(d·κ))) of an exact squared distance d; `shift` brings d·κ to kernelArg units. */
  private kernelWord(d: number, kappa: ConstScale, shift: number): number {
    let t = kappa.apply(d, shift);
    const tMax = maxRawNum(this.numeric.kernelArg.format);
    if (t > tMax) {
      t = tMax;
      this.S.kernelArg.high++;
    }
    return this.expNeg.eval(t, this.S.gram);
  }

  /**
   * New row c of K_X, K_Y for every occupied slot q ≠ c:
   *   K_X[c][q] = expNeg(sat_t(rnd(d_pix · κ_x))) with d_pix = Σ (p_c − p_q)² exact (< 2^26 for 784 u8),
   *   κ_x = 4/(2^16·2 s_x²) in kernelArg units (non-pixel sets: d over input words, κ = 1/(2 s_x²));
   *   K_Y[c][q] = 1 if the labels are equal, else expNeg(rnd(2/(2 s_y²))) (a constant);
   * R_q += K[c][q] − K_old[c][q] for q ≠ c, R_c = 1 + Σ_q K[c][q]; the diagonal is the constant 1.
   */
  private gramRows(split: Split, c: number): void {
    const N = this.numeric;
    const B = this.B;
    const dim = this.sizes[0];
    const idxC = this.slotIdx[c];
    const px = split.pixels;
    let kappa = this.kappaX;
    let extra = this.kappaXShift;
    if (!px) {
      this.loadInput(split, idxC, this.h0);
      kappa = this.kappaXq;
      extra = 2 * fb(N.input) - fb(N.kernelArg);
    }
    let rx = this.ONE;
    let ry = this.ONE;
    const yc = this.slotLabel[c];
    for (let q = 0; q < B; q++) {
      if (q === c || this.slotIdx[q] < 0) continue;
      let d = 0;
      if (px) {
        const oc = idxC * dim;
        const oq = this.slotIdx[q] * dim;
        for (let i = 0; i < dim; i++) {
          const e = px[oc + i] - px[oq + i];
          d += e * e;
        }
      } else {
        this.loadInput(split, this.slotIdx[q], this.h0q);
        for (let i = 0; i < dim; i++) {
          const e = this.h0[i] - this.h0q[i];
          d += e * e;
        }
      }
      const kx = this.kernelWord(d, kappa, extra);
      const ky = this.slotLabel[q] === yc ? this.ONE : this.kyDiff;
      this.Rx[q] += kx - this.Kx[c * B + q];
      this.Ry[q] += ky - this.Ky[c * B + q];
      this.Kx[c * B + q] = kx;
      this.Kx[q * B + c] = kx;
      this.Ky[c * B + q] = ky;
      this.Ky[q * B + c] = ky;
      rx += kx;
      ry += ky;
    }
    this.Rx[c] = rx;
    this.Ry[c] = ry;
    if (!px) this.loadInput(split, idxC, this.h0); // h0 was reused above; restore the current input
  }

  // ---------------------------------------------------------------------------------------------------
  // hidden step: K_Z row, ξ, δ, update

  /**
   * ξ of hidden layer l (n outputs; window memory zw):
   *   d_p = Σ_j (zw_cj − zw_pj)² exact; k_p = expNeg(sat_t(rnd(d_p κ_z))), κ_z = 1/(2 s_z²), s_z² = σ_z² n;
   *   variant weight W_p (exact integers in units 2^−(f_k+f_γ); R = row sums, Rt = Rx·2^fγ − γ Ry,
   *   Kt = Kx·2^fγ − γ Ky, ND_p = (N·1 − Rx_p)·2^fγ − γ(N·1 − Ry_p)):
   *     E: −(N² Kt_cp − N Rt_c − N Rt_p + Σ_q Rt_q)   J: −(N Kt_cp − Rt_c)   P: ND_c   F: ND_p + ND_c
   *   u_p = rnd(W_p·k_p, f_k);  c_p = sat_coef(rnd(u_p · S · 2^(f_coef − f_k − f_γ))) with
   *   S = (2/s_z²)/(N²(N−1)²) for E, P, F and (2/s_z²)/(N(N−1)²) for J (a ConstScale);
   *   ξ_j = sat_ξ(rnd(Σ_{p≠c} c_p (zw_cj − zw_pj), f_coef + f_wz − f_ξ)).
   */
  private computeXi(l: number, c: number): void {
    const N = this.numeric;
    const B = this.B;
    const n = this.sizes[l + 1];
    const zw = this.zw[l];
    const k = this.kRow;
    const coef = this.coef;
    const ONE = this.ONE;
    const fg = 2 ** N.gammaFracBits;
    const g = this.gammaRaw;
    const kz = this.kappaZ[l];
    const tShift = 2 * fb(N.windowZ) - fb(N.kernelArg);
    const Rt = (p: number) => this.Rx[p] * fg - g * this.Ry[p];
    const ND = (p: number) => (B * ONE - this.Rx[p]) * fg - g * (B * ONE - this.Ry[p]);
    let sumRt = 0;
    if (this.config.variant === 'E') for (let p = 0; p < B; p++) sumRt += Rt(p);
    const cLo = minRawNum(N.coef.format);
    const cHi = maxRawNum(N.coef.format);
    const scale = this.xiScale[l];
    const cShift = fb(N.gram) + N.gammaFracBits - fb(N.coef);
    for (let p = 0; p < B; p++) {
      if (p === c) {
        k[p] = ONE;
        coef[p] = 0;
        continue;
      }
      let d = 0;
      for (let j = 0; j < n; j++) {
        const e = zw[c * n + j] - zw[p * n + j];
        d += e * e;
      }
      const kp = this.kernelWord(d, kz, tShift);
      k[p] = kp;
      let Wp: number;
      switch (this.config.variant) {
        case 'E': {
          const Kt = this.Kx[c * B + p] * fg - g * this.Ky[c * B + p];
          Wp = -(B * B * Kt - B * Rt(c) - B * Rt(p) + sumRt);
          break;
        }
        case 'J': {
          const Kt = this.Kx[c * B + p] * fg - g * this.Ky[c * B + p];
          Wp = -(B * Kt - Rt(c));
          break;
        }
        case 'P':
          Wp = ND(c);
          break;
        case 'F':
          Wp = ND(p) + ND(c);
          break;
      }
      // |W_p·k_p| < 2^53: checkBounds
      const u = mulShift(Wp, kp, fb(N.gram));
      let cp = scale.apply(u, cShift);
      if (cp > cHi) {
        cp = cHi;
        this.S.coef.high++;
      } else if (cp < cLo) {
        cp = cLo;
        this.S.coef.low++;
      }
      coef[p] = cp;
    }
    const xi = this.xi;
    const xShift = fb(N.coef) + fb(N.windowZ) - fb(N.xi);
    const xLo = minRawNum(N.xi.format);
    const xHi = maxRawNum(N.xi.format);
    for (let j = 0; j < n; j++) {
      let acc = 0; // exact: < 2^acc.xi
      const zcj = zw[c * n + j];
      for (let p = 0; p < B; p++) if (p !== c) acc += coef[p] * (zcj - zw[p * n + j]);
      let y = rshiftNearest(acc, xShift);
      if (y > xHi) {
        y = xHi;
        this.S.xi.high++;
      } else if (y < xLo) {
        y = xLo;
        this.S.xi.low++;
      }
      xi[j] = y;
    }
  }

  /**
   * δ (LayerNorm backward ⊙ relu′), g = LN_BWD_GUARD, n = 2^k:
   *   G1 = Σ ξ_j, G2 = Σ ξ_j z_j (exact); M1 = rnd(G1·2^g / n), M2 = rnd(G2·2^g / n, f_z) (units 2^−(f_ξ+g));
   *   T_j = ξ_j·2^g − M1 − rnd(z_j·M2, f_z);  δ_j = a_j > 0 ? sat_δ(rnd(T_j·s⁻¹, g + f_ξ + f_s − f_δ)) : 0.
   */
  private computeDelta(l: number): void {
    const N = this.numeric;
    const n = this.sizes[l + 1];
    const xi = this.xi;
    const z = this.zc[l];
    const a = this.act[l];
    const g = LN_BWD_GUARD;
    let G1 = 0;
    let G2 = 0;
    for (let j = 0; j < n; j++) {
      G1 += xi[j];
      G2 += xi[j] * z[j];
    }
    const inv = this.invN[l];
    const M1 = inv.apply(G1, -g);
    const M2 = inv.apply(G2, fb(N.act) - g);
    const sInv = this.sInvC[l];
    const k = g + fb(N.xi) + fb(N.lnInvStd) - fb(N.delta);
    const dLo = minRawNum(N.delta.format);
    const dHi = maxRawNum(N.delta.format);
    const fz = fb(N.act);
    const pg = 2 ** g;
    for (let j = 0; j < n; j++) {
      if (!(a[j] > 0)) {
        this.delta[j] = 0;
        continue;
      }
      const T = xi[j] * pg - M1 - rshiftNearest(z[j] * M2, fz);
      let y = rshiftNearest(T * sInv, k);
      if (y > dHi) {
        y = dHi;
        this.S.delta.high++;
      } else if (y < dLo) {
        y = dLo;
        this.S.delta.low++;
      }
      this.delta[j] = y;
    }
  }

  private hiddenStep(l: number, c: number, h: Int32Array, tr: StepTrace | undefined): void {
    const N = this.numeric;
    const n = this.sizes[l + 1];
    const nIn = this.sizes[l];
    this.computeXi(l, c);
    this.computeDelta(l);
    let rec: StepTrace['layers'][number] | undefined;
    if (tr) {
      rec = {
        zw: this.deq(this.zw[l], N.windowZ.format),
        k: this.deq(this.kRow, N.gram.format, this.B),
        coef: this.deq(this.coef, N.coef.format, this.B),
        xi: this.deq(this.xi, N.xi.format, n),
        zc: this.deq(this.zc[l], N.act.format, n),
        ac: this.deq(this.act[l], N.preact.format, n),
        sInv: this.sInvC[l] * 2 ** -fb(N.lnInvStd),
        delta: this.deq(this.delta, N.delta.format, n),
        h: this.deq(h, l === 0 ? N.input.format : N.act.format, nIn),
        Wbefore: this.W[l].slice(),
        bBefore: this.b[l].slice(),
        Wafter: this.W[l],
        bAfter: this.b[l],
      };
    }
    const fIn = l === 0 ? fb(N.input) : fb(N.act);
    this.rank1Update(l, this.delta, h, -N.lr.hiddenMul, fb(N.delta) + fIn + N.lr.hiddenShift - fb(N.weight), fb(N.delta) + N.lr.hiddenShift - fb(N.bias));
    if (rec && tr) {
      rec.Wafter = this.W[l].slice();
      rec.bAfter = this.b[l].slice();
      tr.layers.push(rec);
    }
  }

  /**
   * W_ji ← sat_w(W_ji + SR(m·v_j·h_i, kW)), b_j ← sat_b(b_j + SR(m·v_j, kB)). Row j holds the words
   * i = 0 … nIn (the bias is word i = nIn); word i of a row draws from lane i mod lanes of the layer's LFSR
   * bank, rows in order j = 0, 1, …, words in order i. A row with v_j = 0 is skipped: not written, no draws.
   * SR(x, k) = ⌊(⌊x / 2^(k−r)⌋ + draw) / 2^r⌋ for k ≥ r (r = rbits), ⌊(x + ⌊draw / 2^(r−k)⌋) / 2^k⌋ for
   * 0 < k < r, x·2^−k (no draw) for k ≤ 0 — generator/fixed's definition. |m·v·h| < 2^53 (checkBounds).
   */
  private rank1Update(l: number, v: Float64Array, h: Int32Array, m: number, kW: number, kB: number): void {
    const N = this.numeric;
    const nIn = this.sizes[l];
    const n = this.sizes[l + 1];
    const W = this.W[l];
    const bb = this.b[l];
    const bank = this.banks[l];
    const rmask = bank.rmask;
    const lanes = bank.lanes;
    const rb = N.lfsr.rbits;
    const stoch = N.weight.rounding === 'stochastic';
    const wLo = minRawNum(N.weight.format);
    const wHi = maxRawNum(N.weight.format);
    const bLo = minRawNum(N.bias.format);
    const bHi = maxRawNum(N.bias.format);
    const Sw = this.S.weight;
    // int32 path: |m·v·h| < 2^31 (intUpdate, from the formats) and 0 ≤ kW − rb ≤ 31
    const intPath = stoch && this.intUpdate[l] && kW >= rb && kW - rb <= 31;
    const sh1 = kW - rb;
    const rbuf = this.rbuf;
    const pre = 2 ** -(kW - rb);
    const post = 2 ** -rb;
    const lowR = 2 ** -(rb - kW); // 0 < kW < rb: only the top kW bits of the draw are added
    const lowK = 2 ** -kW;
    for (let j = 0; j < n; j++) {
      const nu = m * v[j];
      if (nu === 0) continue;
      const o = j * nIn;
      let lane = 0;
      if (intPath) {
        // the row's draws (words 0 … nIn−1), generated lane by lane, then the update
        bank.fillRow(rbuf, nIn);
        lane = nIn % lanes;
        for (let i = 0; i < nIn; i++) {
          const d = ((Math.imul(nu, h[i]) >> sh1) + (rbuf[i] & rmask)) >> rb;
          let w = W[o + i] + d;
          if (w > wHi) {
            w = wHi;
            Sw.high++;
          } else if (w < wLo) {
            w = wLo;
            Sw.low++;
          }
          W[o + i] = w;
        }
      } else if (stoch && kW > 0) {
        // the same SR on float64 integers (exact below 2^53, checkBounds)
        bank.fillRow(rbuf, nIn);
        lane = nIn % lanes;
        for (let i = 0; i < nIn; i++) {
          const r = rbuf[i] & rmask;
          const d = kW >= rb ? Math.floor((Math.floor(nu * h[i] * pre) + r) * post) : Math.floor((nu * h[i] + Math.floor(r * lowR)) * lowK);
          let w = W[o + i] + d;
          if (w > wHi) {
            w = wHi;
            Sw.high++;
          } else if (w < wLo) {
            w = wLo;
            Sw.low++;
          }
          W[o + i] = w;
        }
      } else {
        for (let i = 0; i < nIn; i++) {
          const d = this.roundUpdate(nu * h[i], kW, bank, lane, N.weight.rounding);
          if (++lane === lanes) lane = 0;
          let w = W[o + i] + d;
          if (w > wHi) {
            w = wHi;
            Sw.high++;
          } else if (w < wLo) {
            w = wLo;
            Sw.low++;
          }
          W[o + i] = w;
        }
      }
      // bias word (i = nIn)
      let bv = bb[j] + this.roundUpdate(nu, kB, bank, lane, N.bias.rounding);
      if (bv > bHi) {
        bv = bHi;
        this.S.bias.high++;
      } else if (bv < bLo) {
        bv = bLo;
        this.S.bias.low++;
      }
      bb[j] = bv;
    }
  }

  /** One rounded update word: SR with one draw from `lane` of the layer's `bank`, or the given rounding. */
  private roundUpdate(x: number, k: number, bank: LfsrBank, lane: number, rounding: Rounding): number {
    if (k <= 0) return x * 2 ** -k;
    if (rounding !== 'stochastic') return fast.shiftRight(x, k, rounding);
    const r = bank.draw(lane);
    const rb = bank.rbits;
    if (k >= rb) return Math.floor((Math.floor(x * 2 ** -(k - rb)) + r) * 2 ** -rb);
    return Math.floor((x + Math.floor(r * 2 ** -(rb - k))) * 2 ** -k);
  }

  /** per layer: |mul·δ·h| < 2^31, so the update may use 32-bit integer ops */
  private readonly intUpdate: boolean[] = [];

  // ---------------------------------------------------------------------------------------------------
  // output layer

  /**
   * For every slot p: logits o_p from the stored h_p; softmax P = e ⊙ recip(Σ e) with e_j =
   * exp(o_j − max o) (table; UQ1.16 with the defaults); e_pj = sat_err(rnd((P_pj − [y_p = j]) / B));
   * G_ji = Σ_p h_pi e_pj exact; W_ji ← sat(W_ji + SR(−mul·G_ji, f_wz + f_e + shift − f_w)), likewise b.
   */
  private outputStep(tr?: StepTrace): void {
    const N = this.numeric;
    const B = this.B;
    const l = this.L - 1;
    const nIn = this.sizes[l];
    const C = this.sizes[l + 1];
    const H = this.zw[l - 1];
    for (let p = 0; p < B; p++) this.logitsOf(H, p * nIn, this.logits, p * C);
    const ONE_P = 2 ** fb(N.prob);
    const eLo = minRawNum(N.err.format);
    const eHi = maxRawNum(N.err.format);
    const pHi = maxRawNum(N.prob.format);
    for (let p = 0; p < B; p++) {
      this.softmax(this.logits, p * C, C, this.expBuf);
      const y = this.slotLabel[p];
      for (let j = 0; j < C; j++) {
        let P = this.expBuf[j];
        if (P > pHi) {
          P = pHi;
          this.S.prob.high++;
        }
        let e = this.invB.apply(P - (j === y ? ONE_P : 0), fb(N.prob) - fb(N.err));
        if (e > eHi) {
          e = eHi;
          this.S.err.high++;
        } else if (e < eLo) {
          e = eLo;
          this.S.err.low++;
        }
        this.errs[p * C + j] = e;
        if (tr) this.probs[p * C + j] = P;
      }
    }
    if (tr) {
      tr.out = {
        h: this.deq(H, N.windowZ.format),
        logits: this.deq(this.logits, N.logit.format),
        P: this.deq(this.probs, N.prob.format),
        e: this.deq(this.errs, N.err.format),
        labels: this.slotLabel.slice(),
        Wbefore: this.W[l].slice(),
        bBefore: this.b[l].slice(),
        Wafter: this.W[l],
        bAfter: this.b[l],
      };
    }
    const G = this.gradW;
    const Gb = this.gradB;
    G.fill(0);
    Gb.fill(0);
    for (let p = 0; p < B; p++) {
      for (let j = 0; j < C; j++) {
        const e = this.errs[p * C + j];
        if (e === 0) continue;
        Gb[j] += e;
        const r = j * nIn;
        const ho = p * nIn;
        for (let i = 0; i < nIn; i++) G[r + i] += H[ho + i] * e;
      }
    }
    // update with the same word order / lanes as the hidden layers: row j = G[j·nIn …] then the bias G_b[j]
    const W = this.W[l];
    const bb = this.b[l];
    const m = -N.lr.outMul;
    const kW = fb(N.windowZ) + fb(N.err) + N.lr.outShift - fb(N.weight);
    const kB = fb(N.err) + N.lr.outShift - fb(N.bias);
    const wLo = minRawNum(N.weight.format);
    const wHi = maxRawNum(N.weight.format);
    const bLo = minRawNum(N.bias.format);
    const bHi = maxRawNum(N.bias.format);
    const stW = N.weight.rounding === 'stochastic';
    const lanes = N.lfsr.lanes;
    const bank = this.banks[l];
    const rbuf = this.rbuf;
    const rb = N.lfsr.rbits;
    const rmask = bank.rmask;
    const fastOut = stW && kW >= rb;
    const pre = 2 ** -(kW - rb);
    const post = 2 ** -rb;
    for (let j = 0; j < C; j++) {
      const r = j * nIn;
      let lane = 0; // word i of every row draws from lane i mod lanes; output rows are never skipped
      if (fastOut) {
        bank.fillRow(rbuf, nIn);
        lane = nIn % lanes;
        for (let i = 0; i < nIn; i++) {
          // SR for k ≥ rbits; |m·G| < 2^53 (checkBounds), so floor of a power-of-two scaling is exact
          let w = W[r + i] + Math.floor((Math.floor(m * G[r + i] * pre) + (rbuf[i] & rmask)) * post);
          if (w > wHi) {
            w = wHi;
            this.S.weight.high++;
          } else if (w < wLo) {
            w = wLo;
            this.S.weight.low++;
          }
          W[r + i] = w;
        }
      } else {
        for (let i = 0; i < nIn; i++) {
          let w = W[r + i] + this.roundUpdate(m * G[r + i], kW, bank, lane, N.weight.rounding);
          if (++lane === lanes) lane = 0;
          if (w > wHi) {
            w = wHi;
            this.S.weight.high++;
          } else if (w < wLo) {
            w = wLo;
            this.S.weight.low++;
          }
          W[r + i] = w;
        }
      }
      let bv = bb[j] + this.roundUpdate(m * Gb[j], kB, bank, lane, N.bias.rounding);
      if (bv > bHi) {
        bv = bHi;
        this.S.bias.high++;
      } else if (bv < bLo) {
        bv = bLo;
        this.S.bias.low++;
      }
      bb[j] = bv;
    }
    if (tr?.out) {
      tr.out.Wafter = W.slice();
      tr.out.bAfter = bb.slice();
    }
  }

  /** Table softmax of logits o[off … off+C) into P (prob raw). */
  private softmax(o: Float64Array, off: number, C: number, P: Float64Array): void {
    let mx = o[off];
    for (let j = 1; j < C; j++) if (o[off + j] > mx) mx = o[off + j];
    let S = 0;
    for (let j = 0; j < C; j++) {
      const e = this.expSm.eval(o[off + j] - mx, this.S.prob);
      P[j] = e;
      S += e;
    }
    // S ≥ 1.0 (the max contributes e^0 = 1); r = 1/S ∈ (1/C, 1]; P_j = rnd(e_j·r, f_r) ≤ 1.0
    const r = this.recipT.eval(S);
    const fr = this.recipT.outFormat.fracBits;
    for (let j = 0; j < C; j++) P[j] = rshiftNearest(P[j] * r, fr);
  }

  // ---------------------------------------------------------------------------------------------------
  // inference

  predict(split: Split, index: number): number {
    this.checkSplit(split, index);
    this.loadInput(split, index, this.h0);
    let h: Int32Array = this.h0;
    for (let l = 0; l < this.L - 1; l++) {
      const a = this.accBuf.subarray(0, this.sizes[l + 1]);
      this.hiddenForward(l, h, a, this.evH[l]);
      h = this.evH[l];
    }
    // the output layer reads h as the window memory would hold it
    const last = this.evH[this.L - 2];
    const n = this.sizes[this.L - 1];
    for (let j = 0; j < n; j++) last[j] = this.resizeWinZ(last[j]);
    const C = this.sizes[this.L];
    this.logitsOf(last, 0, this.expBuf, 0);
    let best = 0;
    for (let j = 1; j < C; j++) if (this.expBuf[j] > this.expBuf[best]) best = j;
    return best;
  }

  evaluate(split: Split, limit?: number): number {
    const n = Math.min(split.n, limit ?? split.n);
    if (n <= 0) return 0;
    // inference does not count saturations of training quantities twice: counters are restored after
    const snap = this.sat.snapshot();
    let ok = 0;
    for (let i = 0; i < n; i++) if (this.predict(split, i) === split.y[i]) ok++;
    this.sat.restore(snap);
    return ok / n;
  }

  // ---------------------------------------------------------------------------------------------------
  // state, weights, report

  /** The state's arrays by name, in export order (exportState writes copies, importState fills them). */
  private stateArrays(): [string, Int32Array | Float64Array][] {
    const pairs: [string, Int32Array | Float64Array][] = [];
    for (let l = 0; l < this.L; l++) pairs.push([`W${l}`, this.W[l]], [`b${l}`, this.b[l]], [`lfsr${l}`, this.banks[l].states]);
    for (let l = 0; l < this.zw.length; l++) pairs.push([`zw${l}`, this.zw[l]]);
    pairs.push(['slotIdx', this.slotIdx], ['slotLabel', this.slotLabel], ['Kx', this.Kx], ['Ky', this.Ky], ['Rx', this.Rx], ['Ry', this.Ry]);
    return pairs;
  }

  exportState(): EngineState {
    const arrays: EngineState['arrays'] = {};
    for (const [name, a] of this.stateArrays()) arrays[name] = a.slice();
    return {
      meta: {
        kind: STATE_KIND,
        version: STATE_VERSION,
        config: this.config,
        numeric: JSON.parse(JSON.stringify(this.numeric)),
        count: this.count,
        head: this.head,
        steps: this.steps,
        saturations: this.sat.snapshot(),
      },
      arrays,
    };
  }

  importState(state: EngineState): void {
    const m = state.meta;
    if (m.kind !== STATE_KIND || m.version !== STATE_VERSION) throw new RangeError(`fixed engine: not a ${STATE_KIND} v${STATE_VERSION} state (got ${String(m.kind)} v${String(m.version)})`);
    if (JSON.stringify(m.config) !== JSON.stringify(this.config)) throw new RangeError('fixed engine: state was saved with a different TrainConfig');
    if (JSON.stringify(m.numeric) !== JSON.stringify(JSON.parse(JSON.stringify(this.numeric)))) throw new RangeError('fixed engine: state was saved with a different NumericConfig');
    // all-or-nothing: every array is checked before any is copied, so a bad state leaves the engine as it was
    const arrays = this.stateArrays();
    for (const [name, dst] of arrays) {
      const src = state.arrays[name];
      if (!src || src.length !== dst.length) throw new RangeError(`fixed engine: state array ${name} is missing or has the wrong length`);
    }
    for (const [name, dst] of arrays) dst.set(state.arrays[name]);
    this.count = Number(m.count);
    this.head = Number(m.head);
    this.steps = Number(m.steps);
    this.sat.reset();
    this.sat.restore((m.saturations as Record<string, { high: number; low: number }> | undefined) ?? {});
  }

  /** Raw integer parameters (copies). */
  weights(): LayerWeights[] {
    return this.rawWeights().layers;
  }

  rawWeights(): { layers: RawLayer[] } {
    return { layers: this.W.map((W, l) => ({ nIn: this.sizes[l], nOut: this.sizes[l + 1], W: W.slice(), b: this.b[l].slice() })) };
  }

  /** Dequantised parameters (float64), for comparisons with the float model. */
  realWeights(): LayerWeights[] {
    const N = this.numeric;
    return this.W.map((W, l) => ({ nIn: this.sizes[l], nOut: this.sizes[l + 1], W: this.deq(W, N.weight.format), b: this.deq(this.b[l], N.bias.format) }));
  }

  encodeWeights(): Buffer {
    return encodeWeightFile(this.rawWeights().layers, this.numeric.weight.format, this.numeric.bias.format);
  }

  memoryBits(): MemoryReport {
    const N = this.numeric;
    const B = this.B;
    const inputs = B * this.sizes[0] * 8; // u8 pixels (MNIST); a non-pixel set would store input words
    const labels = B * Math.max(1, Math.ceil(Math.log2(this.sizes[this.L])));
    let storedZ = 0;
    for (let l = 1; l < this.L; l++) storedZ += B * this.sizes[l] * width(N.windowZ.format);
    const gram = 2 * ((B * (B - 1)) / 2) * width(N.gram.format);
    const rowSums = 2 * B * width(N.rowSum.format);
    let weights = 0;
    for (let l = 0; l < this.L; l++) weights += this.sizes[l] * this.sizes[l + 1] * width(N.weight.format) + this.sizes[l + 1] * width(N.bias.format);
    return { inputs, labels, storedZ, gram, rowSums, total: inputs + labels + storedZ + gram + rowSums, weights };
  }

  report(): FixedReport {
    const N = this.numeric;
    const formats: Record<string, string> = {};
    const lines: string[] = ['fixed-point golden model', '', 'formats (rounding, overflow):'];
    for (const k of QUANTITIES) {
      const q = N[k];
      formats[k] = describeFormat(q.format);
      lines.push(`  ${k.padEnd(10)} ${formats[k].padEnd(26)} ${q.rounding}, ${q.overflow}`);
    }
    lines.push('', 'accumulators (exact; need ≤ have, asserted at construction, so none can wrap):');
    for (const a of this.accs) lines.push(`  ${a.name.padEnd(44)} need ${String(a.needBits).padStart(2)} bits (${a.format}) ≤ ${a.haveBits}`);
    const sats = this.sat.snapshot();
    lines.push('', 'saturations (high/low):');
    for (const [k, v] of Object.entries(sats)) lines.push(`  ${k.padEnd(10)} ${v.high}/${v.low}`);
    const mem = this.memoryBits();
    lines.push(
      '',
      `working memory (B = ${this.B}): inputs ${mem.inputs} + labels ${mem.labels} + stored z ${mem.storedZ} + K_X,K_Y ${mem.gram} + row sums ${mem.rowSums} = ${mem.total} bits`,
      `weights + biases: ${mem.weights} bits`,
    );
    const lr = lrValues(N.lr);
    lines.push(`learning rates: hidden ${lr.hidden} = ${N.lr.hiddenMul}·2^−${N.lr.hiddenShift}, output ${lr.out} = ${N.lr.outMul}·2^−${N.lr.outShift}`);
    const constants: FixedReport['constants'] = {};
    const addC = (name: string, c: ConstScale) => (constants[name] = { value: c.value, mantissa: c.m, shift: c.s, effective: c.effective });
    addC('kappaX', this.kappaX);
    this.kappaZ.forEach((c, i) => addC(`kappaZ${i + 1}`, c));
    this.xiScale.forEach((c, i) => addC(`xiScale${i + 1}`, c));
    addC('invB', this.invB);
    // ε as the chip adds it: epsRaw·2^−f in the lnVar format
    const fv = N.lnVar.format.fracBits;
    constants.lnEps = { value: this.config.lnEps, mantissa: this.epsRaw, shift: fv, effective: this.epsRaw * 2 ** -fv };
    lines.push('constants (m·2^−s):');
    for (const [k, c] of Object.entries(constants)) lines.push(`  ${k.padEnd(10)} ${c.value.toExponential(6)} ≈ ${c.mantissa}·2^−${c.shift} (rel. err ${(c.effective / c.value - 1).toExponential(2)})`);
    lines.push(`tables: expNeg ${this.expNeg.tables().map((t) => `${t.name}[${t.entries.length}]×${t.width}b`).join(', ')}; exp ${this.expSm.tables().map((t) => `${t.name}[${t.entries.length}]`).join(', ')}; rsqrt ${this.rsqrtT.tables().map((t) => `${t.name}[${t.entries.length}]`).join(', ')}; recip ${this.recipT.tables().map((t) => `${t.name}[${t.entries.length}]`).join(', ')}`);
    lines.push(`LFSR: ${this.L} banks × ${N.lfsr.lanes} lanes, width ${N.lfsr.width}, ${N.lfsr.rbits} bits/draw, leap ${N.lfsr.leap}`);
    return { formats, saturations: sats, accumulators: this.accs.slice(), memoryBits: mem, lr, constants, text: lines.join('\n') };
  }
}

// ---------------------------------------------------------------------------------------------------
// weight file

/**
 * Weight file (all little-endian):
 *   bytes 0..7   magic "IBHFXW01"
 *   u32          number of layers L
 *   per layer:   u32 nIn, u32 nOut,
 *                i8 weight width, i8 weight intBits, i8 bias width, i8 bias intBits (signed formats),
 *                nOut·nIn × i32 W (row-major: W[j·nIn + i], input i → output j), nOut × i32 b
 * Two runs are identical iff their files are identical byte for byte.
 */
export const WEIGHT_MAGIC = 'IBHFXW01';

export function encodeWeightFile(layers: RawLayer[], wf: FixedFormat, bf: FixedFormat): Buffer {
  let size = 8 + 4;
  for (const l of layers) size += 12 + 4 * (l.W.length + l.b.length);
  const buf = Buffer.alloc(size);
  buf.write(WEIGHT_MAGIC, 0, 'latin1');
  let o = 8;
  buf.writeUInt32LE(layers.length, o);
  o += 4;
  for (const l of layers) {
    buf.writeUInt32LE(l.nIn, o);
    buf.writeUInt32LE(l.nOut, o + 4);
    buf.writeInt8(width(wf), o + 8);
    buf.writeInt8(wf.intBits, o + 9);
    buf.writeInt8(width(bf), o + 10);
    buf.writeInt8(bf.intBits, o + 11);
    o += 12;
    for (let k = 0; k < l.W.length; k++, o += 4) buf.writeInt32LE(l.W[k], o);
    for (let k = 0; k < l.b.length; k++, o += 4) buf.writeInt32LE(l.b[k], o);
  }
  return buf;
}

export function decodeWeightFile(buf: Buffer): { layers: RawLayer[]; weight: FixedFormat; bias: FixedFormat } {
  if (buf.length < 12 || buf.toString('latin1', 0, 8) !== WEIGHT_MAGIC) throw new RangeError('weight file: bad magic');
  let o = 8;
  const L = buf.readUInt32LE(o);
  o += 4;
  const layers: RawLayer[] = [];
  let weight = fx(16, 4);
  let bias = fx(16, 4);
  for (let l = 0; l < L; l++) {
    if (o + 12 > buf.length) throw new RangeError('weight file: truncated');
    const nIn = buf.readUInt32LE(o);
    const nOut = buf.readUInt32LE(o + 4);
    weight = fx(buf.readInt8(o + 8), buf.readInt8(o + 9));
    bias = fx(buf.readInt8(o + 10), buf.readInt8(o + 11));
    o += 12;
    if (o + 4 * (nIn * nOut + nOut) > buf.length) throw new RangeError('weight file: truncated');
    const W = new Int32Array(nIn * nOut);
    for (let k = 0; k < W.length; k++, o += 4) W[k] = buf.readInt32LE(o);
    const b = new Int32Array(nOut);
    for (let k = 0; k < nOut; k++, o += 4) b[k] = buf.readInt32LE(o);
    layers.push({ nIn, nOut, W, b });
  }
  if (o !== buf.length) throw new RangeError('weight file: trailing bytes');
  return { layers, weight, bias };
}
