/**
 * Where the UP5K engine's logic cells go: the board core of `ibhebb build --board icebreaker` (UART, receive
 * FIFO, idle timer, the core with its units and the serving program) synthesised with its hierarchy kept
 * (synth_ice40 -dsp -noflatten), then flattened and packed by nextpnr-ice40 --pack-only, every logic cell (LC)
 * counted against the module it came from. Per module (its own cells, not its instances'): SB_LUT4, SB_CARRY,
 * flip-flops by kind, the LCs the packer made, and how they are filled:
 *   LUT+FF  a LUT and the flip-flop it alone feeds (one cell)
 *   LUT     a LUT alone (its output goes to several cells, or to none that is a flip-flop)
 *   FF      a flip-flop with a pass-through LUT: its D is not the sole output of a LUT
 *   CARRY   an SB_CARRY whose LUT (if any) could not share its cell
 * and why the lone flip-flops have no LUT: D from another flip-flop (a copy or a pipeline register), from a LUT
 * that also feeds other cells, from a block RAM / SPRAM / SB_MAC16 output, from a constant or a module port.
 *
 *   node bin/run-ts.js bench/ucore-cells.ts [chip.json] [baud] [--flat] [--no-vector]
 *
 * --no-vector: the core without its vector unit, the serving program's vector instructions as scalar loops.
 * (About 1–2 minutes: Yosys most of it.) The LCs of the hierarchical netlist are a few per cent from those of the
 * flattened one `build` places (no logic optimised across a module boundary); the bench prints both totals when
 * --flat is given (another Yosys run).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { emitDesign } from '../generator/emit/index.js';
import { loadChipConfig } from '../generator/config.js';
import { DEFAULT_TIMEOUT_CYCLES } from '../generator/protocol.js';
import { uartDivisor } from '../generator/boards/uart.js';
import { loadBoard } from '../host/boards/board.js';
import { ucoreDesign, ucoreProgram } from '../host/boards/ucore.js';

const args = process.argv.slice(2);
const flat = args.includes('--flat');
const vector = !args.includes('--no-vector');
const [file = new URL('../boards/icebreaker/chip.json', import.meta.url).pathname, baudArg = '3000000'] = args.filter((a) => !a.startsWith('--'));

interface YCell { type: string; connections: Record<string, (number | string)[]>; port_directions?: Record<string, string>; parameters?: Record<string, string> }
interface YModule { attributes?: Record<string, string>; cells: Record<string, YCell>; ports: Record<string, { direction: string; bits: (number | string)[] }> }
type YJson = { modules: Record<string, YModule> };

const cfg = loadChipConfig(file);
const board = loadBoard('icebreaker');
const pp = ucoreProgram(cfg, board, vector);
const top = ucoreDesign(cfg, pp, { clocksPerBit: uartDivisor(48e6, Number(baudArg)), fifoDepth: board.uart.rxFifoBytes, idleCycles: DEFAULT_TIMEOUT_CYCLES }).module;

const dir = mkdtempSync(join(tmpdir(), 'ibhebb-cells-'));
const vfiles: string[] = [];
for (const f of emitDesign(top).files) {
  writeFileSync(join(dir, f.name), f.content);
  if (f.name.endsWith('.v')) vfiles.push(f.name);
}
const yosys = async (script: string): Promise<void> => {
  const r = await execa('nice', ['-n', '10', 'yosys', '-q', '-p', script], { cwd: dir, all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`yosys failed:\n${(r.all ?? '').split('\n').slice(-10).join('\n')}`);
};
const t0 = Date.now();
await yosys(`read_verilog ${vfiles.join(' ')}; synth_ice40 -dsp -noflatten -top ${top.name}; write_json hier.json; flatten; write_json flat.json`);
const tYosys = (Date.now() - t0) / 1000;
const pnr = await execa('nice', ['-n', '10', 'nextpnr-ice40', '--up5k', '--package', 'sg48', '--json', 'flat.json', '--pack-only', '--write', 'packed.json'], { cwd: dir, all: true, reject: false });
if (pnr.exitCode !== 0) throw new Error(`nextpnr --pack-only failed:\n${(pnr.all ?? '').split('\n').slice(-10).join('\n')}`);
const hier = JSON.parse(readFileSync(join(dir, 'hier.json'), 'utf8')) as YJson;
const flatNet = JSON.parse(readFileSync(join(dir, 'flat.json'), 'utf8')) as YJson;
const packed = JSON.parse(readFileSync(join(dir, 'packed.json'), 'utf8')) as YJson;

// the instance tree: path → module name
const paths = new Map<string, string>([['', top.name]]);
const walk = (mod: string, at: string): void => {
  for (const [name, c] of Object.entries(hier.modules[mod].cells)) {
    if (!(c.type in hier.modules) || hier.modules[c.type].attributes?.blackbox !== undefined) continue;
    const p = at ? `${at}.${name}` : name;
    paths.set(p, c.type);
    walk(c.type, p);
  }
};
walk(top.name, '');
const byLength = [...paths.keys()].sort((a, b) => b.length - a.length);
const ownerOf = (cell: string): string => byLength.find((p) => p !== '' && cell.startsWith(`${p}.`)) ?? '';

const isFF = (t: string): boolean => /^SB_DFF/.test(t);
// SB_DFF[N][E][SR|R|SS|S]: E an enable, SR/SS a synchronous reset / set, R/S an asynchronous one
const ffKind = (t: string): string => {
  const m = /^SB_DFFN?(E?)(SR|SS|R|S)?$/.exec(t)!;
  return `${m[1] ? 'E' : ''}${m[2] === 'SR' || m[2] === 'SS' ? 'sync' : m[2] ? 'async' : ''}` || 'plain';
};

// the flattened netlist: every net bit's driver and number of loads
const net = flatNet.modules[top.name];
const driver = new Map<number | string, string>();
const loads = new Map<number | string, number>();
for (const [name, p] of Object.entries(net.ports)) if (p.direction === 'input') for (const b of p.bits) driver.set(b, `port:${name}`);
for (const [name, c] of Object.entries(net.cells)) {
  for (const [port, bits] of Object.entries(c.connections)) {
    const out = c.port_directions?.[port] === 'output';
    for (const b of bits) {
      if (out) driver.set(b, name);
      else loads.set(b, (loads.get(b) ?? 0) + 1);
    }
  }
}
const whyAlone = (ff: string): string => {
  const c = net.cells[ff];
  if (!c) return 'other';
  const d = c.connections.D[0];
  if (typeof d === 'string') return 'const';
  const src = driver.get(d);
  if (!src) return 'other';
  if (src.startsWith('port:')) return 'port';
  const t = net.cells[src].type;
  if (isFF(t)) return 'FF';
  if (t === 'SB_LUT4') return (loads.get(d) ?? 0) > 1 ? 'LUTshared' : 'other';
  if (/^SB_(RAM40|SPRAM|MAC16)/.test(t)) return 'mem/MAC';
  return 'other';
};

// per module: the hierarchical netlist's own cells, the packed LCs attributed by name
interface Row { lut: number; carry: number; ff: Record<string, number>; lc: number; fill: Record<string, number>; alone: Record<string, number> }
const rows = new Map<string, Row>([...paths.keys()].map((p) => [p, { lut: 0, carry: 0, ff: {}, lc: 0, fill: {}, alone: {} }]));
const bump = (r: Record<string, number>, k: string, n = 1): void => {
  r[k] = (r[k] ?? 0) + n;
};
for (const [p, mod] of paths) {
  const row = rows.get(p)!;
  for (const c of Object.values(hier.modules[mod].cells)) {
    if (c.type === 'SB_LUT4') row.lut++;
    else if (c.type === 'SB_CARRY') row.carry++;
    else if (isFF(c.type)) bump(row.ff, ffKind(c.type));
  }
}
// lone flip-flops by register (the name Yosys gave the flip-flop: the register's, then _SB_DFF…)
const loneRegs = new Map<string, number>();
let lcTotal = 0;
for (const [name, c] of Object.entries(Object.values(packed.modules)[0].cells)) {
  if (c.type !== 'ICESTORM_LC') continue;
  lcTotal++;
  const row = rows.get(ownerOf(name))!;
  row.lc++;
  const ff = c.parameters?.DFF_ENABLE !== undefined && parseInt(c.parameters.DFF_ENABLE, 2) === 1;
  const carry = c.parameters?.CARRY_ENABLE !== undefined && parseInt(c.parameters.CARRY_ENABLE, 2) === 1;
  if (name.endsWith('_DFFLC')) {
    bump(row.fill, 'FF');
    bump(row.alone, whyAlone(name.slice(0, -'_DFFLC'.length)));
    const reg = /^(.*?)_SB_DFF/.exec(name)?.[1] ?? name;
    loneRegs.set(reg, (loneRegs.get(reg) ?? 0) + 1);
  } else if (name.endsWith('$CARRY')) bump(row.fill, 'CARRY');
  else bump(row.fill, ff ? (carry ? 'LUT+C+FF' : 'LUT+FF') : carry ? 'LUT+C' : 'LUT');
}

const FF_KINDS = ['plain', 'E', 'sync', 'Esync', 'async', 'Easync'];
const FILLS = ['LUT+FF', 'LUT', 'LUT+C', 'LUT+C+FF', 'FF', 'CARRY'];
const WHY = ['FF', 'LUTshared', 'mem/MAC', 'const', 'port', 'other'];
const sumRows = (rs: Row[]): Row => {
  const s: Row = { lut: 0, carry: 0, ff: {}, lc: 0, fill: {}, alone: {} };
  for (const r of rs) {
    s.lut += r.lut;
    s.carry += r.carry;
    s.lc += r.lc;
    for (const k of Object.keys(r.ff)) bump(s.ff, k, r.ff[k]);
    for (const k of Object.keys(r.fill)) bump(s.fill, k, r.fill[k]);
    for (const k of Object.keys(r.alone)) bump(s.alone, k, r.alone[k]);
  }
  return s;
};
const ffs = (r: Row): number => Object.values(r.ff).reduce((a, b) => a + b, 0);
const line = (label: string, r: Row): string =>
  [label, r.lut, r.carry, ffs(r), ...FF_KINDS.map((k) => r.ff[k] ?? 0), r.lc, r.lc - r.lut, ...FILLS.map((k) => r.fill[k] ?? 0), ...WHY.map((k) => r.alone[k] ?? 0)].join(' | ');

console.log(`board core of ${file}${vector ? '' : ' without the vector unit'} (${pp.program.code.length} instructions): yosys -noflatten ${tYosys.toFixed(0)} s; nextpnr-ice40 --pack-only: ${lcTotal} ICESTORM_LC`);
console.log('');
console.log(`| instance (module) | LUT4 | CARRY | FF | ${FF_KINDS.map((k) => `FF ${k}`).join(' | ')} | LC | LC − LUT | ${FILLS.map((k) => `LC ${k}`).join(' | ')} | ${WHY.map((k) => `lone FF ← ${k}`).join(' | ')} |`);
console.log(`|---|${'---:|'.repeat(3 + FF_KINDS.length + 2 + FILLS.length + WHY.length)}`);
const ordered = [...rows.entries()].sort((a, b) => b[1].lc - a[1].lc);
for (const [p, r] of ordered) console.log(`| ${p || '(top)'} (${paths.get(p)}) | ${line('', r).slice(3)} |`);
console.log(`| total | ${line('', sumRows([...rows.values()])).slice(3)} |`);
console.log('');
console.log(`registers with the most lone flip-flops: ${[...loneRegs.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40).map(([r, n]) => `${r} ${n}`).join(', ')}`);

if (flat) {
  const t1 = Date.now();
  await yosys(`read_verilog ${vfiles.join(' ')}; synth_ice40 -dsp -top ${top.name} -json flat2.json; tee -o stat.txt stat`);
  const p2 = await execa('nice', ['-n', '10', 'nextpnr-ice40', '--up5k', '--package', 'sg48', '--json', 'flat2.json', '--pack-only', '--write', 'packed2.json'], { cwd: dir, all: true, reject: false });
  if (p2.exitCode !== 0) throw new Error('nextpnr --pack-only failed on the flattened netlist');
  const cells = Object.values(Object.values((JSON.parse(readFileSync(join(dir, 'packed2.json'), 'utf8')) as YJson).modules)[0].cells);
  const f = Object.values((JSON.parse(readFileSync(join(dir, 'flat2.json'), 'utf8')) as YJson).modules[top.name].cells);
  console.log('');
  console.log(`flattened synthesis (as build runs it, ${((Date.now() - t1) / 1000).toFixed(0)} s): SB_LUT4 ${f.filter((c) => c.type === 'SB_LUT4').length}, SB_CARRY ${f.filter((c) => c.type === 'SB_CARRY').length}, flip-flops ${f.filter((c) => isFF(c.type)).length}; packed: ${cells.filter((c) => c.type === 'ICESTORM_LC').length} ICESTORM_LC`);
}
rmSync(dir, { recursive: true, force: true });
