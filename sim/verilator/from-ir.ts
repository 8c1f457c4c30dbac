/**
 * Co-simulation of generated modules: emit the IR module (and everything below it) as Verilog, take the
 * port list from the IR, and build the verilated model through the cached runner.
 *
 * From the IR hierarchy the runner also takes
 *   - every memory, readable and writable by name (Model.peekMem / pokeMem): by its name-map path
 *     `<module>.<memory>` (when that module has one instance) and by its instance path
 *     `<top>.<instance>….<memory>`;
 *   - every internal stream: the s_axis_* / m_axis_* port groups of each sub-module instance, checked
 *     every cycle with the stream rules the DUT's outputs are checked with (valid held, data and
 *     tlast stable until the transfer). An input stream wired straight from a sibling's output stream
 *     is the same wires and is watched once, as that output. Nothing is added to the emitted Verilog:
 *     the signals are made readable through a Verilator configuration file.
 */
import { Signal, portList, type Module } from '../../generator/ir/index.js';
import { emitDesign } from '../../generator/emit/index.js';
import { buildModel } from './index.js';
import type { Model, StartOptions } from './model.js';
import type { ProfileWorkload } from './build.js';
import { findStreams, type MemorySpec, type WatchSpec } from './ports.js';

export interface IrBuildOptions extends StartOptions {
  trace?: boolean;
  optFast?: string;
  /** More Verilator arguments (BuildSpec.extraFlags). */
  extraFlags?: string[];
  /** Random start-up values of uninitialised state (default true; see BuildSpec.randomInit). */
  randomInit?: boolean;
  /** Make every memory reachable by peekMem / pokeMem (default true). */
  memories?: boolean;
  /** Check every internal stream of the hierarchy (default true). */
  watchStreams?: boolean;
  /** More streams to check: valid/ready/data(/last) signals inside one module of the hierarchy. */
  streams?: DeclaredStream[];
  /** Profile-guided C++ build from this workload (BuildSpec.profile). */
  profile?: ProfileWorkload;
  /** Told the steps of a build that is not cached (BuildSpec.onStage). */
  onStage?: (stage: string) => void;
}

/** A stream made of signals (wires, registers, ports) of one module instance, e.g. between two pipeline stages. */
export interface DeclaredStream {
  /** Instance path: the top module's name, then instance names (`unit.u_stage`). */
  instance: string;
  valid: string;
  ready: string;
  data: string;
  last?: string;
  /** Name in violations (default `<instance>.<valid without _tvalid/_valid>`). */
  name?: string;
}

/** The module at an instance path of the hierarchy. */
function moduleAt(top: Module, path: string): Module {
  const parts = path.split('.');
  if (parts[0] !== top.name) throw new RangeError(`stream instance path '${path}' must start with the top module '${top.name}'`);
  let mod = top;
  for (const name of parts.slice(1)) {
    const inst = mod.items.find((it) => it.kind === 'instance' && it.instance.name === name);
    if (!inst || inst.kind !== 'instance') throw new RangeError(`stream instance path '${path}': no instance '${name}' in module ${mod.name}`);
    mod = inst.instance.module;
  }
  return mod;
}

/** The watch of a declared stream, its signals checked against the module (1-bit valid/ready/last). */
export function declaredWatch(top: Module, d: DeclaredStream): WatchSpec {
  const mod = moduleAt(top, d.instance);
  const width = (name: string, oneBit: boolean): number => {
    const s = [...mod.ports, ...mod.signals].find((x) => x.name === name);
    if (!s) throw new RangeError(`stream ${d.instance}: no signal '${name}' in module ${mod.name}`);
    if (oneBit && s.type.width !== 1) throw new RangeError(`stream ${d.instance}: '${name}' must be 1 bit wide, it has ${s.type.width}`);
    return s.type.width;
  };
  width(d.valid, true);
  width(d.ready, true);
  if (d.last) width(d.last, true);
  return {
    name: d.name ?? `${d.instance}.${d.valid.replace(/_t?valid$/, '')}`,
    module: mod.name,
    instance: d.instance,
    valid: d.valid,
    ready: d.ready,
    data: d.data,
    last: d.last ?? '',
    width: width(d.data, false),
  };
}

/** The memories and internal streams of a module hierarchy, as the runner addresses them. */
export function irPublic(top: Module): { memories: MemorySpec[]; watches: WatchSpec[] } {
  const memories: MemorySpec[] = [];
  const watches: WatchSpec[] = [];
  const instancesOf = new Map<string, number>();
  const visit = (mod: Module, path: string): void => {
    instancesOf.set(mod.name, (instancesOf.get(mod.name) ?? 0) + 1);
    for (const m of mod.memories) {
      memories.push({ paths: [`${path}.${m.name}`], module: mod.name, instance: path, name: m.name, width: m.type.width, depth: m.depth, signed: m.type.signed });
    }
    for (const item of mod.items) {
      if (item.kind !== 'instance') continue;
      const child = item.instance.module;
      const childPath = `${path}.${item.instance.name}`;
      const ports = portList(child);
      let streams;
      try {
        streams = findStreams(ports);
      } catch (e) {
        throw new RangeError(`sub-module ${childPath} (${child.name}): ${(e as Error).message} (or build with watchStreams: false)`);
      }
      for (const s of streams) {
        if (s.kind === 'source' && fedByOutputStream(item.instance.inputs.get(ports[s.valid].name))) continue;
        const prefix = `${s.kind === 'source' ? 's' : 'm'}_axis_${s.bus}`;
        watches.push({
          name: `${childPath}.${prefix}`,
          module: child.name,
          instance: childPath,
          valid: ports[s.valid].name,
          ready: ports[s.ready].name,
          data: ports[s.data].name,
          last: s.last >= 0 ? ports[s.last].name : '',
          width: ports[s.data].width,
        });
      }
      visit(child, childPath);
    }
  };
  visit(top, top.name);
  // the name-map path `<module>.<memory>` where it names one memory
  for (const m of memories) {
    const short = `${m.module}.${m.name}`;
    if (instancesOf.get(m.module) === 1 && !m.paths.includes(short)) m.paths.push(short);
  }
  return { memories, watches };
}

/** Whether a child's tvalid input is a sibling's m_axis_<bus>_tvalid output wire (watched as that output). */
function fedByOutputStream(valid: unknown): boolean {
  return valid instanceof Signal && valid.kind === 'instout' && /_m_axis_.+_tvalid$/.test(valid.name);
}

/** Emits `top` with its submodules (and their `$readmemh` images) and starts a verilated model of it (cached by content hash). */
export async function buildFromIr(top: Module, opts: IrBuildOptions = {}): Promise<Model> {
  const design = emitDesign(top);
  const files = design.modules.flatMap((m) => [
    { name: m.fileName, text: m.verilog },
    ...m.dataFiles.map((f) => ({ name: f.name, text: f.content })),
  ]);
  const pub = irPublic(top);
  const { trace, optFast, extraFlags, randomInit, memories, watchStreams, streams, profile, onStage, ...start } = opts;
  const declared = (streams ?? []).map((d) => declaredWatch(top, d));
  return buildModel(
    {
      top: top.name,
      files,
      ports: portList(top),
      trace,
      optFast,
      extraFlags,
      randomInit,
      memories: memories === false ? [] : pub.memories,
      watches: [...(watchStreams === false ? [] : pub.watches), ...declared],
      profile,
      onStage,
    },
    start,
  );
}
