/**
 * The reference of the arithmetic unit co-simulations: the ISS itself, one instruction at a time (ra = r1,
 * b = r2, rd = r3 on one Machine), and the operands the tests draw.
 */
import type { Instr } from '../../../generator/ucore/isa.js';
import { Machine } from '../../../sim/ucore/iss.js';
import { Rng } from '../../../sim/rng.js';
import { dmemGroupsOf, romSlicesOf, sliceBits, sliceWords } from '../../../generator/ucore/rtl/core.js';

/** The machines, by the bits of a draw (LFSR width 32, 16 steps a draw). */
const machines = new Map<number, Machine>();
function machineFor(rbits: number): Machine {
  let m = machines.get(rbits);
  if (!m) {
    m = new Machine({ memWords: 16, lanes: 1, lfsr: { width: 32, rbits, leap: 16 }, quantities: 1 });
    machines.set(rbits, m);
  }
  return m;
}

/**
 * What the ISS leaves after `ins` (reading r1 = a, r2 = b, lane 0 in r4, writing r3): r3 and the counters it
 * added; `rbits`: the bits of a draw of the machine's LFSRs.
 */
export function iss(ins: Instr, a: bigint, b = 0n, rbits = 16): { rd: bigint; satHi: number; satLo: number } {
  const machine = machineFor(rbits);
  machine.regs[1] = a;
  machine.regs[2] = b;
  machine.regs[3] = 0n;
  machine.regs[4] = 0n;
  const hi = machine.sat[0];
  const lo = machine.sat[1];
  machine.run({ code: [ins, { op: 'halt' }], labels: new Map() });
  return { rd: machine.regs[3], satHi: machine.sat[0] - hi, satLo: machine.sat[1] - lo };
}

/** The ISS's LFSR lane 0 set to `state`; its next draw (the state is set again for the instruction). */
export function drawFrom(state: number, rbits = 16): number {
  const machine = machineFor(rbits);
  machine.lfsr[0] = state;
  const rho = machine.draw(0);
  machine.lfsr[0] = state;
  return rho;
}

/** A random two's-complement value of `bits` significant bits (0 … xlen), either sign, as an xlen-bit word. */
export function ofBits(rng: Rng, bits: number, xlen = 64): bigint {
  let v = 0n;
  for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(rng.int(0x10000));
  v &= (1n << BigInt(bits)) - 1n;
  if (bits > 0) v |= 1n << BigInt(bits - 1);
  return BigInt.asIntN(xlen, rng.int(2) ? -v : v);
}

/** Edge values of an xlen-bit word: 0, ±1, its bounds, powers of two and their neighbours. */
export function edge(rng: Rng, xlen = 64): bigint {
  const e = BigInt(rng.int(xlen));
  const X = BigInt(xlen);
  const pick = [0n, 1n, -1n, (1n << (X - 1n)) - 1n, -(1n << (X - 1n)), 1n << e, -(1n << e), (1n << e) - 1n, -(1n << e) + 1n, (1n << e) + 1n];
  return BigInt.asIntN(xlen, pick[rng.int(pick.length)]);
}

/** An operand: an edge value a fifth of the time, else a value of random size (up to xlen bits, often < 2^53). */
export function operand(rng: Rng, xlen = 64): bigint {
  if (rng.int(5) === 0) return edge(rng, xlen);
  return ofBits(rng, rng.int(3) === 0 ? rng.int(xlen + 1) : rng.int(Math.min(54, xlen + 1)), xlen);
}

/**
 * Inputs of a unit that takes its operands held (shift, saturation: the core holds them until it takes the
 * result): each value of `v` for `hold` cycles, then `hold` cycles of `idle`. Operation n's result is the output
 * of cycle (n + 1)·hold.
 */
export function held<T>(v: readonly T[], hold: number, idle: T): T[] {
  return [...v.flatMap((x) => Array<T>(hold).fill(x)), ...Array<T>(hold).fill(idle)];
}

/** The LFSR states of a verilated core's lanes 0 … lanes − 1, read through its dbg_lane / dbg_state ports. */
export async function coreLanes(m: import('../../../sim/verilator/model.js').Model, lanes: number): Promise<number[]> {
  const out: number[] = [];
  for (let q = 0; q < lanes; q++) {
    await m.poke('dbg_lane', q);
    await m.step();
    out.push(await m.peek('dbg_state'));
  }
  return out;
}

/**
 * Loads ROM words into a verilated core built for a ROM of `romWords` loaded later (every bit in its slices;
 * oneDeep: CoreConfig.romOneDeep as the core was built).
 */
export async function pokeRom(m: import('../../../sim/verilator/model.js').Model, rom: readonly bigint[], romWords: number, oneDeep: boolean): Promise<void> {
  if (rom.length > romWords) throw new Error(`${rom.length} ROM words for a ROM of ${romWords}`);
  for (const sl of romSlicesOf(rom, romWords, true, oneDeep)) await m.pokeMem(`ucore_core.${sl.name}`, 0, sliceWords(rom, romWords, sl.bits));
}

/** Writes block RAM data words (dmem index `at` …) into a verilated core of `ebrWords` data words, group by group, slice by slice. */
export async function pokeDmem(m: import('../../../sim/verilator/model.js').Model, ebrWords: number, at: number, words: readonly number[]): Promise<void> {
  for (const { g, from, to } of dmemSpans(ebrWords, at, words.length)) {
    const part = words.slice(from - at, to - at);
    for (const sl of g.slices) await m.pokeMem(`ucore_core.${sl.name}`, from - g.base, part.map((w) => sliceBits(w, sl)));
  }
}

/** Reads n block RAM data words (dmem index `at` …) of a verilated core of `ebrWords` data words, its groups' slices joined. */
export async function peekDmem(m: import('../../../sim/verilator/model.js').Model, ebrWords: number, at: number, n: number): Promise<number[]> {
  const words = new Array<number>(n).fill(0);
  for (const { g, from, to } of dmemSpans(ebrWords, at, n)) {
    for (const sl of g.slices) (await m.peekMem(`ucore_core.${sl.name}`, from - g.base, to - from)).forEach((v, i) => (words[from - at + i] |= Number(v) << sl.lo));
  }
  return words;
}

/** The groups of dmemGroupsOf(ebrWords) that words at … at + n − 1 reach, each with the part of them it holds (from … to − 1). */
function dmemSpans(ebrWords: number, at: number, n: number): { g: ReturnType<typeof dmemGroupsOf>[number]; from: number; to: number }[] {
  return dmemGroupsOf(ebrWords)
    .map((g) => ({ g, from: Math.max(at, g.base), to: Math.min(at + n, g.base + g.depth) }))
    .filter((s) => s.from < s.to);
}
