/**
 * The instruction set of the UP5K engine ("ucore"): one small in-order core that runs the whole training step
 * as a program, for parts too small for the parallel chip (the iCE40 UP5K: 5,280 logic cells, 8 SB_MAC16, 30
 * EBR, 4 SPRAM). The parallel chip spends its logic on units that each compute one function of the fixed-point
 * engine at once; this core computes the same functions one after another on one datapath, with the control in
 * a program ROM instead of state machines. The program is generated from the ChipConfig (generator/ucore/
 * program), run by the instruction-set simulator sim/ucore/iss.ts, and checked word for word against the
 * bit-exact golden model (sim/golden/fixed): the ISS is the specification of the core, as the golden model is
 * the specification of the step.
 *
 * STATE
 *   r0 … r31    64-bit two's-complement registers; r0 reads 0 and ignores writes. Every result wraps to
 *               64 bits (the programs keep their values far inside: the golden model's bounds, < 2^53).
 *   mem         data memory of 16-bit words, addresses 0 … memWords − 1 (weights in SPRAM, the rest in EBR;
 *               program/layout.ts). A load reads 1 … 4 consecutive words little-endian (word a is bits 0–15),
 *               sign- or zero-extended; a store writes the low 16·n bits.
 *   lfsr        one Galois LFSR per lane (width W, taps, leap and rbits of numeric.lfsr): lane q of weight
 *               layer l is lfsr[l·lanes + q].
 *   sat         two counters per stored quantity (high, low; generator/numeric QUANTITIES order), 32 bits
 *               each; they are data words too (the RTL core keeps them in block RAM): counter (q, high) at
 *               satBase + 4q, (q, low) at satBase + 4q + 2, little-endian, read and written by ld / st.
 *   pc, a return stack of 4 entries (the serving program nests its calls 3 deep).
 *
 * SCALAR INSTRUCTIONS (b is a register or an immediate)
 *   li rd, imm                rd ← imm (any 64-bit value: the assembler keeps wide ones in a constant pool)
 *   add/sub/and/or/xor rd, ra, b
 *   mul rd, ra, b             rd ← low 64 bits of ra·b
 *   mulr rd, ra, b, k         rd ← rnd(ra·b, k): the exact 128-bit product, then rounded half up by k ≥ 1 bits
 *                             (⌊(p + 2^(k−1)) / 2^k⌋), or shifted left by −k ≥ 0
 *   shl rd, ra, b             rd ← ra·2^b (b in 0 … 63)
 *   shr rd, ra, b, mode       rd ← ra / 2^b rounded by mode: floor (arithmetic shift), truncate, nearest (half
 *                             up), nearest-even; b in 0 … 63 (b = 0: ra)
 *   srnd rd, ra, k, lane      stochastic rounding with one draw ρ of LFSR `lane` (a register): ⌊(⌊ra/2^(k−r)⌋
 *                             + ρ)/2^r⌋ for k ≥ r, ⌊(ra + ⌊ρ/2^(r−k)⌋)/2^k⌋ for 0 < k < r (r = rbits); k is an
 *                             immediate ≥ 1
 *   max/min rd, ra, b         signed
 *   slt rd, ra, b             rd ← ra < b ? 1 : 0 (signed)
 *   lone rd, ra               index of the leading one of ra > 0 (⌊log2 ra⌋); −1 for ra ≤ 0
 *   sat rd, ra, w, signed, q  rd ← ra clamped into a w-bit word (signed: −2^(w−1) … 2^(w−1) − 1, else 0 …
 *                             2^w − 1); a clamp adds 1 to counter (q, high) or (q, low)
 *   satr rd, ra, lo, hi, q    rd ← ra clamped into [lo, hi] (immediates), counted as sat
 *   ld rd, ra, off, n, signed rd ← the n words at ra + off
 *   st rs, ra, off, n         the low 16·n bits of rs to the n words at ra + off
 *   draw rd, lane             rd ← the next draw of LFSR `lane` (a register): `leap` steps, then the low rbits
 *   lfsrset lane, rs          LFSR `lane` ← rs (a nonzero W-bit state)
 *   lfsrget rd, lane          rd ← the state of LFSR `lane` (unsigned, W bits; not advanced)
 *   b label; beq/bne/blt/bge ra, b, label; dbnz ra, label (ra ← ra − 1, branch when ra ≠ 0)
 *   call label; ret; halt
 *
 * I/O INSTRUCTIONS (the board's UART: the host protocol is part of the program, program/protocol.ts)
 *   recv rd                   rd ← the next byte received (0 … 255), or 256 when no byte arrives within the
 *                             board's idle timeout while waiting (the RTL: its input rx_idle); waits until one
 *                             of them
 *   send ra                   transmits the low 8 bits of ra; waits until the transmitter accepts
 *
 * VECTOR INSTRUCTIONS (the loops over a layer's weights and a sample's inputs; n from a register, n ≥ 0)
 *   vdot rd, A, sA, Bv, sB, n, fa, fb   rd ← rd + Σ_{i<n} mem[A + i·sA] · mem[Bv + i·sB] (one word each,
 *                             fa / fb: signed or unsigned)
 *   vdist rd, A, Bv, n, f     rd ← Σ_{i<n} (mem[A + i] − mem[Bv + i])² (one word each, f: signed/unsigned)
 *   vupd W, H, n, x, lane0, g, u   the rank-1 row update of § UPDATE: for i < n, word W + i ←
 *                             sat_u(mem[W + i] + round(x · mem[H + i], k)), signed words; round is u's rounding
 *                             (stochastic: one draw of lane lane0 + (i mod g) per word); the clamps counted in
 *                             u's quantity. u is an immediate descriptor { k, rounding, w, q } fixed by the
 *                             config. Returns nothing; the bias is the program's (scalar srnd/shr + sat).
 *
 * CYCLES. The ISS counts each instruction's cycles from CYCLES below (a vector instruction: its fixed part + one
 * cycle per element; recv and send: their fixed part, the waiting for the line not counted). They are the targets the RTL core is built to; until it exists they are a model, not a
 * measurement.
 */
import type { Rounding } from '../fixed/index.js';

/** A register index 0 … 31. */
export type Reg = number;
/** The second operand: a register, or an immediate. */
export type Src = { reg: Reg } | { imm: bigint };

export const NUM_REGS = 32;
export const RETURN_STACK = 4;

/** Word format flag of a load or a vector operand. */
export type Signedness = 'signed' | 'unsigned';

export type ShiftMode = Exclude<Rounding, 'stochastic'>;

/** The fixed parameters of a vupd: the update's shift k, its rounding, the saturation word and its counter. */
export interface UpdDesc {
  k: number;
  rounding: Rounding;
  w: number;
  q: number;
}

export type Instr =
  | { op: 'li'; rd: Reg; imm: bigint }
  | { op: 'add' | 'sub' | 'and' | 'or' | 'xor' | 'mul' | 'max' | 'min' | 'slt' | 'shl'; rd: Reg; ra: Reg; b: Src }
  | { op: 'mulr'; rd: Reg; ra: Reg; b: Src; k: number }
  | { op: 'shr'; rd: Reg; ra: Reg; b: Src; mode: ShiftMode }
  | { op: 'srnd'; rd: Reg; ra: Reg; k: number; lane: Reg }
  | { op: 'lone'; rd: Reg; ra: Reg }
  | { op: 'sat'; rd: Reg; ra: Reg; w: number; signed: boolean; q: number }
  | { op: 'satr'; rd: Reg; ra: Reg; lo: bigint; hi: bigint; q: number }
  | { op: 'ld'; rd: Reg; ra: Reg; off: number; n: number; signed: boolean }
  | { op: 'st'; rs: Reg; ra: Reg; off: number; n: number }
  | { op: 'draw'; rd: Reg; lane: Reg }
  | { op: 'lfsrset'; lane: Reg; rs: Reg }
  | { op: 'lfsrget'; rd: Reg; lane: Reg }
  | { op: 'b'; target: number }
  | { op: 'beq' | 'bne' | 'blt' | 'bge'; ra: Reg; b: Src; target: number }
  | { op: 'dbnz'; ra: Reg; target: number }
  | { op: 'call'; target: number }
  | { op: 'ret' }
  | { op: 'halt' }
  | { op: 'recv'; rd: Reg }
  | { op: 'send'; ra: Reg }
  | { op: 'vdot'; rd: Reg; a: Reg; sa: Reg; bv: Reg; sb: Reg; n: Reg; fa: Signedness; fb: Signedness }
  | { op: 'vdist'; rd: Reg; a: Reg; bv: Reg; n: Reg; f: Signedness }
  | { op: 'vupd'; w: Reg; h: Reg; n: Reg; x: Reg; lane0: Reg; g: number; u: UpdDesc };

export type Op = Instr['op'];

/** Cycles of an instruction: fixed + per element (vector instructions), from the RTL core's plan. */
export const CYCLES: Record<Op, { fixed: number; perElement?: number }> = {
  li: { fixed: 1 },
  add: { fixed: 1 },
  sub: { fixed: 1 },
  and: { fixed: 1 },
  or: { fixed: 1 },
  xor: { fixed: 1 },
  max: { fixed: 1 },
  min: { fixed: 1 },
  slt: { fixed: 1 },
  shl: { fixed: 1 },
  shr: { fixed: 2 },
  lone: { fixed: 2 },
  sat: { fixed: 2 },
  satr: { fixed: 2 },
  mul: { fixed: 6 },
  mulr: { fixed: 12 },
  srnd: { fixed: 3 },
  ld: { fixed: 2 },
  st: { fixed: 1 },
  draw: { fixed: 2 },
  lfsrset: { fixed: 1 },
  lfsrget: { fixed: 2 },
  b: { fixed: 2 },
  beq: { fixed: 2 },
  bne: { fixed: 2 },
  blt: { fixed: 2 },
  bge: { fixed: 2 },
  dbnz: { fixed: 2 },
  call: { fixed: 2 },
  ret: { fixed: 2 },
  halt: { fixed: 1 },
  recv: { fixed: 2 },
  send: { fixed: 2 },
  vdot: { fixed: 6, perElement: 1 },
  vdist: { fixed: 6, perElement: 1 },
  vupd: { fixed: 8, perElement: 1 },
};
