/**
 * The ucore binary format (generator/ucore/encode.ts): decode(encode(p)) deep-equals p.code for random
 * instructions of every op at the edges of their fields and for every section program of the step; the decoded
 * program runs on the ISS to the same memory, registers, LFSR states, counters and cycles as the original; a
 * field that does not fit is refused naming the instruction.
 */
import { describe, expect, it } from 'vitest';
import { ROUNDINGS } from '../../generator/fixed/index.js';
import { Asm } from '../../generator/ucore/asm.js';
import { ALU, decode, EBR_BASE, encode, imageBits, OPCODES, type Image } from '../../generator/ucore/encode.js';
import { CYCLES, type Instr, type Op, type Src } from '../../generator/ucore/isa.js';
import { counterOf, machineFor, wordsOf } from '../../generator/ucore/program/common.js';
import { emitOutputStep } from '../../generator/ucore/program/output.js';
import { tableImage, tableRegs, tableSub } from '../../generator/ucore/program/tables.js';
import { emitUpdate } from '../../generator/ucore/program/update.js';
import { Machine } from '../../sim/ucore/iss.js';
import type { ChipParams } from '../../sim/golden/fixed/index.js';
import { configs } from './helpers.js';
import { ICE, Rand, SMALL } from './mod-helpers.js';
import { stepProgram } from '../../generator/ucore/program/step.js';

const rnd = new Rand(1313);

/** A random 64-bit value, or one at the edge of a field: the immediate, block RAM and pool boundaries. */
function value(): bigint {
  const edges = [0n, 1n, -1n, 63n, 64n, -64n, -65n, 8191n, 8192n, -8192n, -8193n, BigInt(EBR_BASE) - 1n, BigInt(EBR_BASE), BigInt(EBR_BASE) + 16383n, BigInt(EBR_BASE) + 16384n, BigInt(EBR_BASE) + 127n, 2n ** 63n - 1n, -(2n ** 63n), 65535n, 2n ** 32n];
  if (rnd.int(0, 2) > 0) return rnd.pick(edges);
  return BigInt.asIntN(64, (BigInt(rnd.int(0, 2 ** 31 - 1)) << 33n) ^ (BigInt(rnd.int(0, 2 ** 31 - 1)) << BigInt(rnd.int(0, 32))));
}
const reg = (): number => rnd.pick([0, 31, rnd.int(0, 31)]);
const src = (): Src => (rnd.int(0, 2) === 0 ? { reg: reg() } : { imm: value() });
const small = (lo: number, hi: number): number => rnd.pick([lo, hi, rnd.int(lo, hi)]);
const target = (): number => small(0, 4095);
const sgn = () => rnd.pick(['signed', 'unsigned'] as const);

/** A random instruction of op with edge-case fields. */
function random(op: Op): Instr {
  const alu = ALU.find((o) => o === op);
  if (alu) return { op: alu, rd: reg(), ra: reg(), b: src() };
  switch (op) {
    case 'li':
      return { op, rd: reg(), imm: value() };
    case 'shl':
      return { op, rd: reg(), ra: reg(), b: rnd.int(0, 1) ? { reg: reg() } : { imm: BigInt(small(0, 63)) } };
    case 'shr':
      return { op, rd: reg(), ra: reg(), b: rnd.int(0, 1) ? { reg: reg() } : { imm: BigInt(small(0, 63)) }, mode: rnd.pick(['floor', 'truncate', 'nearest', 'nearest-even'] as const) };
    case 'mulr':
      return { op, rd: reg(), ra: reg(), b: src(), k: small(-64, 63) };
    case 'srnd':
      return { op, rd: reg(), ra: reg(), k: small(1, 63), lane: reg() };
    case 'lone':
      return { op, rd: reg(), ra: reg() };
    case 'recv':
      return { op, rd: reg() };
    case 'send':
      return { op, ra: reg() };
    case 'sat':
      return { op, rd: reg(), ra: reg(), w: small(1, 63), signed: rnd.int(0, 1) === 1, q: small(0, 31) };
    case 'satr':
      return { op, rd: reg(), ra: reg(), lo: value(), hi: value(), q: small(0, 31) };
    case 'ld':
      return { op, rd: reg(), ra: reg(), off: Number(BigInt.asIntN(50, value())), n: small(1, 4), signed: rnd.int(0, 1) === 1 };
    case 'st':
      return { op, rs: reg(), ra: reg(), off: Number(BigInt.asIntN(50, value())), n: small(1, 4) };
    case 'draw':
    case 'lfsrget':
      return { op, rd: reg(), lane: reg() };
    case 'lfsrset':
      return { op, lane: reg(), rs: reg() };
    case 'b':
    case 'call':
      return { op, target: target() };
    case 'beq':
    case 'bne':
    case 'blt':
    case 'bge':
      return { op, ra: reg(), b: src(), target: target() };
    case 'dbnz':
      return { op, ra: reg(), target: target() };
    case 'ret':
    case 'halt':
      return { op };
    case 'vdot':
      return { op, rd: reg(), a: reg(), sa: reg(), bv: reg(), sb: reg(), n: reg(), fa: sgn(), fb: sgn() };
    case 'vdist':
      return { op, rd: reg(), a: reg(), bv: reg(), n: reg(), f: sgn() };
    case 'vupd':
      return { op, w: reg(), h: reg(), n: reg(), x: reg(), lane0: reg(), g: small(1, 63), u: { k: small(-64, 63), rounding: rnd.pick(ROUNDINGS), w: small(1, 63), q: small(0, 31) } };
    default:
      throw new Error(`no random ${op}`);
  }
}

const OPS = Object.keys(CYCLES) as Op[];

function roundTrip(code: Instr[]): Image {
  const im = encode(code);
  expect(im.words.length).toBe(code.length);
  expect(decode(im)).toEqual(code);
  return im;
}

describe('ucore instruction encoding', () => {
  it('every op has an opcode, every opcode is distinct', () => {
    expect(new Set(OPCODES.map((o) => o.op))).toEqual(new Set(OPS));
    expect(new Set(OPCODES.map((o) => o.code)).size).toBe(OPCODES.length);
    expect(Math.max(...OPCODES.map((o) => o.code))).toBeLessThan(64);
  });

  it('random instructions of every op, fields at their edges: decode(encode) is the code', () => {
    for (let t = 0; t < 40; t++) {
      // a program of 60 instructions, every op at least once per 2 programs
      const code = Array.from({ length: 60 }, (_, k) => random(OPS[(t * 60 + k) % OPS.length]));
      roundTrip(code);
    }
  });

  it('each operand mode is taken when the value fits it: short immediate, block RAM, pool', () => {
    const li = (v: bigint): Instr => ({ op: 'li', rd: 1, imm: v });
    const cases: [bigint, number][] = [
      [8191n, 0],
      [-8192n, 0],
      [8192n, 1],
      [BigInt(EBR_BASE), 0],
      [BigInt(EBR_BASE + 16383), 0],
      [BigInt(EBR_BASE + 16384), 1],
      [BigInt(EBR_BASE - 1), 1],
    ];
    for (const [v, poolEntries] of cases) expect(roundTrip([li(v)]).pool.length, `li ${v}`).toBe(poolEntries);
    // a mulr constant of 64 … 127 does not fit O9's immediate: one pool entry
    expect(roundTrip([{ op: 'mulr', rd: 2, ra: 3, b: { imm: 63n }, k: -3 }]).pool.length).toBe(0);
    expect(roundTrip([{ op: 'mulr', rd: 2, ra: 3, b: { imm: 64n }, k: -3 }]).pool.length).toBe(1);
  });

  it('narrow index fields reach their pool entries: 300 wide li constants before a wide mulr and satr', () => {
    const code: Instr[] = Array.from({ length: 300 }, (_, k) => ({ op: 'li', rd: 1, imm: 2n ** 40n + BigInt(k) }));
    code.push({ op: 'mulr', rd: 1, ra: 2, b: { imm: 2n ** 50n }, k: 7 }, { op: 'satr', rd: 1, ra: 1, lo: -(2n ** 45n), hi: 2n ** 45n, q: 3 });
    code.push({ op: 'satr', rd: 1, ra: 1, lo: 2n ** 40n + 7n, hi: 2n ** 50n, q: 3 }, { op: 'beq', ra: 1, b: { imm: 2n ** 40n + 299n }, target: 0 });
    const im = roundTrip(code);
    // the O9 references first (mulr, beq), then the pairs, then the li values not stored yet: 2 + 4 + 298
    expect(Array.from(im.pool.slice(0, 6))).toEqual([2n ** 50n, 2n ** 40n + 299n, -(2n ** 45n), 2n ** 45n, 2n ** 40n + 7n, 2n ** 50n]);
    expect(im.pool.length).toBe(304);
  });

  it('refuses what does not fit, naming the instruction and the field', () => {
    const bad: [Instr, RegExp][] = [
      [{ op: 'shr', rd: 1, ra: 2, b: { imm: 64n }, mode: 'floor' }, /instruction 1 \(shr\): immediate shift 64/],
      [{ op: 'shl', rd: 1, ra: 2, b: { imm: -1n } }, /instruction 1 \(shl\): immediate shift -1/],
      [{ op: 'add', rd: 1, ra: 2, b: { reg: 32 } }, /instruction 1 \(add\): register operand 32/],
      [{ op: 'add', rd: 40, ra: 2, b: { reg: 3 } }, /instruction 1 \(add\): rd = 40 does not fit 5 bits/],
      [{ op: 'mulr', rd: 1, ra: 2, b: { reg: 3 }, k: 64 }, /instruction 1 \(mulr\): k = 64 does not fit 7 bits/],
      [{ op: 'srnd', rd: 1, ra: 2, k: 64, lane: 3 }, /instruction 1 \(srnd\): k = 64/],
      [{ op: 'sat', rd: 1, ra: 2, w: 16, signed: true, q: 32 }, /instruction 1 \(sat\): q = 32/],
      [{ op: 'b', target: 4096 }, /instruction 1 \(b\): target = 4096 does not fit 12 bits/],
      [{ op: 'vdot', rd: 1, a: 2, sa: 33, bv: 4, sb: 5, n: 6, fa: 'signed', fb: 'signed' }, /instruction 1 \(vdot\): sa = 33/],
      [{ op: 'vupd', w: 1, h: 2, n: 3, x: 4, lane0: 5, g: 64, u: { k: 3, rounding: 'floor', w: 16, q: 1 } }, /instruction 1 \(vupd\): g = 64/],
      [{ op: 'vupd', w: 1, h: 2, n: 3, x: 4, lane0: 5, g: 2, u: { k: -65, rounding: 'floor', w: 16, q: 1 } }, /instruction 1 \(vupd\): vupd shift k = -65/],
    ];
    for (const [i, msg] of bad) expect(() => encode([{ op: 'halt' }, i]), i.op).toThrow(msg);
    // 65 distinct vdot descriptors: the x field holds 64
    const many: Instr[] = Array.from({ length: 65 }, (_, k) => ({ op: 'vdot', rd: 1, a: 2, sa: k % 32, bv: 3, sb: Math.floor(k / 32), n: 4, fa: 'signed', fb: 'signed' }));
    expect(() => encode(many)).toThrow(/instruction 64 \(vdot\): x = 64 does not fit 6 bits/);
    expect(() => encode(many.slice(0, 64))).not.toThrow();
  });

  it('decode refuses an invalid opcode, bits outside the fields, a register where a value belongs', () => {
    const im = encode([{ op: 'halt' }, { op: 'lone', rd: 3, ra: 4 }, { op: 'li', rd: 1, imm: 5n }]);
    const with_ = (k: number, w: number): Image => ({ ...im, words: Uint32Array.from(im.words, (x, j) => (j === k ? w : x)) });
    expect(() => decode(with_(0, 0x3f))).toThrow(/word 0 .* no valid opcode/);
    expect(() => decode(with_(1, im.words[1] | (1 << 20)))).toThrow(/word 1 \(lone\): bits 0x100000 set outside the fields of format R2/);
    // recv carries rd only, send ra only
    const io = encode([{ op: 'recv', rd: 5 }, { op: 'send', ra: 6 }]);
    expect(Array.from(io.words)).toEqual([0x30 | (5 << 11), 0x31 | (6 << 6)]);
    expect(() => decode({ ...io, words: Uint32Array.of(io.words[0] | (1 << 6)) })).toThrow(/word 0 \(recv\): bits 0x40 set outside the fields of format Rd/);
    expect(() => decode({ ...io, words: Uint32Array.of(io.words[1] | (1 << 11)) })).toThrow(/word 0 \(send\): bits 0x800 set outside the fields of format Ra/);
    // li with operand mode 0 (register)
    expect(() => decode(with_(2, im.words[2] & 0x3fffffff))).toThrow(/word 2 \(li\): a register where a value belongs/);
    // a vdot descriptor with bits beyond its fields, a vdist format above 1
    const v = encode([{ op: 'vdot', rd: 1, a: 2, sa: 3, bv: 4, sb: 5, n: 6, fa: 'signed', fb: 'unsigned' }, { op: 'vdist', rd: 1, a: 2, bv: 3, n: 4, f: 'signed' }]);
    expect(() => decode({ ...v, descriptors: Uint32Array.from(v.descriptors, (d) => d | (1 << 12)) })).toThrow(/word 0 \(vdot\): descriptor 0 has bits set/);
    expect(() => decode({ ...v, words: Uint32Array.from(v.words, (w, j) => (j === 1 ? w + (1 << 22) : w)) })).toThrow(/word 1 \(vdist\): vdist format 3/);
  });

  it('a second register at [27:23] (st\'s rs at [15:11], opcode bit 5 set), a pool index\'s bits 6 … 0 at [29:23] and 10 … 7 at [19:16] (O9: the low bits only)', () => {
    // (vdot and vupd: 40 of them, fewer than the 64 descriptors)
    const code = Array.from({ length: 3000 }, (_, k) => random(k < 40 ? rnd.pick(['vdot', 'vdist', 'vupd'] as const) : rnd.pick(OPS.filter((o) => o !== 'vdot' && o !== 'vupd'))));
    const im = roundTrip(code);
    expect(im.pool.length).toBeGreaterThan(128);
    let regs = 0;
    let pooled = 0;
    code.forEach((i, k) => {
      const w = im.words[k];
      const at = (lsb: number, n: number): number => (w >>> lsb) % 2 ** n;
      // the register the core reads as its second operand, if any
      const rb = i.op === 'st' ? i.rs : i.op === 'lfsrset' ? i.rs : i.op === 'srnd' ? i.lane : i.op === 'vdot' || i.op === 'vdist' ? i.bv : i.op === 'vupd' ? i.h : 'b' in i && 'reg' in i.b ? i.b.reg : undefined;
      if (rb !== undefined) {
        regs++;
        expect(at(5, 1), i.op).toBe(i.op === 'st' ? 1 : 0);
        expect(at(i.op === 'st' ? 11 : 23, 5), i.op).toBe(rb);
      }
      const o9 = i.op === 'mulr' || ['beq', 'bne', 'blt', 'bge'].includes(i.op);
      const pool = i.op === 'satr' || (['li', 'ld', 'st', 'mulr', ...ALU, 'beq', 'bne', 'blt', 'bge'].includes(i.op) && at(30, 2) === 3);
      if (pool) {
        pooled++;
        const index = at(23, 7) + (o9 ? 0 : at(16, 4) * 128);
        const want = i.op === 'satr' ? i.lo : i.op === 'li' ? i.imm : i.op === 'ld' || i.op === 'st' ? BigInt(i.off) : 'b' in i && 'imm' in i.b ? i.b.imm : undefined;
        expect(BigInt.asIntN(64, im.pool[index]), `${i.op} at ${k}`).toBe(BigInt.asIntN(64, want as bigint));
      }
    });
    expect(regs).toBeGreaterThan(500);
    expect(pooled).toBeGreaterThan(300);
  });

  it('the step program (four configs): decode(encode) is the code', () => {
    const cfgs: { name: string; P: ChipParams }[] = [ICE(), SMALL(), ...configs().slice(1)];
    for (const { name, P } of cfgs) {
      const { program, sections } = stepProgram(P, true);
      expect(sections.length).toBeGreaterThan(15);
      const im = roundTrip(program.code);
      const bits = imageBits(im);
      console.log(`[ucore encode] ${name}: ${program.code.length} words, ${im.pool.length} pool entries, ${im.descriptors.length} descriptors: ${bits.total} bits`);
    }
  });
});

/** Runs prog and its decoded image on two machines with the state `setup` gives; every register, word, LFSR, counter and cycle equal. */
function sameRun(P: ChipParams, memWords: number, build: (a: Asm) => void, setup: (m: Machine) => void, what: string): Machine {
  const a = new Asm();
  build(a);
  a.halt();
  const prog = a.finish();
  const decoded = { code: decode(encode(prog)), labels: new Map<string, number>() };
  const m0 = new Machine(machineFor(P, memWords));
  setup(m0);
  const [m1, m2] = [prog, decoded].map((p) => {
    const m = new Machine(machineFor(P, memWords));
    m.mem.set(m0.mem);
    m.lfsr.set(m0.lfsr);
    m.run(p);
    return m;
  });
  expect(m2.regs, `${what}: registers`).toEqual(m1.regs);
  expect(m2.mem.every((w, i) => w === m1.mem[i]), `${what}: memory`).toBe(true);
  expect(Array.from(m2.lfsr), `${what}: LFSR states`).toEqual(Array.from(m1.lfsr));
  expect(Array.from(m2.sat), `${what}: counters`).toEqual(Array.from(m1.sat));
  expect([m2.cycles, m2.instructions], `${what}: cycles, instructions`).toEqual([m1.cycles, m1.instructions]);
  expect(m2.opCycles).toEqual(m1.opCycles);
  return m1;
}

describe('the decoded program on the ISS', () => {
  it('iCEBreaker § UPDATE (vupd, srnd, draws) and § OUTPUT (table subroutines, calls): the same state and cycles', () => {
    const { P } = ICE();
    const N = P.numeric;
    const lanes = N.lfsr.lanes;
    const word = (m: Machine, a: number, n: number, lo: number, hi: number) => {
      for (let i = 0; i < n; i++) m.store(a + i, 1, BigInt(rnd.edgy(lo, hi, true)));
    };
    const seed = (m: Machine) => m.lfsr.forEach((_, q) => (m.lfsr[q] = 0x1234567 + 7919 * q));
    // § UPDATE of layer 1: params, h, δ
    const up = P.update[0];
    const at = { params: 0, h: up.n * (up.nIn + 1), delta: up.n * (up.nIn + 1) + up.nIn, deltaWords: wordsOf(N.delta.format), laneBase: 0, lanes };
    const mem = at.delta + up.n * at.deltaWords;
    const m = sameRun(P, mem, (a) => emitUpdate(a, up, at), (m) => {
      seed(m);
      word(m, 0, at.h, -32768, 32767);
      word(m, at.h, up.nIn, -32768, 32767);
      for (let j = 0; j < up.n; j++) m.store(at.delta + j * at.deltaWords, at.deltaWords, BigInt(j % 5 === 1 ? 0 : rnd.edgy(-32768, 32767)));
    }, 'update');
    expect(m.sat.some((c) => c > 0), 'update saturates').toBe(true);
    // § OUTPUT: tables, W, b, H, labels
    const op = P.output;
    const exp = tableImage(P.tables.exp);
    const rec = tableImage(P.tables.recip);
    let o = exp.words.length + rec.words.length;
    const take = (n: number) => ((o += n), o - n);
    const oat = { W: take(op.C * op.nIn), b: take(op.C * wordsOf(N.bias.format)), H: take(op.B * op.nIn), labels: take(op.B), logits: take(op.B * op.C * wordsOf(N.logit.format)), errs: take(op.B * op.C), e: take(op.C * 4) };
    const out = sameRun(P, o, (a) => {
      const r = tableRegs(a);
      const e = tableSub(a, P.tables.exp, 0, counterOf('prob'), r);
      const rc = tableSub(a, P.tables.recip, exp.words.length, undefined, r);
      emitOutputStep(a, op, N, oat, { exp: e, recip: rc }, { base: (P.L - 1) * lanes, lanes });
    }, (m) => {
      seed(m);
      m.mem.set(exp.words, 0);
      m.mem.set(rec.words, exp.words.length);
      word(m, oat.W, op.C * op.nIn, -32768, 32767);
      word(m, oat.b, op.C * wordsOf(N.bias.format), -32768, 32767);
      word(m, oat.H, op.B * op.nIn, -4096, 4095);
      for (let q = 0; q < op.B; q++) m.mem[oat.labels + q] = rnd.int(0, op.C - 1);
    }, 'output');
    expect(out.opCycles.get('call'), 'output calls its table subroutines').toBeGreaterThan(0);
    console.log(`[ucore encode] decoded § UPDATE ${m.cycles} cycles, § OUTPUT ${out.cycles} cycles, as the original`);
  });
});
