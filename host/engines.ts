/** Creates the engine a run asks for. The simulated chip and boards join here. */
import type { Engine, TrainConfig } from '../sim/engine.js';
import { createFloatEngine } from '../sim/golden/float/index.js';
import { createFixedEngine, type FixedEngine } from '../sim/golden/fixed/index.js';
import type { NumericConfig } from '../generator/numeric.js';
import { UcoreEngine } from '../sim/ucore/engine.js';

import { CHIP_ENGINES, type ChipEngineKind } from './chip/open.js';

/**
 * golden: the golden models in process; ucore: the UP5K engine's step program on its instruction-set simulator,
 * in process (fixed point); the others are the chip behind the protocol (host/chip/open.ts), ucore-link among
 * them: the UP5K engine's serving program (generator/ucore/program/protocol.ts) on the simulator, driven through
 * the protocol as a board over its UART.
 */
export const ENGINES = ['golden', 'ucore', ...CHIP_ENGINES] as const;
export type EngineKind = (typeof ENGINES)[number];

export function isChipEngine(kind: EngineKind): kind is ChipEngineKind {
  return (CHIP_ENGINES as readonly string[]).includes(kind);
}

/** Engines that compute in fixed point only (the chip and the UP5K engine). */
export function isFixedOnly(kind: EngineKind): boolean {
  return kind === 'ucore' || isChipEngine(kind);
}
export const NUMERICS = ['float', 'fixed'] as const;
export type Numeric = (typeof NUMERICS)[number];

/**
 * `formats`: the number formats (required for fixed arithmetic); `threads`: threads of the float engine
 * (2 adds a helper thread; results are bit-identical).
 */
export function createEngine(kind: EngineKind, numeric: Numeric, config: TrainConfig, formats?: NumericConfig, threads = 1): Engine {
  switch (`${kind}/${numeric}`) {
    case 'golden/float':
      return createFloatEngine(config, { threads });
    case 'golden/fixed':
      if (!formats) throw new Error('the fixed-point engine needs its number formats');
      return createFixedEngine(config, formats);
    case 'ucore/fixed':
      if (!formats) throw new Error('the ucore engine needs its number formats');
      return new UcoreEngine(config, formats);
    default:
      throw new Error(`no engine ${kind} with ${numeric} arithmetic${kind !== 'golden' ? ' (the chip engines open asynchronously: host/chip/open.ts)' : ''}`);
  }
}

export function isFixed(e: Engine): e is Engine & FixedEngine {
  return typeof (e as Partial<FixedEngine>).encodeWeights === 'function';
}
