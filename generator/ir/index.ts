/**
 * The IR of the ibhebb generator: strict-width hardware modules built in TypeScript.
 *
 *   types.ts   uint / sint, HdlError, range helpers
 *   expr.ts    expressions, weak literals, width rules (documented at the top of the file)
 *   names.ts   identifier rules (keywords and collisions are rejected, never escaped)
 *   module.ts  ModuleBuilder → Module (ports, wires, registers, memories, instances, processes)
 *   checks.ts  latch (definite assignment) and combinational-loop checks
 *   pipeline.ts latency-tracked values (Pipeline, Staged), lane vectors (Lanes), adder trees
 *   srcloc.ts  the source location of each IR call (emitted as a comment)
 */
export * from './types.js';
export * from './expr.js';
export * from './names.js';
export * from './module.js';
export { findUnassignedPath, checkCombLoops, walkExpr } from './checks.js';
export { Pipeline, Staged, Lanes, type PipelineOptions } from './pipeline.js';
