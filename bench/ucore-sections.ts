/**
 * Cycles of the UP5K engine's section programs in the instruction-set simulator (isa.ts CYCLES: the core's
 * plan, not yet an RTL measurement), for a chip config (default: boards/icebreaker/chip.json).
 *   node bin/run-ts.js bench/ucore-sections.ts [--config FILE]
 */
import { Command } from 'commander';
import { loadChipConfig } from '../generator/config.js';
import { Asm } from '../generator/ucore/asm.js';
import { machineFor } from '../generator/ucore/program/common.js';
import { emitForwardMac, emitInputWords } from '../generator/ucore/program/forward.js';
import { chipLayout } from '../generator/ucore/program/layout.js';
import { chipParams, CHIP_TRAIN } from '../sim/golden/fixed/index.js';
import { Machine } from '../sim/ucore/iss.js';

const opts = new Command().option('--config <file>', 'chip config', 'boards/icebreaker/chip.json').parse().opts<{ config: string }>();
const cfg = loadChipConfig(opts.config);
const P = chipParams({ ...CHIP_TRAIN, layers: cfg.layers, window: cfg.window }, cfg.numeric);
const lay = chipLayout(P);
lay.checkFits();
console.log(`${cfg.layers.join('-')}, B = ${cfg.window}: SPRAM ${lay.spramWords} words, block RAM ${lay.ebrWords} data words`);

function cycles(name: string, build: (a: Asm) => void): number {
  const a = new Asm();
  build(a);
  a.halt();
  const m = new Machine(machineFor(P, lay.memWords));
  m.run(a.finish());
  console.log(`${name.padEnd(28)} ${String(m.cycles).padStart(8)} cycles  ${String(m.instructions).padStart(7)} instructions`);
  return m.cycles;
}

let total = 0;
total += cycles('input words', (a) => emitInputWords(a, P, { u: lay.at('cur.u'), h: lay.at('cur.h0') }));
for (let l = 0; l < P.L - 1; l++) {
  const h = l === 0 ? lay.at('cur.h0') : lay.at(`cur.z.${l - 1}`);
  total += cycles(`forward MAC layer ${l + 1}`, (a) => emitForwardMac(a, P, l, { W: lay.at(`params.${l}`), h, a: lay.at(`cur.a.${l}`) }));
}
console.log(`${'sum of the sections above'.padEnd(28)} ${String(total).padStart(8)} cycles`);
