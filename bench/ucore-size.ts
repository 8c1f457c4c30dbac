/**
 * The size of the UP5K engine's program in its binary form (generator/ucore/encode.ts) for a chip config
 * (default: boards/icebreaker/chip.json, 784-32-10, window 4, 2 lanes): every part of the step program
 * (generator/ucore/program/step.ts: the step, the epoch clear and inference) with its instruction words, the
 * pool entries and descriptors it references and the table ROM it brings; the sums in bits and in EBR (4 kbit each; the UP5K has 30, program/layout.ts keeps 20
 * for data, so 10 are left for the program and the FIFOs).
 * The ROM as the core holds it (generator/ucore/rtl/core.ts romImage: the instruction words, the pool and the
 * descriptors at their aligned bases, one memory of 32-bit words) and its EBR.
 * `--serve`: the serving program instead (generator/ucore/program/protocol.ts: the host protocol with the step's
 * parts as subroutines; the build's, host/boards/ucore.ts ucoreProgram), its protocol's parts after the step's, and
 * the board core the build makes of it as its fit check counts it (the ROM's words and block RAM, checked against
 * romImage's); `--no-vector` the program of the core without its vector unit.
 *   node bin/run-ts.js bench/ucore-size.ts [--config FILE] [--serve [--no-vector]]
 */
import { Command } from 'commander';
import { loadChipConfig } from '../generator/config.js';
import { encode, imageBits } from '../generator/ucore/encode.js';
import { EBR_DATA_WORDS } from '../generator/ucore/program/layout.js';
import { chipParams, CHIP_TRAIN } from '../sim/golden/fixed/index.js';
import { stepProgram } from '../generator/ucore/program/step.js';
import { DEFAULT_TIMEOUT_CYCLES } from '../generator/protocol.js';
import { descBaseOf, poolBaseOf, romImage } from '../generator/ucore/rtl/core.js';
import { loadBoard } from '../host/boards/board.js';
import { blocksFor, type FitLine } from '../host/boards/fit.js';
import { ucoreDesign, ucoreFitReport, ucoreProgram } from '../host/boards/ucore.js';

const EBR_BITS = 4096;
const EBR_TOTAL = 30;
const EBR_PROGRAM = EBR_TOTAL - EBR_DATA_WORDS / 256;
const ROM_WORD_BITS = 16;

const opts = new Command()
  .option('--config <file>', 'chip config', 'boards/icebreaker/chip.json')
  .option('--serve', 'the serving program (the host protocol and the step)')
  .option('--no-vector', '--serve: the program for the core without its vector unit (vdot, vdist and vupd as scalar loops)')
  .parse()
  .opts<{ config: string; serve?: boolean; vector: boolean }>();
const cfg = loadChipConfig(opts.config);
const P = chipParams({ ...CHIP_TRAIN, layers: cfg.layers, window: cfg.window }, cfg.numeric);
const board = loadBoard('icebreaker');
// --serve: the program the build serves (host/boards/ucore.ts ucoreProgram)
const served = opts.serve ? ucoreProgram(cfg, board, opts.vector) : null;
const { program, sections, layout } = served ?? stepProgram(P, true);
const im = encode(program);

const n = (v: number): string => v.toLocaleString('en-US');
const row = (cells: (string | number)[]): string => `| ${cells.map((c) => (typeof c === 'number' ? n(c) : c)).join(' | ')} |`;
console.log(`${cfg.layers.join('-')}, window ${cfg.window}, ${cfg.numeric.lfsr.lanes} lanes (${opts.config})\n`);
console.log(row(['section', 'words', 'pool', 'descriptors', 'table ROM words', 'bits']));
console.log(row(['---', '---:', '---:', '---:', '---:', '---:']));
for (const s of sections) {
  // the section alone: its words and the pool entries / descriptors it references (a shared entry counts in each)
  const part = encode(program.code.slice(s.from, s.to));
  console.log(row([s.name, part.words.length, part.pool.length, part.descriptors.length, s.romWords, imageBits(part).total + ROM_WORD_BITS * s.romWords]));
}
const bits = imageBits(im);
const tableWords = sections.reduce((t, s) => t + s.romWords, 0);
const romBits = ROM_WORD_BITS * tableWords;
const total = bits.total + romBits;
console.log(row([opts.serve ? '**serving program (pool, descriptors shared)**' : '**step (pool, descriptors shared)**', im.words.length, im.pool.length, im.descriptors.length, tableWords, total]));

const ebr = (b: number): string => (b / EBR_BITS).toFixed(2);
console.log(`\nbits: instruction words ${n(bits.words)} + pool ${n(bits.pool)} + descriptors ${n(bits.descriptors)} = ${n(bits.total)} (${ebr(bits.total)} EBR); table ROMs ${n(romBits)} (${ebr(romBits)} EBR); sum ${n(total)} = ${ebr(total)} EBR of 4 kbit`);
// the ROM as the core holds it (core.ts romImage): the instruction words, then the pool (two 32-bit words an
// entry) and the descriptors at the bases the core's decoder indexes (aligned to their index ranges), one memory
// of 32-bit words; its block RAM as the fit check counts a romWords × 32 memory
const rom = romImage(im);
const poolBase = poolBaseOf(im.words.length, im.pool.length);
const descBase = im.descriptors.length ? descBaseOf(poolBase, im.pool.length, im.descriptors.length) : null;
const romWords = Math.max(2, rom.length);
const gaps = romWords - im.words.length - 2 * im.pool.length - im.descriptors.length;
const romEbr = blocksFor(board, 32, romWords);
console.log(
  `ROM (core.ts romImage): instructions at 0 … ${n(im.words.length - 1)}, pool at ${n(poolBase)} (${im.pool.length} × 2 words)` +
    (descBase === null ? '' : `, descriptors at ${n(descBase)} (${im.descriptors.length} words)`) +
    `: ${n(romWords)} × 32 bits (${n(gaps)} words of alignment gaps) = ${romEbr} EBR`,
);
let progEbr = romEbr;
let fitLine: FitLine | null = null;
if (served) {
  // the board core as the build makes it, and the ROM and block RAM as its fit check counts them
  const design = ucoreDesign(cfg, served, { clocksPerBit: 16, fifoDepth: board.uart.rxFifoBytes, idleCycles: DEFAULT_TIMEOUT_CYCLES });
  const fit = ucoreFitReport(cfg, board, [design.module]);
  // the ROM's slices (core.ts romSlicesOf: one, or several one block deep without the vector unit)
  const slices = fit.memories.filter((m) => /\.rom\d+$/.test(m.path));
  if (slices.length === 0) throw new Error('ucore-size: the board core has no ROM memory');
  const romUse = { path: slices.length === 1 ? slices[0].path : `${slices[0].path.replace(/\d+$/, '')}0…${slices.length - 1}`, depth: slices[0].depth, width: slices.reduce((w, m) => w + m.width, 0), blocks: slices.reduce((b, m) => b + m.blocks, 0) };
  if (slices.some((m) => m.depth !== romWords)) throw new Error(`ucore-size: the build's ROM has ${romUse.depth} words, romImage ${romWords}`);
  progEbr = romUse.blocks;
  const bram = fit.lines[0];
  fitLine = bram;
  console.log(
    `the build's fit check: ${romUse.path} ${n(romUse.depth)} × ${romUse.width} (the bits that vary of the 32) = ${romUse.blocks} EBR; ` +
      `${bram.resource} ${bram.needed} of ${bram.available} for the whole board core (${fit.memories.filter((m) => m.kind === 'block').map((m) => `${m.path.replace(/^.*?\./, '')} ${m.blocks}`).join(', ')})`,
  );
}
console.log(`program ROM ${progEbr} EBR of the ${EBR_PROGRAM} that layout.ts leaves for the program and the FIFOs`);
console.log(`table ROMs (${n(tableWords)} words) sit in the data memory: block RAM data ${n(layout.ebrWords)} of ${n(EBR_DATA_WORDS)} words with them and the sections' scratch`);
const spare = EBR_PROGRAM - progEbr;
console.log(spare >= 0 ? `within layout.ts's share: ${spare} EBR spare for the FIFOs` : `over layout.ts's share by ${-spare} EBR (the data's block RAM uses less than its 20)`);
if (fitLine) console.log(fitLine.ok ? `the fit check: fits, ${fitLine.needed} of ${fitLine.available} EBR` : `the fit check: does not fit, ${fitLine.needed} of ${fitLine.available} EBR`);
