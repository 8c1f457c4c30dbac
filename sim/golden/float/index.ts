/**
 * The float64 golden model (learning-rule.md §6.4): createFloatEngine(config) → Engine. The math lives in
 * separate modules (kernel, gram, xi, layernorm, softmax, dense, optim) so that the fixed-point model and the
 * hardware tests can mirror it piece by piece.
 */
import type { Engine, TrainConfig } from '../../engine.js';
import { FloatEngine, type FloatEngineOptions } from './engine.js';

export { FloatEngine, validateConfig, type FloatEngineOptions, type FloatStepProbe } from './engine.js';
export * from './kernel.js';
export * from './gram.js';
export * from './xi.js';
export * from './layernorm.js';
export * from './softmax.js';
export * from './dense.js';
export * from './optim.js';
export * from './fused.js';

/** The float golden model as an Engine. `options.threads: 2` adds a helper thread (same results, faster). */
export function createFloatEngine(config: TrainConfig, options: FloatEngineOptions = {}): Engine {
  return new FloatEngine(config, options);
}
