/**
 * The kernel unit's co-simulation pieces, shared by its test and its bench: the golden model's spec functions
 * of a configuration, random requests over every function, and a driver that checks every response word.
 */
import { expect } from 'vitest';
import { SatSlot } from '../../generator/fixed/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { kernelCodes, kernelConstants } from '../../generator/units/kernel.js';
import { unitShapes } from '../../generator/units/shapes.js';
import { chipTables, kernelParams, kernelWord, labelOffWord, labelRow } from '../../sim/golden/fixed/kernel.js';
import { satSlots } from '../../sim/golden/fixed/common.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import { randIn } from './helpers.js';

export interface Req {
  fn: number;
  arg: number;
}

/** The golden model's spec functions of one kernel-unit configuration (sim/golden/fixed/kernel.ts). */
export function kernelSpec(cfg: ChipConfig) {
  const sh = unitShapes(cfg);
  const N = sh.N;
  const tables = chipTables(N, sh.classes);
  const [sx, sy, sz] = cfg.sigma;
  const params = sh.kinds.map((k, i) => kernelParams(N, tables.expNeg, i === 0 ? sx : sz, k.len, i === 0 ? 'pixels' : 'z'));
  return { tables, params, off: labelOffWord(N, tables.expNeg, sy, sh.classes), one: 2 ** N.gram.format.fracBits };
}

/** The golden model's result of one request: y and the two saturation flags. */
export function kernelExpected(cfg: ChipConfig, spec: ReturnType<typeof kernelSpec>, r: Req): { y: number; satArg: boolean; satOut: boolean } {
  const sh = unitShapes(cfg);
  const codes = kernelCodes(cfg, sh);
  const sat = satSlots();
  if (r.fn < sh.kinds.length) {
    const y = kernelWord(spec.params[r.fn], r.arg, sat);
    return { y, satArg: sat.kernelArg.high > 0, satOut: sat.gram.high > 0 };
  }
  if (r.fn === codes.KY) {
    const lb = sh.labelBits;
    const labels = Int32Array.of(Math.floor(r.arg / 2 ** lb), r.arg % 2 ** lb);
    const ky = new Int32Array(2);
    labelRow(labels, 0, 2, spec.one, spec.off, ky);
    return { y: ky[1], satArg: false, satOut: false };
  }
  const slot = new SatSlot('out');
  const fnT = r.fn === codes.EXP ? spec.tables.exp : r.fn === codes.RSQRT ? spec.tables.rsqrt : spec.tables.recip;
  const y = fnT.eval(r.arg, slot);
  return { y, satArg: false, satOut: slot.high > 0 };
}

/** n random requests over every function, arguments spread over magnitudes so that every path is taken. */
export function randomRequests(cfg: ChipConfig, rng: Rng, n: number): Req[] {
  const sh = unitShapes(cfg);
  const kc = kernelConstants(cfg, sh);
  const codes = kernelCodes(cfg, sh);
  const out: Req[] = [];
  for (let i = 0; i < n; i++) {
    const fn = rng.int(codes.RECIP + 1);
    let arg: number;
    if (fn < sh.kinds.length) {
      // a distance with log-uniform magnitude (t then spans the table and its saturation) or its exact range
      const k = sh.kinds[fn];
      const dMax = k.len * k.maxDiff ** 2;
      arg = rng.int(4) === 0 ? randIn(rng, 0, dMax) : Math.min(dMax, Math.floor(2 ** (rng.uniform() * Math.log2(dMax + 1))));
    } else if (fn === codes.KY) {
      const lc = rng.int(sh.classes);
      const lq = rng.int(2) === 0 ? lc : rng.int(sh.classes);
      arg = lc * 2 ** sh.labelBits + lq;
    } else {
      const f = fn === codes.EXP ? kc.tables.exp : fn === codes.RSQRT ? kc.tables.rsqrt : kc.tables.recip;
      const [lo, hi] = f.domain;
      arg = rng.int(3) === 0 ? (rng.int(2) === 0 ? lo : hi) : randIn(rng, lo, hi);
    }
    out.push({ fn, arg });
  }
  return out;
}

/** Encodes requests as s_axis_req words: {fn, arg} (arg as two's complement in argBits). */
export function encodeRequests(cfg: ChipConfig, reqs: Req[]): bigint[] {
  const { argBits } = kernelCodes(cfg);
  return reqs.map((r) => (BigInt(r.fn) << BigInt(argBits)) | BigInt.asUintN(argBits, BigInt(r.arg)));
}

/**
 * Sends `reqs` (tlast on every 7th and the final one) with the given patterns after a reset; returns the cycles
 * of the run to the last response, its wall time and the saturation flags seen; throws at the first word that
 * differs from the golden model.
 */
export async function runKernel(
  m: Model,
  cfg: ChipConfig,
  reqs: Req[],
  pValid: number,
  pReady: number,
  seed: number,
): Promise<{ cycles: number; runMs: number; satArg: number; satOut: number }> {
  const { yBits } = kernelCodes(cfg);
  await m.sourcePattern('req', pValid, seed);
  await m.sinkPattern('rsp', pReady, seed + 1);
  await m.reset(2);
  const last = reqs.map((_, i) => i % 7 === 6 || i === reqs.length - 1);
  await m.push('req', encodeRequests(cfg, reqs), last);
  const t0 = performance.now();
  const r = await m.run({ untilSinkCount: { bus: 'rsp', n: reqs.length }, maxCycles: 100 * reqs.length + 1000 });
  const runMs = performance.now() - t0;
  const got = await m.drain('rsp');
  expect(got.length).toBe(reqs.length);
  const spec = kernelSpec(cfg);
  let satArg = 0;
  let satOut = 0;
  got.forEach((w, i) => {
    const e = kernelExpected(cfg, spec, reqs[i]);
    const y = w.data % 2 ** yBits;
    const flags = Math.floor(w.data / 2 ** yBits);
    const want = { y: e.y, satArg: e.satArg, satOut: e.satOut, last: last[i] };
    const have = { y, satArg: (flags & 2) !== 0, satOut: (flags & 1) !== 0, last: w.last };
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      throw new Error(`request ${i} (fn ${reqs[i].fn}, arg ${reqs[i].arg}): got ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`);
    }
    satArg += e.satArg ? 1 : 0;
    satOut += e.satOut ? 1 : 0;
  });
  return { cycles: r.cycles, runMs, satArg, satOut };
}

