/**
 * Verilator co-simulation runner: build a design with the C++ harness (content-hash cached) and drive
 * it transaction by transaction from TypeScript.
 *
 * ```ts
 * const m = await buildModel({ top: 'adder', files: [{ name: 'adder.v', text }], ports });
 * await m.reset(2);
 * await m.poke('a', 3); await m.poke('b', 4); await m.step();
 * console.log(await m.peek('y'));
 * await m.close();
 * ```
 */
import { build, type BuildSpec } from './build.js';
import { Model, type StartOptions } from './model.js';

export { build, buildHash, buildStats, cacheRoot, comparePorts, verilatedPorts, verilatorVersion, BuildError } from './build.js';
export type { BuildResult, BuildSpec } from './build.js';
export { Model, StreamProtocolError, fromBits, toBits } from './model.js';
export type { PlayResult, PlayTable, RunOptions, RunResult, SinkColumns, SinkWord, StartOptions, Status, TimeOptions, Violation } from './model.js';
export { findStreams, validatePorts } from './ports.js';
export type { MemorySpec, PortSpec, StreamGroup, WatchSpec } from './ports.js';
export type { Column, Values } from './values.js';

/** Builds (or finds in the cache) the design and starts one harness process for it. */
export async function buildModel(spec: BuildSpec, opts: StartOptions = {}): Promise<Model> {
  return Model.start(await build(spec), opts);
}
