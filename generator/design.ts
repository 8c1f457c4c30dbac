/**
 * Every module the generator emits for a configuration: the stream library blocks (representative sizes)
 * and the arithmetic blocks of the chip, built from the configuration's numerics — the LFSR of stochastic
 * rounding, the weight-update product δ·h → weight format, and the four table functions with exactly the
 * ROMs the fixed-point golden model uses (chipTables) — and the accelerator's units (generator/units): the
 * kernel unit, the LayerNorm forward, the modulator (and modulator_wide: the window z a whole row of all B
 * slots per beat, zwSlots 'all'), the stream front end, the working memory, the systolic
 * Gram array, the Hebbian update and the output layer — and the controller and the chip top that wires them.
 */
import type { Module } from './ir/index.js';
import type { ChipConfig } from './config.js';
import { chipTables, resolveNumeric } from './numeric.js';
import { streamBlocks } from './lib/stream/index.js';
import { fixedMul, lfsr, tableLookup } from './lib/arith/index.js';
import { kernelUnit } from './units/kernel.js';
import { layernorm } from './units/layernorm.js';
import { modulator } from './units/modulator.js';
import { frontend } from './units/frontend.js';
import { workingMemory } from './units/wm.js';
import { gramArray } from './units/gram.js';
import { hebbian } from './units/hebbian.js';
import { outputUnit } from './units/output.js';
import { controller } from './units/controller.js';
import { chip } from './units/chip.js';
import { sequencer } from './units/sequencer.js';

export function designModules(cfg: ChipConfig): Module[] {
  const N = resolveNumeric(cfg.numeric);
  const t = chipTables(N, cfg.layers[cfg.layers.length - 1]);
  const { width, rbits, leap, seed } = N.lfsr;
  return [
    ...streamBlocks(),
    lfsr({ width, rbits, leap, seed }),
    fixedMul(N.delta.format, N.act.format, N.weight.format, N.weight.rounding, N.weight.overflow, { rbits }),
    tableLookup(t.expNeg),
    tableLookup(t.exp),
    tableLookup(t.rsqrt),
    tableLookup(t.recip),
    kernelUnit(cfg),
    layernorm(cfg),
    modulator(cfg),
    modulator(cfg, { zwSlots: 'all' }),
    frontend(cfg),
    workingMemory(cfg),
    gramArray(cfg),
    hebbian(cfg),
    outputUnit(cfg),
    sequencer(cfg),
    controller(cfg),
    chip(cfg),
  ];
}
