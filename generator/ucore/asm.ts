/**
 * The assembler of the UP5K engine's programs: a builder with one method per instruction of isa.ts, forward
 * labels, and a register allocator for the program generators (generator/ucore/program). `finish()` resolves
 * the labels and returns the instruction list the ISS runs and the RTL's program ROM will hold.
 */
import { NUM_REGS, type Instr, type Op, type Reg, type ShiftMode, type Signedness, type Src, type UpdDesc } from './isa.js';

/** Options of an assembler. */
export interface AsmOptions {
  /**
   * false: the core has no vector unit (CoreConfig.vector), so vdot, vdist and vupd are emitted as loops of scalar
   * instructions with the same results, counters and LFSR draws (default true: the vector instructions)
   */
  vector?: boolean;
}

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

/** A vector operand read word by word: its address register, the step (a register or an immediate), signedness. */
type Stream = { at: Reg; step: Operand; f: Signedness };

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
  /** vdot, vdist and vupd as instructions (true) or as loops of scalar ones (false: a core without its vector unit) */
  readonly vector: boolean;

  constructor(o: AsmOptions = {}) {
    this.vector = o.vector ?? true;
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
  /** rd ← rd + Σ mem[a + i·sa]·mem[bv + i·sb] (isa.ts); without the vector unit a loop of ld, mul and add. */
  vdot(rd: Reg, a: Reg, sa: Reg, bv: Reg, sb: Reg, n: Reg, fa: Signedness = 'signed', fb: Signedness = 'signed'): void {
    const ins: Instr = { op: 'vdot', rd: checkReg(rd), a: checkReg(a), sa: checkReg(sa), bv: checkReg(bv), sb: checkReg(sb), n: checkReg(n), fa, fb };
    if (this.vector) return this.emit(ins);
    this.notAliased('vdot', rd, [a, sa, bv, sb, n]);
    this.pairLoop(rd, n, { at: a, step: sa, f: fa }, { at: bv, step: sb, f: fb }, (x, y) => this.mul(x, x, y));
  }
  /** rd ← Σ (mem[a + i] − mem[bv + i])² (isa.ts); without the vector unit a loop of ld, sub, mul and add. */
  vdist(rd: Reg, a: Reg, bv: Reg, n: Reg, f: Signedness = 'unsigned'): void {
    const ins: Instr = { op: 'vdist', rd: checkReg(rd), a: checkReg(a), bv: checkReg(bv), n: checkReg(n), f };
    if (this.vector) return this.emit(ins);
    this.notAliased('vdist', rd, [a, bv, n]);
    this.li(rd, 0);
    this.pairLoop(rd, n, { at: a, step: imm(1), f }, { at: bv, step: imm(1), f }, (x, y) => {
      this.sub(x, x, y);
      this.mul(x, x, x);
    });
  }
  /**
   * The rank-1 row update of isa.ts (word W + i ← sat_u(mem[W + i] + round(x·mem[H + i], k)), stochastic rounding
   * with one draw of lane lane0 + (i mod g) per word); without the vector unit a loop of ld, mul / mulr, shl / shr /
   * srnd, sat and st, the lane stepped in a register.
   */
  vupd(w: Reg, h: Reg, n: Reg, x: Reg, lane0: Reg, g: number, u: UpdDesc): void {
    if (!Number.isInteger(g) || g < 1) throw new RangeError(`ucore asm: vupd needs g ≥ 1 lanes, got ${g}`);
    const ins: Instr = { op: 'vupd', w: checkReg(w), h: checkReg(h), n: checkReg(n), x: checkReg(x), lane0: checkReg(lane0), g, u: { ...u } };
    if (this.vector) return this.emit(ins);
    const stochastic = u.k > 0 && u.rounding === 'stochastic';
    const laneReg = stochastic && g > 1;
    this.with(laneReg ? 1 : 0, (lane?: Reg) => {
      if (lane !== undefined) this.mov(lane, lane0);
      this.scalarLoop(n, [w, h], 2, ([pw, ph], [t, y]) => {
        this.ld(t, ph, 0, 1, true);
        if (u.k <= 0) {
          this.mul(t, t, x);
          if (u.k < 0) this.shl(t, t, imm(-u.k));
        } else if (u.rounding === 'nearest') this.mulr(t, t, x, u.k);
        else {
          this.mul(t, t, x);
          if (u.rounding === 'stochastic') this.srnd(t, t, u.k, lane ?? lane0);
          else this.shr(t, t, imm(u.k), u.rounding);
        }
        this.ld(y, pw, 0, 1, true);
        this.add(t, t, y);
        this.sat(t, t, u.w, true, u.q);
        this.st(t, pw, 0, 1);
        this.add(pw, pw, imm(1));
        this.add(ph, ph, imm(1));
        if (lane !== undefined) {
          const same = this.label('vupd_lane');
          this.add(lane, lane, imm(1));
          this.sub(y, lane, lane0);
          this.bne(y, imm(g), same);
          this.mov(lane, lane0);
          this.bind(same);
        }
      });
    });
  }

  /** A vector instruction's scalar loop accumulates in rd: rd must not be one of its operands. */
  private notAliased(op: string, rd: Reg, operands: readonly Reg[]): void {
    if (operands.includes(rd)) throw new RangeError(`ucore asm: ${op} without the vector unit needs rd r${rd} apart from its operands`);
  }

  /**
   * rd ← rd + Σ term(mem[A], mem[B]) over n pairs of words, A and B stepped: vdot's and vdist's loop. `term`
   * leaves its value in its first register.
   */
  private pairLoop(rd: Reg, n: Reg, A: Stream, B: Stream, term: (x: Reg, y: Reg) => void): void {
    this.scalarLoop(n, [A.at, B.at], 2, ([pa, pb], [x, y]) => {
      this.ld(x, pa, 0, 1, A.f);
      this.ld(y, pb, 0, 1, B.f);
      term(x, y);
      this.add(rd, rd, x);
      this.add(pa, pa, A.step);
      this.add(pb, pb, B.step);
    });
  }

  /**
   * The loop of a vector instruction without the vector unit: `n` (a register, ≥ 0; none when 0) iterations of
   * `body`, given copies of the address registers `ptrs` (the body steps them) and `temps` scratch registers.
   */
  private scalarLoop(n: Reg, ptrs: readonly Reg[], temps: number, body: (ptrs: Reg[], temps: Reg[]) => void): void {
    this.with(1 + ptrs.length + temps, (c, ...rs) => {
      const done = this.label('vloop_done');
      const top = this.label('vloop');
      this.mov(c, n);
      this.beq(c, imm(0), done);
      const ps = rs.slice(0, ptrs.length);
      ptrs.forEach((p, i) => this.mov(ps[i], p));
      this.bind(top);
      body(ps, rs.slice(ptrs.length));
      this.dbnz(c, top);
      this.bind(done);
    });
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
