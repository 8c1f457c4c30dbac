/**
 * Co-simulation of the modulator unit against its specification: random cases (data drawn to reach the
 * saturations and zero-δ rows), the streams driven with random valid/ready, every δ word and the per-call
 * saturation counts compared. Shared by test/units/modulator.test.ts and bench/units/modulator.ts.
 */
import { maxRawNum, minRawNum, width } from '../../generator/fixed/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { resolveNumeric } from '../../generator/numeric.js';
import { modulatorCycles, type ZwSlots } from '../../generator/units/modulator.js';
import type { Model } from '../../sim/verilator/model.js';
import { Rng } from '../../sim/rng.js';
import { satSlots } from '../../sim/golden/fixed/common.js';
import { modulate } from '../../sim/golden/fixed/modulator.js';
import { chipParams, type ChipParams } from '../../sim/golden/fixed/params.js';
import { trainConfigOf } from './helpers.js';

export interface ModulatorInputs {
  /** hidden-layer index */
  layer: number;
  /** slot of the current sample */
  c: number;
  /** K_X[c][p], K_Y[c][p], K_Z[c][p] (gram raw), row sums R_X[p], R_Y[p] (rowSum raw), p = 0 … B−1 */
  kx: number[];
  ky: number[];
  kz: number[];
  rx: number[];
  ry: number[];
  /** window z, zw[p·n + j] (windowZ raw) */
  zw: Int32Array;
  /** forward of the current sample: a_c (preact raw), z_c (act raw) */
  a: Int32Array;
  z: Int32Array;
  /** s⁻¹ (lnInvStd raw) */
  sInv: number;
}

export interface ModulatorOutputs {
  coef: number[];
  xi: number[];
  delta: number[];
  sat: { coef: number; xi: number; delta: number };
}

const paramsCache = new WeakMap<ChipConfig, ChipParams>();

/** The golden model's parameters of a chip configuration (the fixed engine's, built once per configuration). */
export function specParams(cfg: ChipConfig): ChipParams {
  let P = paramsCache.get(cfg);
  if (!P) paramsCache.set(cfg, (P = chipParams(trainConfigOf(cfg), cfg.numeric)));
  return P;
}

/** What the specification (sim/golden/fixed/modulator.ts, modulate) computes for one call. */
export function modulatorSpec(cfg: ChipConfig, x: ModulatorInputs): ModulatorOutputs {
  const p = specParams(cfg).modulator[x.layer];
  const s = satSlots();
  const scratch = { w: new Float64Array(p.B), coef: new Float64Array(p.B), xi: new Float64Array(p.n) };
  const delta = new Float64Array(p.n);
  const win = { c: x.c, kx: Int32Array.from(x.kx), ky: Int32Array.from(x.ky), Rx: Float64Array.from(x.rx), Ry: Float64Array.from(x.ry), kz: Int32Array.from(x.kz), zw: x.zw };
  modulate(p, win, { z: x.z, a: x.a, sInv: x.sInv }, delta, scratch, s);
  return { coef: [...scratch.coef], xi: [...scratch.xi], delta: [...delta], sat: { coef: s.coef.count, xi: s.xi.count, delta: s.delta.count } };
}

/** A raw word of a format with magnitude up to 2^bits (clamped to the format). */
function rawIn(rng: Rng, lo: number, hi: number, bits: number): number {
  const mag = 2 ** Math.max(0, bits);
  const v = Math.floor((rng.uniform() * 2 - 1) * mag);
  return Math.min(hi, Math.max(lo, v));
}

/** One random call: a layer, a slot, K rows and row sums, window z, the current sample's forward, s⁻¹. */
export function randomModulatorCase(cfg: ChipConfig, rng: Rng): ModulatorInputs {
  const N = resolveNumeric(cfg.numeric);
  const B = cfg.window;
  const H = cfg.layers.length - 2;
  const layer = rng.int(H);
  const n = cfg.layers[layer + 1];
  const ONE = 2 ** N.gram.format.fracBits;
  const kMax = maxRawNum(N.gram.format);
  const rMax = maxRawNum(N.rowSum.format);
  // kernel values: mostly in [0, 1], sometimes the whole word range; zeros make zero coefficients
  const kStyle = rng.int(4);
  const kWord = (): number => (kStyle === 0 ? rng.int(kMax + 1) : kStyle === 1 && rng.int(3) === 0 ? 0 : rng.int(ONE + 1));
  const kx = Array.from({ length: B }, kWord);
  const ky = Array.from({ length: B }, () => (rng.int(2) ? ONE : rng.int(ONE + 1)));
  const kz = Array.from({ length: B }, kWord);
  const rStyle = rng.int(3);
  const rWord = (): number => (rStyle === 0 ? rng.int(rMax + 1) : ONE + rng.int((B - 1) * ONE + 1));
  const rx = Array.from({ length: B }, rWord);
  const ry = Array.from({ length: B }, rWord);
  // window z: small (|z| < 1), medium, or the whole windowZ range (ξ saturates)
  const FW = N.windowZ.format;
  const zBits = [FW.fracBits - 2, FW.fracBits + 1, width(FW) - 1][rng.int(3)];
  const zw = new Int32Array(B * n);
  for (let i = 0; i < zw.length; i++) zw[i] = rawIn(rng, minRawNum(FW), maxRawNum(FW), zBits);
  // current sample: a (preact) decides relu′ (some layers all zero-δ), z (act)
  const FZ = N.act.format;
  const FA = N.preact.format;
  const posP = [0, 0.5, 0.9, 1][rng.int(4)];
  const a = new Int32Array(n);
  const z = new Int32Array(n);
  const zcBits = [FZ.fracBits, width(FZ) - 1][rng.int(2)];
  for (let j = 0; j < n; j++) {
    a[j] = rng.uniform() < posP ? 1 + rng.int(maxRawNum(FA)) : -rng.int(-minRawNum(FA) + 1);
    z[j] = rawIn(rng, minRawNum(FZ), maxRawNum(FZ), zcBits);
  }
  // s⁻¹ within what the forward can produce: at most 2·rsqrt(ε) + 2 (the golden model's bound)
  const P = specParams(cfg);
  const sMax = Math.min(2 * P.tables.rsqrt.eval(P.epsRaw) + 2, maxRawNum(N.lnInvStd.format));
  const sInv = [rng.int(sMax + 1), sMax, rng.int(2 ** N.lnInvStd.format.fracBits + 1)][rng.int(3)];
  return { layer, c: rng.int(B), kx, ky, kz, rx, ry, zw, a, z, sInv };
}

export interface StreamRates {
  /** valid probability of each source, ready probability of the δ sink */
  valid: number;
  ready: number;
}

export interface CaseResult {
  want: ModulatorOutputs;
  got: number[];
  sat: { coef: number; xi: number; delta: number };
  /** start edge to the edge of the last δ transfer, inclusive */
  cycles: number;
  ideal: number;
  /** wall time of the harness run that simulated the call (ms) */
  runMs: number;
}

/**
 * Runs one call on a modulator model (reset once beforehand, idle): queues every input stream, pulses
 * start, waits for the n δ words and the end of busy, reads the saturation counters. `zwSlots` is the model's
 * window stream (generation option): 1 = n·B words, slot c first in each row; 'all' = n words, row j of
 * every slot packed (slot p in lane p).
 */
/**
 * zwSlots 'all' with the kz words queued kzAfter cycles after start (the other streams complete by then): kz word
 * p is taken at edge kzAfter + p + 1, its coefficient issues in the next cycle, XI begins 3 cycles after the last
 * issue, then n + 4 (XI) and n + 4 (DELTA) as without stalls.
 */
export function modulatorCyclesKzAfter(B: number, n: number, kzAfter: number): number {
  return kzAfter + B + 3 + 2 * (n + 4);
}

export async function runModulatorCase(
  m: Model,
  cfg: ChipConfig,
  x: ModulatorInputs,
  rates: StreamRates,
  seed: number,
  zwSlots: ZwSlots = 1,
  /** queue the kz words only this many cycles after start (the chip's K_Z row comes after the K rows and row sums) */
  kzAfter = 0,
): Promise<CaseResult> {
  const N = resolveNumeric(cfg.numeric);
  const B = cfg.window;
  const n = cfg.layers[x.layer + 1];
  const wk = width(N.gram.format);
  const wr = width(N.rowSum.format);
  const wz = width(N.act.format);
  const want = modulatorSpec(cfg, x);
  let s = seed;
  for (const bus of ['kxy', 'kz', 'rsum', 'zc', 'zw']) await m.sourcePattern(bus, rates.valid, s++);
  await m.sinkPattern('delta', rates.ready, s++);
  const kxy = x.kx.map((k, p) => x.ky[p] * 2 ** wk + k);
  const rsum = x.rx.map((r, p) => x.ry[p] * 2 ** wr + r);
  const zc = Array.from(x.z, (zj, j) => (x.a[j] > 0 ? 2 ** wz : 0) + (zj < 0 ? zj + 2 ** wz : zj));
  const zw: number[] = [];
  // one word: row j in ring order from slot c; all slots: row j, lane p = slot p
  for (let j = 0; j < n; j++) for (let i = 0; i < B; i++) zw.push(x.zw[(zwSlots === 'all' ? i : (x.c + i) % B) * n + j]);
  const pushZw = zwSlots === 'all' ? m.pushLanes('zw', zw, width(N.windowZ.format), { signed: true, last: 'none' }) : m.push('zw', zw, 'none');
  await Promise.all([m.push('kxy', kxy, 'none'), kzAfter ? null : m.push('kz', x.kz, 'none'), m.push('rsum', rsum, 'none'), m.push('zc', zc, 'none'), pushZw]);
  await m.poke('layer', x.layer);
  await m.poke('slot', x.c);
  await m.poke('s_inv', x.sInv);
  await m.poke('start', 1);
  const c0 = (await m.status()).cycle;
  await m.step(1);
  await m.poke('start', 0);
  await expectBusy(m, 'modulator');
  if (kzAfter) {
    await m.step(kzAfter - 1);
    await m.push('kz', x.kz, 'none');
  }
  const ideal = kzAfter ? modulatorCyclesKzAfter(B, n, kzAfter) : modulatorCycles(B, n, zwSlots);
  const slack = Math.ceil((ideal * 4) / Math.min(rates.valid, rates.ready)) + 200;
  const t0 = performance.now();
  await m.run({ untilSinkCount: { bus: 'delta', n }, maxCycles: slack });
  const runMs = performance.now() - t0;
  const words = await m.drain('delta');
  await expectDone(m, 'modulator');
  const sat = { coef: await m.peek('sat_coef'), xi: await m.peek('sat_xi'), delta: await m.peek('sat_delta') };
  const lastFlags = words.map((w) => w.last);
  if (lastFlags.some((l, j) => l !== (j === n - 1))) throw new Error(`tlast on the wrong δ words: ${lastFlags.map(Number).join('')}`);
  const cycles = words.length ? words[words.length - 1].cycle - c0 + 1 : 0;
  return { want, got: words.map((w) => w.data), sat, cycles, ideal, runMs };
}

/** Drives start low (inputs start random) and resets the unit for two cycles. */
export async function resetUnit(m: Model): Promise<void> {
  await m.poke('start', 0);
  await m.reset(2);
}

/** After the start edge: busy is high. */
export async function expectBusy(m: Model, unit: string): Promise<void> {
  if ((await m.peek('busy')) !== 1) throw new Error(`${unit}: busy is low after start`);
}

/**
 * Right after the edge of the last output transfer (where run stops): done is high and busy low for exactly
 * that cycle; one cycle later done is low again.
 */
export async function expectDone(m: Model, unit: string): Promise<void> {
  const seen = [await m.peek('done'), await m.peek('busy')];
  await m.step(1);
  seen.push(await m.peek('done'), await m.peek('busy'));
  if (seen.join() !== '1,0,0,0') throw new Error(`${unit}: done, busy after the last transfer and one cycle later: ${seen.join()} (want 1,0,0,0)`);
}

/** Every mismatch of a result, as readable lines (empty: bit-exact). */
export function modulatorMismatches(r: CaseResult): string[] {
  const bad: string[] = [];
  const n = r.want.delta.length;
  if (r.got.length !== n) bad.push(`${r.got.length} δ words, want ${n}`);
  for (let j = 0; j < Math.min(n, r.got.length); j++) if (r.got[j] !== r.want.delta[j]) bad.push(`δ_${j} = ${r.got[j]}, want ${r.want.delta[j]} (ξ_${j} = ${r.want.xi[j]})`);
  if (JSON.stringify(r.sat) !== JSON.stringify(r.want.sat)) bad.push(`saturations ${JSON.stringify(r.sat)}, want ${JSON.stringify(r.want.sat)}`);
  return bad;
}

/** Valid/ready probabilities of a case: full rate for the first cases of a run, random (≥ 0.25) after. */
export function randomRates(rng: Rng, i: number): StreamRates {
  return i < 2 ? { valid: 1, ready: 1 } : { valid: 0.25 + 0.75 * rng.uniform(), ready: 0.25 + 0.75 * rng.uniform() };
}
