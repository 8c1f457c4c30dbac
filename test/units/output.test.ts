/**
 * The output-layer unit co-simulated against outputStep / outputLogits word for word: a few designs (lane
 * counts, widths that are and are not multiples of the lanes, windows 2 … 16, a deterministic bias rounding
 * and a larger learning-rate multiplier), many random cases each (data varies, the design does not).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { outputLayout, outputPhysicalAddress, outputUnit } from '../../generator/units/output.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { unitConfig } from './hebbian-cosim.js';
import { OutputCosim, runOutputCase } from './output-cosim.js';

// physical lane counts (outputLanes) drawn once from a fixed seed: P < L not dividing L, dividing it, P = 1
const pick = new Rng(20261130);
const randomP = (L: number): number => 2 + pick.int(L - 2); // 2 … L − 1

const DESIGNS: { name: string; layers: number[]; window: number; lanes: number; outputLanes: number; cases: number; steps: number; patch?: object }[] = [
  { name: 'L=4 on 3 physical lanes, 10 inputs (partial last chunk), 3 classes, B=2 (errors saturate)', layers: [5, 10, 3], window: 2, lanes: 4, outputLanes: 3, cases: 40, steps: 3 },
  { name: 'L=3 on 2 physical lanes, 6 inputs (full last chunk: the bias lane draws twice), 5 classes, B=5', layers: [5, 6, 5], window: 5, lanes: 3, outputLanes: 2, cases: 40, steps: 3 },
  { name: 'L=1, 4 inputs, 2 classes, B=16', layers: [5, 4, 2], window: 16, lanes: 1, outputLanes: 1, cases: 20, steps: 2 },
  {
    name: 'L=8 on random physical lanes, 20 inputs, 7 classes, B=3, lr mul 3, nearest-rounded bias',
    layers: [5, 20, 7],
    window: 3,
    lanes: 8,
    outputLanes: randomP(8),
    cases: 30,
    steps: 3,
    patch: { lr: { hiddenShift: 1, hiddenMul: 1, outShift: 4, outMul: 3 }, bias: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' } },
  },
  { name: 'L=6 on 1 physical lane, 13 inputs, 4 classes, B=4', layers: [5, 13, 4], window: 4, lanes: 6, outputLanes: 1, cases: 20, steps: 2 },
  { name: 'L=64 on 16 physical lanes, 64 inputs, 10 classes, B=8 (the default output layer)', layers: [784, 64, 10], window: 8, lanes: 64, outputLanes: 16, cases: 12, steps: 2 },
];

describe('output layout', () => {
  it('puts word i of row j in bank i mod L at j·C_h + ⌊i/L⌋', () => {
    const lay = outputLayout(unitConfig([784, 128, 64, 10], 64));
    expect([lay.chunks, lay.lastLanes, lay.biasLane, lay.depth]).toEqual([1, 64, 0, 10]);
  });
  it('keeps host bank q, address a in physical bank q mod P at a·S + ⌊q / P⌋', () => {
    const lay = outputLayout({ ...unitConfig([5, 10, 3], 4), outputLanes: 3 });
    expect([lay.physLanes, lay.subChunks, lay.physDepth]).toEqual([3, 2, 3 * 3 * 2]);
    // every host word has its own physical word
    const seen = new Set<string>();
    for (let q = 0; q < lay.lanes; q++) {
      for (let a = 0; a < lay.depth; a++) {
        const { bank, addr } = outputPhysicalAddress(lay, q, a);
        expect(bank).toBeLessThan(lay.physLanes);
        expect(addr).toBeLessThan(lay.physDepth);
        seen.add(`${bank}:${addr}`);
      }
    }
    expect(seen.size).toBe(lay.lanes * lay.depth);
    expect(outputPhysicalAddress(lay, 3, 5)).toEqual({ bank: 0, addr: 11 });
  });
  it('takes at most lanes physical lanes', () => {
    expect(outputLayout({ ...unitConfig([5, 10, 3], 4), outputLanes: 16 }).physLanes).toBe(4);
  });
});

for (const d of DESIGNS) {
  describe(`output unit co-simulated: ${d.name}`, () => {
    let sim: OutputCosim | undefined;
    afterAll(async () => {
      await sim?.close();
    });
    it(`${d.cases} random cases, every word equal to the spec`, async () => {
      const cfg = { ...unitConfig(d.layers, d.lanes, d.patch ?? {}), window: d.window, outputLanes: d.outputLanes };
      sim = await OutputCosim.start(cfg);
      let sat = 0;
      let logits = 0;
      for (let c = 0; c < d.cases; c++) {
        const s = await runOutputCase(sim, 7000 + 31 * d.lanes + c, d.steps);
        sat += s.sat;
        logits += s.logits;
      }
      expect(logits).toBeGreaterThan(0);
      expect(sat).toBeGreaterThan(0);
    }, 600_000);
  });
}

describe('output unit in the tools', () => {
  it('lints clean, synthesizes without latches, parses in Icarus (small config)', async () => {
    await expectToolsClean(outputUnit({ ...unitConfig([5, 10, 3], 4), window: 4 }));
  }, 120_000);
  it('lints clean, synthesizes without latches, parses in Icarus (4 LFSR lanes on 3 physical lanes)', async () => {
    await expectToolsClean(outputUnit({ ...unitConfig([5, 10, 3], 4), window: 4, outputLanes: 3 }));
  }, 120_000);
});
