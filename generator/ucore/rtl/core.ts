/**
 * The UP5K engine's core in RTL (module `ucore_core`): fetches the 32-bit words of the program ROM
 * (generator/ucore/encode.ts: the format), reads its operands from a register file in block RAM and executes
 * them one at a time, the 64-bit values in two 32-bit halves (a 64-bit carry chain alone takes longer than a
 * 48 MHz cycle on the iCE40 UP5K). The instruction-set simulator sim/ucore/iss.ts is its specification: the
 * co-simulation (test/ucore/rtl/core.test.ts) runs programs on both and compares every register, every data
 * word, every saturation counter, every LFSR lane and the cycle count (the ISS with this core's timing,
 * `coreCycles`).
 *
 * THIS CORE EXECUTES the integer and control instructions itself; mul and mulr on the multiply unit (mul.ts), shl,
 * shr and srnd on the shift unit (shift.ts), sat, satr and lone on the saturation unit (sat.ts), draw, lfsrset,
 * lfsrget and srnd's draw on the LFSR bank (lfsr.ts), vdot, vdist and vupd on the vector unit (vector.ts), recv
 * and send on its I/O ports. An opcode that no instruction has, a call with the return stack full, a ret with it empty and a data access outside the memories (or running from SPRAM into block RAM: a layout
 * never places a value across) stop the core with `fault` set; so do a vector instruction whose addresses or n
 * exceed the unit's 17 / 16 bits, vupd's x beyond 32 bits or w above 16, and a vector read outside the memories
 * (at the instruction's end). A clamp of sat or satr adds 1 to its 32-bit counter in block RAM (`satBase` + 4q for
 * the high count, + 4q + 2 for the low one); vupd adds its clamps to the pair after its run.
 *
 * PORTS
 *   clk, rst         rst (synchronous, active high) stops the core and clears fault; the data memories are not
 *                    written while it is high
 *   start, entry     a cycle with start high (while not busy) begins execution at instruction `entry`
 *   busy             high from the cycle after start until the cycle after halt (or a fault)
 *   fault            set when the core stopped on a fault (kept until the next start)
 *   cycles           cycles of the last (or current) run: the cycles busy was high
 *   dbg_lane, dbg_state  dbg_state holds the state of LFSR lane dbg_lane of the cycle before (while idle; the
 *                    bank's read port, which lfsrget takes in its UNIT cycle)
 *   rx_valid, rx_data[8], rx_ready   recv's bytes (a FIFO's output; rx_ready: a recv waits, taking a byte in a
 *                    cycle with rx_valid high)
 *   rx_idle          high: the line has been idle (the board's timer); a recv waiting on no byte then gets 256
 *   tx_valid, tx_data[8], tx_ready   send's bytes (to the transmitter: taken in a cycle with both high)
 *   io_wait          high in the cycles a recv or send is at the line (IO): rx_ready or tx_valid
 *
 * STATE (memories readable by name in co-simulation)
 *   rom0 … the program ROM (block RAM, 32 bits, in slices of its bits: romSlicesOf; bits the same in every word
 *          are constants): the instruction words at 0 …, then the constant pool, entry i
 *          as two words (low, high) at poolBase + 2i; poolBase is the first multiple of 2^(b + 1) at or after the
 *          instructions (b = ⌈log2 entries⌉, at least 1: the index's bits), so a pool word's address is poolBase with the index's bits in its low bits
 *          (no adder between the instruction word and the ROM's address); then the descriptor table of vdot and
 *          vupd, one word each at descBase | index (descBaseOf: past the pool's index range, aligned to its own)
 *   rf     the register file, twice (rfa, rfb: one read port each, every write to both): 64 × 32 bits in block
 *          RAM, register r's low half at 2r and its high half at 2r + 1. r0 is 0 in the RAM: its words start 0
 *          and are never written (a program loaded from outside keeps them 0).
 *   dmem0_0 … the block RAM data words (addresses EBR_BASE …; initial contents `data`) in groups of blocks, each in
 *          slices of the words' bits one block deep (dmemGroupsOf; dmem alone above 2048 words)
 *   spram  the SPRAM words (addresses 0 … spramWords − 1; style huge: SB_SPRAM256KA, one port)
 *   rstack0_q …      the return stack (registers, RETURN_STACK of them)
 *
 * SEQUENCE (states; `coreCycles` counts them). Every state's logic starts at registers and ends at registers:
 * the operands of a half are registered before the adder, and a register-file write is registered first and lands
 * a cycle later. A 32-bit carry chain ends about 16.5 ns after its registers on the UP5K (48 MHz: 20.8 ns), so the
 * adder's sum is registered straight from the chain (sum_q) and whatever depends on it (the register write's
 * data, a branch's sign, max/min/slt's choice) takes it from there.
 *   FETCH   the ROM reads the word at pc (skipped when the last state of the instruction before read it: EXHI of
 *           li/add/sub/and/or/xor, WHI, STORE's last cycle; their register writes land after the next DECODE's reads)
 *   DECODE  the word is decoded into registers; the register file reads the low halves of ra and of the second
 *           register (rb at [27:23], st's rs at [15:11]: opcode bit 5 chooses); a pool operand's low word is read
 *           from the ROM (its index's low bits at [29:23] in every format: no choice between the word and the ROM)
 *   OPLO    the low operands are formed (register, short immediate, block RAM address, pool word); the high halves
 *           and a pool operand's high word are read. b, call, ret and halt end here.
 *   EXLO    the low halves computed (add/sub keep their carry); the high operands formed; pc counts up
 *   EXHI    the high halves computed: the result; a branch's decision registered for both signs of the high
 *           difference (64-bit comparisons from the high halves and the low half's borrow), which sum_q's bit 31
 *           chooses in the next FETCH, which takes the target
 *   ACHK    st: the data address checked (its high half 0, its n words in one memory); ld checks it in its first
 *           LOAD cycle (a read is harmless)
 *   SELHI, SELLO  max, min, slt: the result's halves, chosen by EXHI's high difference (sum_q holds it: the
 *           adder's operands are held)
 *   LOAD    n words read, one a cycle (n + 1 cycles: the last lands a cycle later), each into its 16-bit chunk;
 *           WLO and WHI write the value's halves, ld's sign extended past its n words on the way (the chunks
 *           past n are not written: the last word's sign replaces them where the value is read)
 *   STORE   n words written, one a cycle
 *   UNIT    a unit's operation starts on the 64-bit operands, which stay in their registers until the result is
 *           taken (the multiply and shift units' start; the saturation unit works on what it is given); a draw or
 *           lfsrset goes to the LFSR bank (a draw in EXHI without the vector unit: the bank's ρ two cycles after its
 *           request, lfsrLatency), lfsrget's lane to its read port; each unit's result is 0 unless its
 *           instruction runs, so one OR takes it
 *   RHO     the draw: draw's result, or srnd's ρ for the shift unit (started in UNIT; it needs ρ later); lfsrget:
 *           the lane's state
 *   IO      recv: until rx_valid (the byte, popped) or rx_idle (256), then WLO, WHI; send: tx_valid until tx_ready
 *           (pc counted up in OPLO: the line's handshake is not on pc's path)
 *   VDESC, VREG, VACC  a vector instruction's operands (OPLO took A / W and Bv / H and read its descriptor): the
 *           descriptor taken, n, then the strides or vupd's lane0, each read a cycle before at an address held in
 *           a register; pc counts up
 *   VGO     the vector unit starts, rd's two halves (vdot's acc, vupd's x) read from both register-file copies
 *   VWAIT   until the unit's done: its memory requests granted here (vupd's write first; a read unless that write
 *           takes its SPRAM; two reads of one memory by turns); then vdot, vdist: WLO, WHI write the result; vupd:
 *           its counter pair read (LOAD, 4 words), the clamps counted added (VCNT) and written (STORE)
 *   UWAIT   until the unit's result: the shift unit's and saturation unit's latency, the multiply unit's done;
 *           a clamp then reads its counter (LOAD), increments it (CINC) and writes it (STORE) before WLO, WHI
 * So: b, call, ret, halt 3 cycles; li, add … xor 4; branches, dbnz 5; max, min, slt 7; ld of n words n + 7;
 * st of n words n + 5; shl, shr, srnd 19; sat, satr, lone 11 (+ 6 with a clamp); draw, lfsrget 8; lfsrset 6; mul and
 * mulr 7 + the multiply unit's cycles; recv 5 and send 4, each cycle waiting for the line more; vdot and vdist 8,
 * vupd 16, + the unit's run (vectorRunCycles: from where the operands lie).
 */
import { cat, constant, HdlError, ModuleBuilder, mux, select, sint, uint, type Expr, type InstanceHandle, type Module, type ProcScope, type Signal } from '../../ir/index.js';
import { EBR_BASE, encode, OPCODES, type Image } from '../encode.js';
import type { Instr } from '../isa.js';
import { NUM_REGS, RETURN_STACK } from '../isa.js';
import type { StepProgram } from '../program/step.js';
import { allOnes, sumCarry } from './common.js';
import { mulCycles, mulUnit } from './mul.js';
import { SAT_LATENCY, satUnit } from './sat.js';
import { SHIFT_LATENCY, shiftUnit } from './shift.js';
import { lfsrBankOf, lfsrLatency, ucoreLfsr, type LfsrStorage } from './lfsr.js';
import { VECTOR_EMPTY, vectorUnit, type VectorOp } from './vector.js';

export interface CoreConfig {
  /** the program image (encode.ts): instruction words, pool and descriptors, all in the ROM */
  image: Image;
  /** block RAM data words (addresses EBR_BASE …) and their initial contents (shorter: the rest 0) */
  ebrWords: number;
  data?: readonly number[];
  /** SPRAM words (0 … 65536; addresses 0 …) */
  spramWords: number;
  /** where the saturation counters are (block RAM: 4 words a quantity, its high then its low counter, 32 bits each) */
  satBase: number;
  /** the machine's LFSR lanes and their Galois LFSRs (MachineConfig: lanes, lfsr width, rbits, leap) */
  machine: { lanes: number; lfsr: { width: number; rbits: number; leap: number } };
  /**
   * where the LFSR bank keeps its states (lfsr.ts): default registers (the iCEBreaker's engine takes all 30 of the
   * UP5K's block RAMs already); block RAM saves 67 LUT4 and 124 flip-flops for 2 EBR
   */
  lfsrStorage?: LfsrStorage;
  /**
   * false: no vector unit (vdot, vdist and vupd fault like any unknown opcode; the program emits them as scalar
   * loops, AsmOptions.vector) — the core that fits the UP5K today; default true
   */
  vector?: boolean;
  /**
   * the ROM in slices one block deep (romSlicesOf): no multiplexer after its word, which starts the decode and
   * DECODE's pool address (the critical path otherwise), for up to 2 blocks more; default without the vector unit
   * (the board with it has no block RAM to spare)
   */
  romOneDeep?: boolean;
  /**
   * The ROM's layout for programs loaded later (a co-simulation): its size and the first pool word (default:
   * the image's, the pool right after the instructions)
   */
  romWords?: number;
  poolBase?: number;
  /** the first descriptor word (default: the image's, descBaseOf; with romWords and poolBase given: romWords, none) */
  descBase?: number;
}

const VECTOR_OPS: ReadonlySet<Instr['op']> = new Set(['vdot', 'vdist', 'vupd']);

/**
 * A core without its vector unit: the unit's outputs as constant 0 (never busy, never done, no memory request),
 * its inputs unused, so that the gathers and the unit's ports are optimised away.
 */
function vectorTieOff(m: ModuleBuilder, unit: Module, inputs: Record<string, Expr>): Pick<InstanceHandle, 'out' | 'bind'> {
  m.unused(...Object.values(inputs));
  const outs = new Map<string, Signal>();
  return {
    out: (port) => {
      let w = outs.get(port);
      if (w === undefined) {
        const p = unit.ports.find((q) => q.name === port && q.kind === 'output');
        if (p === undefined) throw new HdlError(`ucore core: the vector unit has no output ${port}`);
        w = m.wire(`u_vector_${port}`, constant(0, p.type));
        outs.set(port, w);
      }
      return w;
    },
    bind: (_port, value) => {
      if (typeof value !== 'number' && typeof value !== 'bigint') m.unused(value as Expr);
    },
  };
}

/**
 * Cycles this core takes for an instruction (the ISS's timing in the co-simulation: isa.ts MachineConfig.timing).
 * A vector instruction's depend on where its operands lie: `regs`, the registers as it found them (CoreTiming).
 */
export function coreCycles(ins: Instr, elements: number, operands?: readonly [bigint, bigint], regs?: readonly bigint[]): number {
  switch (ins.op) {
    case 'vdot':
    case 'vdist':
    case 'vupd': {
      if (!regs) throw new HdlError(`ucore core: the cycles of ${ins.op} depend on where its operands lie (the registers before it)`);
      const [a, b] = ins.op === 'vupd' ? [ins.w, ins.h] : [ins.a, ins.bv];
      const inEbr = (r: number): boolean => r !== 0 && regs[r] >= BigInt(EBR_BASE);
      // the gathers and the unit's start (6), then rd written (2) or vupd's counters read, added and written (10)
      return (ins.op === 'vupd' ? 16 : 8) + vectorRunCycles(ins.op, elements, inEbr(a), inEbr(b));
    }
    case 'mul':
    case 'mulr': {
      if (!operands) throw new HdlError(`ucore core: the cycles of ${ins.op} depend on its factors`);
      return 7 + mulCycles(operands[0], operands[1], ins.op === 'mulr' ? ins.k : 0);
    }
    case 'shl':
    case 'shr':
    case 'srnd': // its draw made while the shift unit steps
      return 7 + SHIFT_LATENCY;
    case 'sat':
    case 'satr':
      // a clamp's counter: read (3), incremented (1), written (2)
      return 7 + SAT_LATENCY + 6 * elements;
    case 'lone':
      return 7 + SAT_LATENCY;
    case 'lfsrset':
      return 6;
    case 'draw':
    case 'lfsrget': // the state read where draw's ρ is (UNIT, RHO)
      return 8;
    case 'b':
    case 'call':
    case 'ret':
    case 'halt':
      return 3;
    case 'recv':
    case 'send':
      return ioCycles(ins.op);
    case 'max':
    case 'min':
    case 'slt':
      return 7;
    case 'ld':
      return ins.n + 7;
    case 'st':
      return ins.n + 5;
    case 'li':
    case 'add':
    case 'sub':
    case 'and':
    case 'or':
    case 'xor':
      return 4;
    default:
      return 5;
  }
}

/** Cycles the unit takes for one element to reach its result after the element is taken (vector.ts: P0 … P4 and
 * the sum; vupd: … P10 and its write) and from the last one's to done. */
const VECTOR_TAIL: Record<VectorOp, number> = { vdot: 10, vdist: 10, vupd: 16 };

/**
 * Cycles of the vector unit's run (the start cycle to the done cycle) on this core's memories: a cycle model of the
 * unit's read ports (vector.ts: a request while fewer than four of the port's words are granted and not taken, the
 * word the cycle after its grant, an element taken the cycle after both ports hold a word) and of the core's
 * grants (vupd's write, 12 cycles after its element is taken, first in SPRAM; two reads of one memory by turns, A
 * first). aEbr / bEbr: A (vupd: W and its writes) and Bv (vupd: H) in block RAM, else SPRAM. Without contention it
 * is vectorCycles (one element a cycle).
 */
export function vectorRunCycles(op: VectorOp, n: number, aEbr: boolean, bEbr: boolean): number {
  if (n === 0) return VECTOR_EMPTY;
  const port = () => ({ left: n, used: 0, count: 0, ready: false, rvalid: false });
  const A = port();
  const B = port();
  const writeAfter = 12;
  // popped[t]: an element taken in cycle t (its write in t + 12)
  const popped: boolean[] = [];
  let taken = 0;
  let last = 0;
  let preferB = false;
  for (let t = 2; taken < n; t++) {
    const aReq = A.left > 0 && A.used < 4;
    const bReq = B.left > 0 && B.used < 4;
    const wSp = op === 'vupd' && !aEbr && popped[t - writeAfter] === true;
    const both = aReq && bReq && aEbr === bEbr;
    const aGnt: boolean = aReq && !(wSp && !aEbr) && !(both && preferB);
    const bGnt: boolean = bReq && !(wSp && !bEbr) && !(both && !preferB);
    const pop = A.ready && B.ready;
    popped[t] = pop;
    if (pop) {
      taken++;
      last = t;
    }
    for (const [P, gnt] of [[A, aGnt], [B, bGnt]] as const) {
      P.used += (gnt ? 1 : 0) - (pop ? 1 : 0);
      P.count += (P.rvalid ? 1 : 0) - (pop ? 1 : 0);
      P.ready = P.count !== 0;
      P.rvalid = gnt;
      if (gnt) P.left--;
    }
    if (aGnt !== bGnt) preferB = aGnt;
  }
  return last + VECTOR_TAIL[op];
}

/**
 * The ISS's timing for this core (MachineConfig.timing): coreCycles with the registers each instruction found (the
 * ISS calls timing after an instruction ran, so the registers are kept from the call before). `attach` the
 * machine before its first run, and again after setting its registers from outside.
 */
export class CoreTiming {
  private regs: readonly bigint[] = [];
  private readonly before: bigint[] = [];

  attach(machine: { readonly regs: readonly bigint[] }): void {
    this.regs = machine.regs;
    this.before.length = 0;
    this.before.push(...machine.regs);
  }

  readonly timing = (ins: Instr, elements: number, operands?: readonly [bigint, bigint]): number => {
    const c = coreCycles(ins, elements, operands, this.before);
    for (let i = 0; i < this.regs.length; i++) this.before[i] = this.regs[i];
    return c;
  };
}

/** The opcodes this core executes. */
export const CORE_OPS: ReadonlySet<Instr['op']> = new Set(['li', 'add', 'sub', 'and', 'or', 'xor', 'mul', 'mulr', 'shl', 'shr', 'srnd', 'sat', 'satr', 'lone', 'draw', 'lfsrset', 'lfsrget', 'max', 'min', 'slt', 'b', 'beq', 'bne', 'blt', 'bge', 'dbnz', 'call', 'ret', 'ld', 'st', 'halt', 'recv', 'send', 'vdot', 'vdist', 'vupd']);

/**
 * Cycles of recv and send without their waiting: DECODE, OPLO, IO (one cycle when the byte or the room is there;
 * each cycle more is waiting), then recv's WLO and WHI (which fetches the next word), send's FETCH of the next.
 */
function ioCycles(op: 'recv' | 'send'): number {
  return op === 'recv' ? 5 : 4;
}

const code = (op: Instr['op']): number => {
  const s = OPCODES.find((o) => o.op === op);
  if (!s) throw new HdlError(`ucore core: no opcode for ${op}`);
  return s.code;
};

/** Where the pool of an image with `words` instructions and `entries` pool entries starts: aligned (header). */
export function poolBaseOf(words: number, entries: number): number {
  const align = poolAlign(entries);
  return Math.ceil(words / align) * align;
}

/** Bits of a pool index into `entries` entries (at least 1). */
const poolIndexBits = (entries: number): number => Math.max(1, Math.ceil(Math.log2(Math.max(2, entries))));

/** The alignment of the pool's base: 2^(index bits + 1), so that base | 2·index is the entry's first word. */
const poolAlign = (entries: number): number => 2 ** (poolIndexBits(entries) + 1);

/**
 * Where the descriptor table starts: past the pool's whole index range (poolBase + 2^(b + 1)), aligned to its own
 * index range, so a descriptor's address is descBase with the index in its low bits.
 */
export function descBaseOf(poolBase: number, poolEntries: number, descriptors: number): number {
  const align = 2 ** poolIndexBits(descriptors);
  return Math.ceil((poolBase + poolAlign(poolEntries)) / align) * align;
}

/**
 * The ROM contents of an image: the instruction words, then from poolBase each pool entry as its low and high
 * words, then from descBase the descriptors (one word each; none: the ROM ends with the pool).
 */
export function romImage(image: Image, poolBase = poolBaseOf(image.words.length, image.pool.length), descBase = descBaseOf(poolBase, image.pool.length, image.descriptors.length)): bigint[] {
  if (poolBase < image.words.length) throw new HdlError(`ucore core: the pool at ${poolBase} overlaps the ${image.words.length} instruction words`);
  if (poolBase % poolAlign(image.pool.length) !== 0) throw new HdlError(`ucore core: the pool's base ${poolBase} is not a multiple of ${poolAlign(image.pool.length)} (twice the ${image.pool.length} entries' index range)`);
  const words = Array.from({ length: poolBase }, (_, i) => BigInt(image.words[i] ?? 0));
  for (const v of image.pool) {
    const u = BigInt.asUintN(64, v);
    words.push(u & 0xffffffffn, u >> 32n);
  }
  if (image.descriptors.length === 0) return words;
  if (descBase < words.length) throw new HdlError(`ucore core: the descriptors at ${descBase} overlap the pool (up to ${words.length - 1})`);
  if (descBase % 2 ** poolIndexBits(image.descriptors.length) !== 0) throw new HdlError(`ucore core: the descriptors' base ${descBase} is not a multiple of their index range`);
  while (words.length < descBase) words.push(0n);
  for (const d of image.descriptors) words.push(BigInt(d));
  return words;
}

/**
 * The program ROM's slices: its bit positions that differ between words (all 32 for a ROM loaded later, `all`);
 * `oneDeep`: in groups of the bits one SB_RAM40_4K holds at the ROM's depth (256 × 16, 512 × 8, 1024 × 4,
 * 2048 × 2), so that each slice is one block deep and its word needs no multiplexer (above 2,048 words, 2 bits a
 * slice); else one slice (Yosys picks the blocks: the fewest, with a multiplexer of blocks after them).
 */
export function romSlicesOf(rom: readonly bigint[], romWords: number, all: boolean, oneDeep: boolean): { name: string; bits: number[] }[] {
  const per = !oneDeep ? 32 : romWords <= 256 ? 16 : romWords <= 512 ? 8 : romWords <= 1024 ? 4 : 2;
  const word = (i: number): bigint => rom[i] ?? 0n;
  const varies = (b: number): boolean => all || Array.from({ length: romWords }, (_, i) => (word(i) >> BigInt(b)) & 1n).some((v, _, a) => v !== a[0]);
  const bits = Array.from({ length: 32 }, (_, b) => b).filter(varies);
  return Array.from({ length: Math.ceil(bits.length / per) }, (_, k) => ({ name: `rom${k}`, bits: bits.slice(k * per, (k + 1) * per) }));
}

/**
 * The block RAM data words as blocks read with no multiplexer after them: the words in groups of 1, 2, 4 or 8
 * blocks (the block count ⌈words / 256⌉ as a sum of powers of two, largest first: 1,459 words, 6 blocks, are 1,024
 * words in 4 and 512 in 2), each group in slices of the word's bits one block deep (a block holds 256 × 16,
 * 512 × 8, 1024 × 4 or 2048 × 2), dmem<g>_<k> holding bits lo … hi of the words base … base + depth − 1. A word is
 * read from every group and chosen by its group (one LUT level for two groups) where a memory several blocks deep
 * is read through a multiplexer of its blocks by the address (three LUT levels for six), before the one with the
 * SPRAM and the chunk it lands in: that was the board's slowest path at 48 MHz. Above 2048 words: one memory, dmem.
 */
export function dmemGroupsOf(ebrWords: number): { base: number; depth: number; slices: { name: string; lo: number; hi: number }[] }[] {
  const blocks = Math.ceil(ebrWords / 256);
  if (blocks > 8) return [{ base: 0, depth: ebrWords, slices: [{ name: 'dmem', lo: 0, hi: 15 }] }];
  const groups: { base: number; depth: number; slices: { name: string; lo: number; hi: number }[] }[] = [];
  let base = 0;
  for (const b of [8, 4, 2, 1].filter((b) => blocks & b)) {
    const g = groups.length;
    const per = 16 / b;
    groups.push({ base, depth: Math.min(256 * b, ebrWords - base), slices: Array.from({ length: b }, (_, k) => ({ name: `dmem${g}_${k}`, lo: k * per, hi: k * per + per - 1 })) });
    base += 256 * b;
  }
  return groups;
}

/** Bits lo … hi of a data word, as the slice of dmemGroupsOf holding them stores them. */
export const sliceBits = (word: number, sl: { lo: number; hi: number }): number => (word >> sl.lo) & ((1 << (sl.hi - sl.lo + 1)) - 1);

/** The words of a ROM slice: bit i of word j is bit bits[i] of the ROM's word j. */
export function sliceWords(rom: readonly bigint[], romWords: number, bits: readonly number[]): bigint[] {
  return Array.from({ length: romWords }, (_, j) => bits.reduce((w, b, i) => w | ((((rom[j] ?? 0n) >> BigInt(b)) & 1n) << BigInt(i)), 0n));
}

/** One of several values by conditions that exclude each other (0 when none holds): an OR of ANDs, not a chain of multiplexers. */
const pick = (...terms: [Expr, Expr][]): Expr => terms.map(([on, x]) => on.repeat(x.width).and(x)).reduce((x, y) => x.or(y));

/**
 * x's bits ANDed in pairs (bit i: bits 2i and 2i + 1), for allOnes (common.ts): one LUT of two compared bit pairs
 * each. A wide equality as a tree of LUTs is 3 levels for 32 bit pairs, which the mapping relaxes to the deepest
 * cone's 5; as bits of one LUT each and a carry chain it is one LUT level and the chain's steps, fixed.
 */
const pairs = (x: Expr): Expr => cat(...Array.from({ length: x.width / 2 }, (_, i) => x.bit(x.width - 2 * i - 1).and(x.bit(x.width - 2 * i - 2))));

/** x zero-extended or truncated to w bits. */
const fitTo = (x: Expr, w: number): Expr => (x.width >= w ? x.trunc(w) : x.zext(w));

/**
 * x ≤ c for an unsigned x and a constant c, as logic: Yosys maps every ordered compare to a carry chain (11 ns for
 * 16 bits on the UP5K), where a compare with a constant is a tree of a few LUT levels: x > c where its high half is
 * greater, or equal and its low half greater.
 */
function leConst(x: Expr, c: number): Expr {
  if (c >= 2 ** x.width - 1) return constant(1, uint(1));
  if (c < 0) return constant(0, uint(1));
  const field = (hi: number, lo: number): number => Math.floor(c / 2 ** lo) % 2 ** (hi - lo + 1);
  const gt = (hi: number, lo: number): Expr => {
    if (hi === lo) return field(hi, lo) === 1 ? constant(0, uint(1)) : x.bit(lo);
    const mid = Math.floor((hi + lo + 1) / 2);
    return gt(hi, mid).or(x.slice(hi, mid).eq(field(hi, mid)).and(gt(mid - 1, lo)));
  };
  return gt(x.width - 1, 0).not();
}

const bitsFor = (depth: number): number => Math.max(1, Math.ceil(Math.log2(depth)));

export function ucoreCore(cfg: CoreConfig): Module {
  const { image, ebrWords, spramWords, satBase } = cfg;
  if (!Number.isInteger(satBase) || satBase < EBR_BASE || satBase + 4 * 32 > EBR_BASE + ebrWords) throw new HdlError(`ucore core: the counters at ${satBase} (128 words) are not in block RAM (${EBR_BASE} … ${EBR_BASE + ebrWords - 1})`);
  if (!Number.isInteger(spramWords) || spramWords < 0 || spramWords > EBR_BASE) throw new HdlError(`ucore core: spramWords ${spramWords} not in 0 … ${EBR_BASE}`);
  if (!Number.isInteger(ebrWords) || ebrWords < 2) throw new HdlError(`ucore core: ebrWords ${ebrWords} must be ≥ 2`);
  const poolBase = cfg.poolBase ?? poolBaseOf(image.words.length, image.pool.length);
  const descBase = cfg.descBase ?? (cfg.romWords !== undefined && cfg.poolBase !== undefined ? cfg.romWords : descBaseOf(poolBase, image.pool.length, image.descriptors.length));
  const rom = romImage(image, poolBase, descBase);
  const romWords = Math.max(2, rom.length, cfg.romWords ?? 0);
  const withVector = cfg.vector ?? true;
  if (romWords > 4096) throw new HdlError(`ucore core: ${romWords} ROM words; branch targets reach 4,096`);
  const m = new ModuleBuilder('ucore_core', {
    romWords,
    poolBase,
    descBase,
    ebrWords,
    spramWords,
    rom: rom.map(String).join(','),
    data: (cfg.data ?? []).join(','),
  });
  const { rst } = m.clock();
  const start = m.input('start', uint(1));
  const entry = m.input('entry', uint(12));

  // the state, one-hot: a flag register for each state but IDLE (not busy), and flags of groups of states, each 1
  // exactly while the state is in its group; every flag's next value is gathered from the state machine's arcs into
  // its states (`fsm`), so the ROM's address, the decode registers' enable and the exits take flip-flops, not compares
  const STATES = ['IDLE', 'FETCH', 'DECODE', 'OPLO', 'EXLO', 'EXHI', 'ACHK', 'SELHI', 'SELLO', 'UNIT', 'RHO', 'UWAIT', 'CINC', 'LOAD', 'WLO', 'WHI', 'STORE', 'IO', 'VDESC', 'VREG', 'VACC', 'VGO', 'VWAIT', 'VCNT'] as const;
  type Next = (typeof STATES)[number];
  type State = Exclude<Next, 'IDLE'>;
  const VSTATES: ReadonlySet<Next> = new Set(['VDESC', 'VREG', 'VACC', 'VGO', 'VWAIT', 'VCNT']);
  const flags: { q: Signal; has: (s: Next) => Expr | number }[] = [];
  const flag = (name: string, has: (s: Next) => Expr | number): Signal => {
    const q = m.reg(`st_${name}_q`, uint(1), { reset: 0 });
    flags.push({ q, has });
    return q;
  };
  const single = new Map<Next, Signal>(STATES.filter((x) => x !== 'IDLE' && (withVector || !VSTATES.has(x))).map((x) => [x, flag(x.toLowerCase(), (s) => (s === x ? 1 : 0))]));
  const at = (s: State): Expr => {
    const q = single.get(s);
    if (q === undefined) throw new HdlError(`ucore core: no flag of state ${s} without the vector unit`);
    return q;
  };
  // a vector instruction's states: never reached without the vector unit (OPLO never goes to VDESC, LOAD to VCNT only
  // after VWAIT), so 0 there
  const atV = (s: 'VDESC' | 'VREG' | 'VACC' | 'VGO' | 'VWAIT' | 'VCNT'): Expr => (withVector ? at(s) : constant(0, uint(1)));
  /** a flag of a group of states */
  const group = (name: string, states: readonly State[]): Signal => flag(name, (s) => (s !== 'IDLE' && states.includes(s) ? 1 : 0));
  const busyF = flag('busy', (s) => (s !== 'IDLE' ? 1 : 0));
  const pc = m.reg('pc_q', uint(12), { reset: 0 });
  const fault = m.reg('fault_q', uint(1), { reset: 0 });
  const cycles = m.reg('cycles_q', uint(32), { reset: null }); // (cleared by rst in cycle_count)
  const zero32 = constant(0, uint(32));
  const ones32 = constant(0xffffffff, uint(32));

  // ---- the ROM: instructions (FETCH), pool words (DECODE: low, OPLO: high)
  // in slices of the bits a block holds at the ROM's depth (romSlices), so that no multiplexer of blocks stands
  // after the ROM's word (it starts the decode and DECODE's pool address); bits the same in every word are constants
  const romAddr = m.wire('rom_addr', uint(12));
  const romEn = flag('rom_en', (s) => (['FETCH', 'DECODE', 'OPLO', 'EXLO', 'EXHI', 'WHI', 'STORE'].includes(s) ? 1 : 0));
  const romBit: Expr[] = Array.from({ length: 32 }, (_, b) => constant(Number((rom[0] ?? 0n) >> BigInt(b)) & 1, uint(1)));
  const romSlices = romSlicesOf(rom, romWords, cfg.romWords !== undefined, cfg.romOneDeep ?? !withVector);
  romSlices.forEach((sl, k) => {
    const mem = m.memory(`rom${k}`, { depth: romWords, type: uint(sl.bits.length), style: 'block', init: sliceWords(rom, romWords, sl.bits) });
    if (k === 0 && mem.addrType.width < 12) m.unused(romAddr.slice(11, mem.addrType.width)); // a ROM below 4,096 words
    const q = mem.readSync(`rom${k}_q`, romAddr.trunc(mem.addrType.width), { en: romEn });
    sl.bits.forEach((b, i) => (romBit[b] = q.bit(i)));
  });
  if (romSlices.length === 0) m.unused(romAddr, romEn);
  const romQ = m.wire('rom_q', cat(...romBit.reverse()));

  // ---- decode (from the ROM's word in DECODE into registers)
  const ir = romQ;
  const opc = ir.slice(5, 0);
  const isOp = (op: Instr['op']): Expr => opc.eq(code(op));
  const branchW = opc.slice(5, 2).eq(0x1c >> 2); // beq bne blt bge
  const shiftW = isOp('shl').or(isOp('shr'));
  const satrW = isOp('satr');
  const lfsrsetW = isOp('lfsrset');
  const stW = opc.slice(5, 2).eq(0x28 >> 2); // 0x28 … 0x2b
  const dec = (name: string, value: Expr): Expr => m.pipe(`${name}_q`, value, { reset: null, enable: at('DECODE') });
  const f = {
    alu: dec('is_alu', opc.slice(5, 4).eq(1).and(opc.slice(3, 0).le(4)).or(isOp('li'))), // add sub and or xor, li
    sel: dec('is_select', isOp('max').or(isOp('min')).or(isOp('slt'))),
    branch: dec('is_branch', branchW),
    dbnz: dec('is_dbnz', isOp('dbnz')),
    ld: dec('is_ld', opc.slice(5, 3).eq(4)), // 0x20 … 0x27
    st: dec('is_st', stW),
    call: dec('is_call', isOp('call')),
    ret: dec('is_ret', isOp('ret')),
    halt: dec('is_halt', isOp('halt')),
    // the units: multiply (mul, mulr), shift (shl, shr), saturation (sat, satr, lone)
    mul: dec('is_mul', isOp('mul').or(isOp('mulr'))),
    shift: dec('is_shift', shiftW),
    sat: dec('is_sat', isOp('sat').or(satrW).or(isOp('lone'))),
    satr: dec('is_satr', satrW),
    lone: dec('is_lone', isOp('lone')),
    // the LFSR bank: draw, lfsrset; srnd draws, then shifts
    draw: dec('is_draw', isOp('draw')),
    lfsrset: dec('is_lfsrset', lfsrsetW),
    srnd: dec('is_srnd', isOp('srnd')),
    // lfsrget: the lane's state from the bank's read port (UNIT: the lane, RHO: the state), written as draw's ρ
    lfsrget: dec('is_lfsrget', isOp('lfsrget')),
  };
  // and/or/xor/li (add … xor, li without add 0x10 and sub 0x11: opcode bit 4 clear, or bit 2 or bit 1 set), decoded in
  // OPLO from the opcode's bits registered in DECODE (first used in EXLO): not a cone of the ROM's word, whose output
  // comes late
  const opBits = dec('opcode_bits', cat(opc.bit(4), opc.slice(2, 1)));
  const isLogic = m.pipe('is_logic_q', f.alu.and(opBits.bit(2).not().or(opBits.slice(1, 0).ne(0))), { reset: null, enable: at('OPLO') });
  // the units' fixed operands: mulr's k; the shift operation (shl 0, shr 1 + mode); sat's w, signedness, counter
  const mulK = dec('mul_k', mux(isOp('mulr'), ir.slice(22, 16).asSigned().sext(8), constant(0, sint(8))));
  // (among srnd 0x09, shl 0x1a and shr 0x1b, the only instructions of the shift unit: srnd by bit 4, shl by bit 0)
  const shiftOp = dec('shift_op', mux(opc.bit(4).not(), constant(5, uint(3)), mux(opc.bit(0).not(), constant(0, uint(3)), ir.slice(17, 16).zext(3).addWrap(1))));
  const srndK = dec('srnd_k', ir.slice(21, 16));
  const satW = dec('sat_w', ir.slice(26, 21));
  const satSigned = dec('sat_signed', ir.bit(27));
  const satQ = dec('sat_counter', mux(satrW, cat(ir.slice(31, 30), ir.slice(22, 20)), ir.slice(20, 16)));
  // every opcode of CORE_OPS (the others fault)
  // (as a table of the opcode: a function of its low 4 bits for each value of its high 2, one LUT each, then a
  // choice by the high bits; not an OR of 50 compares, which the mapping shares with the other decodes into 5 levels)
  const opsOf = (ops: readonly Instr['op'][]): Set<number> => new Set(OPCODES.filter((o) => ops.includes(o.op)).map((o) => o.code));
  const opTable = (name: string, codes: ReadonlySet<number>): Expr => {
    const low = (high: number): Expr => select(opc.slice(3, 0), Array.from({ length: 16 }, (_, l) => constant(codes.has(16 * high + l) ? 1 : 0, uint(1))));
    return dec(name, select(opc.slice(5, 4), [0, 1, 2, 3].map(low)));
  };
  const coreOps = [...CORE_OPS].filter((op) => withVector || !VECTOR_OPS.has(op));
  const known = opTable('op_known', opsOf(coreOps));
  // the state machine's arcs out of OPLO and EXHI by the opcode, decoded the same way: on past OPLO to EXLO (every
  // known opcode but those that end in OPLO or go to IO or VDESC), from EXHI to UNIT (the units' instructions) or to
  // FETCH (the branches, dbnz)
  const oploEnds: readonly Instr['op'][] = ['halt', 'b', 'call', 'ret', 'recv', 'send', 'vdot', 'vdist', 'vupd'];
  const toExlo = opTable('oplo_to_exlo', opsOf(coreOps.filter((op) => !oploEnds.includes(op))));
  const toUnit = opTable('exhi_to_unit', opsOf(['mul', 'mulr', 'shl', 'shr', 'srnd', 'sat', 'satr', 'lone', 'draw', 'lfsrset', 'lfsrget']));
  const exhiToFetch = opTable('exhi_to_fetch', opsOf(['beq', 'bne', 'blt', 'bge', 'dbnz']));
  // the vector instructions (vector.ts): vdot 0x0d, vdist 0x0e, vupd 0x0f; the unit's op 0, 1, 2
  const vecW = opc.slice(5, 2).eq(0x0c >> 2).and(opc.slice(1, 0).ne(0));
  const vdec = {
    on: dec('is_vector', withVector ? vecW : constant(0, uint(1))),
    op: dec('vector_op', opc.slice(1, 0).subWrap(1)),
    upd: dec('is_vupd', isOp('vupd')),
    rc: dec('rc', ir.slice(20, 16)),
    f: dec('vdist_signed', ir.bit(21)), // x's bit 0
  };
  // sub, max, min, slt and the branches: a − b; dbnz a + (2^64 − 1); the rest a + b (the units' b uninverted)
  const usesDiff = dec('uses_difference', isOp('sub').or(isOp('max')).or(isOp('min')).or(isOp('slt')).or(branchW));
  const fn = dec('alu_fn', opc.slice(1, 0)); // and 2, or 3, xor 0 (0x12 … 0x14 by the low bits)
  const sel2 = dec('select_fn', opc.slice(1, 0)); // slt 0, max 2, min 3; beq 0, bne 1, blt 2, bge 3
  const nWords = dec('mem_words', opc.slice(1, 0).zext(3).addWrap(1)); // n − 1 in the opcode's low bits
  const nLe = [1, 2, 3].map((k) => dec(`mem_words_le${k}`, opc.slice(1, 0).lt(k))); // n ≤ k (the address check, ld's sign)
  const ldSigned = dec('ld_signed', opc.bit(2));
  const rdQ = dec('rd', ir.slice(15, 11));
  const raQf = dec('ra', ir.slice(10, 6));
  const target = dec('target', ir.slice(22, 11));
  // the operand field's value: O9's [29:23]; O16's the same low 7 bits and [22:16] above (encode.ts: OPERAND FIELDS).
  // Only the instructions with an operand field (li, add … slt, ld, st, mulr, the branches) and the shifts use it, so
  // a few opcode bits tell them apart: O9 (mulr, the branches) by bits 5, 3, 2 = 0, 1, 1; a shift (0x1a, 0x1b) by bits
  // 4 … 1 = 1, 1, 0, 1 (not a full decode of the ROM's word: fewer LUT levels to imm_low_q, ebr_low_q)
  const o9Op = opc.bit(5).not().and(opc.bit(3)).and(opc.bit(2));
  const shiftAmt = opc.slice(4, 1).eq(0b1101);
  // the second operand's mode: O9 / O16's mode bits; a shift's amount (immediate or register); satr's pool pair (told
  // from the others that need a mode by bits 5, 3 … 1 = 0, 1, 0, 1: sat 0x0a has no b, the shifts come first)
  const shiftMode = mux(ir.bit(22), constant(1, uint(2)), constant(0, uint(2)));
  const satrOp = opc.bit(5).not().and(opc.slice(3, 1).eq(0b101));
  const modeW = mux(shiftAmt, shiftMode, mux(satrOp, constant(3, uint(2)), ir.slice(31, 30)));
  const mode = [0, 1, 2, 3].map((k) => dec(`operand_mode${k}`, modeW.eq(k))); // one-hot
  const vLow = ir.slice(29, 23);
  const vIdx = cat(mux(o9Op, constant(0, uint(7)), ir.slice(22, 16)), vLow);
  // a short immediate: a shift's amount ([28:23]), O9's or O16's value sign-extended
  const immW = mux(shiftAmt, ir.slice(28, 23).zext(32), mux(o9Op, vLow.asSigned().sext(32), vIdx.asSigned().sext(32)).asUnsigned());
  // the second operand's constant: its low half a short immediate or a block RAM address, its high half (the
  // immediate's sign, a block RAM address's 0) registered in OPLO, so that b takes it in EXLO without a choice by mode
  const immLo = dec('imm_low', immW);
  const ebrLo = dec('ebr_low', vIdx.zext(32).addWrap(EBR_BASE));
  const constHiQ = m.pipe('b_const_high_q', mode[1].and(immLo.bit(31)), { reset: null, enable: at('OPLO') });
  // poolBase | 2·index (poolBase aligned past the largest index the ROM holds: header)
  // (a ROM loaded later: the entries up to the descriptors, or to the ROM's end)
  const entries = cfg.poolBase === undefined ? image.pool.length : Math.ceil((Math.min(descBase, romWords) - poolBase) / 2);
  const idxBits = poolIndexBits(entries);
  if (poolBase % poolAlign(entries) !== 0) throw new HdlError(`ucore core: the pool's base ${poolBase} is not a multiple of ${poolAlign(entries)} (the ROM holds ${entries} pool entries)`);
  // the pool index (the ROM's word → the ROM's address in DECODE: no decode on the way): its low 7 bits are [29:23]
  // in O9, O16 and satr's pair alike; above them O16's and the pair's bits ([19:16]), which an O9 index has not (o9Op;
  // satr 0x0b is not one) — a choice only for a pool of more than 128 entries. Only instructions with a pool operand
  // use the word read.
  const poolIdx = idxBits <= 7 ? vLow : cat(mux(o9Op, constant(0, uint(4)), ir.slice(19, 16)), vLow);
  const poolWord = constant(poolBase, uint(12)).or(poolIdx.trunc(Math.min(11, idxBits)).zext(12).shl(1).trunc(12));
  // descriptor x at descBase | x (descBase aligned past the largest index the ROM holds)
  const descBits = Math.min(6, poolIndexBits(romWords - descBase));
  if (romWords > descBase && descBase % 2 ** descBits !== 0) throw new HdlError(`ucore core: the descriptors' base ${descBase} is not a multiple of ${2 ** descBits} (the ROM holds ${romWords - descBase} descriptors)`);
  const descWord = (x: Expr): Expr => constant(descBase % 4096, uint(12)).or(x.trunc(descBits).zext(12));
  // the ROM's address after DECODE's pool read, one register stepping through the words read: OPLO reads the pool
  // operand's high word (poolWord | 1), EXLO and EXHI satr's upper bound, the next entry's two words (an adder, but
  // from the register). A vector instruction has no pool operand: OPLO reads its descriptor instead, descBase | x.
  const poolAddr = m.reg('pool_addr_q', uint(12), { reset: null });
  m.seq('pool_addr', ($) => {
    $.if(at('DECODE'), () => $.set(poolAddr, mux(vecW, descWord(cat(ir.slice(31, 28), ir.slice(22, 21))), poolWord.or(1)))).elseIf(at('OPLO').or(at('EXLO')), () => $.set(poolAddr, poolAddr.addWrap(1)));
  });
  // the adder's result, registered straight from the carry chain every cycle (the chain's LUTs pack with its
  // flip-flops): no LUT stands between the chain and a register; whatever depends on the result takes sum_q a cycle later
  const sumQ = m.reg('sum_q', uint(32), { reset: null });
  // a branch (a conditional one or dbnz) is taken at the next FETCH: in EXHI, from the comparison and the condition
  // chosen a cycle before (branch_cond_q, one-hot eq, ne, lt, ge; 0 except in EXHI of a branch or dbnz), its decision
  // is registered for both signs of the high difference (branch_take_*_q, 0 in every other cycle); in FETCH the sign,
  // sum_q's bit 31, chooses
  const condQ = m.reg('branch_cond_q', uint(4), { reset: 0 });
  const takeEqQ = m.reg('branch_take_eq_q', uint(1), { reset: 0 });
  const takeNegQ = m.reg('branch_take_if_neg_q', uint(1), { reset: 0 });
  const takePosQ = m.reg('branch_take_if_pos_q', uint(1), { reset: 0 });
  const takeQ = m.wire('branch_taken', takeEqQ.or(mux(sumQ.bit(31), takeNegQ, takePosQ)));
  const fetchAt = m.wire('fetch_addr', mux(takeQ, target, pc));
  // the next instruction is fetched in FETCH, or ahead in the last state of an instruction whose register writes
  // land after the next DECODE's reads (EXHI of li/add/sub/and/or/xor, WHI, the last STORE cycle): pc already
  // points at it (EXLO counts it up), and no branch is pending there
  // (a flag: EXHI of satr reads the pool)
  const fetchNow = flag('fetch_now', (s) => (s === 'EXHI' ? f.satr.not() : ['FETCH', 'WHI', 'STORE'].includes(s) ? 1 : 0));
  // a taken branch's target at the last multiplexer (branch_taken is 1 only in the FETCH after a branch's EXHI, and
  // its sign, sum_q's bit 31, is chosen a LUT before), DECODE's pool word (from the ROM's word) at the one before; the
  // other states' from registers
  m.assign(romAddr, mux(takeQ, target, mux(at('DECODE'), poolWord, mux(fetchNow, pc, poolAddr))));

  // ---- register file: halves; low halves read in DECODE, high halves in OPLO
  // r0 is 0 in the RAM itself: every word starts 0 and r0's two are never written (the write excludes rd = 0, dbnz's
  // ra = 0, and the cycles of rst), so the words read need no multiplexer for r0
  const rfInit = new Array<bigint>(2 * NUM_REGS).fill(0n);
  // (no read of a word in the cycle it is written: a write lands in the cycle after its state, and what reads then
  // reads the other half — DECODE the low halves after EXHI's or WHI's high half — or nothing: noCollision, no
  // comparison of the read address, which comes from the ROM's word, with the write's after the blocks)
  const rfa = m.memory('rfa', { depth: 2 * NUM_REGS, type: uint(32), style: 'block', init: rfInit, noCollision: true });
  const rfb = m.memory('rfb', { depth: 2 * NUM_REGS, type: uint(32), style: 'block', init: rfInit, noCollision: true });
  const raW = ir.slice(10, 6);
  // the second register: st's rs at [15:11], every other at [27:23] (encode.ts: opcode bit 5 chooses; the other
  // opcodes with bit 5 set read none)
  const rbW = mux(opc.bit(5), ir.slice(15, 11), ir.slice(27, 23));
  const rbQf = dec('rb', rbW);
  const raZero = dec('ra_zero', raW.eq(0)); // (dbnz writes ra unless it is r0)
  // a vector instruction's gathers (VDESC, VREG, VACC) read at addresses registered a cycle before (v_rf*_addr_q)
  const vRaQ = m.reg('v_rfa_addr_q', uint(5), { reset: null });
  const vRbQ = m.reg('v_rfb_addr_q', uint(5), { reset: null });
  const vGather = atV('VDESC').or(atV('VREG')).or(atV('VACC'));
  const readRa = mux(at('DECODE'), raW, mux(vGather, vRaQ, raQf));
  const readRb = mux(at('DECODE'), rbW, mux(vGather, vRbQ, rbQf));
  const half = at('OPLO');
  const rfEn = at('DECODE').or(at('OPLO')).or(vGather);
  const raRam = rfa.readSync('ra_ram_q', cat(readRa, half), { en: rfEn });
  const rbRam = rfb.readSync('rb_ram_q', cat(readRb, half.or(atV('VACC'))), { en: rfEn });
  const aIn = raRam;
  const rbIn = rbRam;
  // the second operand's half by its mode: register, short immediate, block RAM address, pool word
  // (OPLO: the low half, EXLO: the high half) for b_q and the adder's b_add_q
  const bIn = m.wire('b_in', pick([mode[0], rbIn], [mode[3], romQ]).or(mux(at('EXLO'), constHiQ.repeat(32), pick([mode[1], immLo], [mode[2], ebrLo]))));

  // ---- the operands (registered), the halves' arithmetic. a_q holds a's low half in EXLO, its high half from
  // EXHI on, a_low_q the low half from EXHI on. b_q holds b's low half from EXLO on, b_add_q the adder's b (b, or ~b for a − b): b's high half
  // from EXHI on. So a unit's 64-bit operands are a_q:a_low_q and b_add_q:b_q.
  const aQ = m.reg('a_q', uint(32), { reset: null });
  const bQ = m.reg('b_q', uint(32), { reset: null });
  const aLoQ = m.reg('a_low_q', uint(32), { reset: null });
  const stLoQ = m.reg('store_low_q', uint(32), { reset: null });
  const stHiQ = m.reg('store_high_q', uint(32), { reset: null });
  // the chain's carry out every cycle (EXLO's: the low half's), straight from the chain's top into its flip-flop; the
  // carry into the half a bit below the operands (carry_b_q, carry_c_q: see sum)
  const carryQ = m.reg('carry_q', uint(1), { reset: null });
  const carryBQ = m.reg('carry_b_q', uint(1), { reset: null });
  const carryCQ = m.reg('carry_c_q', uint(1), { reset: null });
  const eqLoQ = m.reg('eq_low_q', uint(1), { reset: null });
  // (the low half's sum, which EXHI's address checks and the data address read, is sum_q in EXHI: sum_q takes the
  // sum every cycle, so it holds EXLO's; a second register of it would be a second load on the chain's last
  // bits, which can then pack with only one of them)
  const lowSumQ = sumQ;
  // the adder's operands, registered: a + b + c; a − b = a + ~b + 1 (the high half's c is the low half's carry,
  // 1 − borrow); dbnz: a + (2^64 − 2) + 1, so that for a − b and dbnz alike the halves of a equal those of ~b_add_q
  // exactly when the result is 0 (a = b; dbnz: ra = 1), one comparison for both
  const bAddQ = m.reg('b_add_q', uint(32), { reset: null });
  const adderB = (b: Expr, low: boolean): Expr => mux(f.dbnz, low ? constant(0xfffffffe, uint(32)) : ones32, mux(usesDiff, b.not(), b));
  // (a_q = ~b_add_q: a_q xor b_add_q all ones, as a carry chain after a LUT for each two bits: EXLO's into eq_low_q,
  // EXHI's with eq_low_q and the branch's condition into branch_take_eq_q, each chain's carry out straight into its
  // flip-flop)
  const samePairs = m.wire('a_eq_not_b_add_pairs', pairs(aQ.xor(bAddQ)));
  const sameQ = m.wire('a_eq_not_b_add', allOnes(samePairs, at('EXLO')));
  // b's high half in EXHI for a − b (branches, max, min, slt: b_add_q inverted)
  const bHiDiff = bAddQ.not();
  // The adder is one chain a bit wider below and above: bit 0 adds carry_q and carry_b_q with carry_c_q as the
  // carry in, its carry out being their majority: OPLO sets both to the low half's carry in (a − b, dbnz: 1), so EXLO
  // adds it whatever carry_q holds; EXLO sets them to 1 and 0, so EXHI adds carry_q, which took the chain's carry out
  // in EXLO (common.ts's sumCarry: the carry out straight into its flip-flop, valid in EXLO); EXHI sets both to
  // carry_q, so the cycles after it (the operands held) add the low half's carry too. No multiplexer before the chain
  // (one there cost a LUT and a net, routed at 16a52ec: 41.9 MHz) nor after it (carry_q's choice of OPLO's value or
  // the carry out was a LUT and a net after the cell that takes the carry out of the chain), and no enable on
  // carry_q: the chain's top shares its logic block with sum_q's last bits, and a block's flip-flops share one
  // enable (one on carry_q alone moved it out of the chain, a cell and a net later, routed 47.2 MHz).
  const sum = m.wire('sum', sumCarry(cat(aQ, carryQ), cat(bAddQ, carryBQ), carryCQ, at('EXLO')));
  const s32 = sum.slice(32, 1);
  m.unused(sum.bit(0)); // (bit 0's sum: only its carry counts)
  // and/or/xor/li need no carry chain: their result goes to the register write's data (rf_wdata_q), the sum to sum_q
  // (b_add_q is b itself for them: the low half in EXLO, the high half in EXHI)
  // (li, opcode 0x01, has alu_fn 1: b itself)
  const logic = select(fn, [aQ.xor(bAddQ), bAddQ, aQ.and(bAddQ), aQ.or(bAddQ)]);
  // 64-bit signed a < b from the high difference: its sign s31 xor the overflow, which is a's sign when a and b's
  // signs differ (a's and b_add_q's agree), else s31 (ltIf: for a value of s31)
  const ltIf = (s31: 0 | 1): Expr => mux(aQ.bit(31).eq(bAddQ.bit(31)), aQ.bit(31), constant(s31, uint(1)));
  m.seq('sum', ($) => {
    $.set(sumQ, s32);
    $.set(carryQ, sum.bit(33));
  });

  // max/min/slt (slt 0, max 2, min 3) in SELHI and SELLO, from EXHI's high difference: a_q, b_add_q and the carry in are
  // held after EXHI, so sum_q holds it (b taken: max with a < b, min with a ≥ b)
  const lt = m.wire('a_lt_b', mux(sumQ.bit(31), ltIf(1), ltIf(0)));
  const takeB = lt.xor(sel2.bit(0));
  const isSlt = sel2.bit(1).not();

  // ---- register write: registered (enable, register, half, data), landing the cycle after
  const wEn = m.reg('rf_we_q', uint(1), { reset: 0 });
  const wReg = m.reg('rf_wreg_q', uint(5), { reset: null });
  const wHalf = m.reg('rf_whalf_q', uint(1), { reset: null });
  const wData = m.reg('rf_wdata_q', uint(32), { reset: null });
  // (the adder's result from sum_q, chosen after the register: rf_wsum_q)
  const wSumQ = m.reg('rf_wsum_q', uint(1), { reset: null });
  const wData64 = m.wire('rf_wdata', mux(wSumQ, sumQ, wData));
  // (not while rst: in its first cycle rf_we_q holds what it powered up with, and r0's words must stay 0)
  const rfWe = wEn.and(rst.not());
  rfa.write(cat(wReg, wHalf), wData64, rfWe);
  rfb.write(cat(wReg, wHalf), wData64, rfWe);
  // the states that write: EXLO and EXHI (add … xor, li: rd; dbnz: ra), SELHI and SELLO (rd), WLO and WHI (rd); the
  // high half in EXHI, SELHI and WHI. The write's registers are set every cycle from group flags and the decode's
  // registers (no enable from a compare of the state); only the cycle's wEn counts.
  const exF = group('ex', ['EXLO', 'EXHI']);
  const selF = group('sel', ['SELHI', 'SELLO']);
  const wbF = group('wb', ['WLO', 'WHI']);
  const hiF = group('hi', ['EXHI', 'SELHI', 'WHI']);
  const rdZero = dec('rd_zero', ir.slice(15, 11).eq(0));

  // ---- the vector unit (vector.ts). Its operands: A / W and Bv / H (the low halves read in DECODE) taken in OPLO,
  // the descriptor (ROM, read in OPLO) in VDESC, n (rc) in VREG, the strides (vdot) or lane0 (vupd) in VACC,
  // rd (vdot's acc, vupd's x: both halves at once) straight from the register file in VGO, the unit's start.
  const vAQ = m.reg('v_a_q', uint(17), { reset: null });
  const vBQ = m.reg('v_b_q', uint(17), { reset: null });
  const vNQ = m.reg('v_n_q', uint(16), { reset: null });
  const vSaQ = m.reg('v_sa_q', uint(17), { reset: null });
  const vSbQ = m.reg('v_sb_q', uint(17), { reset: null });
  const descQ = m.reg('v_desc_q', uint(32), { reset: null });
  const vBadQ = m.reg('v_bad_q', uint(1), { reset: null }); // an address or count beyond the unit's 17 / 16 bits
  // (r0's words are 0 in the RAM)
  const gotA = raRam;
  const gotB = rbRam;
  const rdVal = cat(gotB, gotA).asSigned();
  const vuInputs = {
      start: atV('VGO').and(vBadQ.not()),
      op: vdec.op,
      a_base: vAQ,
      b_base: vBQ,
      sa: vSaQ.asSigned(),
      sb: vSbQ.asSigned(),
      n: vNQ,
      fa: descQ.bit(10),
      fb: descQ.bit(11),
      f: vdec.f,
      acc: rdVal,
      x: rdVal,
      k: descQ.slice(17, 11).asSigned(),
      rounding: descQ.slice(20, 18),
      w: descQ.slice(25, 21),
      lane0: vSaQ.trunc(5),
      g: descQ.slice(10, 5),
      w_gnt: constant(1, uint(1)),
    };
  const vu = withVector ? m.instance('u_vector', vectorUnit(cfg.machine.lfsr.rbits), vuInputs, { bindLater: true }) : vectorTieOff(m, vectorUnit(cfg.machine.lfsr.rbits), vuInputs);
  m.seq('vector_gather', ($) => {
    $.if(at('OPLO'), () => {
      $.set(vAQ, aIn.trunc(17));
      $.set(vBQ, rbIn.trunc(17));
      // (without the vector unit VGO is never reached: no check, which would stand 5 LUT levels after the register file)
      $.set(vBadQ, withVector ? aIn.slice(31, 17).orReduce().or(rbIn.slice(31, 17).orReduce()) : 0);
      $.set(vRaQ, vdec.rc);
    });
    $.if(atV('VDESC'), () => {
      $.set(descQ, romQ);
      $.set(vRaQ, romQ.slice(4, 0)); // vdot's sa, vupd's lane0
      $.set(vRbQ, romQ.slice(9, 5)); // vdot's sb
    });
    $.if(atV('VREG'), () => {
      $.set(vNQ, gotA.trunc(16));
      $.set(vBadQ, vBadQ.or(gotA.slice(31, 16).orReduce()));
      $.set(vRaQ, rdQ);
      $.set(vRbQ, rdQ);
    });
    $.if(atV('VACC'), () => {
      $.set(vSaQ, gotA.trunc(17));
      $.set(vSbQ, gotB.trunc(17));
      // the unit saturates into words of 1 … 16 bits
      $.set(vBadQ, vBadQ.or(vdec.upd.and(descQ.slice(26, 21).gt(16))));
    });
  });
  m.unused(descQ.slice(4, 0)); // (read from the ROM's word in VDESC: the register of sa or lane0)
  m.unused(vu.out('busy')); // the core waits for done
  // its memory requests (VWAIT): vupd's write always granted (block RAM: its own port; SPRAM: before the reads),
  // a read unless the write takes its SPRAM, two reads of one memory by turns (v_prefer_b_q: Bv's turn next)
  const vOn = atV('VWAIT');
  const [aReq, bReq, wReq] = ['a_req', 'b_req', 'w_req'].map((p) => vu.out(p));
  const [aAddr, bAddr, wAddr] = ['a_addr', 'b_addr', 'w_addr'].map((p) => vu.out(p));
  const [aE, bE, wE] = [aAddr, bAddr, wAddr].map((x) => x.bit(16));
  const vPrefB = m.reg('v_prefer_b_q', uint(1), { reset: null });
  const wSp = wReq.and(wE.not());
  const bothAB = aReq.and(bReq).and(aE.eq(bE));
  const aGnt = m.wire('v_a_gnt', aReq.and(wSp.and(aE.not()).not()).and(bothAB.and(vPrefB).not()));
  const bGnt = m.wire('v_b_gnt', bReq.and(wSp.and(bE.not()).not()).and(bothAB.and(vPrefB.not()).not()));
  m.seq('vector_turns', ($) => {
    $.if(aGnt.and(bGnt.not()), () => $.set(vPrefB, 1)).elseIf(bGnt.and(aGnt.not()), () => $.set(vPrefB, 0));
    $.if(atV('VGO'), () => $.set(vPrefB, 0));
  });
  // a read outside the memories, or running from one memory into the other, is a fault at the end (vErrQ; the
  // writes stop: a word written is one read before)
  const vErrQ = m.reg('v_err_q', uint(1), { reset: null });
  // vupd's clamps, counted here and added to the descriptor's counter pair after the run (LOAD, VCNT, STORE)
  const vHiCnt = m.reg('v_clamps_hi_q', uint(16), { reset: null });
  const vLoCnt = m.reg('v_clamps_lo_q', uint(16), { reset: null });
  m.seq('vector_clamps', ($) => {
    $.if(vu.out('sat_hi'), () => $.set(vHiCnt, vHiCnt.addWrap(1)));
    $.if(vu.out('sat_lo'), () => $.set(vLoCnt, vLoCnt.addWrap(1)));
    $.if(atV('VGO'), () => {
      $.set(vHiCnt, 0);
      $.set(vLoCnt, 0);
    });
  });
  const vCounterAt = m.wire('v_counter_at', constant(satBase, uint(17)).addWrap(cat(descQ.slice(31, 27), constant(0, uint(2))).zext(17)));

  // ---- data memories: one address a cycle (block RAM above EBR_BASE, SPRAM below)
  const memAddr = m.reg('mem_addr_q', uint(17), { reset: null });
  const memK = m.reg('mem_k_q', uint(3), { reset: null });
  // the words read, in 16-bit chunks (chunk 0 lowest): word k lands in chunk k (ld's value is extended where it is
  // written back: `loaded`)
  const accChunks = [0, 1, 2, 3].map((c) => m.reg(`mem_acc${c}_q`, uint(16), { reset: null }));
  const memAcc = m.wire('mem_acc', cat(...[...accChunks].reverse()));
  const inEbr = m.reg('mem_in_ebr_q', uint(1), { reset: null });
  // words of the access under way: ld/st's n, or 2 for a saturation counter (cnt_q: its read-increment-write)
  const memN = m.reg('mem_n_q', uint(3), { reset: null });
  const cntQ = m.reg('counter_update_q', uint(1), { reset: 0 });
  const ebrIdx = memAddr.subWrap(EBR_BASE).trunc(bitsFor(ebrWords));
  // (not while rst: reset is synchronous, so in its first cycle the flags hold what they powered up with, and the data
  // memories keep their contents, the tables, through it)
  const storing = at('STORE').and(rst.not());
  // where the count of words stands, registered with each value of mem_k_q (memory_access): k = n (LOAD's last
  // cycle; before it k < n), k = n − 1 (STORE's last), k = 0 (LOAD's first: the address check)
  const kAtN = m.reg('mem_k_at_n_q', uint(1), { reset: null });
  const kLast = m.reg('mem_k_last_q', uint(1), { reset: null });
  const kZero = m.reg('mem_k_zero_q', uint(1), { reset: null });
  const loading = at('LOAD').and(kAtN.not());
  // a clamp's counter incremented (its two words read: memAcc holds them from CINC on) into a register of its own every
  // cycle, so that its carry chain ends at flip-flops; STORE writes it for a clamp (counter_update_q, not vupd's pair)
  const counterInc = m.pipe('counter_inc_q', cat(accChunks[1], accChunks[0]).addWrap(1), { reset: null });
  const wordOf = (low: Expr): Expr => select(memK.trunc(2), [low.slice(15, 0), low.slice(31, 16), stHiQ.slice(15, 0), stHiQ.slice(31, 16)]);
  const storeWord = wordOf(mux(cntQ.and(vdec.upd.not()), counterInc, stLoQ));
  // (the counters are in block RAM: the SPRAM's words, at the far corner of the die, take no counter multiplexer)
  const storeWordSp = wordOf(stLoQ);
  // (VWAIT: the vector unit's write at w_addr, its granted read at a_addr or b_addr)
  const vWord = vu.out('w_data');
  const ebrAt = (x: Expr): Expr => x.trunc(ebrIdx.width);
  // (dmemGroupsOf: groups of blocks one deep, each written where the address lies in it, all read, the word chosen
  // by the group of the address read, registered with the read)
  const dWe = storing.and(inEbr).or(wReq.and(wE).and(vErrQ.not()));
  const dWord = mux(vOn, vWord, storeWord);
  const dWriteAt = mux(vOn, ebrAt(wAddr), ebrIdx);
  const dReadAt = mux(vOn, ebrAt(mux(aGnt.and(aE), aAddr, bAddr)), ebrIdx);
  const dRe = loading.and(inEbr).or(aGnt.and(aE)).or(bGnt.and(bE));
  const groups = dmemGroupsOf(ebrWords);
  const groupWords = groups.map((g, gi) => {
    const aw = bitsFor(g.depth);
    // (the group's base a multiple of its size: the address's bits above it say the group)
    const inGroup = (x: Expr): Expr => (groups.length === 1 ? constant(1, uint(1)) : x.slice(x.width - 1, aw).eq(g.base >> aw));
    let readHere: Expr = constant(1, uint(1));
    if (groups.length > 1) {
      const q = m.reg(`dmem${gi}_read_q`, uint(1), { reset: null });
      m.seq(`dmem${gi}_read`, ($) => $.if(dRe, () => $.set(q, inGroup(dReadAt))));
      readHere = q;
    }
    const writeHere = dWe.and(inGroup(dWriteAt));
    const parts = g.slices.map((sl) => {
      const mem = m.memory(sl.name, { depth: g.depth, type: uint(sl.hi - sl.lo + 1), style: 'block', init: Array.from({ length: g.depth }, (_, i) => BigInt(sliceBits((cfg.data ?? [])[g.base + i] ?? 0, sl))) });
      mem.write(dWriteAt.trunc(aw), dWord.slice(sl.hi, sl.lo), writeHere);
      return mem.readSync(`${sl.name}_q`, dReadAt.trunc(aw), { en: dRe });
    });
    return readHere.repeat(16).and(cat(...parts.reverse()));
  });
  const dQ = m.wire('dmem_word', groupWords.reduce((x, y) => x.or(y)));
  let spQ: Expr = constant(0, uint(16));
  if (spramWords > 0) {
    const spram = m.memory('spram', { depth: spramWords, type: uint(16), style: 'huge' });
    const spBits = bitsFor(spramWords);
    const spIdx = mux(vOn, mux(wSp, wAddr, mux(aGnt.and(aE.not()), aAddr, bAddr)).trunc(spBits), memAddr.trunc(spBits));
    // (the SPRAM reads nothing in a write cycle: its read enable excludes the write's, as SB_SPRAM256KA maps)
    const spWe = m.wire('spram_we', storing.and(inEbr.not()).or(wSp.and(vErrQ.not())));
    spram.write(spIdx, mux(vOn, vWord, storeWordSp), spWe);
    spQ = spram.readSync('spram_q', spIdx, { en: loading.and(inEbr.not()).or(aGnt.and(aE.not())).or(bGnt.and(bE.not())).and(spWe.not()) });
  }
  const fromEbr = m.pipe('load_ebr_q', inEbr, { reset: null });
  const word = m.wire('load_word', mux(fromEbr, dQ, spQ));
  const wordK = memK.subWrap(1).trunc(2); // the word arriving in LOAD (memK 1 … n)
  /** LOAD: the word arriving lands in its chunk (the block RAMs' output multiplexer straight to the chunk's register) */
  const landWord = ($: ProcScope): void => accChunks.forEach((q, c) => $.if(wordK.eq(c), () => $.set(q, word)));
  // ld's value extended to 64 bits: the chunks past its n words are its last word's sign (ld's signedness) or 0, chosen
  // where WLO and WHI read them (flags of n registered in DECODE; the chunks past n are not written); the sign taken as
  // the last word lands (its flip-flop's enable the landing and ld's signedness, its D the word's bit 15)
  const sign = m.reg('load_sign_q', uint(1), { reset: null }); // 0 for an unsigned ld (cleared in EXHI)
  const chunkOf = (c: number): Expr => (c === 0 ? accChunks[0] : mux(nLe[c - 1], sign.repeat(16), accChunks[c])); // c ≥ n
  const loaded = cat(chunkOf(3), chunkOf(2), chunkOf(1), chunkOf(0));
  // the address: EXLO forms its low 32 bits, EXHI checks the rest is 0 and the n words lie in one memory
  // (a 17-bit address: below 2^16 SPRAM, above it block RAM; checked in pieces of at most 16-bit compares)
  // the first word in one of the memories; the last (first + n − 1) in the same one: first ≤ end − n, the four
  // n compared at once against constants and one chosen (no adder before the compares)
  const fitsIn = (x: Expr, words: number): Expr => (words >= EBR_BASE ? constant(1, uint(1)) : leConst(x, words - 1));
  const mapped = (x: Expr): Expr => mux(x.bit(16), fitsIn(x.trunc(16), ebrWords), fitsIn(x.trunc(16), spramWords));
  // ld and st: the last word (first + n − 1) below `words`, i.e. first ≤ words − n, from one compare against
  // words − 4 and equalities to the three words above it, each with a flag of n registered in DECODE (no compare for
  // each n, no choice by n after them); the first word then fits too
  const lastFits = (x: Expr, words: number): Expr => {
    const w = Math.min(words, EBR_BASE);
    const near = [1, 2, 3].filter((d) => w - 4 + d >= 0).map((d) => x.eq(w - 4 + d).and(nLe[3 - d]));
    return near.reduce((a, b) => a.or(b), leConst(x, w - 4));
  };
  // the check in four flags registered in EXHI, each a cone of at most 4 LUT levels, that addr_ok ANDs: the address's
  // high half 0 in two halves (from the adder's operands: no carry chain, no 32-bit compare after a register in ACHK
  // or LOAD: a + b + c = 0 (mod 2^32) exactly when a ^ b = (a | b) << 1 | c, since every carry into bit i + 1 is then
  // a_i | b_i); the last word in block RAM unless bit 16 says SPRAM, in SPRAM unless it says block RAM (no choice by
  // bit 16 after the compares), the latter with the low half's bits 31 … 17 zero
  const hiZeroLoQ = m.reg('addr_high_zero_lo_q', uint(1), { reset: null });
  const hiZeroHiQ = m.reg('addr_high_zero_hi_q', uint(1), { reset: null });
  const ebrOkQ = m.reg('addr_ebr_ok_q', uint(1), { reset: null });
  const spramOkQ = m.reg('addr_spram_ok_q', uint(1), { reset: null });
  const addrOk = m.wire('addr_ok', hiZeroLoQ.and(hiZeroHiQ).and(ebrOkQ).and(spramOkQ));
  // the vector unit's reads: the words (a cycle after the grant), the address check
  for (const [p, gnt, isE] of [['a', aGnt, aE], ['b', bGnt, bE]] as const) {
    vu.bind(`${p}_gnt`, gnt);
    vu.bind(`${p}_rvalid`, m.pipe(`v_${p}_rvalid_q`, gnt, { reset: 0 }));
    vu.bind(`${p}_rdata`, mux(m.pipe(`v_${p}_ebr_q`, isE, { reset: null }), dQ, spQ));
  }
  const strays = (gnt: Expr, x: Expr, base: Expr): Expr => gnt.and(mapped(x).not().or(x.bit(16).ne(base.bit(16))));
  m.seq('vector_check', ($) => {
    $.if(strays(aGnt, aAddr, vAQ).or(strays(bGnt, bAddr, vBQ)), () => $.set(vErrQ, 1));
    $.if(atV('VGO'), () => $.set(vErrQ, 0));
  });

  // ---- the units (separate modules): multiply, shift, saturation; operands the 64-bit a and b as EXHI leaves
  // them (a_q:a_low_q, b_add_q:b_q: the units' instructions add, so b_add_q is b's high half), satr's upper
  // bound the next pool entry (its low word in store_high_q, its high word the ROM's output)
  const a64 = cat(aQ, aLoQ).asSigned();
  const b64 = cat(bAddQ, bQ).asSigned();
  const mulU = m.instance('u_mul', mulUnit(), { start: at('UNIT').and(f.mul), a: a64, b: b64, k: mulK, en: f.mul });
  m.unused(mulU.out('busy')); // the core waits for done
  // the LFSR bank: draw's lane is ra, srnd's rb; lfsrset's lane ra, its state rs (read as b); the read port lfsrget's
  // lane ra in UNIT, else dbg_lane
  const { lanes, lfsr } = cfg.machine;
  const rbits = lfsr.rbits;
  // (without the vector unit one request an instruction, several cycles apart: no forwarding register, and the
  // bank's ρ two cycles after the request, so draw and srnd request in EXHI, their lane there already, for RHO)
  const lfsrBank = lfsrBankOf(cfg.machine, cfg.lfsrStorage ?? 'registers', withVector);
  const lfsrMod = ucoreLfsr(lfsrBank);
  const laneBits = lfsrMod.ports.find((p) => p.name === 'd_lane')!.type.width;
  const dbgLane = m.input('dbg_lane', uint(laneBits));
  const lfsrU = m.instance('u_lfsr', lfsrMod, {
    d_req: at(lfsrLatency(lfsrBank) === 2 ? 'EXHI' : 'UNIT').and(f.draw.or(f.srnd)).or(vu.out('d_req')),
    d_lane: mux(vOn, fitTo(vu.out('d_lane'), laneBits), mux(f.srnd, bQ, aLoQ).trunc(laneBits)),
    s_req: at('UNIT').and(f.lfsrset),
    s_lane: aLoQ.trunc(laneBits),
    s_state: bQ.trunc(lfsr.width),
    r_lane: mux(at('UNIT').and(f.lfsrget), aLoQ.trunc(laneBits), dbgLane),
  });
  vu.bind('d_rho', lfsrU.out('d_rho'));
  if (laneBits < 7) m.unused(vu.out('d_lane').slice(6, laneBits)); // lanes beyond the bank's: the program's to avoid
  const rhoQ = m.reg('rho_q', uint(rbits), { reset: null });
  const shiftU = m.instance('u_shift', shiftUnit(rbits, 64), { start: at('UNIT').and(f.shift.or(f.srnd)), a: a64, amt: mux(f.srnd, srndK, bQ.trunc(6)), op: shiftOp, rho: rhoQ, en: f.shift.or(f.srnd) });
  const satU = m.instance('u_sat', satUnit(64), { a: a64, w: satW, sgn: satSigned, range: f.satr, lo: b64, hi: cat(romQ, stHiQ).asSigned(), y_en: f.sat.and(f.lone.not()), lone_en: f.lone });
  const uwaitQ = m.reg('unit_wait_q', uint(bitsFor(SHIFT_LATENCY)), { reset: null });
  const res64Q = m.reg('unit_result_q', uint(64), { reset: null });
  // each unit's result is 0 unless its instruction is under way (their en inputs): one OR chooses
  const unitY = m.wire('unit_y', [mulU.out('p'), shiftU.out('y'), satU.out('y'), satU.out('lone').sext(64)].map((y) => y.asUnsigned()).reduce((x, y) => x.or(y)));
  // uwaitQ = 0, registered with each value of uwaitQ (UNIT, RHO, UWAIT set both): UWAIT's exit one LUT from registers
  const uwaitZeroQ = m.reg('unit_wait_zero_q', uint(1), { reset: null });
  const isZero = (n: number): Expr => constant(n === 0 ? 1 : 0, uint(1));
  // a clamp and its counter's address, registered: the saturation unit's flags are final a cycle before its result
  // (its stage 3 of SAT_LATENCY = 4; the operands are held), so at UWAIT's exit they come from flip-flops (sat and
  // satr leave UWAIT on unit_wait_zero_q, never on the multiply unit's done)
  const clampNow = f.sat.and(f.lone.not()).and(satU.out('sat_hi').or(satU.out('sat_lo')));
  const clamped = m.pipe('clamped_q', clampNow, { reset: null });
  // UWAIT's exit to a clamp's counter (UWAIT, unit_wait_zero_q and clamped_q) registered a cycle before, when the wait's
  // count is 1: the data access's registers start on one flip-flop
  const clampExit = m.pipe('clamp_exit_q', at('UWAIT').and(uwaitQ.eq(1)).and(clampNow), { reset: 0 });
  // the counter pair of quantity q: words satBase + 4q (high) and + 4q + 2 (low), 32 bits each
  const counterAt = m.pipe('counter_at_q', constant(satBase, uint(17)).addWrap(cat(satQ, satU.out('sat_lo'), constant(0, uint(1))).zext(17)), { reset: null });

  // ---- return stack (registers: a few entries are too few for a block RAM, and the iCE40 has no LUT RAM)
  const sp = m.reg('sp_q', uint(bitsFor(RETURN_STACK + 1)), { reset: 0 });
  // full (sp = RETURN_STACK) and empty (sp = 0), registered with sp (setSp): call's and ret's checks from one flip-flop
  const spFullQ = m.reg('sp_full_q', uint(1), { reset: 0 });
  const spEmptyQ = m.reg('sp_empty_q', uint(1), { reset: 1 });
  /** sp ← 0, sp + 1 or sp − 1, and its flags */
  const setSp = ($: ProcScope, to: 'clear' | 'push' | 'pop'): void => {
    $.set(sp, to === 'clear' ? constant(0, sp.type) : to === 'push' ? sp.addWrap(1) : sp.subWrap(1));
    $.set(spFullQ, to === 'push' ? sp.eq(RETURN_STACK - 1) : 0);
    $.set(spEmptyQ, to === 'clear' ? 1 : to === 'pop' ? sp.eq(1) : 0);
  };
  const rstack = Array.from({ length: RETURN_STACK }, (_, i) => m.reg(`rstack${i}_q`, uint(12), { reset: null }));
  // the top entry, rstack[sp − 1], chosen by sp itself (no subtraction before the multiplexer): option i is entry
  // i − 1 (sp 0: ret faults, any entry); a stack of 2^k ≥ 2 entries takes sp's low k bits, entry N − 1 at option 0
  const spBits = Math.log2(RETURN_STACK);
  const top = m.wire(
    'rstack_top',
    Number.isInteger(spBits) && spBits >= 1
      ? select(sp.trunc(spBits), rstack.map((_, i) => rstack[(i + RETURN_STACK - 1) % RETURN_STACK]))
      : select(sp, [rstack[0], ...rstack], rstack[0]),
  );
  // (registered: a ret's OPLO comes at least two cycles after the call or ret before it changed sp or the entries)
  const topQ = m.pipe('rstack_top_q', top, { reset: null });
  m.seq('rstack', ($) => {
    $.if(at('OPLO').and(f.call), () => rstack.forEach((r, i) => $.if(sp.eq(i), () => $.set(r, pc.addWrap(1)))));
  });

  /**
   * a data access of n words begins (block RAM when ebr; its address: memory_address): LOAD or STORE counts them;
   * `one`: n = 1
   */
  const beginAccess = ($: ProcScope, ebr: Expr, n: Expr, one: Expr | number): void => {
    $.set(inEbr, ebr);
    $.set(memN, n);
    countFrom0($, one);
  };
  /** mem_k_q back to 0 of n ≥ 1 words (`one`: n = 1), and its flags */
  const countFrom0 = ($: ProcScope, one: Expr | number): void => {
    $.set(memK, 0);
    $.set(kAtN, 0);
    $.set(kLast, one);
    $.set(kZero, 1);
  };
  /**
   * mem_k_q counts a word, and its flags: k = n follows k = n − 1; and ld's address fault (LOAD's first cycle, from the
   * check registered in EXHI) sets k = n's flag at once, so that LOAD's second cycle exits to the stop (the state
   * machine's hold: LOAD and not k = n, one LUT)
   */
  const countUp = ($: ProcScope): void => {
    $.set(memK, memK.addWrap(1));
    $.set(kAtN, kLast.or(at('LOAD').and(kZero).and(cntQ.not()).and(addrOk.not())));
    $.set(kLast, memK.addWrap(2).eq(memN));
    $.set(kZero, 0);
  };
  // the register-file write, landing next cycle (never to r0): the register, the half and the data of the state
  // (only the states above set wEn)
  m.seq('rf_write', ($) => {
    const exWrites = exF.and(f.alu.and(rdZero.not()).or(f.dbnz.and(raZero.not())));
    $.set(wEn, exWrites.or(selF.or(wbF).and(rdZero.not())));
    $.set(wReg, mux(f.dbnz, raQf, rdQ));
    $.set(wHalf, hiF);
    $.set(wSumQ, exF.and(isLogic.not()));
    // one OR of the sources (they exclude each other), not a chain of multiplexers: each source's half and its
    // condition (one LUT of flags and decode registers, beside the source's first level) in one LUT, then the OR
    const halfOf = (x: Expr): Expr => mux(hiF, x.slice(63, 32), x.trunc(32));
    // (max, min: b or a, the half by SELHI; slt: 0, then lt)
    const selAb = selF.and(isSlt.not());
    const slt = selF.and(isSlt).and(hiF.not());
    $.set(wData, pick([exF, logic], [selAb, mux(takeB, mux(hiF, bHiDiff, bQ), mux(hiF, aQ, aLoQ))], [slt, lt.zext(32)], [wbF.and(f.ld), halfOf(loaded)], [wbF.and(f.ld.not()), halfOf(res64Q)]));
  });
  // ---- I/O (the board's UART): recv pops a received byte (rx_valid, rx_data, rx_ready) or gives 256 when the line
  // is idle (rx_idle) and none is there; send offers ra's low byte (tx_valid, tx_data) until the transmitter takes it
  // (tx_ready). Both wait in IO; OPLO has ra's low half in a_q for send.
  const rxValid = m.input('rx_valid', uint(1));
  const rxData = m.input('rx_data', uint(8));
  const rxIdle = m.input('rx_idle', uint(1));
  const txReady = m.input('tx_ready', uint(1));
  const ioRecv = dec('is_recv', isOp('recv'));
  const ioSend = dec('is_send', isOp('send'));
  const inIo = at('IO');
  // IO of a recv, IO of a send: flags of their own (set with the state from the decode), so that IO's wait in the
  // state machine's hold is one LUT of the line's signals
  const ioRecvF = flag('io_recv', (s) => (s === 'IO' ? ioRecv : 0));
  const ioSendF = flag('io_send', (s) => (s === 'IO' ? ioSend : 0));
  m.output('rx_ready', ioRecvF);
  m.output('tx_valid', ioSendF);
  m.output('tx_data', aQ.trunc(8));
  m.output('io_wait', inIo);

  // the operands and what EXHI registers for later states, in their own process from the states' flags (no enable
  // from a compare of the binary state)
  m.seq('operands', ($) => {
    $.if(at('OPLO'), () => {
      $.set(aQ, aIn);
      $.set(bQ, bIn);
      $.set(bAddQ, adderB(bIn, true));
      $.set(carryBQ, usesDiff.or(f.dbnz));
      $.set(carryCQ, usesDiff.or(f.dbnz));
      $.set(stLoQ, rbIn);
    })
      .elseIf(at('EXLO'), () => {
        $.set(aQ, aIn);
        $.set(bAddQ, adderB(bIn, false));
        $.set(stHiQ, rbIn);
        $.set(carryBQ, 1);
        $.set(carryCQ, 0);
        $.set(eqLoQ, sameQ);
        $.set(aLoQ, aQ);
      })
      .elseIf(at('EXHI'), () => {
        const carries = cat(aQ.or(bAddQ).trunc(31), carryQ);
        $.set(carryBQ, carryQ);
        $.set(carryCQ, carryQ);
        // (each bit's comparison one LUT of four flip-flops, the 16 ANDed by a carry chain)
        const hiZero = aQ.xor(bAddQ).xor(carries).not();
        $.set(hiZeroLoQ, allOnes(hiZero.trunc(16), at('EXHI')));
        $.set(hiZeroHiQ, allOnes(hiZero.slice(31, 16), at('EXHI')));
        $.set(ebrOkQ, lowSumQ.bit(16).not().or(lastFits(lowSumQ.trunc(16), ebrWords)));
        $.set(spramOkQ, lowSumQ.slice(31, 17).eq(0).and(lowSumQ.bit(16).or(lastFits(lowSumQ.trunc(16), spramWords))));
        $.if(f.satr, () => $.set(stHiQ, romQ)); // satr's upper bound's low word (its high word stays in the ROM's register)
      })
      .elseIf(atV('VCNT'), () => {
        // the counter pair (high, then low: 4 words) plus the clamps counted
        $.set(stLoQ, memAcc.trunc(32).addWrap(vHiCnt.zext(32)));
        $.set(stHiQ, memAcc.slice(63, 32).addWrap(vLoCnt.zext(32)));
      });
    // the branch's condition (beq 0, bne 1, blt 2, bge 3 by sel2; dbnz: ra − 1 ≠ 0, i.e. ne of ra = 1), for EXHI; its
    // decision for the FETCH after EXHI (a branch's and dbnz's next state)
    const cond = mux(f.dbnz, constant(2, uint(4)), select(sel2, [1, 2, 4, 8].map((c) => constant(c, uint(4)))));
    $.set(condQ, mux(at('EXLO').and(f.branch.or(f.dbnz)), cond, constant(0, uint(4))));
    // (beq, bne, dbnz from the equality, which needs no adder; blt, bge for both signs of the difference.) The
    // equality's chain ANDs EXLO's eq_low_q and eq or ne (condQ one-hot, 0 outside EXHI) in: E = eq ∧ (beq ∨ bne),
    // and its top bit xors ne in (allOnes's valid is ¬ne: valid xor 1 xor E), so the flip-flop takes E for beq and
    // dbnz, ¬eq for bne, 0 otherwise, with no LUT after the chain
    const eqOrNe = condQ.bit(0).or(condQ.bit(1));
    $.set(takeEqQ, allOnes(cat(eqOrNe, eqLoQ, samePairs), condQ.bit(1).not()));
    const ltTake = (s31: 0 | 1): Expr => condQ.bit(2).and(ltIf(s31)).or(condQ.bit(3).and(ltIf(s31).not()));
    $.set(takeNegQ, ltTake(1));
    $.set(takePosQ, ltTake(0));
  });

  // the data access (its start in EXHI, UWAIT or VWAIT; the words counted in LOAD and STORE), the units' wait and
  // result, from the states' flags too
  // the data address in a process of its own: its enable one OR of the states' flags and registered exits, its value
  // chosen among them (they exclude each other)
  const vCountBegins = atV('VWAIT').and(vu.out('done')).and(vu.out('fault').or(vErrQ).not()).and(vdec.upd);
  const addrSteps = at('LOAD').and(kAtN.not()).or(at('STORE'));
  m.seq('memory_address', ($) =>
    $.if(at('EXHI').or(clampExit).or(vCountBegins).or(at('CINC')).or(atV('VCNT')).or(addrSteps), () =>
      $.set(memAddr, mux(at('EXHI'), lowSumQ.trunc(17), mux(clampExit.or(at('CINC')), counterAt, mux(vCountBegins.or(atV('VCNT')), vCounterAt, memAddr.addWrap(1))))),
    ),
  );
  m.seq('memory_access', ($) => {
    $.if(at('EXHI'), () => beginAccess($, lowSumQ.bit(16), nWords, nWords.eq(1)))
      // the clamp counted: its counter read, incremented (CINC), written back
      .elseIf(clampExit, () => beginAccess($, constant(1, uint(1)), constant(2, uint(3)), 0))
      // vupd's counter pair
      .elseIf(vCountBegins, () => beginAccess($, constant(1, uint(1)), constant(4, uint(3)), 0))
      // CINC, VCNT: back to the counter's first word (memory_address takes its address again)
      .elseIf(at('CINC').or(atV('VCNT')), () => countFrom0($, 0))
      .elseIf(at('LOAD').or(at('STORE')), () => countUp($));
  });
  // the words landing (LOAD after its first cycle), apart from the access's other registers: their enables then
  // take the LOAD flag alone, not the priorities of the states before it
  m.seq('memory_words', ($) =>
    $.if(at('LOAD').and(kZero.not()), () => {
      landWord($);
      $.if(ldSigned, () => $.set(sign, word.bit(15)));
    }).elseIf(at('EXHI'), () => $.set(sign, 0)),
  );
  m.seq('unit_wait', ($) => {
    $.if(at('UNIT'), () => {
      $.set(uwaitQ, mux(f.shift, constant(SHIFT_LATENCY - 1, uwaitQ.type), constant(SAT_LATENCY - 1, uwaitQ.type)));
      $.set(uwaitZeroQ, mux(f.shift, isZero(SHIFT_LATENCY - 1), isZero(SAT_LATENCY - 1)));
    })
      .elseIf(at('RHO'), () => {
        // the draw: draw's result, or srnd's ρ for the shift unit (started in UNIT; it needs ρ SHIFT_LATENCY − 2 cycles after)
        $.set(rhoQ, lfsrU.out('d_rho'));
        $.set(res64Q, mux(f.lfsrget, lfsrU.out('r_state').zext(64), lfsrU.out('d_rho').zext(64)));
        $.set(uwaitQ, SHIFT_LATENCY - 2); // the shift unit started in UNIT: its result SHIFT_LATENCY cycles later
        $.set(uwaitZeroQ, isZero(SHIFT_LATENCY - 2));
      })
      .elseIf(at('UWAIT'), () => {
        $.set(uwaitQ, uwaitQ.subWrap(1));
        $.set(uwaitZeroQ, uwaitQ.eq(1));
        $.set(res64Q, unitY);
      })
      .elseIf(ioRecvF, () => $.set(res64Q, mux(rxValid, rxData.zext(64), constant(256, uint(64)))))
      .elseIf(atV('VWAIT'), () => $.set(res64Q, vu.out('result').asUnsigned()));
    // (UWAIT, recv's IO and VWAIT take their source in every cycle, not only in the one that ends them: they end on
    // that cycle, which so writes last, and nothing reads unit_result_q before the write-back after them; its enable
    // is then an OR of state flags, not the units' done, the receive FIFO's tvalid and the idle line behind them —
    // the routed critical path at 8c52145, tvalid through three LUTs and 14 ns of nets to this enable)
  });

  // pc: FETCH takes the branch's target or keeps it; EXLO, VDESC and OPLO of recv and send (nothing reads pc while
  // they wait in IO: the line's handshake stays off pc's path) count it up (past the instruction); OPLO: b's and
  // call's target, ret's return address (the opcodes' decodes exclude each other); IDLE: the entry at start. Its
  // enable takes one flag of OPLO's decode (oplo_sets_pc): a call with the stack full or a ret with it empty sets pc
  // all the same and stops the core, whose next start sets it again
  const pcInOplo = dec('oplo_sets_pc', ['b', 'call', 'ret', 'recv', 'send'].map((op) => isOp(op as Instr['op'])).reduce((x, y) => x.or(y)));
  m.seq('pc', ($) => {
    $.if(at('FETCH'), () => $.set(pc, fetchAt))
      .elseIf(at('EXLO').or(atV('VDESC')).or(at('OPLO').and(pcInOplo)).or(busyF.not().and(start)), () =>
        $.set(pc, mux(at('EXLO').or(atV('VDESC')).or(at('OPLO').and(ioRecv.or(ioSend))), pc.addWrap(1), mux(busyF, mux(f.ret, topQ, target), entry))),
      );
  });

  // sp in a process of its own: call and ret change it in OPLO (apart from the state machine's priorities there)
  // (a call with the stack full or a ret with it empty changes it all the same: the core stops, and start clears it)
  m.seq('return_stack_pointer', ($) => {
    $.if(busyF.not().and(start), () => setSp($, 'clear'))
      .elseIf(at('OPLO').and(f.call), () => setSp($, 'push'))
      .elseIf(at('OPLO').and(f.ret), () => setSp($, 'pop'));
  });
  // the cycles counted while busy, cleared at start or rst: one condition for the flip-flops' synchronous reset (rst
  // and start together, not rst's reset with start's clear a multiplexer after the increment), busy their enable, so
  // that the increment's carry chain ends at the flip-flops' D
  const clearCycles = busyF.not().and(start);
  m.seq('cycle_count', ($) => $.if(rst.or(clearCycles), () => $.set(cycles, 0)).elseIf(busyF, () => $.set(cycles, cycles.addWrap(1))));
  // the states that wait, and what they wait for: the state machine changes nothing while one of them holds, so its
  // registers' enable is this flat condition of flags and registered exits (not every case's exit gathered through
  // the binary state's compares)
  const vEnds = vu.out('done');
  // ld's address fault, registered in LOAD's first cycle from the check EXHI registered and acted on in its second (a
  // load has at least two cycles; the word read at a bad address lands nowhere): one flip-flop in the hold and the
  // stop, not the check's AND behind them
  const loadFault = m.pipe('load_fault_q', at('LOAD').and(kZero).and(cntQ.not()).and(addrOk.not()), { reset: 0 });
  // (UWAIT of the multiply unit and of a counted wait as flags of their own, like IO's: each wait two inputs, the
  // hold 15 inputs in four groups of at most four, so two LUT levels)
  const uwaitMulF = flag('uwait_mul', (s) => (s === 'UWAIT' ? f.mul : 0));
  const uwaitCountF = flag('uwait_count', (s) => (s === 'UWAIT' ? f.mul.not() : 0));
  const hold = m.wire(
    'fsm_hold',
    busyF
      .not()
      .and(start.not())
      .or(uwaitMulF.and(mulU.out('done').not()))
      .or(uwaitCountF.and(uwaitZeroQ.not()).or(at('LOAD').and(kAtN.not())))
      .or(at('STORE').and(kLast.not()).or(ioSendF.and(txReady.not())))
      .or(ioRecvF.and(rxValid.or(rxIdle).not()))
      .or(atV('VWAIT').and(vEnds.not())),
  );
  // what stops the core (fault_q set, the state IDLE): OPLO's opcode unknown or return stack full (call) or empty (ret),
  // ACHK's store address, ld's (load_fault_q), VGO's vector operands, the vector unit's fault or a stray read at its end
  // (a call with the stack full, a ret with it empty: decoded with sp's flags in DECODE, which come at least a cycle
  // after the OPLO that last changed sp)
  const callFull = dec('call_full', isOp('call').and(spFullQ));
  const retEmpty = dec('ret_empty', isOp('ret').and(spEmptyQ));
  const oploFault = m.wire('oplo_fault', known.not().or(callFull).or(retEmpty));
  // OPLO's arc to FETCH (b, a call with room, a ret with an entry) decoded with them
  const oploToFetch = dec('oplo_to_fetch', isOp('b').or(isOp('call').and(spFullQ.not())).or(isOp('ret').and(spEmptyQ.not())));
  const vFault = vu.out('fault').or(vErrQ);
  const stopNow = at('OPLO')
    .and(oploFault)
    .or(at('ACHK').and(addrOk.not()))
    .or(loadFault)
    .or(atV('VGO').and(vBadQ))
    .or(atV('VWAIT').and(vEnds).and(vFault));
  // fault_q and counter_update_q in processes of their own, each a flat condition (not the state machine's enable
  // and cases behind them): fault cleared at start, set by a stop; a clamp's or vupd's counter update from its LOAD
  // (clampExit, vCountBegins) to its STORE's last word
  // (fault_q's next value every cycle, not an enable: its flip-flop's enable would gather start, busy and every stop)
  m.seq('fault', ($) => $.set(fault, clearCycles.not().and(fault.or(stopNow))));
  m.seq('counter_update', ($) => $.if(clampExit.or(vCountBegins), () => $.set(cntQ, 1)).elseIf(at('STORE').and(kLast), () => $.set(cntQ, 0)));
  // the state machine: each state's arcs to its next states, their conditions excluding each other and covering every
  // instruction that reaches the state (taken only when the state does not hold: IDLE with start, UWAIT with the unit
  // ready, LOAD at its last word or its fault, STORE at its last word, IO done, VWAIT with the unit done)
  const one = constant(1, uint(1));
  const arcs: Record<Next, [Expr, Next][]> = {
    IDLE: [[one, 'FETCH']],
    FETCH: [[one, 'DECODE']],
    DECODE: [[one, 'OPLO']],
    // b, call, ret end here (a call with the stack full, a ret with it empty stop), halt too
    OPLO: [
      [oploFault.or(f.halt), 'IDLE'],
      [oploToFetch, 'FETCH'],
      [ioRecv.or(ioSend), 'IO'],
      [vdec.on, 'VDESC'],
      [toExlo, 'EXLO'],
    ],
    EXLO: [[one, 'EXHI']],
    EXHI: [
      [f.alu, 'DECODE'], // the next word was fetched in this cycle
      [f.sel, 'SELHI'],
      [f.ld, 'LOAD'], // its address checked in LOAD's first cycle, the fault in its second (a read is harmless)
      [f.st, 'ACHK'],
      [toUnit, 'UNIT'],
      [exhiToFetch, 'FETCH'],
    ],
    ACHK: [
      [addrOk.not(), 'IDLE'],
      [addrOk, 'STORE'],
    ],
    SELHI: [[one, 'SELLO']],
    SELLO: [[one, 'FETCH']],
    // lfsrset ends here; draw, srnd and lfsrget wait for the bank (RHO)
    UNIT: [
      [f.lfsrset, 'FETCH'],
      [f.draw.or(f.srnd).or(f.lfsrget), 'RHO'],
      [f.mul.or(f.shift).or(f.sat), 'UWAIT'],
    ],
    RHO: [
      [f.draw.or(f.lfsrget), 'WLO'],
      [f.srnd, 'UWAIT'],
    ],
    // the clamp counted: its counter read (the access begun in memory_access), incremented, written back; then the result
    UWAIT: [
      [clamped, 'LOAD'],
      [clamped.not(), 'WLO'],
    ],
    CINC: [[one, 'STORE']],
    // (load_fault_q only where counter_update_q is 0)
    LOAD: [
      [loadFault, 'IDLE'],
      [cntQ.or(loadFault).not(), 'WLO'],
      [cntQ.and(vdec.upd), 'VCNT'],
      [cntQ.and(vdec.upd.not()), 'CINC'],
    ],
    WLO: [[one, 'WHI']],
    WHI: [[one, 'DECODE']], // the next word was fetched in this cycle
    // (a store's next word was fetched in its last cycle)
    STORE: [
      [cntQ.and(vdec.upd.not()), 'WLO'],
      [cntQ.and(vdec.upd.not()).not(), 'DECODE'],
    ],
    // recv: WLO, WHI write rd; WHI fetches the next word
    IO: [
      [ioRecvF, 'WLO'],
      [ioSendF, 'FETCH'],
    ],
    // a vector instruction: the gathers, the unit's run, rd written (WLO, WHI) or vupd's counters (LOAD, VCNT, STORE)
    VDESC: [[one, 'VREG']],
    VREG: [[one, 'VACC']],
    VACC: [[one, 'VGO']],
    VGO: [
      [vBadQ, 'IDLE'],
      [vBadQ.not(), 'VWAIT'],
    ],
    VWAIT: [
      [vFault, 'IDLE'],
      [vFault.not().and(vdec.upd), 'LOAD'],
      [vFault.or(vdec.upd).not(), 'WLO'],
    ],
    VCNT: [[one, 'STORE']],
  };
  // the terms entering each state: its arcs' conditions in their states (IO's flags of recv and send are 1 only in IO)
  const enters = new Map<Next, Expr[]>(STATES.map((t) => [t, []]));
  const inOwnState = new Set<Expr>([ioRecvF, ioSendF]);
  for (const s of STATES) {
    if (!withVector && VSTATES.has(s)) continue;
    const from = s === 'IDLE' ? busyF.not() : at(s);
    for (const [c, t] of arcs[s]) enters.get(t)!.push(c === one ? from : inOwnState.has(c) ? c : from.and(c));
  }
  const anyOf = (terms: Expr[]): Expr => terms.reduce((x, y) => x.or(y), constant(0, uint(1)));
  // a flag's next value: the terms of its states (a state's own condition with them), or, where fewer, not those of
  // the other states (busy: not entering IDLE)
  const nextOf = (has: (s: Next) => Expr | number): Expr => {
    const inside = STATES.flatMap((t) => {
      const h = has(t);
      return h === 0 ? [] : enters.get(t)!.map((e) => (h === 1 ? e : e.and(h as Expr)));
    });
    const plain = STATES.every((t) => typeof has(t) === 'number');
    const outside = STATES.flatMap((t) => (has(t) === 0 ? enters.get(t)! : []));
    return plain && outside.length < inside.length ? anyOf(outside).not() : anyOf(inside);
  };
  m.seq('fsm', ($) => $.if(hold.not(), () => flags.forEach(({ q, has }) => $.set(q, nextOf(has)))));

  m.output('busy', busyF);
  m.output('fault', fault);
  m.output('cycles', cycles);
  m.output('dbg_state', lfsrU.out('r_state'));
  return m.build();
}

/** The core that runs the step program `sp`: its image, its block RAM data (the table ROMs in place), all of SPRAM. */
export function ucoreCoreOf(sp: StepProgram, machine: CoreConfig['machine']): Module {
  const data: number[] = new Array<number>(sp.layout.ebrWords).fill(0);
  for (const img of sp.images) img.words.forEach((w, i) => (data[img.at - EBR_BASE + i] = w));
  return ucoreCore({ image: encode(sp.program), ebrWords: sp.layout.ebrWords, data, spramWords: EBR_BASE, satBase: sp.layout.at('sat'), machine });
}
