/**
 * The Hebbian-update unit co-simulated against the spec's update pass, word for word: a few designs
 * (lane counts 1 … 64, layer widths that are and are not multiples of the lanes, so the bias lane draws
 * once or twice), many random cases each (data varies, the design does not: Verilator builds are cached).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { hebbian, hebbianLayout } from '../../generator/units/hebbian.js';
import { leapNumber, leapPackedNumber, leapPlan, packedLeap } from '../../generator/units/lane.js';
import { DEFAULT_TAPS, Lfsr } from '../../generator/fixed/index.js';
import { Rng } from '../../sim/rng.js';
import { DEFAULT_NUMERIC } from '../../generator/numeric.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { emitDesign } from '../../generator/emit/index.js';
import { synthYosys } from '../../generator/tools/index.js';
import { HebbianCosim, runCase, unitConfig } from './hebbian-cosim.js';
import { fitReport } from '../../host/boards/fit.js';
import { loadBoard } from '../../host/boards/board.js';

describe('LFSR leap as shifts and XORs', () => {
  it('equals LEAP steps of the Lfsr for every width and several leaps', () => {
    const rng = new Rng(5);
    for (const w of [2, 5, 8, 16, 24, 31, 32]) {
      for (const leap of [1, 3, 8, 16, w, w + 3, 40]) {
        const plan = leapPlan(w, DEFAULT_TAPS[w], leap);
        for (let t = 0; t < 50; t++) {
          const seed = 1 + rng.int(2 ** w - 1);
          const l = new Lfsr({ width: w, seed, rbits: 1, leap });
          l.draw();
          expect(leapNumber(plan, seed), `width ${w} leap ${leap} seed ${seed}`).toBe(l.state);
        }
      }
    }
  });
});

describe('LFSR leap of lanes packed in one word', () => {
  it('equals LEAP steps of each lane\'s Lfsr (two lanes, and three where they fit 64 bits)', () => {
    const rng = new Rng(6);
    let packed = 0;
    for (const w of [5, 8, 16, 21, 24, 31, 32]) {
      for (const leap of [1, 3, 8, 16, w]) {
        const plan = leapPlan(w, DEFAULT_TAPS[w], leap);
        for (const n of [2, 3]) {
          const pk = packedLeap(plan, n);
          if (!pk) continue;
          packed++;
          for (let t = 0; t < 30; t++) {
            const seeds = Array.from({ length: n }, () => 1 + rng.int(2 ** w - 1));
            const want = seeds.map((seed) => {
              const l = new Lfsr({ width: w, seed, rbits: 1, leap });
              l.draw();
              return l.state;
            });
            expect(leapPackedNumber(plan, pk, seeds), `width ${w} leap ${leap} lanes ${n} seeds ${seeds.join(',')}`).toEqual(want);
          }
        }
      }
    }
    expect(packed).toBeGreaterThanOrEqual(12);
  });
});

describe('hebbian layout', () => {
  it('puts word i of row j in bank i mod L at wBase + j·C + ⌊i/L⌋, layers one after another', () => {
    const lay = hebbianLayout(unitConfig([784, 128, 64, 10], 64));
    expect(lay.layers.map((y) => [y.chunks, y.lastLanes, y.biasLane, y.wBase])).toEqual([
      [13, 16, 16, 0],
      [2, 64, 0, 1664],
    ]);
    expect(lay.depth).toBe(1664 + 128);
    expect(lay.weightWords).toBe(784 * 128 + 128 + 128 * 64 + 64);
  });
  it('rejects a config whose LFSR lanes differ from the weight lanes', () => {
    const cfg = unitConfig([8, 4, 2], 4);
    expect(() => hebbian({ ...cfg, lanes: 2 })).toThrow(/lfsr.lanes/);
  });
});

const DESIGNS: { name: string; layers: number[]; lanes: number; cases: number; passes: number; patch?: object; weightMemory?: 'spram' }[] = [
  { name: 'L=4, 13-8-5 (partial last chunks, two input formats)', layers: [13, 8, 5, 3], lanes: 4, cases: 80, passes: 6 },
  { name: 'L=1 (one lane, the bias draws twice from lane 0)', layers: [5, 3, 2], lanes: 1, cases: 40, passes: 6 },
  { name: 'L=5, 10-5-7 (full last chunks: double draws)', layers: [10, 5, 7, 2], lanes: 5, cases: 60, passes: 6 },
  {
    name: 'L=3, LFSR 24 bits rbits 8 leap 5, lr mul 3, nearest-rounded bias',
    layers: [7, 6, 3, 2],
    lanes: 3,
    cases: 40,
    passes: 6,
    patch: { lfsr: { width: 24, rbits: 8, leap: 5, lanes: 3, seed: 7 }, lr: { hiddenShift: 2, hiddenMul: 3, outShift: 7, outMul: 1 }, bias: { format: 'Q4.12', rounding: 'nearest', overflow: 'saturate' } },
  },
  { name: 'L=64, 70-64-64 (two chunks; 64 inputs: double draw)', layers: [70, 64, 64, 2], lanes: 64, cases: 20, passes: 4 },
  // row groups (numeric.lfsr.rowGroups): G groups of L/G lanes on G consecutive rows; short last rounds, full and
  // partial last chunks, one-chunk rows (δ words gathered faster than a round issues)
  { name: 'L=6 in 3 row groups, 10-7-5 (last rounds of 1 and 2 rows; 10 inputs at g = 2: double draw)', layers: [10, 7, 5, 2], lanes: 6, cases: 40, passes: 6, patch: { lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 6, rowGroups: 3 } } },
  { name: 'L=8 in 4 row groups, 2-9-3 (one-chunk rows)', layers: [2, 9, 3, 2], lanes: 8, cases: 40, passes: 6, patch: { lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 8, rowGroups: 4 } } },
  { name: 'L=4 in 2 row groups, 5-4-6', layers: [5, 4, 6, 2], lanes: 4, cases: 40, passes: 6, patch: { lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 4, rowGroups: 2 } } },
  // weights in single-port RAMs (two per lane by address parity; the RTL model of SB_SPRAM256KA: no read in a write cycle)
  { name: "weightMemory 'spram', L=4, 10-7-5 (layer 2 at an odd base)", layers: [10, 7, 5, 3], lanes: 4, cases: 60, passes: 6, weightMemory: 'spram' },
  { name: "weightMemory 'spram', L=1, 5-3-2 (a read and a write every cycle)", layers: [5, 3, 2], lanes: 1, cases: 40, passes: 6, weightMemory: 'spram' },
];

for (const d of DESIGNS) {
  describe(`hebbian unit co-simulated: ${d.name}`, () => {
    let sim: HebbianCosim | undefined;
    afterAll(async () => {
      await sim?.close();
    });
    it(`${d.cases} random cases, every word equal to the spec`, async () => {
      const cfg = { ...unitConfig(d.layers, d.lanes, d.patch ?? {}), ...(d.weightMemory ? { weightMemory: d.weightMemory } : {}) };
      sim = await HebbianCosim.start(cfg);
      let acc = 0;
      let sat = 0;
      let draws = 0;
      for (let c = 0; c < d.cases; c++) {
        const s = await runCase(sim, 1000 * d.lanes + c, d.passes);
        acc += s.accWords;
        sat += s.satW + s.satB;
        draws += s.draws;
      }
      // the cases exercised what they check
      expect(acc).toBeGreaterThan(0);
      expect(sat).toBeGreaterThan(0);
      expect(draws).toBeGreaterThan(0);
    }, 600_000);
  });
}

describe('hebbian unit in the tools', () => {
  it('lints clean, synthesizes without latches, parses in Icarus (small config)', async () => {
    await expectToolsClean(hebbian(unitConfig([13, 8, 5, 3], 4)));
  }, 300_000);

  it('lints clean, synthesizes without latches, parses in Icarus with row groups (6 lanes in 3 groups)', async () => {
    await expectToolsClean(hebbian(unitConfig([13, 8, 5, 3], 6, { lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 6, rowGroups: 3 } })));
  }, 300_000);

  it('maps the default weight bank shape (1,792 × 16) and the input buffers to block RAM on iCE40 and Xilinx, counted exactly', async () => {
    // 4 lanes with the default design's bank depth: 128·⌈52/4⌉ + 4·⌈128/4⌉ = 1,792 words per lane (64 lanes of
    // 784-128-64-10 have the same), h buffers 3·(13 + 32) = 135 words, 132 biases
    const cfg = unitConfig([52, 128, 4, 10], 4);
    const lay = hebbianLayout(cfg);
    expect([lay.depth, hebbianLayout(unitConfig([784, 128, 64, 10], 64)).depth, lay.hDepth, lay.biasDepth]).toEqual([1792, 1792, 135, 132]);
    const mod = hebbian(cfg);
    const files = emitDesign(mod).files;
    const [ice, xil] = await Promise.all([synthYosys(files, mod.name, 'ice40'), synthYosys(files, mod.name, 'xilinx')]);
    expect(ice.ok && xil.ok).toBe(true);
    // iCE40 (256 × 16 per SB_RAM40_4K): 7 per weight bank; each h buffer has two read ports (h of the update at
    // issue, h_next one cycle later), so Yosys keeps two copies of it, one EBR each; the biases 1; the
    // accumulator queue (16 × 49, read at a register's address) 4 — and the fit check counts the same
    expect(ice.cells.SB_RAM40_4K).toBe(4 * 7 + 4 * 2 + 1 + 4);
    expect(fitReport(cfg, loadBoard('icebreaker'), [mod]).lines[0].needed).toBe(ice.cells.SB_RAM40_4K);
    // Xilinx 7: one RAMB36E1 per weight bank (28 kbit); the h buffer (one 135 × 64 memory, a lane of 16 bits
    // each) one RAMB36E1 per read port copy (512 × 72); a RAMB18E1 for the biases; only the accumulator queue in
    // LUT RAM (RAM32M)
    expect([xil.cells.RAMB36E1, xil.cells.RAMB18E1]).toEqual([4 + 2, 1]);
    const lutRam = Object.entries(xil.cells).filter(([k]) => /^RAM(32|64|128|256)/.test(k));
    expect(lutRam).toEqual([['RAM32M', 9]]);
  }, 900_000);
});
