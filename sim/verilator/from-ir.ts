/**
 * Co-simulation of generated modules: emit the IR module (and everything below it) as Verilog, take the
 * port list from the IR, and build the verilated model through the cached runner.
 */
import { portList, type Module } from '../../generator/ir/index.js';
import { emitDesign } from '../../generator/emit/index.js';
import { buildModel } from './index.js';
import type { Model } from './model.js';

export interface IrBuildOptions {
  trace?: boolean;
  optFast?: string;
}

/** Emits `top` with its submodules and starts a verilated model of it (cached by content hash). */
export async function buildFromIr(top: Module, opts: IrBuildOptions = {}): Promise<Model> {
  const design = emitDesign(top);
  const files = design.modules.map((m) => ({ name: m.fileName, text: m.verilog }));
  return buildModel({ top: top.name, files, ports: portList(top), ...opts });
}
