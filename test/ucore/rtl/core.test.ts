/**
 * The RTL core (generator/ucore/rtl/core.ts) against the instruction-set simulator on random programs of the
 * instructions it executes: ALU ops with register, short, block-RAM-address and pool operands, li of any
 * 64-bit value, loads and stores of 1–4 words in block RAM and SPRAM, forward branches of every kind, dbnz
 * loops, nested calls, the unit instructions, recv and send (on the core's ports with random stalls, idle lines
 * and back-pressure), and the vector instructions (vdot with strides of either sign and
 * 0, vdist, vupd in every rounding with its clamps counted) on operands in either memory, both in one memory
 * too (the reads by turns, vupd's writes first). The machine and the core start from the same random registers
 * and memories; after the run every register (both copies of the register file), every data word, every
 * counter, every LFSR lane and the cycle count (the ISS with the core's timing) are compared, and the core must
 * not fault. Then the iCEBreaker's step program on MNIST from a state of the fixed-point engine (two
 * full-window training steps and an inference), compared the same way after each run. Then the faults: an
 * unknown opcode, ret on an empty stack, a call beyond the stack, an address outside the memories.
 *
 * One core serves all: the iCEBreaker's machine (LFSR lanes and format) and data layout, a ROM large enough for
 * the step program and the random ones (the pool at 1,024, the descriptors at 1,984).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Asm, imm, type Label } from '../../../generator/ucore/asm.js';
import { encode, EBR_BASE, OPCODES, type Image } from '../../../generator/ucore/encode.js';
import { NUM_REGS, type Reg, type UpdDesc } from '../../../generator/ucore/isa.js';
import { CORE_OPS, CoreTiming, romImage, ucoreCore } from '../../../generator/ucore/rtl/core.js';
import { QUANTITIES } from '../../../generator/numeric.js';
import { ROUNDINGS } from '../../../generator/fixed/index.js';
import { loadChipConfig } from '../../../generator/config.js';
import { machineFor } from '../../../generator/ucore/program/common.js';
import { stepProgram } from '../../../generator/ucore/program/step.js';
import { chipTrainConfig } from '../../../host/chip/config.js';
import { FixedPointEngine } from '../../../sim/golden/fixed/index.js';
import { Machine, type MachineIo } from '../../../sim/ucore/iss.js';
import { loadCounters, loadState, ucoreMachine, writeSample } from '../../../sim/ucore/state.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { loadMnistSubset } from '../../units/mnist-subset.js';
import { Rand } from '../mod-helpers.js';
import { peekDmem, pokeDmem, pokeRom } from './ref.js';

const ROM = 2048;
const POOL_BASE = 1024;
const DESC_BASE = 1984;
/** block RAM words the random programs use (from EBR_BASE) */
const EBR = 512;
/** SPRAM words the random programs use (the core has all 65,536, up to block RAM: an access across is a fault) */
const SPRAM = 1024;

/** The iCEBreaker's engine, step program and machine (LFSR lanes and format) */
const ICE_CFG = loadChipConfig('boards/icebreaker/chip.json');
const engine = (): FixedPointEngine => new FixedPointEngine(chipTrainConfig(ICE_CFG, 1), ICE_CFG.numeric);
const P = engine().params;
const SP = stepProgram(P, true);
const MACHINE = machineFor(P, 0);
/** the core's block RAM: the step's data layout; its saturation counters (dmem index) */
const EBR_WORDS = SP.layout.ebrWords;
const SAT = SP.layout.at('sat') - EBR_BASE;
const COUNTERS = 4 * 32;

const rnd = new Rand(2026);
/** lfsrget's draws (unitOp: an lfsrget before a unit instruction now and then), apart from the other instructions' */
const lrnd = new Rand(2027);
const BIG = (): bigint => BigInt.asIntN(64, (BigInt(rnd.int(0, 2 ** 30)) << 34n) ^ (BigInt(rnd.int(0, 2 ** 30)) << 4n) ^ BigInt(rnd.int(0, 15)));

/** A random operand: a register, a short immediate, a block RAM address, or a wide (pool) value. */
function operand(data: readonly Reg[]): Reg | ReturnType<typeof imm> {
  switch (rnd.int(0, 4)) {
    case 0:
    case 1:
      return rnd.pick(data);
    case 2:
      return imm(BigInt(rnd.int(-8192, 8191)));
    case 3:
      return imm(BigInt(EBR_BASE + rnd.int(0, 16383)));
    default:
      return imm(rnd.pick([BIG(), -1n, 2n ** 63n - 1n, -(2n ** 63n), BigInt(rnd.int(-100, 100))]));
  }
}

const ALU = ['add', 'sub', 'and', 'or', 'xor', 'max', 'min', 'slt'] as const;
const MODES = ['floor', 'truncate', 'nearest', 'nearest-even'] as const;
const LFSR_MAX = 2 ** MACHINE.lfsr.width - 1;
const RB = MACHINE.lfsr.rbits;

/** An instruction of a unit: mul, mulr, shl, shr, srnd, sat, satr, lone, draw, lfsrset, lfsrget (r12: a shift amount or a lane). */
function unitOp(a: Asm, data: readonly Reg[]): void {
  if (lrnd.int(0, 5) === 0) {
    // a lane's state, now and then right after a draw or a set of that lane
    a.li(12, lrnd.int(0, MACHINE.lanes - 1));
    if (lrnd.int(0, 2) === 0) a.draw(lrnd.pick(data), 12);
    else if (lrnd.int(0, 2) === 0) {
      a.li(11, lrnd.int(1, LFSR_MAX));
      a.lfsrset(12, 11);
    }
    a.lfsrget(lrnd.pick(data), 12);
  }
  const [rd, ra] = [rnd.pick(data), rnd.pick(data)];
  switch (rnd.int(0, 9)) {
    case 7:
      a.li(12, rnd.int(0, MACHINE.lanes - 1));
      a.draw(rd, 12);
      break;
    case 8:
      a.li(12, rnd.int(0, MACHINE.lanes - 1));
      a.srnd(rd, ra, rnd.pick([1, 7, RB - 1, RB, RB + 1, 40, 63, rnd.int(1, 63)]), 12);
      break;
    case 9:
      a.li(12, rnd.int(0, MACHINE.lanes - 1));
      a.li(11, rnd.int(1, LFSR_MAX));
      a.lfsrset(12, 11);
      break;
    case 0:
      a.mul(rd, ra, operand(data));
      break;
    case 1:
      a.mulr(rd, ra, rnd.int(0, 2) === 0 ? imm(rnd.int(-64, 63)) : rnd.pick(data), rnd.int(-64, 63));
      break;
    case 2:
    case 3: {
      let amt: Reg | ReturnType<typeof imm> = imm(rnd.int(0, 63));
      if (rnd.int(0, 1) === 0) {
        a.li(12, rnd.pick([0, 1, 31, 32, 33, 63, rnd.int(0, 63)]));
        amt = 12;
      }
      if (rnd.int(0, 3) === 0) a.shl(rd, ra, amt);
      else a.shr(rd, ra, amt, rnd.pick(MODES));
      break;
    }
    case 4:
      a.sat(rd, ra, rnd.pick([1, 2, 8, 16, 24, 31, 32, 33, 48, 63, rnd.int(1, 63)]), rnd.int(0, 1) === 1, rnd.int(0, QUANTITIES.length - 1));
      break;
    case 5: {
      const x = BigInt(rnd.int(-(2 ** 30), 2 ** 30)) << BigInt(rnd.int(0, 30));
      const y = x + (BigInt(rnd.int(0, 2 ** 30)) << BigInt(rnd.int(0, 30)));
      a.satr(rd, ra, x, y, rnd.int(0, QUANTITIES.length - 1));
      break;
    }
    default:
      a.lone(rd, ra);
  }
}

/** Vector operands: registers r16 … r21 (the scalar blocks leave them alone) */
const V = { a: 16, sa: 17, b: 18, sb: 19, n: 20, x: 21 };

/** The lowest address of n words at stride s inside the programs' words of SPRAM or block RAM; the first word's address. */
function place(ebr: boolean, n: number, s: number): number {
  const [lo, hi] = ebr ? [EBR_BASE, EBR_BASE + EBR] : [0, SPRAM];
  const span = Math.max(0, n - 1) * Math.abs(s);
  const first = rnd.int(lo, hi - 1 - span);
  return s < 0 ? first + span : first;
}

/** A vector instruction on operands in random memories (both in one memory too), its registers set before it. */
function vectorOp(a: Asm, data: readonly Reg[]): void {
  const n = rnd.pick([0, 1, 2, 3, rnd.int(1, 8), rnd.int(4, 24), rnd.int(4, 24)]);
  const mem = (): boolean => rnd.int(0, 1) === 1;
  // a value into its register, or r0 for a 0 now and then
  const reg = (r: Reg, v: number | bigint): Reg => {
    if (BigInt(v) === 0n && rnd.int(0, 2) === 0) return 0;
    a.li(r, BigInt(v));
    return r;
  };
  const sign = () => rnd.pick(['signed', 'unsigned'] as const);
  const k = rnd.int(0, 2);
  if (k === 0) {
    const [sa, sb] = [0, 0].map(() => rnd.pick([1, 1, 1, 0, -1, 2, 3, -3]));
    const [pa, pb] = [place(mem(), n, sa), place(mem(), n, sb)];
    const ops = [reg(V.a, pa), reg(V.sa, sa), reg(V.b, pb), reg(V.sb, sb), reg(V.n, n)];
    // rd: a data register, or one of the operands' (read before it is written)
    a.vdot(rnd.pick([...data, ...data, V.a, V.n]), ops[0], ops[1], ops[2], ops[3], ops[4], sign(), sign());
  } else if (k === 1) {
    const ops = [reg(V.a, place(mem(), n, 1)), reg(V.b, place(mem(), n, 1)), reg(V.n, n)];
    a.vdist(rnd.pick([...data, V.b]), ops[0], ops[1], ops[2], sign());
  } else {
    const wE = mem();
    const hE = mem();
    const w = place(wE, n, 1);
    let h = place(hE, n, 1);
    // H is no word of W written before it is read: H ≥ W or H + n ≤ W
    if (wE === hE && h < w && h + n > w) h = w + rnd.int(0, Math.min(n, (wE ? EBR_BASE + EBR : SPRAM) - n - w));
    const lane0 = rnd.int(0, MACHINE.lanes - 1);
    const g = rnd.int(1, MACHINE.lanes - lane0);
    const x = rnd.pick([BigInt(rnd.int(-300, 300)), BigInt(rnd.int(-(2 ** 31), 2 ** 31 - 1)), BigInt(rnd.int(-(2 ** 16), 2 ** 16)), -(2n ** 31n), 2n ** 31n - 1n, 0n]);
    const u: UpdDesc = { k: rnd.pick([-3, 0, 1, RB - 1, RB, RB + 1, rnd.int(1, 24), rnd.int(1, 40)]), rounding: rnd.pick(ROUNDINGS), w: rnd.pick([1, 2, 8, 12, 15, 16]), q: rnd.int(0, QUANTITIES.length - 1) };
    a.vupd(reg(V.a, w), reg(V.b, h), reg(V.n, n), reg(V.x, x), reg(V.sa, lane0), g, u);
  }
}

/**
 * A random program of the core's instructions; r13 points into block RAM, r14 into SPRAM, r15 counts loops. With
 * `io`, recv and send too.
 */
function randomProgram(blocks: number, io = false): Asm {
  const a = new Asm();
  const data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const [ebrP, spP, cnt] = [13, 14, 15];
  const subs: Label[] = [a.label('sub0'), a.label('sub1')];
  const alu = (k: number) => {
    for (let i = 0; i < k; i++) a[rnd.pick(ALU)](rnd.pick(data), rnd.pick(data), operand(data));
  };
  // every lane set (a state of 1 … 2^16 − 1) before anything draws
  for (let q = 0; q < MACHINE.lanes; q++) {
    a.li(12, q);
    a.li(11, rnd.int(1, LFSR_MAX));
    a.lfsrset(12, 11);
  }
  a.li(ebrP, EBR_BASE + rnd.int(0, EBR - 8));
  a.li(spP, rnd.int(0, SPRAM - 8));
  for (let k = 0; k < blocks; k++) {
    switch (rnd.int(0, io ? 11 : 9)) {
      case 10:
      case 11:
        if (rnd.int(0, 1) === 0) a.recv(rnd.pick(data));
        else a.send(rnd.pick(data));
        break;
      case 0:
        alu(rnd.int(1, 4));
        break;
      case 9:
        vectorOp(a, data);
        break;
      case 8:
        unitOp(a, data);
        unitOp(a, data);
        break;
      case 1:
        a.li(rnd.pick(data), rnd.pick([BIG(), BigInt(rnd.int(-8192, 8191)), BigInt(EBR_BASE + rnd.int(0, 100))]));
        break;
      case 2:
        a.ld(rnd.pick(data), rnd.pick([ebrP, spP]), rnd.int(0, 3), rnd.int(1, 4), rnd.int(0, 1) === 1);
        break;
      case 3:
        a.st(rnd.pick(data), rnd.pick([ebrP, spP]), rnd.int(0, 3), rnd.int(1, 4));
        break;
      case 4: {
        const over = a.label('over');
        if (rnd.int(0, 5) === 0) a.b(over);
        else a[rnd.pick(['beq', 'bne', 'blt', 'bge'] as const)](rnd.pick(data), rnd.int(0, 3) === 0 ? imm(rnd.int(-64, 63)) : rnd.pick(data), over);
        alu(rnd.int(1, 3));
        a.bind(over);
        break;
      }
      case 5: {
        const top = a.label('loop');
        a.li(cnt, rnd.int(1, 4));
        a.bind(top);
        alu(rnd.int(1, 3));
        a.dbnz(cnt, top);
        break;
      }
      case 6:
        a.call(rnd.pick(subs));
        break;
      default: {
        // a pointer moved (within its memory)
        const p = rnd.pick([ebrP, spP]);
        a.li(p, p === ebrP ? EBR_BASE + rnd.int(0, EBR - 8) : rnd.int(0, SPRAM - 8));
      }
    }
  }
  a.halt();
  // sub0 calls sub1 (two return-stack entries)
  a.bind(subs[0]);
  alu(2);
  a.call(subs[1]);
  a.ret();
  a.bind(subs[1]);
  alu(2);
  a.ret();
  return a;
}

/** The register file's words: each register's low and high 32-bit halves. */
const halves = (regs: readonly bigint[]): bigint[] => regs.flatMap((v) => [BigInt.asUintN(32, v), BigInt.asUintN(32, v >> 32n)]);

/** A machine for the random programs with the core's timing (`timing.attach` once its registers are set). */
function machine(io?: MachineIo): { iss: Machine; timing: CoreTiming } {
  const timing = new CoreTiming();
  return { iss: new Machine({ ...MACHINE, memWords: EBR_BASE + EBR_WORDS, timing: timing.timing, ...(io ? { io } : {}) }), timing };
}

/** recv and send: the I/O the core's ports carry (the other instructions run without a line) */
const IO_OPS: ReadonlySet<string> = new Set(['recv', 'send']);

/** The saturation counters as the core keeps them: counter i (high, low of each quantity) in two words, low first. */
const counterWords = (sat: Float64Array): number[] => Array.from({ length: COUNTERS }, (_, j) => (j >> 1 < sat.length ? (j & 1 ? Math.floor(sat[j >> 1] / 65536) : sat[j >> 1] % 65536) : 0));

describe('ucore RTL core against the ISS', () => {
  let m: Model;
  beforeAll(async () => {
    const empty: Image = { words: new Uint32Array(0), pool: new BigInt64Array(0), descriptors: new Uint32Array(0) };
    m = await buildFromIr(ucoreCore({ image: empty, ebrWords: EBR_WORDS, spramWords: EBR_BASE, satBase: EBR_BASE + SAT, romWords: ROM, poolBase: POOL_BASE, descBase: DESC_BASE, machine: MACHINE }));
  }, 600_000);
  afterAll(async () => {
    await m?.close();
  });

  async function loadRom(im: Image): Promise<void> {
    if (im.words.length > POOL_BASE) throw new Error('test program too large for the core built');
    const rom = romImage(im, POOL_BASE, DESC_BASE);
    if (rom.length > ROM) throw new Error('test program too large for the core built');
    await pokeRom(m, rom, ROM, false);
  }

  async function loadRegs(regs: readonly bigint[]): Promise<void> {
    const r = halves(regs);
    await m.pokeMem('ucore_core.rfa', 0, r);
    await m.pokeMem('ucore_core.rfb', 0, r);
  }

  /** Starts the core at `entry`. */
  async function begin(entry: number): Promise<void> {
    await m.poke('entry', entry);
    await m.poke('start', 1);
    await m.step();
    await m.poke('start', 0);
  }

  /** Runs the core until it stops. */
  async function finish(): Promise<{ fault: number; cycles: number }> {
    await m.run({ untilPort: { port: 'busy', equals: 0 }, maxCycles: 2_000_000 });
    return { fault: await m.peek('fault'), cycles: await m.peek('cycles') };
  }

  /** Loads the image, the registers and the programs' words of both memories (counters 0); starts at `entry`. */
  async function startCore(im: Image, regs: bigint[], mem: Uint16Array, entry: number): Promise<void> {
    await loadRom(im);
    await loadRegs(regs);
    await pokeDmem(m, EBR_WORDS, 0, Array.from(mem.subarray(EBR_BASE, EBR_BASE + EBR)));
    await pokeDmem(m, EBR_WORDS, SAT, new Array<number>(COUNTERS).fill(0));
    await m.pokeMem('ucore_core.spram', 0, Array.from(mem.subarray(0, SPRAM)));
    await begin(entry);
  }

  /** startCore, then runs until the core stops. */
  async function runCore(im: Image, regs: bigint[], mem: Uint16Array, entry = 0): Promise<{ fault: number; cycles: number }> {
    await startCore(im, regs, mem, entry);
    return finish();
  }

  /** A machine with random registers and memories (its timing attached), and the core's copy (r0's RAM words 0, as the core keeps them). */
  function randomStart(io?: MachineIo): { iss: Machine; regs: bigint[]; mem: Uint16Array } {
    const { iss, timing } = machine(io);
    for (let r = 1; r < NUM_REGS; r++) iss.regs[r] = BIG();
    for (let i = 0; i < SPRAM; i++) iss.mem[i] = rnd.int(0, 0xffff);
    for (let i = 0; i < EBR; i++) iss.mem[EBR_BASE + i] = rnd.int(0, 0xffff);
    timing.attach(iss);
    BIG(); // (one draw more, in its place: the random programs drawn after it stay the ones the thresholds below were set on)
    return { iss, regs: iss.regs.slice(), mem: iss.mem.slice() };
  }

  /**
   * The core's registers (both copies), block RAM words 0 … ebr − 1 but the counters, SPRAM words 0 … spram − 1,
   * saturation counters and LFSR lanes against the ISS's.
   */
  async function expectSame(iss: Machine, what: string, ebr: number, spram: number): Promise<void> {
    // (r0's words too: the core reads r0 from the RAM, so they must stay 0 whatever writes rd = 0)
    const want = halves(iss.regs);
    expect(await m.peekMemBig('ucore_core.rfa', 0, 2 * NUM_REGS), `${what}: registers (rfa)`).toEqual(want);
    expect(await m.peekMemBig('ucore_core.rfb', 0, 2 * NUM_REGS), `${what}: registers (rfb)`).toEqual(want);
    const below = Math.min(ebr, SAT);
    expect(await peekDmem(m, EBR_WORDS, 0, below), `${what}: block RAM`).toEqual(Array.from(iss.mem.subarray(EBR_BASE, EBR_BASE + below)));
    if (ebr > SAT + COUNTERS) expect(await peekDmem(m, EBR_WORDS, SAT + COUNTERS, ebr - SAT - COUNTERS), `${what}: block RAM past the counters`).toEqual(Array.from(iss.mem.subarray(EBR_BASE + SAT + COUNTERS, EBR_BASE + ebr)));
    expect(await m.peekMem('ucore_core.spram', 0, spram), `${what}: SPRAM`).toEqual(Array.from(iss.mem.subarray(0, spram)));
    expect(await peekDmem(m, EBR_WORDS, SAT, COUNTERS), `${what}: saturation counters`).toEqual(counterWords(iss.sat));
    const lanes: number[] = [];
    for (let q = 0; q < MACHINE.lanes; q++) {
      await m.poke('dbg_lane', q);
      await m.step();
      lanes.push(await m.peek('dbg_state'));
    }
    expect(lanes, `${what}: LFSR states`).toEqual(Array.from(iss.lfsr));
  }

  it('runs 60 random programs (units, vector instructions and counters too) as the ISS does: every register, data word, counter, LFSR lane and cycle', async () => {
    await m.reset(2);
    let instructions = 0;
    let clamps = 0;
    const ran = new Set<string>();
    const vectorCycles = new Map<string, number>();
    for (let t = 0; t < 60; t++) {
      const prog = randomProgram(rnd.int(10, 60)).finish();
      const im = encode(prog);
      const { iss, regs, mem } = randomStart();
      iss.run(prog);
      instructions += iss.instructions;
      const got = await runCore(im, regs, mem);
      const what = `program ${t} (${prog.code.length} instructions, ${iss.instructions} run)`;
      expect(got.fault, `${what}: fault`).toBe(0);
      expect(got.cycles, `${what}: cycles`).toBe(iss.cycles);
      await expectSame(iss, what, EBR, SPRAM);
      clamps += iss.sat.reduce((x, y) => x + y, 0);
      for (const [op, c] of iss.opCycles) {
        ran.add(op);
        if (op.startsWith('v')) vectorCycles.set(op, (vectorCycles.get(op) ?? 0) + c);
      }
    }
    expect(instructions).toBeGreaterThan(2000);
    // every instruction the core executes ran (but the I/O: the next test), and counters were counted
    expect([...ran].sort()).toEqual([...CORE_OPS].filter((op) => !IO_OPS.has(op)).sort());
    expect(clamps).toBeGreaterThan(10);
    console.log(`[ucore core] random programs: ${instructions} instructions; vector cycles ${[...vectorCycles].map(([op, c]) => `${op} ${c}`).join(', ')}`);
  }, 600_000);

  it('recv and send through the ports with random stalls, idle lines and back-pressure as the ISS through its io driver: every register, byte and cycle', async () => {
    await m.reset(2);
    let recvs = 0;
    let sends = 0;
    let idles = 0;
    let waited = 0;
    for (let t = 0; t < 16; t++) {
      const prog = randomProgram(rnd.int(20, 40), true).finish();
      // the line as the ISS meets it: each recv a byte or the idle line's 256; what it sends
      const line: number[] = [];
      const sent: number[] = [];
      const { iss, regs, mem } = randomStart({
        recv: () => {
          const v = rnd.int(0, 4) === 0 ? 256 : rnd.int(0, 255);
          line.push(v);
          return v;
        },
        send: (b) => sent.push(b),
      });
      iss.run(prog);
      const what = `program ${t} (${prog.code.length} instructions, ${line.length} recv, ${sent.length} send)`;
      await startCore(encode(prog), regs, mem, 0);
      // the core's side: at each recv or send a random stall (nothing there, or no room), then the line's item
      const got: number[] = [];
      let next = 0;
      let waits = 0;
      for (;;) {
        await m.run({ untilPort: { port: 'io_wait', equals: 1 }, maxCycles: 200_000, allowTimeout: true });
        if ((await m.peek('busy')) === 0) break;
        const recv = (await m.peek('rx_ready')) === 1;
        expect((await m.peek('tx_valid')) === 1, `${what}: tx_valid exactly when no recv waits`).toBe(!recv);
        const stall = rnd.int(0, 2) === 0 ? rnd.int(1, 12) : 0;
        for (let k = 0; k < stall; k++) {
          await m.step();
          expect(await m.peek('io_wait'), `${what}: waits while nothing is there`).toBe(1);
        }
        waits += stall;
        if (recv) {
          const v = line[next++];
          // a byte wins over an idle line
          if (v === 256) await m.poke('rx_idle', 1);
          else {
            await m.poke('rx_valid', 1);
            await m.poke('rx_data', v);
            await m.poke('rx_idle', rnd.int(0, 1));
          }
          idles += v === 256 ? 1 : 0;
        } else {
          got.push(await m.peek('tx_data'));
          await m.poke('tx_ready', 1);
        }
        await m.step();
        for (const p of ['rx_valid', 'rx_idle', 'tx_ready']) await m.poke(p, 0);
        recvs += recv ? 1 : 0;
        sends += recv ? 0 : 1;
      }
      waited += waits;
      expect(await m.peek('fault'), `${what}: fault`).toBe(0);
      expect(next, `${what}: every recv took its item`).toBe(line.length);
      expect(got, `${what}: bytes sent`).toEqual(sent);
      expect(await m.peek('cycles'), `${what}: cycles (the ISS's and the waiting)`).toBe(iss.cycles + waits);
      await expectSame(iss, what, EBR, SPRAM);
    }
    expect(recvs).toBeGreaterThan(20);
    expect(sends).toBeGreaterThan(20);
    expect(idles).toBeGreaterThan(3);
    expect(waited).toBeGreaterThan(50);
  }, 600_000);

  it('runs the iCEBreaker step program as the ISS does: two full-window MNIST training steps and an inference from a state of the fixed-point engine, every data word, counter, LFSR lane, register and cycle after each', async () => {
    const data = loadMnistSubset(P.B + 1, 1);
    const e = engine();
    // the window full from the first step run here
    for (let i = 0; i < P.B - 1; i++) e.trainSample(data.train, i);
    const timing = new CoreTiming();
    const iss = ucoreMachine(P, SP, timing.timing);
    timing.attach(iss);
    loadState(iss, P, SP, e.state);
    loadCounters(iss, e.sat.snapshot());
    // the LFSR states into the core: a program of lfsrset
    const init = new Asm();
    iss.lfsr.forEach((st, q) => {
      init.li(1, q);
      init.li(2, BigInt(st));
      init.lfsrset(1, 2);
    });
    init.halt();
    await loadRom(encode(init.finish()));
    await begin(0);
    expect((await finish()).fault, 'setting the LFSR lanes').toBe(0);
    await loadRom(encode(SP.program));
    await loadRegs(iss.regs);
    await m.pokeMem('ucore_core.spram', 0, Array.from(iss.mem.subarray(0, SP.layout.spramWords)));
    await pokeDmem(m, EBR_WORDS, SAT, counterWords(iss.sat));
    const runs: ['train' | 'infer', number][] = [
      ['train', P.B - 1],
      ['train', P.B],
      ['infer', 0],
    ];
    for (const [entry, i] of runs) {
      const split = entry === 'train' ? data.train : data.test;
      writeSample(iss, SP, e.sampleInput(split, i).u, split.y[i]);
      // the sample (and the rest of block RAM, equal to the core's after the run before)
      await pokeDmem(m, EBR_WORDS, 0, Array.from(iss.mem.subarray(EBR_BASE, EBR_BASE + SAT)));
      const c0 = iss.cycles;
      const before = new Map(iss.opCycles);
      iss.run(SP.program, SP.entry[entry]);
      await begin(SP.entry[entry]);
      const got = await finish();
      const what = `${entry} sample ${i}`;
      expect(got.fault, `${what}: fault`).toBe(0);
      expect(got.cycles, `${what}: cycles`).toBe(iss.cycles - c0);
      await expectSame(iss, what, EBR_WORDS, SP.layout.spramWords);
      if (entry === 'train') for (const op of ['vdot', 'vdist', 'vupd']) expect(iss.opCycles.get(op) ?? 0, `${what}: ${op} ran`).toBeGreaterThan(before.get(op) ?? 0);
      console.log(`[ucore core] step program, ${what}: ${got.cycles} cycles`);
    }
  }, 600_000);

  it('stops with fault on an unknown opcode, a bad ret or call, an unmapped address, a vector operand out of its range', async () => {
    const cases: [string, (a: Asm) => void, number?][] = [
      // (word 1 replaced by each opcode that no instruction has)
      ...Array.from({ length: 64 }, (_, c) => c)
        .filter((c) => !OPCODES.some((o) => o.code === c))
        .map((c): [string, (a: Asm) => void, number] => [`the unknown opcode 0x${c.toString(16)}`, (a) => a.halt(), c]),
      ['ret on an empty stack', (a) => a.ret()],
      [
        'a call beyond the stack',
        (a) => {
          const self = a.label('self');
          a.bind(self);
          a.call(self);
        },
      ],
      [
        'a load below 0',
        (a) => {
          a.li(1, -1);
          a.ld(2, 1, 0, 1, false);
        },
      ],
      [
        'a load whose address has its low half in block RAM and its high half set',
        (a) => {
          a.li(1, 2n ** 32n + BigInt(EBR_BASE));
          a.ld(2, 1, 0, 1, false);
        },
      ],
      [
        'a store whose address has its low half in SPRAM and its high half set',
        (a) => {
          a.li(1, -(2n ** 32n) + 16n);
          a.st(2, 1, 0, 2);
        },
      ],
      [
        'a load above block RAM',
        (a) => {
          a.li(1, EBR_BASE + EBR_WORDS);
          a.ld(2, 1, 0, 1, false);
        },
      ],
      [
        'a load running from SPRAM into block RAM',
        (a) => {
          a.li(1, EBR_BASE - 2);
          a.ld(2, 1, 0, 4, false);
        },
      ],
      [
        'a store running past block RAM',
        (a) => {
          a.li(1, EBR_BASE + EBR_WORDS - 2);
          a.st(2, 1, 0, 4);
        },
      ],
      [
        'a vdot reading past block RAM',
        (a) => {
          a.li(1, EBR_BASE + EBR_WORDS - 2);
          a.li(2, 1);
          a.li(3, 4);
          a.vdot(4, 1, 2, 0, 0, 3);
        },
      ],
      [
        'a vdist running from SPRAM into block RAM',
        (a) => {
          a.li(1, EBR_BASE - 2);
          a.li(3, 4);
          a.vdist(4, 0, 1, 3);
        },
      ],
      [
        'a vdot of 65,536 elements',
        (a) => {
          a.li(3, 65536);
          a.vdot(4, 0, 0, 0, 0, 3);
        },
      ],
      [
        'a vupd saturating to 17 bits (words are 16)',
        (a) => {
          a.li(1, EBR_BASE);
          a.li(3, 4);
          a.li(6, 5);
          a.vupd(1, 1, 3, 6, 0, 1, { k: 1, rounding: 'floor', w: 17, q: 0 });
        },
      ],
      [
        'a vupd with x beyond 32 bits',
        (a) => {
          a.li(1, EBR_BASE);
          a.li(3, 4);
          a.li(6, 2n ** 40n);
          a.vupd(1, 1, 3, 6, 0, 1, { k: 4, rounding: 'nearest', w: 16, q: 0 });
        },
      ],
    ];
    for (const [what, emit, word] of cases) {
      const a = new Asm();
      a.li(5, 77);
      emit(a);
      a.li(5, 99);
      a.halt();
      const im = encode(a.finish());
      if (word !== undefined) im.words[1] = word;
      const regs = Array.from({ length: NUM_REGS }, () => 0n);
      const got = await runCore(im, regs, new Uint16Array(EBR_BASE + EBR));
      expect(got.fault, what).toBe(1);
      // stopped at the fault: the instruction after it never ran
      expect(await m.peekMemBig('ucore_core.rfa', 10, 2), what).toEqual([77n, 0n]);
    }
  }, 600_000);

  it('checks an access against the end of its memory: ld and st of 1 … 4 words from each of the last five words of SPRAM and of block RAM', async () => {
    let faults = 0;
    for (const end of [EBR_BASE, EBR_BASE + EBR_WORDS]) {
      for (let first = end - 5; first < end; first++) {
        for (let n = 1; n <= 4; n++) {
          const store = (first + n) % 2 === 0;
          const a = new Asm();
          a.li(1, first);
          if (store) a.st(2, 1, 0, n);
          else a.ld(2, 1, 0, n, false);
          a.li(5, 99);
          a.halt();
          const regs = Array.from({ length: NUM_REGS }, () => 0n);
          const got = await runCore(encode(a.finish()), regs, new Uint16Array(EBR_BASE + EBR));
          const what = `${store ? 'st' : 'ld'} of ${n} words from ${first} (the memory ends at ${end})`;
          const outside = first + n > end;
          expect(got.fault, what).toBe(outside ? 1 : 0);
          expect(await m.peekMemBig('ucore_core.rfa', 10, 2), `${what}: r5`).toEqual([outside ? 0n : 99n, 0n]);
          if (outside) faults++;
        }
      }
    }
    expect(faults).toBe(2 * (3 + 2 + 1));
  }, 600_000);
});

describe('ucore RTL core with its LFSR bank in block RAM (CoreConfig.lfsrStorage), as the board takes it (no vector unit)', () => {
  it('runs lfsrset, draw, srnd and lfsrget (right after a draw or a set of its lane too) as the ISS does: every register, LFSR lane and cycle', async () => {
    const a = new Asm();
    for (let q = 0; q < MACHINE.lanes; q++) {
      a.li(12, q);
      a.li(11, rnd.int(1, LFSR_MAX));
      a.lfsrset(12, 11);
    }
    const data = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    for (let k = 0; k < 120; k++) {
      a.li(12, rnd.int(0, MACHINE.lanes - 1));
      switch (rnd.int(0, 4)) {
        case 0:
          a.draw(rnd.pick(data), 12);
          break;
        case 1:
          a.li(11, rnd.int(1, LFSR_MAX));
          a.lfsrset(12, 11);
          break;
        case 2:
          a.srnd(rnd.pick(data), rnd.pick(data), rnd.int(1, 40), 12);
          break;
        default:
          a.lfsrget(rnd.pick(data), 12);
      }
    }
    a.halt();
    const prog = a.finish();
    const timing = new CoreTiming();
    const iss = new Machine({ ...MACHINE, memWords: EBR_BASE + 256, quantities: 1, timing: timing.timing });
    for (let r = 1; r < NUM_REGS; r++) iss.regs[r] = BIG();
    const regs = iss.regs.slice();
    timing.attach(iss);
    iss.run(prog);
    expect(iss.opCycles.get('lfsrget') ?? 0).toBeGreaterThan(0);
    const m = await buildFromIr(ucoreCore({ image: encode(prog), ebrWords: 256, spramWords: 16, satBase: EBR_BASE, machine: MACHINE, lfsrStorage: 'block', vector: false }));
    try {
      await m.reset(2);
      await m.pokeMem('ucore_core.rfa', 0, halves(regs));
      await m.pokeMem('ucore_core.rfb', 0, halves(regs));
      await m.poke('entry', 0);
      await m.poke('start', 1);
      await m.step();
      await m.poke('start', 0);
      await m.run({ untilPort: { port: 'busy', equals: 0 }, maxCycles: 100_000 });
      expect(await m.peek('fault')).toBe(0);
      expect(await m.peek('cycles')).toBe(iss.cycles);
      expect(await m.peekMemBig('ucore_core.rfa', 2, 2 * NUM_REGS - 2)).toEqual(halves(iss.regs).slice(2));
      const lanes: number[] = [];
      for (let q = 0; q < MACHINE.lanes; q++) {
        await m.poke('dbg_lane', q);
        await m.step();
        lanes.push(await m.peek('dbg_state'));
      }
      expect(lanes).toEqual(Array.from(iss.lfsr));
    } finally {
      await m.close();
    }
  }, 600_000);
});
