/** Creates the engine a run asks for. Later issues add the fixed-point golden model and the simulated chip. */
import type { Engine, TrainConfig } from '../sim/engine.js';
import { createFloatEngine } from '../sim/golden/float/index.js';

export const ENGINES = ['golden'] as const;
export type EngineKind = (typeof ENGINES)[number];
export const NUMERICS = ['float'] as const;
export type Numeric = (typeof NUMERICS)[number];

export function createEngine(kind: EngineKind, numeric: Numeric, config: TrainConfig): Engine {
  switch (`${kind}/${numeric}`) {
    case 'golden/float':
      return createFloatEngine(config);
    default:
      throw new Error(`no engine ${kind} with ${numeric} arithmetic`);
  }
}
