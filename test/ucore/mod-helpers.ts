/**
 * Shared by the modulator / update / gram / wm section tests: the configs every section is checked on, random
 * integers, a machine run of one section, and memory/number helpers.
 */
import { Asm } from '../../generator/ucore/asm.js';
import { machineFor } from '../../generator/ucore/program/common.js';
import { DEFAULT_NUMERIC, type NumericConfig } from '../../generator/numeric.js';
import { Machine } from '../../sim/ucore/iss.js';
import { Rng } from '../../sim/rng.js';
import { chipParams, CHIP_TRAIN, type ChipParams } from '../../sim/golden/fixed/index.js';
import type { TrainConfig } from '../../sim/engine.js';

export interface Cfg {
  name: string;
  P: ChipParams;
}

export function cfg(name: string, layers: number[], window: number, lfsr: Partial<NumericConfig['lfsr']>, extra: Partial<NumericConfig> = {}, train: Partial<TrainConfig> = {}): Cfg {
  const numeric: NumericConfig = { ...DEFAULT_NUMERIC, ...extra, lfsr: { ...DEFAULT_NUMERIC.lfsr, ...lfsr } };
  return { name, P: chipParams({ ...CHIP_TRAIN, ...train, layers, window }, numeric) };
}

/** The iCEBreaker's chip (boards/icebreaker/chip.json): 784-32-10, window 4, 2 lanes. */
export const ICE = (): Cfg => cfg('iCEBreaker 784-32-10 B4 lanes 2', [784, 32, 10], 4, { lanes: 2 });
/** A small network with two hidden layers. */
export const SMALL = (): Cfg => cfg('24-16-8-5 B6 lanes 5', [24, 16, 8, 5], 6, { lanes: 5 });

export class Rand {
  private readonly r: Rng;
  constructor(seed: number) {
    this.r = new Rng(seed);
  }
  /** integer in lo … hi */
  int(lo: number, hi: number): number {
    return lo + this.r.int(hi - lo + 1);
  }
  /** a value of lo … hi, drawn near the edges (or 0) a quarter of the time each */
  edgy(lo: number, hi: number, zero = false): number {
    const k = this.r.int(zero ? 5 : 4);
    if (k === 0) return this.int(Math.max(lo, hi - 64), hi);
    if (k === 1) return this.int(lo, Math.min(hi, lo + 64));
    if (k === 4) return 0;
    return this.int(lo, hi);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.r.int(xs.length)];
  }
}

/** Runs the code `emit` builds (then halt) on a machine for P with `memWords`, after `setup`. */
export function runSection(P: ChipParams, memWords: number, emit: (a: Asm) => void, setup: (m: Machine) => void): Machine {
  const a = new Asm();
  emit(a);
  // the section released every register it took (sections compose): all 31 can be taken again
  a.with(31, () => undefined);
  a.halt();
  const m = new Machine(machineFor(P, memWords));
  setup(m);
  m.run(a.finish());
  return m;
}

/** Writes value v (an integer) as `n` little-endian words at address `at`. */
export function put(m: Machine, at: number, n: number, v: number | bigint): void {
  m.store(at, n, BigInt(v));
}

/** Reads `count` values of `n` words each from `at` (signed or not) as numbers. */
export function get(m: Machine, at: number, count: number, n: number, signed: boolean): number[] {
  return Array.from({ length: count }, (_, i) => Number(m.load(at + i * n, n, signed)));
}
