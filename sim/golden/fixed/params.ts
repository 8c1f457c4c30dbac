/**
 * Every constant, table and per-unit parameter object of the chip for one training configuration, derived
 * once from the TrainConfig and the NumericConfig, with the construction-time proofs: the exact accumulator
 * of every MAC fits its configured width (so none can wrap), and every `number` intermediate of the unit
 * functions stays below 2^53 (so float64 integer arithmetic is exact). A config failing either is refused
 * with a RangeError naming the quantity.
 */
import { dotFormat, fx, mulFormat, subFormat, sumFormat, width, type FixedFormat, type TableFunction } from '../../../generator/fixed/index.js';
import { chipTables, describeFormat, lrShifts, resolveNumeric, withNumeric, type NumericConfig, type Quant, type ResolvedNumeric } from '../../../generator/numeric.js';
import type { TrainConfig } from '../../engine.js';
import { forwardParams, lnEpsRaw, type ForwardParams } from './forward.js';
import { kernelParams, labelOffWord, type KernelParams } from './kernel.js';
import { LN_BWD_GUARD, modulatorParams, type ModulatorParams } from './modulator.js';
import { outputParams, type OutputParams } from './output.js';
import { updateParams, type UpdateParams } from './update.js';

export interface AccReport {
  name: string;
  needBits: number;
  haveBits: number;
  format: string;
}

export interface ChipParams {
  readonly numeric: ResolvedNumeric;
  /** layer widths, input to output */
  readonly sizes: readonly number[];
  /** weight layers (hidden + output) */
  readonly L: number;
  readonly B: number;
  readonly tables: { expNeg: TableFunction; exp: TableFunction; rsqrt: TableFunction; recip: TableFunction };
  /** K_X from u8 pixels, K_X from input words (non-image sets), K_Z per hidden layer */
  readonly kxPixels: KernelParams;
  readonly kxWords: KernelParams;
  readonly kz: KernelParams[];
  /** K_Y word of different labels; 1.0 in the gram format */
  readonly kyOff: number;
  readonly one: number;
  /** ε in lnVar raw */
  readonly epsRaw: number;
  /** per hidden layer l = 0 … L − 2 */
  readonly forward: ForwardParams[];
  readonly modulator: ModulatorParams[];
  readonly update: UpdateParams[];
  readonly output: OutputParams;
  /** the accumulator proofs (need ≤ have), for the report */
  readonly accs: AccReport[];
}


function bad(m: string): never {
  throw new RangeError(`fixed engine: ${m}`);
}

/** The settings the chip implements; throws naming the first one it does not. */
export function validateTrain(c: TrainConfig): void {
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

/** The numerics the engine runs with: `numeric` with its learning rates set from config.lr / lrOut. */
export function engineNumeric(config: TrainConfig, numeric: NumericConfig): ResolvedNumeric {
  let lr: NumericConfig['lr'];
  try {
    lr = lrShifts(config.lr, config.lrOut);
  } catch (e) {
    bad((e as Error).message);
  }
  return resolveNumeric(withNumeric(numeric, { lr }));
}

/** All parameters of the chip for `config` and `numeric` (validated; see the file header). */
export function chipParams(config: TrainConfig, numeric: NumericConfig): ChipParams {
  validateTrain(config);
  const N = engineNumeric(config, numeric);
  const sizes = config.layers.slice();
  const L = sizes.length - 1;
  const B = config.window;
  const fb = (q: Quant) => q.format.fracBits;

  // ---- structural checks that need the network
  const FW = N.weight.format;
  const FA = N.preact.format;
  const FWZ = N.windowZ.format;
  const FK = N.gram.format;
  const FE = N.err.format;
  const inF = (l: number): FixedFormat => (l === 0 ? N.input.format : l === L ? FWZ : N.act.format);
  for (let l = 0; l < L; l++) {
    const fIn = inF(l).fracBits;
    if (fb(N.bias) > FW.fracBits + fIn) throw new RangeError(`numeric.bias.format: ${describeFormat(N.bias.format)} has more fraction bits than the layer-${l + 1} product W·h (${FW.fracBits + fIn})`);
  }

  // ---- accumulators: exact formats from the library, asserted against the configured widths
  const accs: AccReport[] = [];
  const need = (name: string, f: FixedFormat, have: number, field: string) => {
    accs.push({ name, needBits: width(f), haveBits: have, format: describeFormat(f) });
    if (width(f) > have) {
      throw new RangeError(`numeric.acc.${field}: the ${name} accumulator needs ${width(f)} bits (${describeFormat(f)}) but is ${have} bits wide; it could wrap`);
    }
  };
  for (let l = 0; l < L; l++) {
    // Σ_i W h + b: nIn products and the bias aligned to the product's fraction; every term fits the wider
    // of the two formats, so the exact sum fits sumFormat(term, nIn + 1)
    const prod = mulFormat(FW, inF(l));
    const term = fx(Math.max(prod.intBits, N.bias.format.intBits) + prod.fracBits, Math.max(prod.intBits, N.bias.format.intBits), true);
    need(`forward layer ${l + 1} (${sizes[l]} terms + bias)`, sumFormat(term, sizes[l] + 1), N.acc.forward, 'forward');
  }
  const dx = N.input.format;
  need(`K_X distance (${sizes[0]} squared differences)`, dotFormat(subFormat(dx, dx), subFormat(dx, dx), sizes[0]), N.acc.gram, 'gram');
  need('K_X distance from pixels (u8)', dotFormat(fx(9, 9), fx(9, 9), sizes[0]), N.acc.gram, 'gram');
  const dz = subFormat(FWZ, FWZ);
  for (let l = 1; l < L; l++) {
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
  accs.push({ name: `row sums of K_X, K_Y (${B} words)`, needBits: width(rs), haveBits: width(N.rowSum.format), format: describeFormat(rs) });

  // ---- tables, constants and the units' parameters
  const C = sizes[L];
  const tables = chipTables(N, C);
  let epsRaw: number;
  try {
    epsRaw = lnEpsRaw(N, config.lnEps);
  } catch (e) {
    bad((e as Error).message);
  }
  const [sx, sy, sz] = config.sigma;
  const hidden = sizes.slice(1, L);
  const params: ChipParams = {
    numeric: N,
    sizes,
    L,
    B,
    tables,
    kxPixels: kernelParams(N, tables.expNeg, sx, sizes[0], 'pixels'),
    kxWords: kernelParams(N, tables.expNeg, sx, sizes[0], 'inputs'),
    kz: hidden.map((n) => kernelParams(N, tables.expNeg, sz, n, 'z')),
    kyOff: labelOffWord(N, tables.expNeg, sy, C),
    one: 2 ** FK.fracBits,
    epsRaw,
    forward: hidden.map((n, l) => forwardParams(N, sizes[l], n, inF(l), epsRaw, tables.rsqrt)),
    modulator: hidden.map((n) => modulatorParams(N, n, B, config.variant, config.gamma, sz)),
    update: hidden.map((n, l) => updateParams(N, sizes[l], n, inF(l), N.delta.format, N.lr.hiddenMul, N.lr.hiddenShift)),
    output: outputParams(N, sizes[L - 1], C, B, tables.exp, tables.recip),
    accs,
  };
  checkBounds(params, config.gamma);
  return params;
}

/**
 * Proves, from the formats, that every `number` intermediate stays below 2^53 (where float64 integer
 * arithmetic is exact); throws naming the computation otherwise.
 */
function checkBounds(P: ChipParams, gamma: number): void {
  const N = P.numeric;
  const w = (q: Quant) => width(q.format);
  const fb = (q: Quant) => q.format.fracBits;
  const lim = 2 ** 53;
  const check = (what: string, bound: number) => {
    if (!(bound < lim)) bad(`${what} can reach 2^${Math.log2(bound).toFixed(1)} ≥ 2^53 with these formats`);
  };
  // 1/s ≤ 1/√ε: var + ε ≥ ε > 0 (an ε that rounds to 0 is refused), and the rsqrt table is within (1 + rel)
  // of the exact value (factor 2 margin)
  const sInvMax = Math.min(2 * P.tables.rsqrt.eval(P.epsRaw) + 2, 2 ** w(N.lnInvStd));
  for (let l = 1; l < P.L; l++) {
    const n = P.sizes[l];
    // LN: (n·r_j − Σr)·(1/s): |n r − S1| ≤ n·2^(w_a−1), 1/s < 2^w_s (then the constant 1/n: a shift when n = 2^k,
    // else mulShift, exact at any size)
    check(`LayerNorm output (n·r − Σr)·(1/s), layer ${l}`, n * 2 ** (w(N.preact) - 1) * sInvMax);
    // LN backward: |ξ·2^g| ≤ 2^(w_ξ−1+g); |M2| ≤ 2^(w_ξ+w_z−2+g−f_z)·n·c + 1 (c the constant 1/n as rounded:
    // n·c = 1 for n = 2^k, within 2^−constBits of 1 otherwise); |z·M2| ≤ 2^(w_z−1)·|M2|
    const g = LN_BWD_GUARD;
    const nc = n * P.modulator[l - 1].invN.effective;
    const m2 = 2 ** (w(N.xi) + w(N.act) - 2 + g - fb(N.act)) * nc + (nc === 1 ? 0 : 1);
    check(`LayerNorm backward z·mean(ξz), layer ${l}`, 2 ** (w(N.act) - 1) * m2);
    check(`LayerNorm backward Σ ξ z, layer ${l}`, n * 2 ** (w(N.xi) + w(N.act) - 2 + g));
    const T = 2 * 2 ** (w(N.xi) - 1 + g) + 2 ** (w(N.act) - 1) * m2 * 2 ** -fb(N.act) + 1;
    check(`LayerNorm backward T·(1/s), layer ${l}`, T * sInvMax);
    // ξ coefficient u_p = W_p·k_p: |W_p| ≤ 4N²(1+γ)·2^(f_k+f_γ) (variant E, the largest), k ≤ 2^w_k
    const Wp = 4 * P.B * P.B * (1 + gamma) * 2 ** (fb(N.gram) + N.gammaFracBits);
    check('ξ coefficient W_p·k_p', Wp * 2 ** w(N.gram));
  }
  // stochastic update products: |δ|·mul·|h| and |G|·mul
  check('hidden update δ·h', 2 ** (w(N.delta) - 1) * 255 * 2 ** Math.max(w(N.input), w(N.act)));
  check('output update G·mul', 2 ** (w(N.windowZ) + w(N.err) + Math.ceil(Math.log2(P.B))) * 255);
}
