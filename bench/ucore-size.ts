/**
 * The size of the UP5K engine's program in its binary form (generator/ucore/encode.ts) for a chip config
 * (default: boards/icebreaker/chip.json, 784-32-10, window 4, 2 lanes): every part of the step program
 * (generator/ucore/program/step.ts: the step, the epoch clear and inference) with its instruction words, the
 * pool entries and descriptors it references and the table ROM it brings; the sums in bits and in EBR (4 kbit each; the UP5K has 30, program/layout.ts keeps 20
 * for data, so 10 are left for the program and the FIFOs).
 * `--serve`: the serving program instead (generator/ucore/program/protocol.ts: the host protocol with the step's
 * parts as subroutines), its protocol's parts after the step's.
 *   node bin/run-ts.js bench/ucore-size.ts [--config FILE] [--serve]
 */
import { Command } from 'commander';
import { loadChipConfig } from '../generator/config.js';
import { encode, imageBits } from '../generator/ucore/encode.js';
import { EBR_DATA_WORDS } from '../generator/ucore/program/layout.js';
import { chipParams, CHIP_TRAIN } from '../sim/golden/fixed/index.js';
import { stepProgram } from '../generator/ucore/program/step.js';
import { protocolProgram } from '../generator/ucore/program/protocol.js';

const EBR_BITS = 4096;
const EBR_TOTAL = 30;
const EBR_PROGRAM = EBR_TOTAL - EBR_DATA_WORDS / 256;
const ROM_WORD_BITS = 16;

const opts = new Command()
  .option('--config <file>', 'chip config', 'boards/icebreaker/chip.json')
  .option('--serve', 'the serving program (the host protocol and the step)')
  .parse()
  .opts<{ config: string; serve?: boolean }>();
const cfg = loadChipConfig(opts.config);
const P = chipParams({ ...CHIP_TRAIN, layers: cfg.layers, window: cfg.window }, cfg.numeric);
const { program, sections, layout } = opts.serve ? protocolProgram(cfg, P) : stepProgram(P, true);
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
const romWords = sections.reduce((t, s) => t + s.romWords, 0);
const romBits = ROM_WORD_BITS * romWords;
const total = bits.total + romBits;
console.log(row([opts.serve ? '**serving program (pool, descriptors shared)**' : '**step (pool, descriptors shared)**', im.words.length, im.pool.length, im.descriptors.length, romWords, total]));

const ebr = (b: number): string => (b / EBR_BITS).toFixed(2);
console.log(`\nbits: instruction words ${n(bits.words)} + pool ${n(bits.pool)} + descriptors ${n(bits.descriptors)} = ${n(bits.total)} (${ebr(bits.total)} EBR); table ROMs ${n(romBits)} (${ebr(romBits)} EBR); sum ${n(total)} = ${ebr(total)} EBR of 4 kbit`);
// as placed in 256 × 16 EBR: the 32-bit words two blocks wide; pool and descriptors as 16-bit words in one ROM
const progEbr = 2 * Math.ceil(im.words.length / 256);
const constWords = 4 * im.pool.length + 2 * im.descriptors.length;
const constEbr = Math.ceil(constWords / 256);
console.log(`placed in 256 × 16 EBR: program ROM 2 wide × ${Math.ceil(im.words.length / 256)} deep = ${progEbr} EBR (${n(im.words.length)} of ${n(128 * progEbr)} words used); pool + descriptors as ${constWords} 16-bit words = ${constEbr} EBR; ${progEbr + constEbr} EBR of the ${EBR_PROGRAM} that layout.ts leaves for the program and the FIFOs`);
console.log(`table ROMs (${n(romWords)} words) sit in the data memory: block RAM data ${n(layout.ebrWords)} of ${n(EBR_DATA_WORDS)} words with them and the sections' scratch`);
const spare = EBR_PROGRAM - progEbr - constEbr;
console.log(spare >= 0 ? `fits: ${spare} EBR spare for the FIFOs` : `does not fit: ${-spare} EBR over`);
