/**
 * Co-simulation of the LayerNorm-forward unit against its specification: random accumulator rows (drawn to
 * reach preact saturation, all-negative rows, zero variance and z saturation), the streams driven with random
 * valid/ready, every z word (relu′, windowZ and act fields), s⁻¹ and the per-call saturation counts compared.
 * Shared by test/units/layernorm.test.ts and bench/units/layernorm.ts.
 */
import { width } from '../../generator/fixed/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { resolveNumeric } from '../../generator/numeric.js';
import { layernormCycles } from '../../generator/units/layernorm.js';
import type { Model } from '../../sim/verilator/model.js';
import { Rng } from '../../sim/rng.js';
import { satSlots } from '../../sim/golden/fixed/common.js';
import { layerNormRelu, preactWord, windowZ } from '../../sim/golden/fixed/forward.js';
import { specParams } from './modulator-cosim.js';
import { expectBusy, expectDone, type StreamRates } from './modulator-cosim.js';

export interface LayerNormOutputs {
  a: number[];
  z: number[];
  zw: number[];
  sInv: number;
  sat: { preact: number; var: number; invStd: number; act: number; windowZ: number };
}

/** What the specification (sim/golden/fixed/forward.ts: preactWord, layerNormRelu, windowZ) computes for one call. */
export function layernormSpec(cfg: ChipConfig, layer: number, acc: number[]): LayerNormOutputs {
  const p = specParams(cfg).forward[layer];
  const s = satSlots();
  const a = Int32Array.from(acc, (x) => preactWord(p, x, s.preact));
  const z = new Int32Array(p.n);
  const sInv = layerNormRelu(p, a, z, s);
  const zw = new Int32Array(p.n);
  windowZ(p, z, zw, s.windowZ);
  return { a: [...a], z: [...z], zw: [...zw], sInv, sat: { preact: s.preact.count, var: s.lnVar.count, invStd: s.lnInvStd.count, act: s.act.count, windowZ: s.windowZ.count } };
}

export interface LayerNormCase {
  layer: number;
  /** exact forward accumulators Σ W h + b, one per row */
  acc: number[];
}

/** One random call: the layer, and accumulators around a chosen preact range (with random dropped bits). */
export function randomLayerNormCase(cfg: ChipConfig, rng: Rng): LayerNormCase {
  const N = resolveNumeric(cfg.numeric);
  const layer = rng.int(cfg.layers.length - 2);
  const n = cfg.layers[layer + 1];
  const fIn = (layer === 0 ? N.input : N.act).format.fracBits;
  const fAcc = N.weight.format.fracBits + fIn;
  const FA = N.preact.format;
  const accMax = 2 ** (N.acc.forward - 1) - 1;
  const style = Math.min(7, rng.int(9)); // style 7 twice as often
  const mag = [2 ** (FA.fracBits + 1), 2 ** (width(FA) - 1), 2 ** (FA.fracBits - 6), 2 ** FA.fracBits, 2 ** FA.fracBits, 2 ** (FA.fracBits + 3), accMax, 2 ** (FA.fracBits + 1)][style];
  const base = rng.int(2 ** (FA.fracBits + 2)); // style 4: every row the same positive value (zero variance)
  const acc: number[] = [];
  for (let j = 0; j < n; j++) {
    let a: number;
    if (style === 6) a = Math.floor((rng.uniform() * 2 - 1) * accMax);
    else {
      let p = style === 4 ? base : Math.floor((rng.uniform() * 2 - 1) * mag);
      if (style === 3) p = -Math.abs(p); // all rows ≤ 0: relu gives 0 everywhere
      if (style === 7) p = j < 3 && rng.int(2) ? Math.abs(p) : -Math.abs(p); // a few positive rows: |z| up to √n
      a = p * 2 ** (fAcc - FA.fracBits) + rng.int(2 ** Math.max(0, fAcc - FA.fracBits));
    }
    acc.push(Math.max(-accMax - 1, Math.min(accMax, a)));
  }
  return { layer, acc };
}

export interface LayerNormResult {
  want: LayerNormOutputs;
  got: { pos: number[]; zw: number[]; z: number[] };
  sInv: number;
  /** s_inv_<layer> in the cycle of the stats pulse */
  sInvAtStats: number;
  sat: LayerNormOutputs['sat'];
  cycles: number;
  ideal: number;
  /** wall time of the harness run that simulated the call (ms) */
  runMs: number;
}

const signedOf = (raw: number, w: number): number => (raw >= 2 ** (w - 1) ? raw - 2 ** w : raw);

/** Runs one call on a layernorm model (idle): queues the accumulators, pulses start, collects the n z words. */
export async function runLayerNormCase(m: Model, cfg: ChipConfig, x: LayerNormCase, rates: StreamRates, seed: number): Promise<LayerNormResult> {
  const N = resolveNumeric(cfg.numeric);
  const n = x.acc.length;
  const wz = width(N.act.format);
  const wzw = width(N.windowZ.format);
  const want = layernormSpec(cfg, x.layer, x.acc);
  await m.sourcePattern('acc', rates.valid, seed);
  await m.sinkPattern('z', rates.ready, seed + 1);
  await m.push('acc', x.acc, 'none');
  await m.poke('layer', x.layer);
  await m.poke('start', 1);
  const c0 = (await m.status()).cycle;
  await m.step(1);
  await m.poke('start', 0);
  await expectBusy(m, 'layernorm');
  const ideal = layernormCycles(n);
  const t0 = performance.now();
  const maxCycles = Math.ceil((ideal * 4) / Math.min(rates.valid, rates.ready)) + 200;
  // stats: one pulse once the statistics are final — s⁻¹ of the call already on s_inv_<layer>, no z word out yet
  await m.run({ untilPort: { port: 'stats', equals: 1 }, maxCycles });
  const atStats = { sInv: await m.peek(`s_inv_${x.layer}`), zOut: (await m.status()).buffered.z ?? 0 };
  await m.step(1);
  if ((await m.peek('stats')) !== 0) throw new Error('stats is high for more than one cycle');
  if (atStats.zOut !== 0) throw new Error(`stats after ${atStats.zOut} z words`);
  await m.run({ untilSinkCount: { bus: 'z', n }, maxCycles });
  const runMs = performance.now() - t0;
  const words = await m.drain('z');
  await expectDone(m, 'layernorm');
  if (words.some((w, j) => w.last !== (j === n - 1))) throw new Error(`tlast on the wrong z words: ${words.map((w) => Number(w.last)).join('')}`);
  const got = { pos: [] as number[], zw: [] as number[], z: [] as number[] };
  for (const w of words) {
    const d = w.data;
    got.z.push(signedOf(d % 2 ** wz, wz));
    got.zw.push(signedOf(Math.floor(d / 2 ** wz) % 2 ** wzw, wzw));
    got.pos.push(Math.floor(d / 2 ** (wz + wzw)));
  }
  const sat = {
    preact: await m.peek('sat_preact'),
    var: await m.peek('sat_var'),
    invStd: await m.peek('sat_inv_std'),
    act: await m.peek('sat_act'),
    windowZ: await m.peek('sat_window_z'),
  };
  const cycles = words.length ? words[words.length - 1].cycle - c0 + 1 : 0;
  return { want, got, sInv: await m.peek(`s_inv_${x.layer}`), sInvAtStats: atStats.sInv, sat, cycles, ideal, runMs };
}

/** Every mismatch of a result, as readable lines (empty: bit-exact). */
export function layerNormMismatches(r: LayerNormResult): string[] {
  const bad: string[] = [];
  const n = r.want.z.length;
  if (r.got.z.length !== n) bad.push(`${r.got.z.length} z words, want ${n}`);
  for (let j = 0; j < Math.min(n, r.got.z.length); j++) {
    const pos = r.want.a[j] > 0 ? 1 : 0;
    if (r.got.z[j] !== r.want.z[j] || r.got.zw[j] !== r.want.zw[j] || r.got.pos[j] !== pos) {
      bad.push(`row ${j}: got z ${r.got.z[j]} zw ${r.got.zw[j]} pos ${r.got.pos[j]}, want z ${r.want.z[j]} zw ${r.want.zw[j]} pos ${pos}`);
    }
  }
  if (r.sInv !== r.want.sInv) bad.push(`s_inv ${r.sInv}, want ${r.want.sInv}`);
  if (r.sInvAtStats !== r.want.sInv) bad.push(`s_inv ${r.sInvAtStats} at the stats pulse, want ${r.want.sInv}`);
  if (JSON.stringify(r.sat) !== JSON.stringify(r.want.sat)) bad.push(`saturations ${JSON.stringify(r.sat)}, want ${JSON.stringify(r.want.sat)}`);
  return bad;
}
