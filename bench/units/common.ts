/**
 * Pieces of the unit benchmarks: random designs (window, hidden widths, variant, formats), Yosys resources per
 * target, the call loop that counts mismatches and cycles, and Markdown output.
 */
import { emitDesign } from '../../generator/emit/index.js';
import type { ChipConfig } from '../../generator/config.js';
import type { Module } from '../../generator/ir/index.js';
import { synthYosys, type SynthTarget } from '../../generator/tools/index.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/model.js';
import { Rng } from '../../sim/rng.js';
import { NARROW_NUMERIC, unitConfig } from '../../test/units/configs.js';
import { resetUnit } from '../../test/units/modulator-cosim.js';

/** --name value of the command line, or the default. */
export function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`--${name} must be a non-negative integer, got ${process.argv[i + 1]}`);
  return v;
}

export const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const VARIANTS = ['E', 'J', 'P', 'F'] as const;

/**
 * `count` random designs: window 2 … 16, one to three hidden layers of 2 … 256 (powers of two; the first design
 * holds both 256 and 2), the variants in turn, default and narrow formats alternating.
 */
export function randomDesigns(count: number, seed: number): ChipConfig[] {
  const rng = new Rng(seed);
  const out: ChipConfig[] = [];
  for (let d = 0; d < count; d++) {
    const hidden = d === 0 ? [256, 2] : Array.from({ length: 1 + rng.int(3) }, () => 2 ** (1 + rng.int(8)));
    out.push(unitConfig(hidden, 2 + rng.int(15), VARIANTS[d % 4], d % 2 === 0 ? undefined : NARROW_NUMERIC));
  }
  return out;
}

export function describeDesign(cfg: ChipConfig): string {
  return `${cfg.variant}, B = ${cfg.window}, hidden ${cfg.layers.slice(1, -1).join('/')}`;
}

export interface Resources {
  target: SynthTarget;
  luts: number;
  ffs: number;
  dsps: number;
  brams: number;
  /** LUT-RAM cells (Xilinx RAM32M/RAM64M/RAM*X1*) */
  lutram: number;
  cells: number;
  seconds: number;
}

const sumOf = (cells: Readonly<Record<string, number>>, test: (name: string) => boolean): number =>
  Object.entries(cells).reduce((s, [k, v]) => (test(k) ? s + v : s), 0);

/** Yosys synthesis of `mod` for one target, counted: LUTs, flip-flops, DSP blocks, block RAMs, LUT RAM. */
export async function resources(mod: Module, target: SynthTarget): Promise<Resources> {
  const t0 = performance.now();
  const r = await synthYosys(emitDesign(mod).files, mod.name, target);
  if (!r.ok) throw new Error(`yosys ${target} failed on ${mod.name}: ${r.errors.join('; ')}`);
  const c = r.cells;
  const isFF = (k: string) => /^\$_(S?DFF|DFFE|SDFFE|SDFFCE|ALDFF|DFFSR)/.test(k) || /^SB_DFF/.test(k) || /^FD[RSCP]E?$/.test(k);
  return {
    target,
    luts: target.startsWith('ice40') ? sumOf(c, (k) => k === 'SB_LUT4') : target === 'xilinx' ? sumOf(c, (k) => /^LUT\d$/.test(k)) : 0,
    ffs: sumOf(c, isFF),
    dsps: sumOf(c, (k) => k === 'SB_MAC16' || /^DSP48/.test(k) || k === '$mul'),
    brams: sumOf(c, (k) => /^SB_RAM40/.test(k) || /^RAMB(18|36)/.test(k) || k === '$mem' || k === '$mem_v2'),
    lutram: sumOf(c, (k) => /^RAM(32|64|128|256)(M|X1[SD])/.test(k)),
    cells: r.totalCells,
    seconds: (performance.now() - t0) / 1000,
  };
}

export function resourceRow(what: string, r: Resources): string {
  const luts = r.target === 'generic' ? '—' : String(r.luts);
  return `| ${what} | ${r.target} | ${luts} | ${r.ffs} | ${r.dsps} | ${r.brams} | ${r.target === 'xilinx' ? r.lutram : '—'} | ${r.cells} | ${r.seconds.toFixed(0)} s |`;
}

export const RESOURCE_HEADER = ['| module | Yosys target | LUTs | FFs | DSPs | block RAMs | LUT RAMs | cells | synthesis time |', '|---|---|---|---|---|---|---|---|---|'];

export const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** What one co-simulated call showed. */
export interface CallStats {
  words: number;
  mismatches: string[];
  fullRate: boolean;
  /** cycles equal the unit's formula (meaningful for full-rate calls) */
  atFormula: boolean;
  sat: Record<string, number>;
  /** words whose expected value is 0 (zero-δ rows, all-negative LayerNorm rows …) */
  zeros: number;
}

/**
 * (a) of a unit benchmark: `cases` calls spread over `designs`, one model per design; logs one Markdown row a
 * design and a total, returns the number of mismatched calls.
 */
export async function accuracyTable(o: {
  designs: ChipConfig[];
  cases: number;
  seed: number;
  build: (cfg: ChipConfig) => Module;
  call: (m: Model, cfg: ChipConfig, rng: Rng, i: number, seed: number) => Promise<CallStats>;
  satNames: string[];
  zeroWhat: string;
  log: (s: string) => void;
  /** the design column (default: variant, window, hidden widths) */
  describe?: (cfg: ChipConfig) => string;
}): Promise<number> {
  const describe = o.describe ?? describeDesign;
  o.log(`| design | calls | words compared | mismatched calls | saturations ${o.satNames.join(' / ')} | ${o.zeroWhat} | full-rate calls at the formula | build |`);
  o.log('|---|---|---|---|---|---|---|---|');
  const rng = new Rng(o.seed);
  let calls = 0;
  let bad = 0;
  let words = 0;
  const per = Math.ceil(o.cases / o.designs.length);
  for (const [d, cfg] of o.designs.entries()) {
    const t0 = performance.now();
    const m = await buildFromIr(o.build(cfg), { seed: o.seed + d }); // random start-up values
    const build = (performance.now() - t0) / 1000;
    try {
      await resetUnit(m);
      const row = { bad: 0, words: 0, zeros: 0, full: 0, ok: 0, sat: Object.fromEntries(o.satNames.map((k) => [k, 0])) as Record<string, number> };
      for (let i = 0; i < per; i++) {
        const r = await o.call(m, cfg, rng, i, 1000 * d + i);
        if (r.mismatches.length) {
          row.bad++;
          console.error(`design ${d} call ${i}: ${r.mismatches.slice(0, 3).join('; ')}`);
        }
        row.words += r.words;
        row.zeros += r.zeros;
        for (const k of o.satNames) row.sat[k] += r.sat[k];
        if (r.fullRate) {
          row.full++;
          if (r.atFormula) row.ok++;
        }
      }
      calls += per;
      bad += row.bad;
      words += row.words;
      const narrow = cfg.numeric.act.format === NARROW_NUMERIC.act.format ? ', narrow formats' : '';
      o.log(`| ${describe(cfg)}${narrow} | ${per} | ${fmt(row.words)} | ${row.bad} | ${o.satNames.map((k) => row.sat[k]).join(' / ')} | ${fmt(row.zeros)} | ${row.ok} of ${row.full} | ${build.toFixed(1)} s |`);
    } finally {
      await m.close();
    }
  }
  o.log(`| **total** | **${calls}** | **${fmt(words)}** | **${bad}** | | | | |`);
  o.log('');
  return bad;
}

/** A logger that also keeps the lines, printed as Markdown at the end. */
export function markdownLog(): { log: (s: string) => void; print: () => void } {
  const lines: string[] = [];
  return {
    log: (s) => {
      lines.push(s);
      console.error(s);
    },
    print: () => console.log(lines.join('\n')),
  };
}

/** One full-rate call on the default chip, as (c) of a unit benchmark sees it. */
export interface SpeedCall {
  /** words out (the layer width n) */
  n: number;
  /** start edge to the last output transfer, and the harness run's wall time */
  cycles: number;
  runMs: number;
  mismatched: boolean;
}

/**
 * (b), (c) of a unit benchmark on one model: `calls` full-rate calls; logs the cycles per call of each layer
 * width (with `formula(n, cycles)` saying how they compare) and the simulation speed, in the harness alone
 * and for whole calls driven from TypeScript.
 */
export async function speedTable(o: {
  module: Module;
  calls: number;
  title: string;
  call: (m: Model, i: number) => Promise<SpeedCall>;
  formula: (n: number, cycles: number) => string;
  runWhat: string;
  callWhat: string;
  log: (s: string) => void;
}): Promise<void> {
  const m = await buildFromIr(o.module);
  try {
    await resetUnit(m);
    let cycles = 0;
    let runCycles = 0;
    let runMs = 0;
    let callMs = 0;
    const perWidth = new Map<number, number>();
    for (let i = 0; i < o.calls; i++) {
      const c0 = (await m.status()).cycle;
      const t0 = performance.now();
      const r = await o.call(m, i);
      callMs += performance.now() - t0;
      if (r.mismatched) throw new Error(`${o.title}: call ${i} mismatched`);
      cycles += (await m.status()).cycle - c0;
      runCycles += r.cycles;
      runMs += r.runMs;
      perWidth.set(r.n, r.cycles);
    }
    o.log(`| ${o.title} | figure |`);
    o.log('|---|---|');
    for (const [n, c] of [...perWidth.entries()].sort((a, b) => b[0] - a[0])) o.log(`| cycles per call, n = ${n}, no stalls ${o.formula(n, c)} |`);
    o.log(`| Verilator: the harness simulating a call (${o.runWhat}) | ${fmt(runCycles / (runMs / 1000))} cycles/s |`);
    o.log(`| Verilator: whole calls driven from TypeScript (${o.callWhat}) | ${fmt(cycles / (callMs / 1000))} cycles/s, ${fmt(callMs / o.calls, 2)} ms per call |`);
    o.log('');
  } finally {
    await m.close();
  }
}
