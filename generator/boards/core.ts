/**
 * The core behind a board top. `coreTop` is the module the board top instantiates, with the byte ports
 * s_axis_in_* / m_axis_out_* (8-bit data, tlast): the chip top. `chipCore` is the whole design the fit
 * check counts: the chip top plus every datapath unit it does not instantiate yet (each once), so a
 * config is judged by what the finished chip needs.
 */
import type { Module } from '../ir/index.js';
import type { ChipConfig } from '../config.js';
import { kernelUnit, KERNEL_MODULE, KERNEL_WORDS_MODULE } from '../units/kernel.js';
import { layernorm } from '../units/layernorm.js';
import { modulator, MODULATOR_MODULE, MODULATOR_WIDE_MODULE } from '../units/modulator.js';
import { workingMemory } from '../units/wm.js';
import { gramArray } from '../units/gram.js';
import { hebbian } from '../units/hebbian.js';
import { outputUnit } from '../units/output.js';
import { chip } from '../units/chip.js';

function moduleNames(m: Module, into = new Set<string>()): Set<string> {
  into.add(m.name);
  for (const it of m.items) if (it.kind === 'instance') moduleNames(it.instance.module, into);
  return into;
}

export function chipCore(cfg: ChipConfig): Module[] {
  const top = coreTop(cfg);
  const inTop = moduleNames(top);
  // the chip's modulator is the variant that takes a window row per beat: the unit is in the chip then
  if (inTop.has(MODULATOR_WIDE_MODULE)) inTop.add(MODULATOR_MODULE);
  // and the kernel unit as the chip builds it (kernel words and K_Y only) is the kernel unit
  if (inTop.has(KERNEL_WORDS_MODULE)) inTop.add(KERNEL_MODULE);
  const units = [kernelUnit, layernorm, modulator, workingMemory, gramArray, hebbian, outputUnit].map((f) => f(cfg));
  return [top, ...units.filter((u) => !inTop.has(u.name))];
}

/** The module behind the UART: s_axis_in_* / m_axis_out_* byte streams. */
export function coreTop(cfg: ChipConfig): Module {
  return chip(cfg);
}
