/**
 * The fixed-point golden model as an Engine: the chip's state (parameters, LFSR banks, working memory),
 * initialisation, the host-facing trainSample / predict / evaluate, state import and export, the report.
 * The step itself — the specification the RTL must match word for word — is sim/golden/fixed/step.ts (its
 * header) and the unit functions it composes.
 */
import { fromReal, fx, maxRawNum, minRawNum, SatCounter, toQ, width, type FixedFormat } from '../../../generator/fixed/index.js';
import { describeFormat, lrValues, QUANTITIES, type NumericConfig, type ResolvedNumeric } from '../../../generator/numeric.js';
import { PIXEL_SHIFT, type Split } from '../../data.js';
import type { Engine, EngineState, LayerWeights, TrainConfig } from '../../engine.js';
import { Rng } from '../../rng.js';
import { satSlots, type SatSlots } from './common.js';
import { hiddenForwardAll, deq, stepScratch, trainStep, type ChipState, type StepScratch, type StepTrace } from './step.js';
import { windowZ } from './forward.js';
import { laneSeed, LfsrBank } from './lfsr-bank.js';
import { outputLogits } from './output.js';
import { chipParams, type AccReport, type ChipParams } from './params.js';
import type { ConstScale } from './scale.js';
import { createWindowMemory, wmClear } from './wm.js';

export type { AccReport } from './params.js';
export type { StepTrace } from './step.js';
export { LN_BWD_GUARD } from './modulator.js';

const STATE_KIND = 'golden/fixed';
/** 2: the window memory holds each slot's input vector (`inputs`). */
const STATE_VERSION = 2;
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

/** Refuses a raw word outside its format's range (names the first one). */
function checkRaw(a: Int32Array, f: FixedFormat, what: string): void {
  const lo = minRawNum(f);
  const hi = maxRawNum(f);
  const k = a.findIndex((v) => v < lo || v > hi);
  if (k >= 0) throw new RangeError(`fixed engine: ${what} ${k} is ${a[k]}, outside ${toQ(f)} (${lo}..${hi})`);
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

export class FixedPointEngine implements FixedEngine {
  readonly config: TrainConfig;
  readonly numeric: ResolvedNumeric;
  readonly sat = new SatCounter();
  trace = false;
  lastTrace: StepTrace | undefined;
  /** every constant and per-unit parameter (params.ts) */
  readonly params: ChipParams;
  /** parameters, LFSR banks, working memory */
  readonly state: ChipState;

  private readonly sizes: number[];
  private readonly L: number;
  private readonly B: number;
  private steps = 0;
  private readonly S: SatSlots;
  private readonly x: StepScratch;
  private readonly h0: Int32Array;
  private readonly u: Int32Array;
  private readonly logitBuf: Float64Array;

  constructor(config: TrainConfig, numeric: NumericConfig) {
    const P = chipParams(config, numeric);
    this.params = P;
    this.numeric = P.numeric;
    const N = P.numeric;
    this.config = { ...config, layers: config.layers.slice(), sigma: [...config.sigma] as [number, number, number] };
    this.sizes = config.layers.slice();
    this.L = P.L;
    this.B = P.B;
    // one counter per stored quantity, in QUANTITIES order
    this.S = satSlots(this.sat);
    const sizes = this.sizes;

    // ---- parameters: lecun normal (truncated, Var = 1/fan_in), quantised to nearest; one LFSR bank per layer
    const rng = new Rng(config.seed);
    const W: Int32Array[] = [];
    const b: Int32Array[] = [];
    const banks: LfsrBank[] = [];
    const FW = N.weight.format;
    for (let l = 0; l < this.L; l++) {
      const nIn = sizes[l];
      const nOut = sizes[l + 1];
      const Wl = new Int32Array(nIn * nOut);
      const std = Math.sqrt(1 / nIn) / TRUNC_STD;
      for (let i = 0; i < nIn; i++) {
        for (let j = 0; j < nOut; j++) Wl[j * nIn + i] = fromReal(rng.truncatedNormal() * std, FW, 'nearest', 'saturate', undefined, this.S.weight);
      }
      W.push(Wl);
      b.push(new Int32Array(nOut));
      const seeds = new Uint32Array(N.lfsr.lanes);
      for (let q = 0; q < N.lfsr.lanes; q++) seeds[q] = laneSeed(N.lfsr.seed, config.seed, l, q, N.lfsr.width);
      banks.push(new LfsrBank(N.lfsr.width, N.lfsr.rbits, N.lfsr.leap, N.lfsr.lanes, seeds));
    }
    this.state = { W, b, banks, wm: createWindowMemory(this.B, sizes[0], sizes.slice(1, this.L)) };
    this.x = stepScratch(P);
    this.h0 = new Int32Array(sizes[0]);
    this.u = new Int32Array(sizes[0]);
    this.logitBuf = new Float64Array(sizes[this.L]);
  }

  // ---------------------------------------------------------------------------------------------------
  // window

  /** Epoch boundary: the working memory is cleared; weights and LFSR states are kept (wm.ts wmClear). */
  beginEpoch(): void {
    wmClear(this.state.wm);
  }

  /**
   * Sample `index` as the chip receives it: h0 = the network input (input format) and u = what the Gram unit
   * reads (u8 pixel values, or h0 for non-image sets). Returns whether the sample is an image.
   */
  private loadInput(split: Split, index: number): boolean {
    const dim = this.sizes[0];
    const F = this.numeric.input.format;
    const o = index * dim;
    if (split.pixels) {
      // p ↦ (2p − 255)/2^PIXEL_SHIFT exactly (sim/data.ts pixelToInput): raw = (2p − 255)·2^(f_in − PIXEL_SHIFT)
      const sc = 2 ** (F.fracBits - PIXEL_SHIFT);
      const px = split.pixels;
      for (let i = 0; i < dim; i++) {
        const p = px[o + i];
        this.u[i] = p;
        this.h0[i] = (2 * p - 255) * sc;
      }
      return true;
    }
    const x = split.x;
    const q = this.numeric.input;
    for (let i = 0; i < dim; i++) this.u[i] = this.h0[i] = fromReal(x[o + i], F, q.rounding, q.overflow, undefined, this.S.input);
    return false;
  }

  private checkSplit(split: Split, index: number): void {
    if (split.dim !== this.sizes[0]) throw new RangeError(`fixed engine: split has ${split.dim} features, the network takes ${this.sizes[0]}`);
    if (!(Number.isInteger(index) && index >= 0 && index < split.n)) throw new RangeError(`fixed engine: sample ${index} out of range [0, ${split.n})`);
    if (split.pixels) {
      const F = this.numeric.input.format;
      if (F.fracBits < PIXEL_SHIFT || F.intBits < 1) {
        throw new RangeError(`numeric.input.format: ${describeFormat(F)} cannot hold pixels as (2p − 255)/256 (needs ≥ 1 integer and ≥ ${PIXEL_SHIFT} fraction bits)`);
      }
    }
    const C = this.sizes[this.L];
    if (split.y[index] >= C) throw new RangeError(`fixed engine: label ${split.y[index]} ≥ ${C} classes`);
  }

  /**
   * Sample `index` of `split` as the chip receives it, checked as trainSample checks it: u (what the Gram unit
   * reads: u8 pixels, or the input words), h0 (the input words; quantising non-image inputs counts in `input`),
   * the label. The arrays are the engine's buffers, valid until its next call.
   */
  sampleInput(split: Split, index: number): { u: Int32Array; h0: Int32Array; pixels: boolean; label: number } {
    this.checkSplit(split, index);
    const pixels = this.loadInput(split, index);
    return { u: this.u, h0: this.h0, pixels, label: split.y[index] };
  }

  trainSample(split: Split, index: number): boolean {
    this.checkSplit(split, index);
    const pixels = this.loadInput(split, index);
    const tr: StepTrace | undefined = this.trace ? { c: -1, layers: [], Kx: new Float64Array(0), Ky: new Float64Array(0) } : undefined;
    const stepped = trainStep(this.params, this.state, { h0: this.h0, u: this.u, pixels, label: split.y[index], index }, this.x, this.S, tr);
    if (stepped) {
      this.steps++;
      if (tr) this.lastTrace = tr;
    }
    return stepped;
  }

  // ---------------------------------------------------------------------------------------------------
  // inference

  predict(split: Split, index: number): number {
    this.checkSplit(split, index);
    this.loadInput(split, index);
    const P = this.params;
    hiddenForwardAll(P, this.state, this.h0, this.x, this.S);
    // the output layer reads h as the window memory would hold it
    const last = this.L - 2;
    const h = this.x.zWin;
    windowZ(P.forward[last], this.x.z[last], h);
    const lo = this.L - 1;
    outputLogits(P.output, this.state.W[lo], this.state.b[lo], h, 0, this.logitBuf, 0, this.S.logit);
    const o = this.logitBuf;
    let best = 0;
    for (let j = 1; j < o.length; j++) if (o[j] > o[best]) best = j;
    return best;
  }

  evaluate(split: Split, limit?: number): number {
    return evaluateKeeping(split, limit, (i) => this.predict(split, i), () => {
      const snap = this.sat.snapshot();
      return () => this.sat.restore(snap);
    });
  }

  // ---------------------------------------------------------------------------------------------------
  // state, weights, report

  /** The state's arrays by name, in export order (exportState writes copies, importState fills them). */
  private stateArrays(): [string, Int32Array | Float64Array][] {
    const { W, b, banks, wm } = this.state;
    const pairs: [string, Int32Array | Float64Array][] = [];
    for (let l = 0; l < this.L; l++) pairs.push([`W${l}`, W[l]], [`b${l}`, b[l]], [`lfsr${l}`, banks[l].states]);
    for (let l = 0; l < wm.zw.length; l++) pairs.push([`zw${l}`, wm.zw[l]]);
    pairs.push(['slotIdx', wm.slotIdx], ['slotLabel', wm.slotLabel], ['inputs', wm.inputs], ['Kx', wm.Kx], ['Ky', wm.Ky], ['Rx', wm.Rx], ['Ry', wm.Ry]);
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
        count: this.state.wm.count,
        head: this.state.wm.head,
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
    const { count, head, steps } = m;
    const B = this.B;
    if (!Number.isInteger(count) || (count as number) < 0 || (count as number) > B) throw new RangeError(`fixed engine: state window count ${String(count)} is not an integer in 0..${B}`);
    if (!Number.isInteger(head) || (head as number) < 0 || (head as number) >= B) throw new RangeError(`fixed engine: state window head ${String(head)} is not an integer in 0..${B - 1}`);
    if ((count as number) < B && head !== count) throw new RangeError(`fixed engine: state window head ${String(head)} must equal its count ${String(count)} while the window fills`);
    if (!Number.isInteger(steps) || (steps as number) < 0) throw new RangeError(`fixed engine: state step count ${String(steps)} is not an integer ≥ 0`);
    // all-or-nothing: every array is checked before any is copied, so a bad state leaves the engine as it was
    const arrays = this.stateArrays();
    for (const [name, dst] of arrays) {
      const src = state.arrays[name];
      if (!src || src.length !== dst.length) throw new RangeError(`fixed engine: state array ${name} is missing or has the wrong length`);
    }
    for (const [name, dst] of arrays) dst.set(state.arrays[name]);
    this.state.wm.count = count as number;
    this.state.wm.head = head as number;
    this.steps = steps as number;
    this.sat.reset();
    this.sat.restore((m.saturations as Record<string, { high: number; low: number }> | undefined) ?? {});
  }

  /** Raw integer parameters (copies). */
  weights(): LayerWeights[] {
    return this.rawWeights().layers;
  }

  rawWeights(): { layers: RawLayer[] } {
    const { W, b } = this.state;
    return { layers: W.map((Wl, l) => ({ nIn: this.sizes[l], nOut: this.sizes[l + 1], W: Wl.slice(), b: b[l].slice() })) };
  }

  /**
   * Sets every weight and bias from raw integers (the inverse of rawWeights; e.g. a weights file's layers).
   * All-or-nothing: the shapes and every word's range in its format are checked before anything is copied.
   * The window, LFSR lanes and step count are left as they are.
   */
  setRawWeights(layers: readonly RawLayer[]): void {
    const N = this.numeric;
    if (layers.length !== this.state.W.length) throw new RangeError(`fixed engine: ${layers.length} layers given, the network has ${this.state.W.length}`);
    layers.forEach((y, l) => {
      const nIn = this.sizes[l];
      const nOut = this.sizes[l + 1];
      if (y.nIn !== nIn || y.nOut !== nOut || y.W.length !== nIn * nOut || y.b.length !== nOut) {
        throw new RangeError(`fixed engine: layer ${l} must be ${nIn}→${nOut} (${nIn * nOut} weights, ${nOut} biases), got ${y.nIn}→${y.nOut} (${y.W.length}, ${y.b.length})`);
      }
      checkRaw(y.W, N.weight.format, `layer ${l} weight`);
      checkRaw(y.b, N.bias.format, `layer ${l} bias`);
    });
    layers.forEach((y, l) => {
      this.state.W[l].set(y.W);
      this.state.b[l].set(y.b);
    });
  }

  /** Dequantised parameters (float64), for comparisons with the float model. */
  realWeights(): LayerWeights[] {
    const N = this.numeric;
    const { W, b } = this.state;
    return W.map((Wl, l) => ({ nIn: this.sizes[l], nOut: this.sizes[l + 1], W: deq(Wl, N.weight.format), b: deq(b[l], N.bias.format) }));
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
    for (const a of this.params.accs) lines.push(`  ${a.name.padEnd(44)} need ${String(a.needBits).padStart(2)} bits (${a.format}) ≤ ${a.haveBits}`);
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
    const P = this.params;
    addC('kappaX', P.kxPixels.kappa);
    P.kz.forEach((k, i) => addC(`kappaZ${i + 1}`, k.kappa));
    P.modulator.forEach((m, i) => addC(`xiScale${i + 1}`, m.xiScale));
    addC('invB', P.output.invB);
    // words the chip holds as they are: raw·2^−f of their format
    const word = (name: string, value: number, raw: number, f: number) => (constants[name] = { value, mantissa: raw, shift: f, effective: raw * 2 ** -f });
    word('lnEps', this.config.lnEps, P.epsRaw, N.lnVar.format.fracBits);
    word('gamma', this.config.gamma, P.modulator[0].gamma, N.gammaFracBits);
    const [, sy] = this.config.sigma;
    word('kyOff', Math.exp(-2 / (2 * sy * sy * this.sizes[this.L])), P.kyOff, N.gram.format.fracBits);
    lines.push('constants (m·2^−s):');
    for (const [k, c] of Object.entries(constants)) lines.push(`  ${k.padEnd(10)} ${c.value.toExponential(6)} ≈ ${c.mantissa}·2^−${c.shift} (rel. err ${(c.effective / c.value - 1).toExponential(2)})`);
    const T = P.tables;
    lines.push(`tables: expNeg ${T.expNeg.tables().map((t) => `${t.name}[${t.entries.length}]×${t.width}b`).join(', ')}; exp ${T.exp.tables().map((t) => `${t.name}[${t.entries.length}]`).join(', ')}; rsqrt ${T.rsqrt.tables().map((t) => `${t.name}[${t.entries.length}]`).join(', ')}; recip ${T.recip.tables().map((t) => `${t.name}[${t.entries.length}]`).join(', ')}`);
    lines.push(`LFSR: ${this.L} banks × ${N.lfsr.lanes} lanes, width ${N.lfsr.width}, ${N.lfsr.rbits} bits/draw, leap ${N.lfsr.leap}`);
    return { formats, saturations: sats, accumulators: this.params.accs.slice(), memoryBits: mem, lr, constants, text: lines.join('\n') };
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

/**
 * The test accuracy of a fixed-point engine (the golden one, and the UP5K engine's, whose bits are its): the
 * share of the first `limit` samples of `split` (all by default) whose `predict` is their label. Inference does
 * not count saturations of training quantities twice: `keep` takes the counters before and gives back what puts
 * them back after.
 */
export function evaluateKeeping(split: Split, limit: number | undefined, predict: (index: number) => number, keep: () => () => void): number {
  const n = Math.min(split.n, limit ?? split.n);
  if (n <= 0) return 0;
  const restore = keep();
  let ok = 0;
  for (let i = 0; i < n; i++) if (predict(i) === split.y[i]) ok++;
  restore();
  return ok / n;
}

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
