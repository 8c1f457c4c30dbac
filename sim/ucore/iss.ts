/**
 * The instruction-set simulator of the UP5K engine: executes a program of generator/ucore/isa.ts on the core's
 * state, instruction by instruction, counting cycles by isa.ts CYCLES. It is the specification the RTL core is
 * checked against (every register and memory word), and the program generators are checked through it against
 * the golden model.
 *
 * Registers are BigInt (64-bit two's complement); memory is 16-bit words in a Uint16Array; vector instructions
 * compute in float64 where their operands bound the sums below 2^53 (16-bit words: a vdot of up to 2^20
 * elements) and in BigInt otherwise.
 */
import { DEFAULT_TAPS } from '../../generator/fixed/index.js';
import { CYCLES, NUM_REGS, RETURN_STACK, type Instr, type ShiftMode, type Src, type UpdDesc } from '../../generator/ucore/isa.js';
import type { Program } from '../../generator/ucore/asm.js';

/**
 * The board's UART as the program sees it through recv and send. A host-side driver implements it: `recv` gives
 * the next received byte (0 … 255), 256 when the line has stayed idle past the board's timeout, or 'wait' when
 * no byte is there yet — run() then returns 'wait' with the pc still at the recv, and resume() retries it once
 * the driver has more.
 */
export interface MachineIo {
  recv(): number | 'wait';
  send(byte: number): void;
}

/** Why run() / resume() returned: the program halted, or a recv waits for the line (MachineIo). */
export type RunStatus = 'halt' | 'wait';

export interface MachineConfig {
  /** data memory size in 16-bit words */
  memWords: number;
  /** LFSR lanes in all (every weight layer's bank) */
  lanes: number;
  lfsr: { width: number; rbits: number; leap: number };
  /** saturation counter pairs (quantities) */
  quantities: number;
  /**
   * Cycles of an instruction; default the plan in isa.ts CYCLES. `elements`: the vector elements it processed,
   * or for sat / satr the clamps it counted (0 or 1); `operands`: mul's and mulr's factors. The co-simulation of
   * an RTL core gives the core's own (generator/ucore/rtl/core.ts coreCycles).
   */
  timing?: (ins: Instr, elements: number, operands?: readonly [bigint, bigint]) => number;
  /** count cycles per instruction address for programs of up to this many instructions (pcCycles; default 0) */
  profile?: number;
  /** the UART of recv and send (a program without them needs none) */
  io?: MachineIo;
  /**
   * where the saturation counters are data words (isa.ts STATE: counter (q, high) at satBase + 4q, (q, low) at
   * satBase + 4q + 2, 32 bits little-endian; ld and st there read and write `sat`); default: not addressable
   */
  satBase?: number;
}

export class IssError extends Error {}

const M64 = (1n << 64n) - 1n;
const wrap = (v: bigint): bigint => BigInt.asIntN(64, v);

/** ⌊x / 2^k⌋ rounded by mode, k ≥ 1 (BigInt). */
export function shiftRound(x: bigint, k: number, mode: ShiftMode): bigint {
  if (k <= 0) return x;
  const K = BigInt(k);
  switch (mode) {
    case 'floor':
      return x >> K;
    case 'truncate':
      return x >= 0n ? x >> K : -(-x >> K);
    case 'nearest':
      return (x + (1n << (K - 1n))) >> K;
    case 'nearest-even': {
      const q = x >> K;
      const r = x - (q << K);
      const half = 1n << (K - 1n);
      if (r > half || (r === half && (q & 1n) === 1n)) return q + 1n;
      return q;
    }
  }
}

export class Machine {
  readonly regs: bigint[] = new Array<bigint>(NUM_REGS).fill(0n);
  readonly mem: Uint16Array;
  /** LFSR states (unsigned W-bit values) */
  readonly lfsr: Uint32Array;
  /** saturation counters: [2q] high, [2q + 1] low */
  readonly sat: Float64Array;
  cycles = 0;
  instructions = 0;
  /** the next instruction's address: after a 'wait', the recv that waits; after a halt, the halt; after an error, the instruction that failed */
  pc = 0;
  /** the return stack (addresses after the calls), kept across a 'wait' */
  private readonly stack: number[] = [];
  /** cycles per opcode (profile) */
  readonly opCycles = new Map<string, number>();
  /** cycles per instruction address (profile), when the program is at most `profile` long (MachineConfig) */
  readonly pcCycles: Float64Array;
  private readonly jump: Uint32Array;
  /** the counters' words: satLo … satHi − 1 (empty without MachineConfig.satBase) */
  private readonly satLo: number;
  private readonly satHi: number;
  private readonly rmask: number;
  private readonly rbits: number;

  constructor(readonly cfg: MachineConfig) {
    this.mem = new Uint16Array(cfg.memWords);
    this.lfsr = new Uint32Array(cfg.lanes);
    this.sat = new Float64Array(2 * cfg.quantities);
    this.pcCycles = new Float64Array(cfg.profile ?? 0);
    this.satLo = cfg.satBase ?? 0;
    this.satHi = cfg.satBase === undefined ? 0 : cfg.satBase + 2 * this.sat.length;
    if (this.satHi > cfg.memWords) throw new RangeError(`ucore ISS: the counters at ${this.satLo} … ${this.satHi - 1} lie outside the memory`);
    const { width, rbits, leap } = cfg.lfsr;
    const taps = DEFAULT_TAPS[width];
    if (taps === undefined) throw new RangeError(`ucore ISS: no LFSR taps for width ${width}`);
    this.rbits = rbits;
    this.rmask = rbits >= 32 ? 0xffffffff : 2 ** rbits - 1;
    // step^leap of each byte at each position: the leap is linear over GF(2)
    this.jump = new Uint32Array(4 * 256);
    for (let k = 0; k < 4; k++)
      for (let b = 0; b < 256; b++) {
        let s = (b * 2 ** (8 * k)) >>> 0;
        if (s >= 2 ** width) s = 0;
        for (let i = 0; i < leap; i++) s = ((s >>> 1) ^ (s & 1 ? taps : 0)) >>> 0;
        this.jump[k * 256 + b] = s;
      }
  }

  /** The next draw of lane q (advances it). */
  draw(q: number): number {
    if (!Number.isInteger(q) || q < 0 || q >= this.cfg.lanes) throw new IssError(`draw from lane ${q}: the core has ${this.cfg.lanes}`);
    const J = this.jump;
    const s = this.lfsr[q];
    const n = (J[s & 255] ^ J[256 + ((s >>> 8) & 255)] ^ J[512 + ((s >>> 16) & 255)] ^ J[768 + (s >>> 24)]) >>> 0;
    this.lfsr[q] = n;
    return (n & this.rmask) >>> 0;
  }

  /** n words at address a as an integer (little-endian), signed or not. */
  load(a: number, n: number, signed: boolean): bigint {
    this.checkAddr(a, n);
    const counters = a < this.satHi && a + n > this.satLo;
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 16n) | BigInt(counters ? this.memWord(a + i) : this.mem[a + i]);
    return signed ? BigInt.asIntN(16 * n, v) : v;
  }

  store(a: number, n: number, v: bigint): void {
    this.checkAddr(a, n);
    const counters = a < this.satHi && a + n > this.satLo;
    let x = BigInt.asUintN(16 * n, v);
    for (let i = 0; i < n; i++) {
      const w = Number(x & 0xffffn);
      if (counters && a + i >= this.satLo && a + i < this.satHi) this.setCounterWord(a + i, w);
      else this.mem[a + i] = w;
      x >>= 16n;
    }
  }

  /** Word a of the data memory, a counter's half inside the counters' words (satBase). */
  private memWord(a: number): number {
    if (a < this.satLo || a >= this.satHi) return this.mem[a];
    const k = a - this.satLo;
    const c = this.sat[k >> 1] % 2 ** 32;
    return k & 1 ? Math.floor(c / 65536) : c % 65536;
  }

  private setCounterWord(a: number, w: number): void {
    const k = a - this.satLo;
    const c = this.sat[k >> 1] % 2 ** 32;
    this.sat[k >> 1] = k & 1 ? (c % 65536) + w * 65536 : c - (c % 65536) + w;
  }

  /** A signed/unsigned word read as a number (vector paths). */
  private word(a: number, signed: boolean): number {
    const v = this.mem[a];
    return signed && v >= 0x8000 ? v - 0x10000 : v;
  }

  private checkAddr(a: number, n = 1): void {
    if (!Number.isInteger(a) || a < 0 || a + n > this.mem.length) throw new IssError(`memory access at ${a} (+${n}) outside 0 … ${this.mem.length - 1}`);
  }

  /** The operand of a vector instruction: its `n` ≥ 0 words a, a + stride, …, a + (n − 1)·stride lie in memory. */
  private checkRange(a: number, n: number, stride = 1): void {
    if (n <= 0) return;
    const last = a + (n - 1) * stride;
    this.checkAddr(Math.min(a, last), Math.abs(last - a) + 1);
  }

  private r(i: number): bigint {
    return i === 0 ? 0n : this.regs[i];
  }

  private w(i: number, v: bigint): void {
    if (i !== 0) this.regs[i] = wrap(v);
  }

  private s(b: Src): bigint {
    return 'reg' in b ? this.r(b.reg) : b.imm;
  }

  /** A register as a small non-negative integer (addresses, counts, lanes). */
  private idx(i: number, what: string): number {
    const v = this.r(i);
    if (v < 0n || v > 0xffffffffn) throw new IssError(`${what} r${i} = ${v} is not an index`);
    return Number(v);
  }

  private shiftAmount(b: Src): number {
    const v = this.s(b);
    if (v < 0n || v > 63n) throw new IssError(`shift by ${v} (0 … 63)`);
    return Number(v);
  }

  private clamp(v: bigint, lo: bigint, hi: bigint, q: number): bigint {
    if (v > hi) {
      this.sat[2 * q]++;
      return hi;
    }
    if (v < lo) {
      this.sat[2 * q + 1]++;
      return lo;
    }
    return v;
  }

  /** rd ← v clamped into [lo, hi] (counted in q); 1 when it was clamped, else 0 (sat / satr's `elements`). */
  private saturate(rd: number, v: bigint, lo: bigint, hi: bigint, q: number): number {
    const y = this.clamp(v, lo, hi, q);
    this.w(rd, y);
    return y === v ? 0 : 1;
  }

  /** Stochastic rounding of x by k with draw ρ (rbits bits): § UPDATE's SR. */
  private sr(x: bigint, k: number, rho: number): bigint {
    const rb = this.rbits;
    if (k >= rb) return ((x >> BigInt(k - rb)) + BigInt(rho)) >> BigInt(rb);
    return (x + (BigInt(rho) >> BigInt(rb - k))) >> BigInt(k);
  }

  /**
   * Runs `prog` from `entry` (an empty return stack) until halt or until a recv waits for the line; throws on a
   * runaway (more than `maxInstructions`).
   */
  run(prog: Program, entry = 0, maxInstructions = 1e9): RunStatus {
    this.pc = entry;
    this.stack.length = 0;
    return this.resume(prog, maxInstructions);
  }

  /** Continues `prog` where run() or resume() returned 'wait' (the pc and the return stack as they were). */
  resume(prog: Program, maxInstructions = 1e9): RunStatus {
    const code = prog.code;
    const stack = this.stack;
    let pc = this.pc;
    for (let steps = 0; ; steps++) {
      if (steps >= maxInstructions) throw new IssError(`no halt after ${maxInstructions} instructions (pc ${pc})`);
      this.pc = pc;
      const ins = code[pc];
      if (ins === undefined) throw new IssError(`pc ${pc} outside the program (0 … ${code.length - 1})`);
      let next = pc + 1;
      let elements = 0;
      let operands: [bigint, bigint] | undefined;
      switch (ins.op) {
        case 'li':
          this.w(ins.rd, ins.imm);
          break;
        case 'add':
          this.w(ins.rd, this.r(ins.ra) + this.s(ins.b));
          break;
        case 'sub':
          this.w(ins.rd, this.r(ins.ra) - this.s(ins.b));
          break;
        case 'and':
          this.w(ins.rd, this.r(ins.ra) & this.s(ins.b));
          break;
        case 'or':
          this.w(ins.rd, this.r(ins.ra) | this.s(ins.b));
          break;
        case 'xor':
          this.w(ins.rd, this.r(ins.ra) ^ this.s(ins.b));
          break;
        case 'mul':
          operands = [this.r(ins.ra), this.s(ins.b)];
          this.w(ins.rd, operands[0] * operands[1]);
          break;
        case 'mulr': {
          operands = [this.r(ins.ra), this.s(ins.b)];
          const p = operands[0] * operands[1];
          this.w(ins.rd, ins.k <= 0 ? p << BigInt(-ins.k) : shiftRound(p, ins.k, 'nearest'));
          break;
        }
        case 'max': {
          const a = this.r(ins.ra);
          const b = this.s(ins.b);
          this.w(ins.rd, a > b ? a : b);
          break;
        }
        case 'min': {
          const a = this.r(ins.ra);
          const b = this.s(ins.b);
          this.w(ins.rd, a < b ? a : b);
          break;
        }
        case 'slt':
          this.w(ins.rd, this.r(ins.ra) < this.s(ins.b) ? 1n : 0n);
          break;
        case 'shl':
          this.w(ins.rd, (this.r(ins.ra) << BigInt(this.shiftAmount(ins.b))) & M64);
          break;
        case 'shr':
          this.w(ins.rd, shiftRound(this.r(ins.ra), this.shiftAmount(ins.b), ins.mode));
          break;
        case 'srnd':
          this.w(ins.rd, this.sr(this.r(ins.ra), ins.k, this.draw(this.idx(ins.lane, 'lane'))));
          break;
        case 'lone': {
          const a = this.r(ins.ra);
          this.w(ins.rd, a <= 0n ? -1n : BigInt(a.toString(2).length - 1));
          break;
        }
        case 'sat': {
          const W = BigInt(ins.w);
          const lo = ins.signed ? -(1n << (W - 1n)) : 0n;
          const hi = ins.signed ? (1n << (W - 1n)) - 1n : (1n << W) - 1n;
          elements = this.saturate(ins.rd, this.r(ins.ra), lo, hi, ins.q);
          break;
        }
        case 'satr':
          elements = this.saturate(ins.rd, this.r(ins.ra), ins.lo, ins.hi, ins.q);
          break;
        case 'ld':
          this.w(ins.rd, this.load(this.idx(ins.ra, 'address') + ins.off, ins.n, ins.signed));
          break;
        case 'st':
          this.store(this.idx(ins.ra, 'address') + ins.off, ins.n, this.r(ins.rs));
          break;
        case 'draw':
          this.w(ins.rd, BigInt(this.draw(this.idx(ins.lane, 'lane'))));
          break;
        case 'lfsrget': {
          const q = this.idx(ins.lane, 'lane');
          if (q >= this.cfg.lanes) throw new IssError(`lfsrget lane ${q}: the core has ${this.cfg.lanes}`);
          this.w(ins.rd, BigInt(this.lfsr[q]));
          break;
        }
        case 'lfsrset': {
          const q = this.idx(ins.lane, 'lane');
          const v = this.r(ins.rs);
          if (q >= this.cfg.lanes) throw new IssError(`lfsrset lane ${q}: the core has ${this.cfg.lanes}`);
          if (v < 1n || v >= 1n << BigInt(this.cfg.lfsr.width)) throw new IssError(`lfsrset lane ${q} to ${v}: not a nonzero ${this.cfg.lfsr.width}-bit state`);
          this.lfsr[q] = Number(v);
          break;
        }
        case 'b':
          next = ins.target;
          break;
        case 'beq':
          if (this.r(ins.ra) === this.s(ins.b)) next = ins.target;
          break;
        case 'bne':
          if (this.r(ins.ra) !== this.s(ins.b)) next = ins.target;
          break;
        case 'blt':
          if (this.r(ins.ra) < this.s(ins.b)) next = ins.target;
          break;
        case 'bge':
          if (this.r(ins.ra) >= this.s(ins.b)) next = ins.target;
          break;
        case 'dbnz': {
          const v = this.r(ins.ra) - 1n;
          this.w(ins.ra, v);
          if (v !== 0n) next = ins.target;
          break;
        }
        case 'call':
          if (stack.length >= RETURN_STACK) throw new IssError(`call at ${pc}: return stack full (${RETURN_STACK})`);
          stack.push(pc + 1);
          next = ins.target;
          break;
        case 'ret': {
          const t = stack.pop();
          if (t === undefined) throw new IssError(`ret at ${pc} with an empty return stack`);
          next = t;
          break;
        }
        case 'halt':
          this.account(ins, 0, undefined, pc);
          this.pc = pc;
          return 'halt';
        case 'recv': {
          const v = this.uart('recv').recv();
          if (v === 'wait') {
            this.pc = pc;
            return 'wait';
          }
          if (!Number.isInteger(v) || v < 0 || v > 256) throw new IssError(`recv at ${pc}: the line gave ${v} (a byte 0 … 255, or 256 for idle)`);
          this.w(ins.rd, BigInt(v));
          break;
        }
        case 'send':
          this.uart('send').send(Number(this.r(ins.ra) & 0xffn));
          break;
        case 'vdot':
          elements = this.vdot(ins);
          break;
        case 'vdist':
          elements = this.vdist(ins);
          break;
        case 'vupd':
          elements = this.vupd(ins);
          break;
      }
      this.account(ins, elements, operands, pc);
      pc = next;
    }
  }

  private uart(op: string): MachineIo {
    if (this.cfg.io === undefined) throw new IssError(`${op} on a machine without a UART (MachineConfig.io)`);
    return this.cfg.io;
  }

  private account(ins: Instr, elements: number, operands: readonly [bigint, bigint] | undefined, pc: number): void {
    const c = CYCLES[ins.op];
    const n = this.cfg.timing ? this.cfg.timing(ins, elements, operands) : c.fixed + (c.perElement ?? 0) * elements;
    this.cycles += n;
    if (pc < this.pcCycles.length) this.pcCycles[pc] += n;
    this.instructions++;
    this.opCycles.set(ins.op, (this.opCycles.get(ins.op) ?? 0) + n);
  }

  private vdot(ins: Extract<Instr, { op: 'vdot' }>): number {
    const n = this.idx(ins.n, 'vdot count');
    let a = this.idx(ins.a, 'vdot A');
    let b = this.idx(ins.bv, 'vdot B');
    const sa = Number(this.r(ins.sa));
    const sb = Number(this.r(ins.sb));
    this.checkRange(a, n, sa);
    this.checkRange(b, n, sb);
    const fa = ins.fa === 'signed';
    const fb = ins.fb === 'signed';
    let acc = 0;
    // |word·word| < 2^32: exact in float64 for n < 2^20 elements
    if (n >= 2 ** 20) throw new IssError(`vdot of ${n} elements`);
    for (let i = 0; i < n; i++, a += sa, b += sb) acc += this.word(a, fa) * this.word(b, fb);
    this.w(ins.rd, this.r(ins.rd) + BigInt(acc));
    return n;
  }

  private vdist(ins: Extract<Instr, { op: 'vdist' }>): number {
    const n = this.idx(ins.n, 'vdist count');
    const a = this.idx(ins.a, 'vdist A');
    const b = this.idx(ins.bv, 'vdist B');
    this.checkRange(a, n);
    this.checkRange(b, n);
    if (n >= 2 ** 20) throw new IssError(`vdist of ${n} elements`);
    const f = ins.f === 'signed';
    let acc = 0;
    for (let i = 0; i < n; i++) {
      const d = this.word(a + i, f) - this.word(b + i, f);
      acc += d * d;
    }
    this.w(ins.rd, BigInt(acc));
    return n;
  }

  private vupd(ins: Extract<Instr, { op: 'vupd' }>): number {
    const n = this.idx(ins.n, 'vupd count');
    const wa = this.idx(ins.w, 'vupd W');
    const ha = this.idx(ins.h, 'vupd H');
    const lane0 = this.idx(ins.lane0, 'vupd lane');
    this.checkRange(wa, n);
    this.checkRange(ha, n);
    const x = this.r(ins.x);
    const u: UpdDesc = ins.u;
    const W = BigInt(u.w);
    const lo = -(1n << (W - 1n));
    const hi = (1n << (W - 1n)) - 1n;
    for (let i = 0; i < n; i++) {
      const p = x * BigInt(this.word(ha + i, true));
      let d: bigint;
      if (u.k <= 0) d = p << BigInt(-u.k);
      else if (u.rounding === 'stochastic') d = this.sr(p, u.k, this.draw(lane0 + (i % ins.g)));
      else d = shiftRound(p, u.k, u.rounding);
      const v = this.clamp(BigInt(this.word(wa + i, true)) + d, lo, hi, u.q);
      this.mem[wa + i] = Number(BigInt.asUintN(16, v));
    }
    return n;
  }
}
