/**
 * The core behind a board top: the modules of the chip for a configuration. `chipCore` lists the chip's
 * units (each instantiated once by the chip top); `coreTop` is the module the board top instantiates,
 * with the byte ports s_axis_in_* / m_axis_out_* (8-bit data, tlast). Until the chip top joins the
 * generator it is the stream front end, which answers IDENTIFY / ECHO / LINK_STATUS / RESET itself.
 */
import type { Module } from '../ir/index.js';
import type { ChipConfig } from '../config.js';
import { kernelUnit } from '../units/kernel.js';
import { layernorm } from '../units/layernorm.js';
import { modulator } from '../units/modulator.js';
import { frontend } from '../units/frontend.js';
import { workingMemory } from '../units/wm.js';
import { gramArray } from '../units/gram.js';
import { hebbian } from '../units/hebbian.js';
import { outputUnit } from '../units/output.js';

export function chipCore(cfg: ChipConfig): Module[] {
  return [kernelUnit(cfg), layernorm(cfg), modulator(cfg), frontend(cfg), workingMemory(cfg), gramArray(cfg), hebbian(cfg), outputUnit(cfg)];
}

/** The module behind the UART: s_axis_in_* / m_axis_out_* byte streams. */
export function coreTop(cfg: ChipConfig): Module {
  return frontend(cfg);
}
