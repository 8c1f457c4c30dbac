/**
 * Verilator co-simulation runner: build a design with the C++ harness (content-hash cached) and drive
 * it transaction by transaction from TypeScript. The harness owns the clock; time advances only in
 * whole cycles inside it, so a call costs one round trip, never one per cycle.
 *
 * ```ts
 * const m = await buildFromIr(unit, { seed: 7 });            // or buildModel({ top, files, ports })
 * await m.reset(2);
 * await m.poke('a', 3); await m.step(); await m.peek('y');   // ports: peek/peekBig/peekLanes, poke/pokeLanes
 * await m.sourcePattern('in', 0.5, seed); await m.sinkPattern('out', 0.3, seed + 1);  // random valid / ready
 * await m.push('in', words, lastFlags);                      // or pushLanes('in', int16s, 16, { signed: true })
 * await m.run({ untilSinkCount: { bus: 'out', n }, maxCycles: 1e6 });  // also untilLast, untilPort, untilSourcesEmpty
 * const got = await m.drain('out');                          // or drainColumns / drainLanes / drainBig
 * const t = await m.play({ inputs: { a: Int32Array, w: { lanes, laneWidth: 16 } }, outputs: ['y', { port: 'v', laneWidth: 16 }],
 *                         when: { port: 'valid', equals: 1 } });   // outputs sampled before each edge
 * await m.peekMem('weights.bank3', addr, count); await m.pokeMem('top.u_w.bank3', addr, values);
 * await m.close();                                           // kills the harness if it is still busy
 * ```
 *
 * What the runner checks on its own, every cycle:
 * - each DUT output stream m_axis_<bus>: valid held and data/last stable until the transfer, and tvalid
 *   independent of tready (evaluated with every tready inverted and compared);
 * - each internal stream (buildFromIr: the s_axis/m_axis ports of every sub-module instance, plus
 *   `streams` declared by hand; or BuildSpec.watches): valid held and data/last stable until the transfer;
 * - nothing starts as a quiet 0: models are built with `--x-assign unique --x-initial unique` and
 *   started with `+verilator+rand+reset+2 +verilator+seed+<seed>` (StartOptions.seed, default 1);
 * - idle source streams drive random tdata/tlast, so a DUT that takes data without valid is caught.
 * A violation rejects the call that ran the cycles with a StreamProtocolError (or set
 * `failOnViolation = false` and read violations()). Each call has a timeout (StartOptions.timeoutMs,
 * default 10 min; `{ timeoutMs }` on step/reset/run/play) after which the harness is killed.
 *
 * Values: numbers up to 53 bits, bigints for any width (ports up to 65,536 bits), lanes of ≤ 32 bits for
 * lane vectors; on the wire every value takes ⌈width/8⌉ bytes (protocol.ts).
 */
import { build, type BuildSpec } from './build.js';
import { Model, type StartOptions } from './model.js';

export { build, buildHash, buildStats, cacheRoot, comparePorts, verilatedPorts, verilatorVersion, BuildError } from './build.js';
export type { BuildResult, BuildSpec, ProfileWorkload } from './build.js';
export { Model, StreamProtocolError, fromBits, toBits } from './model.js';
export type { LaneValues, PlayResult, PlayTable, RunOptions, RunResult, SinkColumns, SinkWord, StartOptions, Status, TimeOptions, Violation } from './model.js';
export { findStreams, validatePorts } from './ports.js';
export type { MemorySpec, PortSpec, StreamGroup, WatchSpec } from './ports.js';
export type { Column, Values } from './values.js';

/** Builds (or finds in the cache) the design and starts one harness process for it. */
export async function buildModel(spec: BuildSpec, opts: StartOptions = {}): Promise<Model> {
  return Model.start(await build(spec), opts);
}
