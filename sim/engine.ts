/**
 * What every training engine provides — the float golden model, the fixed-point golden model, and (later)
 * the simulated or real chip behind the host driver. The host's training loop (host/train.ts) drives an
 * Engine sample by sample over a seeded shuffle of each epoch.
 */
import type { Split } from './data.js';

/** Global-signal variants of learning-rule.md §1.5. */
export type Variant = 'P' | 'F' | 'E' | 'J';
/** Working memory: past z recomputed with current weights (JAX), or stored as they were when current (chip). */
export type Memory = 'recompute' | 'stored';
export type OptimizerKind = 'adamw' | 'sgd';
/** ib: the three-factor IB rule (hidden) + CE over the window (output); phsic: two-point pHSIC; backprop: BP. */
export type Rule = 'ib' | 'phsic' | 'backprop';

export interface TrainConfig {
  /** Layer widths including input and output, e.g. [784, 128, 64, 10]. */
  layers: number[];
  /** Window length B (working-memory capacity). */
  window: number;
  variant: Variant;
  memory: Memory;
  optimizer: OptimizerKind;
  /** Learning rate of the hidden layers (and of every layer for backprop). */
  lr: number;
  /** Learning rate of the output layer. */
  lrOut: number;
  /** IB trade-off γ. */
  gamma: number;
  /** Base bandwidths σ_x, σ_y, σ_z; the kernel uses s = σ·√dim. */
  sigma: [number, number, number];
  /** LayerNorm epsilon. */
  lnEps: number;
  rule: Rule;
  /** Seed of the parameter initialisation (the epoch shuffles are seeded by the host loop). */
  seed: number;
  /** AdamW settings (paper: b1 0.9, b2 0.99, eps 1e-8, weight decay 1e-4). */
  beta1: number;
  beta2: number;
  adamEps: number;
  weightDecay: number;
}

/** The paper's MNIST setting (learning-rule.md §3.3). */
export const PAPER_MNIST: TrainConfig = {
  layers: [784, 128, 64, 10],
  window: 8,
  variant: 'P',
  memory: 'recompute',
  optimizer: 'adamw',
  lr: 1e-4,
  lrOut: 1e-4,
  gamma: 2,
  sigma: [0.5, 0.1, 1],
  lnEps: 1e-6,
  rule: 'ib',
  seed: 42,
  beta1: 0.9,
  beta2: 0.99,
  adamEps: 1e-8,
  weightDecay: 1e-4,
};

/** Whole engine state, enough to resume bit-identically: JSON-able meta plus named typed arrays. */
export interface EngineState {
  meta: Record<string, unknown>;
  arrays: Record<string, Float64Array | Float32Array | Int32Array | Int16Array | Uint8Array | Uint32Array>;
}

/** One dense layer's parameters: W[j * nIn + i] is the weight from input i to output j. */
export interface LayerWeights {
  nIn: number;
  nOut: number;
  W: Float64Array | Int32Array | Int16Array;
  b: Float64Array | Int32Array | Int16Array;
}

export interface Engine {
  readonly config: TrainConfig;
  /** Start of an epoch: the working memory (window) is emptied. */
  beginEpoch(): void;
  /**
   * Sample `index` of `split` enters the window (the oldest leaves). Once the window holds B samples each
   * call is one learning step (for backprop: one step per B samples, non-overlapping batches).
   * Returns true when parameters were updated.
   */
  trainSample(split: Split, index: number): boolean;
  /** Predicted class of sample `index`. */
  predict(split: Split, index: number): number;
  /** Accuracy in [0, 1] over the first `limit` samples (all by default). */
  evaluate(split: Split, limit?: number): number;
  exportState(): EngineState;
  importState(state: EngineState): void;
  weights(): LayerWeights[];
  /** Releases threads or processes the engine holds (optional). */
  close?(): void;
  /**
   * Engines behind a link (the simulated or real chip) queue trainSample calls and send them in pipelined
   * batches: the loop awaits `flush` at every progress point and before evaluating, and evaluates through
   * `evaluateAsync` when it exists (their synchronous `evaluate`/`predict` refuse).
   */
  flush?(): Promise<void>;
  evaluateAsync?(split: Split, limit?: number): Promise<number>;
}
