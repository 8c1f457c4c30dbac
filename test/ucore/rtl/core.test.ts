/**
 * The RTL core (generator/ucore/rtl/core.ts) against the instruction-set simulator on random programs of the
 * instructions it executes: ALU ops with register, short, block-RAM-address and pool operands, li of any
 * 64-bit value, loads and stores of 1–4 words in block RAM and SPRAM, forward branches of every kind, dbnz
 * loops, nested calls. The machine and the core start from the same random registers and memories; after the
 * run every register (both copies of the register file), every data word and the cycle count (the ISS with the
 * core's timing) are compared, and the core must not fault. Then the faults: an instruction outside the core,
 * ret on an empty stack, a call beyond the stack, an address outside the memories.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Asm, imm, type Label } from '../../../generator/ucore/asm.js';
import { encode, EBR_BASE, type Image } from '../../../generator/ucore/encode.js';
import { NUM_REGS, type Reg } from '../../../generator/ucore/isa.js';
import { CORE_OPS, coreCycles, romImage, ucoreCore } from '../../../generator/ucore/rtl/core.js';
import { QUANTITIES } from '../../../generator/numeric.js';
import { Machine, type MachineIo } from '../../../sim/ucore/iss.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { Rand } from '../mod-helpers.js';

const ROM = 512;
const POOL_BASE = 384;
const EBR = 512;
/** SPRAM words the programs use (the core has all 65,536, up to block RAM: an access across is a fault) */
const SPRAM = 1024;

const rnd = new Rand(2026);
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
/** counter words past the programs' block RAM */
const COUNTERS = 4 * 32;
/** four LFSR lanes of 16 bits, 8-bit draws, 3 steps a draw */
const MACHINE = { lanes: 4, lfsr: { width: 16, rbits: 8, leap: 3 } };

/** An instruction of a unit: mul, mulr, shl, shr, srnd, sat, satr, lone, draw, lfsrset (r12: a shift amount or a lane). */
function unitOp(a: Asm, data: readonly Reg[]): void {
  const [rd, ra] = [rnd.pick(data), rnd.pick(data)];
  switch (rnd.int(0, 9)) {
    case 7:
      a.li(12, rnd.int(0, MACHINE.lanes - 1));
      a.draw(rd, 12);
      break;
    case 8:
      a.li(12, rnd.int(0, MACHINE.lanes - 1));
      a.srnd(rd, ra, rnd.pick([1, 7, 8, 9, 16, 40, 63, rnd.int(1, 63)]), 12);
      break;
    case 9:
      a.li(12, rnd.int(0, MACHINE.lanes - 1));
      a.li(11, rnd.int(1, 2 ** MACHINE.lfsr.width - 1));
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
    a.li(11, rnd.int(1, 2 ** MACHINE.lfsr.width - 1));
    a.lfsrset(12, 11);
  }
  a.li(ebrP, EBR_BASE + rnd.int(0, EBR - 8));
  a.li(spP, rnd.int(0, SPRAM - 8));
  for (let k = 0; k < blocks; k++) {
    switch (rnd.int(0, io ? 10 : 8)) {
      case 9:
      case 10:
        if (rnd.int(0, 1) === 0) a.recv(rnd.pick(data));
        else a.send(rnd.pick(data));
        break;
      case 0:
        alu(rnd.int(1, 4));
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

function machine(io?: MachineIo): Machine {
  return new Machine({ memWords: EBR_BASE + EBR, ...MACHINE, quantities: QUANTITIES.length, timing: coreCycles, ...(io ? { io } : {}) });
}

/** recv and send: the I/O the core's ports carry (the other instructions run without a line) */
const IO_OPS: ReadonlySet<string> = new Set(['recv', 'send']);

describe('ucore RTL core against the ISS', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(ucoreCore({ image: { words: new Uint32Array(0), pool: new BigInt64Array(0), descriptors: new Uint32Array(0) }, ebrWords: EBR + COUNTERS, spramWords: EBR_BASE, satBase: EBR_BASE + EBR, romWords: ROM, poolBase: POOL_BASE, machine: MACHINE }));
  }, 600_000);
  afterAll(async () => {
    await m?.close();
  });

  /** Loads the image, the registers and the memories into the core and starts it at `entry`. */
  async function startCore(im: Image, regs: bigint[], mem: Uint16Array, entry: number): Promise<void> {
    const rom = romImage(im, POOL_BASE);
    if (rom.length > ROM) throw new Error('test program too large for the core built');
    await m.pokeMem('ucore_core.rom', 0, rom);
    const r = halves(regs);
    await m.pokeMem('ucore_core.rfa', 0, r);
    await m.pokeMem('ucore_core.rfb', 0, r);
    await m.pokeMem('ucore_core.dmem', 0, Array.from(mem.subarray(EBR_BASE, EBR_BASE + EBR)));
    await m.pokeMem('ucore_core.dmem', EBR, new Array<number>(COUNTERS).fill(0));
    await m.pokeMem('ucore_core.spram', 0, Array.from(mem.subarray(0, SPRAM)));
    await m.poke('entry', entry);
    await m.poke('start', 1);
    await m.step();
    await m.poke('start', 0);
  }

  /** Loads the image, the registers and the memories into the core; runs from `entry` until it stops. */
  async function runCore(im: Image, regs: bigint[], mem: Uint16Array, entry = 0): Promise<{ fault: number; cycles: number }> {
    await startCore(im, regs, mem, entry);
    await m.run({ untilPort: { port: 'busy', equals: 0 }, maxCycles: 200_000 });
    return { fault: await m.peek('fault'), cycles: await m.peek('cycles') };
  }

  /** The core's registers (both copies) and data memories against the machine's. */
  async function expectState(iss: Machine, what: string): Promise<void> {
    const want = halves(iss.regs).slice(2);
    expect(await m.peekMemBig('ucore_core.rfa', 2, 2 * NUM_REGS - 2), `${what}: registers (rfa)`).toEqual(want);
    expect(await m.peekMemBig('ucore_core.rfb', 2, 2 * NUM_REGS - 2), `${what}: registers (rfb)`).toEqual(want);
    expect(await m.peekMem('ucore_core.dmem', 0, EBR), `${what}: block RAM`).toEqual(Array.from(iss.mem.subarray(EBR_BASE, EBR_BASE + EBR)));
    expect(await m.peekMem('ucore_core.spram', 0, SPRAM), `${what}: SPRAM`).toEqual(Array.from(iss.mem.subarray(0, SPRAM)));
  }

  /** A machine with random registers and memories, and the core's copy of them (r0's RAM words garbage). */
  function randomStart(io?: MachineIo): { iss: Machine; regs: bigint[]; mem: Uint16Array } {
    const iss = machine(io);
    for (let r = 1; r < NUM_REGS; r++) iss.regs[r] = BIG();
    for (let i = 0; i < SPRAM; i++) iss.mem[i] = rnd.int(0, 0xffff);
    for (let i = 0; i < EBR; i++) iss.mem[EBR_BASE + i] = rnd.int(0, 0xffff);
    // r0's RAM words hold garbage: the core must read r0 as 0 anyway
    return { iss, regs: [BIG(), ...iss.regs.slice(1)], mem: iss.mem.slice() };
  }

  it('runs 60 random programs (units and counters too) as the ISS does: every register, data word, counter and cycle', async () => {
    await m.reset(2);
    let instructions = 0;
    let clamps = 0;
    const ran = new Set<string>();
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
      await expectState(iss, what);
      const cw = await m.peekMem('ucore_core.dmem', EBR, 4 * QUANTITIES.length);
      const lanes: number[] = [];
      for (let q = 0; q < MACHINE.lanes; q++) {
        await m.poke('dbg_lane', q);
        await m.step();
        lanes.push(await m.peek('dbg_state'));
      }
      expect(lanes, `${what}: LFSR states`).toEqual(Array.from(iss.lfsr));
      const counts = Array.from({ length: 2 * QUANTITIES.length }, (_, i) => cw[2 * i] + 65536 * cw[2 * i + 1]);
      expect(counts, `${what}: saturation counters`).toEqual(Array.from(iss.sat));
      clamps += iss.sat.reduce((x, y) => x + y, 0);
      for (const op of iss.opCycles.keys()) ran.add(op);
    }
    expect(instructions).toBeGreaterThan(2000);
    // every instruction the core executes ran (but the I/O: the next test), and counters were counted
    expect([...ran].sort()).toEqual([...CORE_OPS].filter((op) => !IO_OPS.has(op)).sort());
    expect(clamps).toBeGreaterThan(10);
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
      await expectState(iss, what);
    }
    expect(recvs).toBeGreaterThan(20);
    expect(sends).toBeGreaterThan(20);
    expect(idles).toBeGreaterThan(3);
    expect(waited).toBeGreaterThan(50);
  }, 600_000);

  it('stops with fault on an instruction it does not execute, a bad ret or call, an unmapped address', async () => {
    const cases: [string, (a: Asm) => void][] = [
      ['vdist', (a) => a.vdist(1, 2, 3, 4, 'signed')],
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
        'a load above block RAM',
        (a) => {
          a.li(1, EBR_BASE + EBR + COUNTERS);
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
          a.li(1, EBR_BASE + EBR + COUNTERS - 2);
          a.st(2, 1, 0, 4);
        },
      ],
    ];
    for (const [what, emit] of cases) {
      const a = new Asm();
      a.li(5, 77);
      emit(a);
      a.li(5, 99);
      a.halt();
      const regs = Array.from({ length: NUM_REGS }, () => 0n);
      const got = await runCore(encode(a.finish()), regs, new Uint16Array(EBR_BASE + EBR));
      expect(got.fault, what).toBe(1);
      // stopped at the fault: the instruction after it never ran
      expect(await m.peekMemBig('ucore_core.rfa', 10, 2), what).toEqual([77n, 0n]);
    }
  }, 600_000);
});
