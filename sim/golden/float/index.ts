/**
 * The float64 golden model (learning-rule.md §6.4): createFloatEngine(config) → Engine. The math lives in
 * separate modules (kernel, gram, xi, layernorm, softmax, dense, optim) so that the fixed-point model and the
 * hardware tests can mirror it piece by piece.
 */
import type { Engine, TrainConfig } from '../../engine.js';
import { FloatEngine } from './engine.js';

export { FloatEngine, validateConfig } from './engine.js';
export * from './kernel.js';
export * from './gram.js';
export * from './xi.js';
export * from './layernorm.js';
export * from './softmax.js';
export * from './dense.js';
export * from './optim.js';

export function createFloatEngine(config: TrainConfig): Engine {
  return new FloatEngine(config);
}
