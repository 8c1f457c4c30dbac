/**
 * The UP5K engine without its vector unit (AsmOptions.vector false): vdot, vdist and vupd emitted as loops of
 * scalar instructions. Each expansion against the vector instruction on the ISS (random operands, strides and
 * signedness, every rounding of vupd with k ≤ 0 and k > 0, lanes g = 1 … 3): every register, memory word, counter
 * and LFSR state; then the whole step program built both ways on MNIST: every memory word, counter and LFSR state
 * after each sample, and the classes of test samples; and the serving program built so over the ucore-link
 * transport: weights, biases, LFSR states and classes as the golden model's.
 */
import { describe, expect, it } from 'vitest';
import { Asm, type Program } from '../../generator/ucore/asm.js';
import type { Rounding } from '../../generator/fixed/index.js';
import { loadChipConfig } from '../../generator/config.js';
import { DEFAULT_NUMERIC, type NumericConfig } from '../../generator/numeric.js';
import { stepProgram, type StepProgram } from '../../generator/ucore/program/step.js';
import { chipTrainConfig } from '../../host/chip/config.js';
import { CHIP_TRAIN, FixedPointEngine } from '../../sim/golden/fixed/index.js';
import type { TrainConfig } from '../../sim/engine.js';
import { Machine } from '../../sim/ucore/iss.js';
import { loadCounters, loadState, ucoreMachine, writeSample } from '../../sim/ucore/state.js';
import { loadMnistSubset } from '../units/mnist-subset.js';
import { Rand } from './mod-helpers.js';
import { ChipEngine } from '../../host/chip/engine.js';
import { UcoreTransport } from '../../host/transport/ucore.js';
import { runTraining } from '../../host/train.js';

const VECTOR_OPS = new Set(['vdot', 'vdist', 'vupd']);
const machine = (): Machine => new Machine({ memWords: 512, lanes: 6, lfsr: { width: 24, rbits: 16, leap: 5 }, quantities: 3 });

/** Both machines alike: the test's registers r1 … r`held` (the loops' scratch ones aside), every memory word, counters, LFSR states. */
function expectSame(m: Machine, s: Machine, held: number, what: string): void {
  expect(s.regs.slice(1, held + 1), `${what}: registers`).toEqual(m.regs.slice(1, held + 1));
  expect(Array.from(s.mem), `${what}: memory`).toEqual(Array.from(m.mem));
  expect(Array.from(s.sat), `${what}: counters`).toEqual(Array.from(m.sat));
  expect(Array.from(s.lfsr), `${what}: LFSR states`).toEqual(Array.from(m.lfsr));
}

/**
 * `emit` (taking r1 … r`held`) assembled with and without the vector unit, run on machines with the same memory,
 * LFSRs and registers; the clamps counted.
 */
function both(R: Rand, held: number, emit: (a: Asm) => void, what: string): number {
  const progs: Program[] = [true, false].map((vector) => {
    const a = new Asm({ vector });
    emit(a);
    a.halt();
    return a.finish();
  });
  expect(progs[1].code.some((i) => VECTOR_OPS.has(i.op)), `${what}: a vector instruction left`).toBe(false);
  const ms = [machine(), machine()];
  const mem = Array.from({ length: 512 }, () => R.int(0, 65536 - 1));
  const lfsr = Array.from({ length: 6 }, () => 1 + R.int(0, 2 ** 24 - 1 - 1));
  for (const m of ms) {
    m.mem.set(mem);
    m.lfsr.set(lfsr);
  }
  const [mv, ms_] = ms;
  mv.run(progs[0]);
  ms_.run(progs[1]);
  expectSame(mv, ms_, held, what);
  return mv.sat.reduce((x, y) => x + y, 0);
}

describe('vector instructions as scalar loops', () => {
  it('vdot and vdist: strides, signedness, n = 0 … 40, rd accumulated', () => {
    const R = new Rand(7);
    for (let trial = 0; trial < 40; trial++) {
      const n = trial % 10 === 0 ? 0 : R.int(0, 40 - 1);
      const sa = R.int(0, 4 - 1) - 1;
      const sb = 1 + R.int(0, 3 - 1);
      const fa = R.int(0, 2 - 1) ? 'signed' : 'unsigned';
      const fb = R.int(0, 2 - 1) ? 'signed' : 'unsigned';
      const acc0 = BigInt(R.int(0, (1 << 30) - 1)) - (1n << 29n);
      both(R, 7, (a) => {
        const [rd, A, SA, B, SB, N, rd2] = a.regs(7);
        a.li(rd, acc0);
        a.li(A, sa < 0 ? 200 : 10);
        a.li(SA, sa);
        a.li(B, 300);
        a.li(SB, sb);
        a.li(N, n);
        a.vdot(rd, A, SA, B, SB, N, fa, fb);
        a.li(rd2, 77);
        a.vdist(rd2, A, B, N, fa);
      }, `trial ${trial}: vdot n ${n} strides ${sa} ${sb} ${fa} ${fb}`);
    }
  });

  it('vupd: every rounding, k ≤ 0 and k > 0, g = 1 … 3 lanes, clamps counted', () => {
    const R = new Rand(11);
    const roundings: Rounding[] = ['stochastic', 'nearest', 'floor', 'truncate', 'nearest-even'];
    let clamps = 0;
    for (let trial = 0; trial < 50; trial++) {
      const rounding = roundings[trial % roundings.length];
      const k = trial % 7 === 3 ? -R.int(0, 3 - 1) : 1 + R.int(0, 20 - 1);
      const g = 1 + R.int(0, 3 - 1);
      const w = 8 + R.int(0, 9 - 1);
      const n = trial % 13 === 0 ? 0 : 1 + R.int(0, 30 - 1);
      const x = BigInt(R.int(0, (1 << 20) - 1)) - (1n << 19n);
      const lane0 = R.int(0, 2);
      clamps += both(R, 5, (a) => {
        const [W, H, N, X, L0] = a.regs(5);
        a.li(W, 20);
        a.li(H, 100);
        a.li(N, n);
        a.li(X, x);
        a.li(L0, lane0);
        a.vupd(W, H, N, X, L0, g, { k, rounding, w, q: 1 });
      }, `trial ${trial}: vupd ${rounding} k ${k} g ${g} w ${w} n ${n}`);
    }
    expect(clamps).toBeGreaterThan(0);
  });
});

/** The machine's memory by region of `sp`'s layout, and the words outside every region (`rest`). */
function byRegion(m: { mem: ArrayLike<number> }, sp: StepProgram): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  const used = new Uint8Array(m.mem.length);
  for (const r of sp.layout.regions.values()) {
    out[r.name] = Array.from({ length: r.words }, (_, k) => m.mem[r.at + k]);
    used.fill(1, r.at, r.at + r.words);
  }
  out.rest = Array.from(m.mem).filter((w, k) => !used[k] && w !== 0);
  return out;
}

/** Trains `n` samples with both programs: every memory word, counter and LFSR state after each; classes of `nTest`. */
function compareStep(config: TrainConfig, numeric: NumericConfig, n: number, nTest: number): { vector: number; scalar: number } {
  const e = new FixedPointEngine(config, numeric);
  const P = e.params;
  const data = loadMnistSubset(n, nTest);
  const sps = [stepProgram(P, true), stepProgram(P, true, { vector: false })];
  expect(sps[1].program.code.some((i) => VECTOR_OPS.has(i.op))).toBe(false);
  const ms = sps.map((sp) => {
    const m = ucoreMachine(P, sp);
    loadState(m, P, sp, e.state);
    loadCounters(m, e.sat.snapshot());
    return m;
  });
  const cycles = [0, 0];
  for (let i = 0; i < n; i++) {
    const u = e.sampleInput(data.train, i).u;
    sps.forEach((sp, j) => {
      writeSample(ms[j], sp, u, data.train.y[i]);
      const c0 = ms[j].cycles;
      ms[j].run(sp.program, sp.entry.train);
      cycles[j] = ms[j].cycles - c0;
    });
    // the layouts differ (the sample in SPRAM without the unit): every region word by word, every other word 0
    expect(byRegion(ms[1], sps[1]), `sample ${i}: memory`).toEqual(byRegion(ms[0], sps[0]));
    expect(Array.from(ms[1].sat), `sample ${i}: counters`).toEqual(Array.from(ms[0].sat));
    expect(Array.from(ms[1].lfsr), `sample ${i}: LFSR states`).toEqual(Array.from(ms[0].lfsr));
  }
  for (let i = 0; i < nTest; i++) {
    const u = e.sampleInput(data.test, i).u;
    const cls = sps.map((sp, j) => {
      writeSample(ms[j], sp, u, 0);
      ms[j].run(sp.program, sp.entry.infer);
      return Number(ms[j].load(sp.layout.at('out.class'), 1, false));
    });
    expect(cls[1], `test sample ${i}: class`).toBe(cls[0]);
  }
  return { vector: cycles[0], scalar: cycles[1] };
}

describe('the step program without the vector unit', () => {
  it('the iCEBreaker chip: 8 MNIST samples, every word as with vdot / vdist / vupd', () => {
    const cfg = loadChipConfig('boards/icebreaker/chip.json');
    const c = compareStep(chipTrainConfig(cfg, 5), cfg.numeric, 8, 4);
    expect(c.scalar).toBeGreaterThan(c.vector);
    console.log(`[ucore scalar] iCEBreaker: a step ${c.vector} cycles with the vector unit, ${c.scalar} without (ISS plan)`);
  });

  it('784-16-8-10, window 6, 5 lanes, variant J: 8 MNIST samples', () => {
    const numeric: NumericConfig = { ...DEFAULT_NUMERIC, lfsr: { ...DEFAULT_NUMERIC.lfsr, lanes: 5 } };
    compareStep({ ...CHIP_TRAIN, layers: [784, 16, 8, 10], window: 6, variant: 'J', seed: 3 }, numeric, 8, 4);
  });
});

describe('the serving program without the vector unit', () => {
  it('trains 12 MNIST samples on the iCEBreaker chip over the link as the golden model: every weight, bias, LFSR state, class', async () => {
    const cfg = loadChipConfig('boards/icebreaker/chip.json');
    const seed = 11;
    const data = loadMnistSubset(12, 6);
    const link = new UcoreTransport(cfg, { vector: false });
    expect(link.serving.vector).toBe(false);
    expect(link.serving.program.code.some((i) => VECTOR_OPS.has(i.op))).toBe(false);
    const engine = await ChipEngine.open(cfg, link, seed);
    const golden = new FixedPointEngine(chipTrainConfig(cfg, seed), cfg.numeric);
    const opts = { epochs: 1, trainLimit: 12, testLimit: 6, shuffleSeed: seed, progressEvery: 100 };
    const [a, g] = [await runTraining(engine, data, opts), await runTraining(golden, data, opts)];
    expect(a.epochs.map((e) => e.testAccuracy)).toEqual(g.epochs.map((e) => e.testAccuracy));
    const mine = await engine.readLayers();
    golden.rawWeights().layers.forEach((w, l) => {
      expect(Array.from(mine[l].W), `W of layer ${l + 1}`).toEqual(Array.from(w.W));
      expect(Array.from(mine[l].b), `b of layer ${l + 1}`).toEqual(Array.from(w.b));
    });
    expect(await engine.client.readLfsr(0, engine.spec.lfsrStates)).toEqual(golden.state.banks.flatMap((b) => Array.from(b.states, (s) => s >>> 0)));
    expect(await engine.inferAll(data.test, 6)).toEqual(Array.from({ length: 6 }, (_, i) => golden.predict(data.test, i)));
    await engine.close();
  }, 240_000);
});
