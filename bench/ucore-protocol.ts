/**
 * The UP5K engine's serving program (generator/ucore/program/protocol.ts: the host protocol and the step) on its
 * instruction-set simulator behind the ucore-link transport: its size in the binary form (encode.ts) and as
 * placed in EBR (and as the RTL core's ROM image lays it out), the protocol's part of it, the cycles per received payload byte (an UNKNOWN_OPCODE frame of 4,000
 * bytes against an empty one: both received whole and CRC-checked) and per sent byte (ECHO), and the cycles of
 * TRAIN frames of 1 and of the most records with the window full, split into the step's and the protocol's.
 * `--timing plan` counts isa.ts CYCLES; `--timing core` the RTL core's coreCycles (recv, send without waiting for
 * the line; lfsrget, not in the core yet, at its default) and the vector unit's vectorCycles, as
 * bench/ucore-step.ts.
 *   node bin/run-ts.js bench/ucore-protocol.ts [--config FILE] [--timing plan|core] [--crc split|bitwise|table]
 */
import { Command } from 'commander';
import { loadChip } from '../host/chip/config.js';
import { loadMnist } from '../host/data/mnist.js';
import { encodeFrame } from '../host/protocol/frame.js';
import { UcoreTransport } from '../host/transport/ucore.js';
import { encode, imageBits } from '../generator/ucore/encode.js';
import type { Instr } from '../generator/ucore/isa.js';
import { coreCycles, romImage } from '../generator/ucore/rtl/core.js';
import { vectorCycles } from '../generator/ucore/rtl/vector.js';
import { OPCODES } from '../generator/protocol.js';

const opts = new Command()
  .option('--config <file>', 'chip config', 'boards/icebreaker/chip.json')
  .option('--timing <t>', 'plan (isa.ts CYCLES) or core (the RTL core and vector unit)', 'plan')
  .option('--crc <c>', 'split, bitwise or table (program/protocol.ts ProtocolOptions)', 'split')
  .parse()
  .opts<{ config: string; timing: string; crc: string }>();
if (opts.crc !== 'split' && opts.crc !== 'bitwise' && opts.crc !== 'table') throw new Error(`--crc: '${opts.crc}' is not split, bitwise or table`);
if (opts.timing !== 'plan' && opts.timing !== 'core') throw new Error(`--timing: '${opts.timing}' is not plan or core`);
const coreTiming = (ins: Instr, elements: number, operands?: readonly [bigint, bigint]): number =>
  ins.op === 'vdot' || ins.op === 'vdist' || ins.op === 'vupd' ? vectorCycles(ins.op, elements) : coreCycles(ins, elements, operands);
const cfg = loadChip(opts.config);
const link = new UcoreTransport(cfg, { profile: true, crc: opts.crc, ...(opts.timing === 'core' ? { timing: coreTiming } : {}) });
const { program, sections, layout } = link.serving;
const m = link.machine;
const spec = link.serving.spec;
const fmt = (v: number): string => Math.round(v).toLocaleString('en-US');

// ---- size
const im = encode(program);
const parts = sections.filter((s) => s.name.startsWith('protocol'));
const proto = { from: parts[0].from, to: parts[parts.length - 1].to, romWords: parts.reduce((n, s) => n + s.romWords, 0) };
const part = encode(program.code.slice(proto.from, proto.to));
const bits = imageBits(im);
const progEbr = 2 * Math.ceil(im.words.length / 256);
const constEbr = Math.ceil((4 * im.pool.length + 2 * im.descriptors.length) / 256);
console.log(`${cfg.layers.join('-')}, window ${cfg.window}, ${cfg.lanes} lanes (${opts.config}), timing ${opts.timing === 'core' ? 'of the RTL core' : 'planned (isa.ts)'}, CRCs ${opts.crc}`);
console.log(`serving program: ${fmt(im.words.length)} instruction words, ${im.pool.length} pool entries, ${im.descriptors.length} descriptors = ${fmt(bits.total)} bits; in 256 × 16 EBR: ROM ${progEbr} + constants ${constEbr} EBR`);
const rom = romImage(im).length;
console.log(`the RTL core's ROM image (instructions, the pool at its aligned base, the descriptors): ${fmt(rom)} words of 32 bits = 2 × ${Math.ceil(rom / 256)} EBR`);
console.log(`its protocol part: ${fmt(part.words.length)} words, ${part.pool.length} pool entries; ROM images ${fmt(proto.romWords)} words (identify block, weight map${opts.crc === 'table' ? ', CRC-8 and CRC-16 tables' : opts.crc === 'split' ? ', the CRC-16 nibble tables' : ''})`);
console.log(`  ${parts.map((s) => `${s.name.slice('protocol: '.length)} ${s.to - s.from}`).join(', ')}`);
console.log(`memory: ${fmt(layout.spramWords)} SPRAM words (payload buffer ${spec.maxPayload}), ${fmt(layout.ebrWords)} block RAM data words`);

// ---- cycles
const frameCycles = async (bytes: Uint8Array): Promise<{ cycles: number; proto: number }> => {
  const c0 = m.cycles;
  const p0 = m.pcCycles.slice(proto.from, proto.to).reduce((s, v) => s + v, 0);
  await link.write(bytes);
  const answer = await link.read(1, 0);
  if (answer.length === 0) throw new Error('no answer');
  const p1 = m.pcCycles.slice(proto.from, proto.to).reduce((s, v) => s + v, 0);
  return { cycles: m.cycles - c0, proto: p1 - p0 };
};
const N = 4000;
const empty = await frameCycles(encodeFrame(0x55, 1, []));
const long = await frameCycles(encodeFrame(0x55, 2, new Uint8Array(N).fill(0x3c)));
const echo0 = await frameCycles(encodeFrame(OPCODES.ECHO, 3, []));
const echoN = await frameCycles(encodeFrame(OPCODES.ECHO, 4, new Uint8Array(N).fill(0x3c)));
const perRecv = (long.cycles - empty.cycles) / N;
const perSend = (echoN.cycles - echo0.cycles) / N - perRecv;
console.log(`received payload byte: ${perRecv.toFixed(1)} cycles; sent byte: ${perSend.toFixed(1)} cycles; an empty frame received and answered with an error frame: ${fmt(empty.cycles)} cycles`);

const mnist = loadMnist();
const dim = spec.pixels;
const px = mnist.train.pixels!;
let next = 0;
const records = (k: number): number[] => {
  const out: number[] = [];
  for (let r = 0; r < k; r++, next++) out.push(...px.subarray(next * dim, next * dim + dim), mnist.train.y[next]);
  return out;
};
// fill the window, then measure
await frameCycles(encodeFrame(OPCODES.TRAIN, 5, records(cfg.window)));
const maxK = spec.commands.find((c) => c.name === 'TRAIN')!.maxRecords;
for (const k of [1, maxK]) {
  let cyc = 0;
  let pr = 0;
  for (let r = 0; r < 3; r++) {
    const x = await frameCycles(encodeFrame(OPCODES.TRAIN, 6, records(k)));
    cyc += x.cycles;
    pr += x.proto;
  }
  console.log(`TRAIN frame of ${k} record${k > 1 ? 's' : ''} (${fmt(dim + 1)} bytes each, window full): ${fmt(cyc / 3)} cycles, of them the protocol ${fmt(pr / 3)} (${((100 * pr) / cyc).toFixed(1)}%: ${fmt(pr / 3 / k)} a record)`);
}
