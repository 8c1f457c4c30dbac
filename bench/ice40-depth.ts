/**
 * Every slow path of a synthesised iCE40 netlist at once, by an estimate: nextpnr reports only the worst path of a
 * clock, so a design with many paths of about the same length (the UP5K engine's core) shows them one
 * place-and-route at a time. This reads Yosys's flat JSON (synth_ice40's output, as bench/ice40-unit-timing.ts
 * `keep` leaves it as top.json) and computes, for every register, block RAM, SPRAM and SB_MAC16 input, the latest
 * arrival under a fixed delay model calibrated on nextpnr-ice40 0.4's UP5K paths (a flip-flop's clock-to-out
 * 1.4 ns, a LUT 0.9 ns, a net 2.2 ns, a carry step 0.35 ns, a carry into the next LUT 1.2 ns, setup 0.8 ns; placement
 * makes a real net 1.7–6.5 ns). The endpoints later than the period are listed by register (its bits together),
 * each with its worst path as LUT levels and carry steps.
 *
 *   node bin/run-ts.js bench/ice40-unit-timing.ts ucore-scalar boards/icebreaker/chip.json 48 0 keep   (Yosys only: DIR)
 *   node bin/run-ts.js bench/ice40-depth.ts DIR/top.json [MHz=48] [N=60]
 *
 * It prints every late register or memory port (worst first: its estimate, LUT levels, carry steps, where the path
 * starts), then the first N paths in full. Calibration: the core at 430b7a5 routed (seed 1) at 26.4 ns; the
 * estimate of that path is 25.7 ns.
 */
import { readFileSync } from 'node:fs';

const [file, mhzArg = '48', topArg = '60'] = process.argv.slice(2);
if (!file) throw new Error('usage: ice40-depth.ts top.json [MHz] [N]');
const period = 1000 / Number(mhzArg);

interface Cell {
  type: string;
  port_directions: Record<string, 'input' | 'output'>;
  connections: Record<string, (number | string)[]>;
}
const json = JSON.parse(readFileSync(file, 'utf8')) as { modules: Record<string, { cells: Record<string, Cell>; netnames: Record<string, { bits: (number | string)[]; hide_name: number }> }> };
const top = Object.entries(json.modules).find(([, m]) => Object.keys(m.cells).length > 100);
if (!top) throw new Error(`${file}: no flat module with cells`);
const [, mod] = top;

const D = { clkQ: 1.4, ramQ: 2.5, spramQ: 3.0, macQ: 3.0, lut: 0.9, net: 2.2, carry: 0.35, carryToLut: 1.2, setup: 0.8, ramSetup: 0.5 };

/** the driver of every net bit: its cell and port */
const driver = new Map<number, { cell: string; port: string }>();
for (const [name, c] of Object.entries(mod.cells))
  for (const [port, dir] of Object.entries(c.port_directions)) if (dir === 'output') c.connections[port].forEach((b) => typeof b === 'number' && driver.set(b, { cell: name, port }));

const isFf = (t: string): boolean => t.startsWith('SB_DFF');
const arrival = new Map<number, number>();
const from = new Map<number, number | null>(); // the input bit the latest arrival came through
const visiting = new Set<number>();

/** arrival time at a net bit (the driver's output) */
function arr(bit: number | string): number {
  if (typeof bit !== 'number') return -Infinity;
  const known = arrival.get(bit);
  if (known !== undefined) return known;
  const d = driver.get(bit);
  let t = -Infinity;
  let via: number | null = null;
  if (!d) t = 0; // a module input
  else {
    const c = mod.cells[d.cell];
    if (isFf(c.type)) t = D.clkQ;
    else if (c.type.startsWith('SB_RAM40')) t = D.ramQ;
    else if (c.type === 'SB_SPRAM256KA') t = D.spramQ;
    else if (c.type === 'SB_MAC16') t = D.macQ;
    else if (visiting.has(bit)) throw new Error(`combinational loop at ${d.cell}`);
    else {
      visiting.add(bit);
      const through = (inBit: number | string, add: (drv: Cell | undefined) => number): void => {
        if (typeof inBit !== 'number') return;
        const x = arr(inBit);
        const dd = driver.get(inBit);
        const v = x + add(dd ? mod.cells[dd.cell] : undefined);
        if (v > t) {
          t = v;
          via = inBit;
        }
      };
      if (c.type === 'SB_LUT4') {
        for (const p of ['I0', 'I1', 'I2', 'I3']) through(c.connections[p][0], (drv) => (p === 'I3' && drv?.type === 'SB_CARRY' ? D.carryToLut : D.net) + D.lut);
      } else if (c.type === 'SB_CARRY') {
        through(c.connections.CI[0], (drv) => (drv?.type === 'SB_CARRY' ? D.carry : D.net + D.carry));
        for (const p of ['I0', 'I1']) through(c.connections[p][0], () => D.net + D.carry);
      } else {
        for (const [p, dir] of Object.entries(c.port_directions)) if (dir === 'input') for (const b of c.connections[p]) through(b, () => D.net);
      }
      visiting.delete(bit);
    }
  }
  arrival.set(bit, t);
  from.set(bit, via);
  return t;
}

/** a readable name for a net bit */
const names = new Map<number, string>();
for (const [n, info] of Object.entries(mod.netnames)) info.bits.forEach((b, i) => {
  if (typeof b !== 'number') return;
  const nice = `${n}${info.bits.length > 1 ? `[${i}]` : ''}`;
  const old = names.get(b);
  if (old === undefined || (info.hide_name === 0 && (old.startsWith('$') || nice.length < old.length))) names.set(b, nice);
});
const nameOf = (b: number): string => names.get(b) ?? `bit${b}`;

/** the path to a bit: its drivers back to a source */
function trace(bit: number): string[] {
  const out: string[] = [];
  let b: number | null = bit;
  while (b !== null && b !== undefined) {
    const d = driver.get(b);
    const t = mod.cells[d?.cell ?? '']?.type ?? 'input';
    out.push(`${arrival.get(b)!.toFixed(1).padStart(5)} ${t.replace('SB_', '').padEnd(8)} ${nameOf(b)}`);
    b = from.get(b) ?? null;
  }
  return out.reverse();
}

interface End {
  group: string;
  port: string;
  t: number;
  bit: number;
}
const ends: End[] = [];
const groupOf = (cell: string): string => cell.replace(/_SB_DFF\w*_Q(_\d+)?$/, '').replace(/\.\d+\.\d+$/, '');
for (const [name, c] of Object.entries(mod.cells)) {
  const ff = isFf(c.type);
  const ram = c.type.startsWith('SB_RAM40') || c.type === 'SB_SPRAM256KA' || c.type === 'SB_MAC16';
  if (!ff && !ram) continue;
  for (const [p, dir] of Object.entries(c.port_directions)) {
    if (dir !== 'input' || p === 'C' || p.endsWith('CLK') || p === 'CLOCK') continue;
    for (const b of c.connections[p]) {
      if (typeof b !== 'number') continue;
      const x = arr(b);
      if (x === -Infinity) continue;
      const drv = driver.get(b);
      const packed = ff && p === 'D' && drv !== undefined && mod.cells[drv.cell].type === 'SB_LUT4';
      const t = packed ? x - D.lut + D.setup : x + D.net + (ram ? D.ramSetup : D.setup);
      ends.push({ group: groupOf(name), port: p, t, bit: b });
    }
  }
}
const worst = new Map<string, End & { n: number }>();
for (const e of ends) {
  if (e.t <= period) continue;
  const w = worst.get(e.group);
  if (!w || e.t > w.t) worst.set(e.group, { ...e, n: (w?.n ?? 0) + 1 });
  else w.n++;
}
const list = [...worst.values()].sort((a, b) => b.t - a.t);
console.log(`${file}: ${ends.length} endpoints, ${ends.filter((e) => e.t > period).length} later than ${period.toFixed(1)} ns (${mhzArg} MHz) in ${list.length} registers and memories; worst ${Math.max(...ends.map((e) => e.t)).toFixed(1)} ns`);
const n = Number(topArg);
for (const e of list) {
  const path = trace(e.bit);
  const luts = path.filter((l) => l.includes(' LUT4 ')).length;
  const carries = path.filter((l) => l.includes(' CARRY ')).length;
  console.log(`${e.t.toFixed(1).padStart(5)} ns  ${e.group}.${e.port} (${e.n} late): ${luts} LUT${carries ? ` + ${carries} carry` : ''} from ${path[0].slice(15)}`);
}
for (const e of list.slice(0, n)) {
  console.log(`\n${e.t.toFixed(1)} ns  ${e.group}.${e.port}`);
  console.log(trace(e.bit).filter((l) => !l.includes(' CARRY ')).map((l) => `    ${l}`).join('\n'));
}
