/**
 * The kernel unit co-simulated against the golden model's spec functions (sim/golden/fixed/kernel.ts:
 * kernelParams / kernelWord, labelOffWord / labelRow, and the chipTables it re-exports): every response word
 * (value and both saturation flags) for random requests of every function, random valid / ready patterns, on
 * the default chip and random small chips; the constants equal the spec's and the fixed engine's report.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SatSlot } from '../../generator/fixed/index.js';
import { chipTables, kernelParams, kernelWord, labelOffWord, labelRow } from '../../sim/golden/fixed/kernel.js';
import { satSlots } from '../../sim/golden/fixed/common.js';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { kernelCodes, kernelConstants, kernelUnit, KERNEL_LATENCY } from '../../generator/units/kernel.js';
import { unitShapes } from '../../generator/units/shapes.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { engineOf, randIn, randomChip, withWindowZ } from './helpers.js';

interface Req {
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
 * Sends `reqs` (tlast on every `rowLen`-th) with the given patterns and returns the number of response
 * words compared; throws at the first word that differs from the golden model.
 */
export async function runKernel(m: Model, cfg: ChipConfig, reqs: Req[], pValid: number, pReady: number, seed: number): Promise<{ cycles: number }> {
  const { yBits } = kernelCodes(cfg);
  await m.sourcePattern('req', pValid, seed);
  await m.sinkPattern('rsp', pReady, seed + 1);
  await m.reset(2);
  const last = reqs.map((_, i) => i % 7 === 6 || i === reqs.length - 1);
  await m.push('req', encodeRequests(cfg, reqs), last);
  const r = await m.run({ untilSinkCount: { bus: 'rsp', n: reqs.length }, maxCycles: 100 * reqs.length + 1000 });
  const got = await m.drain('rsp');
  expect(got.length).toBe(reqs.length);
  const spec = kernelSpec(cfg);
  got.forEach((w, i) => {
    const e = kernelExpected(cfg, spec, reqs[i]);
    const y = w.data % 2 ** yBits;
    const flags = Math.floor(w.data / 2 ** yBits);
    const want = { y: e.y, satArg: e.satArg, satOut: e.satOut, last: last[i] };
    const have = { y, satArg: (flags & 2) !== 0, satOut: (flags & 1) !== 0, last: w.last };
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      throw new Error(`request ${i} (fn ${reqs[i].fn}, arg ${reqs[i].arg}): got ${JSON.stringify(have)}, expected ${JSON.stringify(want)}`);
    }
  });
  return { cycles: r.cycles };
}

describe('kernel unit', () => {
  it('has the constants of the golden model: κ mantissa, shift and extra shift per kind, the K_Y word, 1.0', () => {
    for (const cfg of [DEFAULT_CHIP, randomChip(new Rng(5)), randomChip(new Rng(6)), withWindowZ(randomChip(new Rng(7)), 'Q4.8')]) {
      const kc = kernelConstants(cfg);
      const spec = kernelSpec(cfg);
      expect(kc.kappa).toEqual(spec.params.map((p) => ({ m: p.kappa.m, s: p.kappa.s, e: p.shift })));
      expect([kc.kyDiff, kc.one]).toEqual([spec.off, spec.one]);
      // and the fixed engine reports the same κ
      const rep = engineOf(cfg).report().constants;
      const names = ['kappaX', ...cfg.layers.slice(1, -1).map((_, i) => `kappaZ${i + 1}`)];
      expect(kc.kappa.map((k) => [k.m, k.s])).toEqual(names.map((n) => [rep[n].mantissa, rep[n].shift]));
    }
  });

  it('lints, synthesizes and parses clean', async () => {
    await expectToolsClean(kernelUnit(DEFAULT_CHIP));
  });

  const models: Model[] = [];
  afterAll(async () => {
    for (const m of models) await m.close();
  });

  const cases: { name: string; cfg: ChipConfig }[] = [
    { name: 'default chip', cfg: DEFAULT_CHIP },
    { name: 'random chip A', cfg: randomChip(new Rng(101)) },
    { name: 'random chip B (12-bit stored z)', cfg: withWindowZ(randomChip(new Rng(102)), 'Q4.8') },
  ];
  for (const { name, cfg } of cases) {
    it(`${name}: every response word equals the golden model under random back-pressure`, async () => {
      const m = await buildFromIr(kernelUnit(cfg), { seed: 1 + cfg.window * 97 + cfg.layers[0] }); // random start-up values of unreset state
      models.push(m);
      const rng = new Rng(cfg.window * 1000 + cfg.layers[0]);
      const mixes = [
        { pValid: 1, pReady: 1 },
        { pValid: 0.6, pReady: 0.5 },
        { pValid: 1, pReady: 0.1 },
      ];
      for (const [i, mix] of mixes.entries()) {
        const reqs = randomRequests(cfg, rng, 150);
        const r = await runKernel(m, cfg, reqs, mix.pValid, mix.pReady, 17 + i);
        // full rate: the first request transfers at the run's first edge, its response KERNEL_LATENCY edges later,
        // one response per edge after it
        if (mix.pValid === 1 && mix.pReady === 1) expect(r.cycles).toBe(1 + KERNEL_LATENCY + reqs.length);
      }
    });
  }
});
