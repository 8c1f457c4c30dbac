/**
 * The assembler of the UP5K engine's programs: a builder with one method per instruction of isa.ts, forward
 * labels, and a register allocator for the program generators (generator/ucore/program). `finish()` resolves
 * the labels and returns the instruction list the ISS runs and the RTL's program ROM will hold.
 */
import { NUM_REGS, type Instr, type Op, type Reg, type ShiftMode, type Signedness, type Src, type UpdDesc } from './isa.js';

/** A place in the program, bound once with `Asm.bind`. */
export class Label {
  at = -1;
  constructor(readonly name: string) {}
}

export interface Program {
  code: Instr[];
  /** label name → address (bound labels only), for traces and tests */
  labels: Map<string, number>;
}

type Pending = { index: number; label: Label };
type Imm = number | bigint;
type Operand = Reg | { imm: Imm };

/** An immediate operand. */
export const imm = (v: Imm): { imm: Imm } => ({ imm: v });

function src(b: Operand): Src {
  if (typeof b === 'number') return { reg: checkReg(b) };
  const v = typeof b.imm === 'bigint' ? b.imm : BigInt(checkInt(b.imm));
  return { imm: BigInt.asIntN(64, v) };
}

function checkReg(r: Reg): Reg {
  if (!Number.isInteger(r) || r < 0 || r >= NUM_REGS) throw new RangeError(`ucore asm: register r${r} does not exist (r0 … r${NUM_REGS - 1})`);
  return r;
}

function checkInt(v: number): number {
  if (!Number.isSafeInteger(v)) throw new RangeError(`ucore asm: immediate ${v} is not a safe integer`);
  return v;
}

/** The ops rd ← ra ∘ b of isa.ts (b a register or an immediate): one method each, `a.add(rd, ra, b)`. */
const ALU_OPS = ['add', 'sub', 'and', 'or', 'xor', 'mul', 'max', 'min', 'slt', 'shl'] as const satisfies readonly Op[];
/** The compare-and-branch ops of isa.ts (branch to the label when ra ∘ b): one method each, `a.beq(ra, b, l)`. */
const BRANCH_OPS = ['beq', 'bne', 'blt', 'bge'] as const satisfies readonly Op[];

type AluMethods = { [K in (typeof ALU_OPS)[number]]: (rd: Reg, ra: Reg, b: Operand) => void };
type BranchMethods = { [K in (typeof BRANCH_OPS)[number]]: (ra: Reg, b: Operand, l: Label) => void };

/** The methods of ALU_OPS and BRANCH_OPS, defined on Asm's prototype from the tables. */
export interface Asm extends AluMethods, BranchMethods {}

export class Asm {
  static {
    for (const op of ALU_OPS)
      Asm.prototype[op] = function (this: Asm, rd: Reg, ra: Reg, b: Operand): void {
        this.emit({ op, rd: checkReg(rd), ra: checkReg(ra), b: src(b) });
      };
    for (const op of BRANCH_OPS)
      Asm.prototype[op] = function (this: Asm, ra: Reg, b: Operand, l: Label): void {
        this.branchTo({ op, ra: checkReg(ra), b: src(b), target: -1 }, l);
      };
  }

  private readonly code: Instr[] = [];
  private readonly pending: Pending[] = [];
  private readonly labels: Label[] = [];
  private readonly free: Reg[] = [];
  private readonly held = new Set<Reg>();

  constructor() {
    for (let r = NUM_REGS - 1; r >= 1; r--) this.free.push(r);
  }

  /** The address of the next instruction. */
  get here(): number {
    return this.code.length;
  }

  label(name: string): Label {
    const l = new Label(name);
    this.labels.push(l);
    return l;
  }

  /** Binds `l` to the next instruction. */
  bind(l: Label): void {
    if (l.at >= 0) throw new Error(`ucore asm: label ${l.name} bound twice`);
    l.at = this.code.length;
  }

  /** A free register (r1 … r31), held until `release`. */
  reg(): Reg {
    const r = this.free.pop();
    if (r === undefined) throw new Error('ucore asm: out of registers');
    this.held.add(r);
    return r;
  }

  regs(n: number): Reg[] {
    return Array.from({ length: n }, () => this.reg());
  }

  release(...rs: Reg[]): void {
    for (const r of rs) {
      if (!this.held.delete(r)) throw new Error(`ucore asm: r${r} released but not held`);
      this.free.push(r);
    }
  }

  /** Runs `body` with `n` fresh registers and releases them after. */
  with<T>(n: number, body: (...rs: Reg[]) => T): T {
    const rs = this.regs(n);
    try {
      return body(...rs);
    } finally {
      this.release(...rs);
    }
  }

  private emit(i: Instr): void {
    this.code.push(i);
  }

  private branchTo(i: Instr & { target: number }, l: Label): void {
    this.pending.push({ index: this.code.length, label: l });
    this.emit(i);
  }

  li(rd: Reg, v: Imm): void {
    this.emit({ op: 'li', rd: checkReg(rd), imm: BigInt.asIntN(64, typeof v === 'bigint' ? v : BigInt(checkInt(v))) });
  }
  mov(rd: Reg, ra: Reg): void {
    this.add(rd, ra, imm(0));
  }
  /** rd ← rnd(ra·b, k) (k ≥ 1: round half up; k ≤ 0: shift left by −k). */
  mulr(rd: Reg, ra: Reg, b: Operand, k: number): void {
    this.emit({ op: 'mulr', rd: checkReg(rd), ra: checkReg(ra), b: src(b), k: checkInt(k) });
  }
  shr(rd: Reg, ra: Reg, b: Operand, mode: ShiftMode): void {
    this.emit({ op: 'shr', rd: checkReg(rd), ra: checkReg(ra), b: src(b), mode });
  }
  /** rd ← ra·2^−k rounded half up (k ≥ 1), ra·2^−k exactly (k ≤ 0): the spec's rnd(x, k). */
  rnd(rd: Reg, ra: Reg, k: number): void {
    if (k > 0) this.shr(rd, ra, imm(k), 'nearest');
    else if (k < 0) this.shl(rd, ra, imm(-k));
    else if (rd !== ra) this.mov(rd, ra);
  }
  srnd(rd: Reg, ra: Reg, k: number, lane: Reg): void {
    if (!Number.isInteger(k) || k < 1) throw new RangeError(`ucore asm: srnd needs k ≥ 1, got ${k}`);
    this.emit({ op: 'srnd', rd: checkReg(rd), ra: checkReg(ra), k, lane: checkReg(lane) });
  }
  lone(rd: Reg, ra: Reg): void {
    this.emit({ op: 'lone', rd: checkReg(rd), ra: checkReg(ra) });
  }
  sat(rd: Reg, ra: Reg, w: number, signed: boolean, q: number): void {
    if (!Number.isInteger(w) || w < 1 || w > 63) throw new RangeError(`ucore asm: sat width ${w} out of 1 … 63`);
    this.emit({ op: 'sat', rd: checkReg(rd), ra: checkReg(ra), w, signed, q });
  }
  satr(rd: Reg, ra: Reg, lo: Imm, hi: Imm, q: number): void {
    this.emit({ op: 'satr', rd: checkReg(rd), ra: checkReg(ra), lo: BigInt(lo), hi: BigInt(hi), q });
  }
  ld(rd: Reg, ra: Reg, off: number, n = 1, signed: boolean | Signedness = true): void {
    this.emit({ op: 'ld', rd: checkReg(rd), ra: checkReg(ra), off: checkInt(off), n: words(n), signed: signed === true || signed === 'signed' });
  }
  st(rs: Reg, ra: Reg, off: number, n = 1): void {
    this.emit({ op: 'st', rs: checkReg(rs), ra: checkReg(ra), off: checkInt(off), n: words(n) });
  }
  draw(rd: Reg, lane: Reg): void {
    this.emit({ op: 'draw', rd: checkReg(rd), lane: checkReg(lane) });
  }
  lfsrset(lane: Reg, rs: Reg): void {
    this.emit({ op: 'lfsrset', lane: checkReg(lane), rs: checkReg(rs) });
  }
  lfsrget(rd: Reg, lane: Reg): void {
    this.emit({ op: 'lfsrget', rd: checkReg(rd), lane: checkReg(lane) });
  }
  b(l: Label): void {
    this.branchTo({ op: 'b', target: -1 }, l);
  }
  dbnz(ra: Reg, l: Label): void {
    this.branchTo({ op: 'dbnz', ra: checkReg(ra), target: -1 }, l);
  }
  call(l: Label): void {
    this.branchTo({ op: 'call', target: -1 }, l);
  }
  ret(): void {
    this.emit({ op: 'ret' });
  }
  halt(): void {
    this.emit({ op: 'halt' });
  }
  /** rd ← the next byte of the UART (0 … 255), or 256 when the line stays idle past the board's timeout. */
  recv(rd: Reg): void {
    this.emit({ op: 'recv', rd: checkReg(rd) });
  }
  /** Transmits the low 8 bits of ra on the UART. */
  send(ra: Reg): void {
    this.emit({ op: 'send', ra: checkReg(ra) });
  }
  vdot(rd: Reg, a: Reg, sa: Reg, bv: Reg, sb: Reg, n: Reg, fa: Signedness = 'signed', fb: Signedness = 'signed'): void {
    this.emit({ op: 'vdot', rd: checkReg(rd), a: checkReg(a), sa: checkReg(sa), bv: checkReg(bv), sb: checkReg(sb), n: checkReg(n), fa, fb });
  }
  vdist(rd: Reg, a: Reg, bv: Reg, n: Reg, f: Signedness = 'unsigned'): void {
    this.emit({ op: 'vdist', rd: checkReg(rd), a: checkReg(a), bv: checkReg(bv), n: checkReg(n), f });
  }
  vupd(w: Reg, h: Reg, n: Reg, x: Reg, lane0: Reg, g: number, u: UpdDesc): void {
    if (!Number.isInteger(g) || g < 1) throw new RangeError(`ucore asm: vupd needs g ≥ 1 lanes, got ${g}`);
    this.emit({ op: 'vupd', w: checkReg(w), h: checkReg(h), n: checkReg(n), x: checkReg(x), lane0: checkReg(lane0), g, u: { ...u } });
  }

  /**
   * A counted loop of a constant `count` ≥ 1 iterations, the counter register counting down (count … 1) and given
   * to `body`. A count held in a register: loopReg (a Reg is a number too, so one method cannot take both).
   */
  loop(count: number, body: (counter: Reg) => void): void {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`ucore asm: loop count ${count} must be ≥ 1`);
    this.countDown('loop', (c) => this.li(c, count), body);
  }

  /**
   * A counted loop of `count` iterations, `count` a register holding ≥ 1 (preserved); the counter register counts
   * down (count … 1) and is given to `body`.
   */
  loopReg(count: Reg, body: (counter: Reg) => void): void {
    this.countDown('rloop', (c) => this.mov(c, count), body);
  }

  /** A fresh counter register set by `init`, then `body` and a dbnz back to it: the loops above. */
  private countDown(name: string, init: (counter: Reg) => void, body: (counter: Reg) => void): void {
    this.with(1, (c) => {
      init(c);
      const top = this.label(name);
      this.bind(top);
      body(c);
      this.dbnz(c, top);
    });
  }

  finish(): Program {
    for (const p of this.pending) {
      if (p.label.at < 0) throw new Error(`ucore asm: label ${p.label.name} used but never bound`);
      (this.code[p.index] as { target: number }).target = p.label.at;
    }
    const labels = new Map<string, number>();
    for (const l of this.labels) if (l.at >= 0 && !labels.has(l.name)) labels.set(l.name, l.at);
    return { code: this.code.slice(), labels };
  }
}

function words(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > 4) throw new RangeError(`ucore asm: ${n} words per access (1 … 4)`);
  return n;
}
