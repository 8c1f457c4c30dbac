/**
 * The chip's configuration: one typed object (JSON on disk) that drives the generator, the fixed-point
 * golden model and (later) the host driver and the board flows. Its hash goes into every generated file.
 */
import { readFileSync } from 'node:fs';
import { paramsHashOf, type Params } from './ir/index.js';
import { DEFAULT_NUMERIC, numericForWindow, validateNumeric, withNumeric, type NumericConfig } from './numeric.js';

export interface ChipConfig {
  /** Layer widths including input and output, e.g. [784, 128, 64, 10]. */
  layers: number[];
  /** Window length B: samples held in the working memory. */
  window: number;
  /** Global-signal variant computed by the modulator. */
  variant: 'P' | 'F' | 'E' | 'J';
  /** IB trade-off γ and base kernel bandwidths σx, σy, σz (s = σ·√dim). */
  gamma: number;
  sigma: [number, number, number];
  /** LayerNorm epsilon. */
  lnEps: number;
  /**
   * Weight lanes of the Hebbian-update unit: weights stream through `lanes` block-RAM banks, one word per lane
   * per cycle. Word i of a row lives in bank i mod lanes and rounds with LFSR lane i mod lanes, so
   * `numeric.lfsr.lanes` must equal it (loadChipConfig sets it when only `lanes` is given).
   */
  lanes: number;
  /**
   * Physical lanes of the output-layer unit (multipliers and weight banks), independent of `lanes`: the unit
   * keeps the `lanes` LFSR lanes of the spec (word i of a row still rounds with LFSR lane i mod lanes) and
   * takes each `lanes`-word chunk in ⌈lanes / outputLanes⌉ sub-chunks, physical lane r serving LFSR lanes
   * r, r + outputLanes, … (generator/units/output.ts). ≥ lanes, or left out: one physical lane per LFSR lane
   * (loadChipConfig then drops it, so such a config's hash is the one without the field). A config file that
   * sets `lanes` and leaves this out gets one physical lane per LFSR lane; one that sets neither gets the
   * default's 22 beside its 66 lanes.
   */
  outputLanes?: number;
  /** Systolic Gram array: `rows` × `cols` processing elements. */
  gram: { rows: number; cols: number };
  /** Number formats, rounding, tables, LFSR and learning-rate shifts (generator/numeric.ts). */
  numeric: NumericConfig;
  /**
   * Where the Hebbian unit keeps its weight banks: 'block' (the default; left out of the config when so, so
   * the default design's hash is unchanged): one simple-dual-port block RAM per lane; 'spram': two
   * single-port RAMs per lane by address parity (memory style 'huge': iCE40 UltraPlus SB_SPRAM256KA), same
   * issue rate (generator/units/hebbian.ts).
   */
  weightMemory?: WeightMemory;
}

export type WeightMemory = 'block' | 'spram';

export const DEFAULT_CHIP: ChipConfig = {
  layers: [784, 128, 64, 10],
  window: 8,
  variant: 'E',
  gamma: 2,
  sigma: [0.5, 0.1, 1],
  lnEps: 1e-2,
  lanes: 66,
  outputLanes: 22,
  // the chip runs the array in ROW mode only (generator/units/sequencer.ts), which uses column 0: one column
  gram: { rows: 8, cols: 1 },
  numeric: DEFAULT_NUMERIC,
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Checks every field; the message names the field and what is wrong. */
export function validateChip(c: ChipConfig, where = 'config'): ChipConfig {
  const bad = (field: string, problem: string): never => {
    throw new ConfigError(`${where}: ${field} ${problem}`);
  };
  if (!Array.isArray(c.layers) || c.layers.length < 3) bad('layers', 'must list at least input, one hidden and output width');
  c.layers.forEach((w, i) => {
    if (!Number.isInteger(w) || w < 1 || w > 65536) bad(`layers[${i}]`, `= ${w} must be an integer in 1..65536`);
  });
  if (!Number.isInteger(c.window) || c.window < 2 || c.window > 1024) bad('window', `= ${c.window} must be an integer in 2..1024`);
  if (!['P', 'F', 'E', 'J'].includes(c.variant)) bad('variant', `= ${JSON.stringify(c.variant)} must be one of P, F, E, J`);
  if (!(Number.isFinite(c.gamma) && c.gamma >= 0)) bad('gamma', `= ${c.gamma} must be a number ≥ 0`);
  if (!Array.isArray(c.sigma) || c.sigma.length !== 3 || !c.sigma.every((s) => Number.isFinite(s) && s > 0)) {
    bad('sigma', `= ${JSON.stringify(c.sigma)} must be three numbers > 0 (σx, σy, σz)`);
  }
  if (!(Number.isFinite(c.lnEps) && c.lnEps > 0)) bad('lnEps', `= ${c.lnEps} must be a number > 0`);
  if (!Number.isInteger(c.lanes) || c.lanes < 1 || c.lanes > 256) bad('lanes', `= ${c.lanes} must be an integer in 1..256`);
  if (c.outputLanes !== undefined && (!Number.isInteger(c.outputLanes) || c.outputLanes < 1 || c.outputLanes > 256)) {
    bad('outputLanes', `= ${c.outputLanes} must be an integer in 1..256 (the output layer's physical lanes; ≥ lanes means one per LFSR lane)`);
  }
  if (c.gram === null || typeof c.gram !== 'object') bad('gram', 'must be { rows, cols }');
  for (const k of ['rows', 'cols'] as const) {
    const v = c.gram[k];
    if (!Number.isInteger(v) || v < 1 || v > 64) bad(`gram.${k}`, `= ${v} must be an integer in 1..64`);
  }
  if (c.numeric?.lfsr?.lanes !== c.lanes) {
    bad('numeric.lfsr.lanes', `= ${c.numeric?.lfsr?.lanes} must equal lanes (${c.lanes}): word i of a row rounds with LFSR lane i mod lanes`);
  }
  if (c.weightMemory !== undefined && c.weightMemory !== 'block' && c.weightMemory !== 'spram') {
    bad('weightMemory', `= ${JSON.stringify(c.weightMemory)} must be 'block' or 'spram'`);
  }
  try {
    validateNumeric(c.numeric);
  } catch (e) {
    bad('numeric', `is invalid: ${(e as Error).message}`);
  }
  return c;
}

const KEYS: (keyof ChipConfig)[] = ['layers', 'window', 'variant', 'gamma', 'sigma', 'lnEps', 'lanes', 'outputLanes', 'gram', 'numeric', 'weightMemory'];

/** The output layer's physical lane count: `outputLanes`, at most `lanes` (left out: `lanes`). */
export function outputLanesOf(c: ChipConfig): number {
  return Math.min(c.outputLanes ?? c.lanes, c.lanes);
}

/** A hidden layer's pass counts for the automatic row groups from this many ideal cycles (⌈words/lanes⌉, words = nOut·(nIn + 1)) on. */
export const AUTO_ROW_GROUPS_MIN_PASS = 64;

/**
 * Each hidden layer's fused pass on the Hebbian unit with its lanes in G row groups (g = lanes/G): at most
 * ⌈nOut/G⌉·⌈nIn/g⌉ cycles of rounds and chunks + 5 of start and drain + 2·(G − 1) for the first δ gather and the
 * last round's queue drain (generator/units/hebbian.ts), against the ideal ⌈words/lanes⌉, words = nOut·(nIn + 1)
 * (the biases are words of the pass too).
 */
export function rowGroupPasses(layers: readonly number[], lanes: number, G: number): { cycles: number; ideal: number }[] {
  const out: { cycles: number; ideal: number }[] = [];
  for (let l = 0; l + 2 < layers.length; l++) {
    const [nIn, nOut] = [layers[l], layers[l + 1]];
    out.push({ cycles: Math.ceil(nOut / G) * Math.ceil(nIn / (lanes / G)) + 5 + 2 * (G - 1), ideal: Math.ceil((nOut * (nIn + 1)) / lanes) });
  }
  return out;
}

/**
 * The Hebbian unit's row groups for a config that leaves `numeric.lfsr.rowGroups` out: the smallest G dividing
 * `lanes` with which every hidden layer's pass of at least AUTO_ROW_GROUPS_MIN_PASS ideal cycles takes at most
 * 1.1 × its ideal (rowGroupPasses); if no G does, the smallest whose pass cycles in all are within 1 % of the
 * fewest (a change of specification for less is not worth it). Shorter passes do not count: there the 5 cycles
 * of pipeline, not the lanes' layout, make the ratio. It is 1 wherever one group already meets the bound — the
 * default chip, 784-128-64-10 at 64 or 32 lanes, the boards' configs — so those keep their specification.
 */
export function autoRowGroups(layers: readonly number[], lanes: number): number {
  const divisors = Array.from({ length: lanes }, (_, i) => i + 1).filter((g) => lanes % g === 0);
  const passes = (G: number) => rowGroupPasses(layers, lanes, G);
  const meets = divisors.find((G) => passes(G).every((p) => p.ideal < AUTO_ROW_GROUPS_MIN_PASS || p.cycles <= 1.1 * p.ideal));
  if (meets !== undefined) return meets;
  const total = (G: number) => passes(G).reduce((a, p) => a + p.cycles, 0);
  const fewest = Math.min(...divisors.map(total));
  return divisors.find((G) => total(G) <= 1.01 * fewest) as number;
}

/**
 * `cfg` checked (validateChip; the choice needs valid layers and lanes), with its row groups chosen by
 * autoRowGroups when it leaves them out (1: left out, as the default) and checked again with them.
 */
export function withAutoRowGroups(cfg: ChipConfig, where = 'config'): ChipConfig {
  validateChip(cfg, where);
  if (cfg.numeric.lfsr.rowGroups !== undefined) return cfg;
  const G = autoRowGroups(cfg.layers, cfg.lanes);
  return G === 1 ? cfg : validateChip({ ...cfg, numeric: { ...cfg.numeric, lfsr: { ...cfg.numeric.lfsr, rowGroups: G } } }, where);
}

/**
 * Reads a JSON config; fields left out take the defaults (numeric merged per section); checked (validateChip). Row groups
 * the file leaves out are chosen by autoRowGroups, unless `opts.autoRowGroups` is false (a caller that changes
 * the lanes or layers afterwards chooses them itself, with withAutoRowGroups).
 */
export function loadChipConfig(file: string, opts: { autoRowGroups?: boolean } = {}): ChipConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError(`${file}: ${err.code ? `cannot read (${err.code})` : `not valid JSON (${err.message})`}`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${file}: must hold a JSON object`);
  const obj = raw as Record<string, unknown>;
  for (const k of Object.keys(obj)) {
    if (!(KEYS as string[]).includes(k)) throw new ConfigError(`${file}: unknown field '${k}' (fields: ${KEYS.join(', ')})`);
  }
  const numeric = withNumeric(DEFAULT_NUMERIC, (obj.numeric ?? {}) as Partial<NumericConfig>);
  const userLfsr = (obj.numeric as { lfsr?: { lanes?: unknown } } | undefined)?.lfsr?.lanes;
  const cfg: ChipConfig = {
    ...DEFAULT_CHIP,
    ...(obj as Partial<ChipConfig>),
    gram: { ...DEFAULT_CHIP.gram, ...((obj.gram ?? {}) as Partial<ChipConfig['gram']>) },
    numeric,
  };
  if (cfg.weightMemory === 'block') delete cfg.weightMemory; // the default: the same design and hash as without it
  // `lanes` alone sets the LFSR lane count too; both given must agree (validateChip says so otherwise)
  if (obj.lanes !== undefined && userLfsr === undefined) cfg.numeric = { ...numeric, lfsr: { ...numeric.lfsr, lanes: cfg.lanes } };
  else if (obj.lanes === undefined && userLfsr !== undefined) cfg.lanes = numeric.lfsr.lanes;
  // the row sums' default format widened for a window above 8 (a rowSum the file sets is kept)
  cfg.numeric = numericForWindow(cfg.numeric, cfg.window);
  // a file that chooses its lanes but not the output lanes: one output lane per LFSR lane (not the default's 22)
  if (obj.lanes !== undefined && obj.outputLanes === undefined) delete cfg.outputLanes;
  // one physical output lane per LFSR lane is the same design as no field: dropped, so the hash is the same
  if (cfg.outputLanes !== undefined && Number.isInteger(cfg.outputLanes) && cfg.outputLanes >= cfg.lanes) delete cfg.outputLanes;
  return opts.autoRowGroups === false ? validateChip(cfg, file) : withAutoRowGroups(cfg, file);
}

/** sha256 of the canonical JSON of the config, first 16 hex digits. */
export function configHash(c: ChipConfig): string {
  return paramsHashOf(c as unknown as Params);
}
