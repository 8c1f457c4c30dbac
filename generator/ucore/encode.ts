/**
 * The binary form of a UP5K engine program: the 32-bit instruction words of the program ROM, the constant pool
 * (64-bit entries: immediates that do not fit their field, satr bounds) and the descriptor table (32-bit
 * entries: the fixed operands of vdot and vupd). `encode` builds the image of a Program (asm.ts finish());
 * `decode` gives back its instruction list, exactly: decode(encode(p)) deep-equals p.code. The format is made
 * for a small decoder: the opcode, ra and rd sit at the same bits in every word, every other field at one
 * place per format, and a wide operand is one mode-tagged field. FORMATS and OPCODES below are the tables the
 * RTL core's decoder is generated from; this header is their documentation.
 *
 * EVERY WORD
 *   [5:0]   opcode (OPCODES; ld and st carry their word count n and signedness in the opcode)
 *   [10:6]  ra    first source register (the address register of ld/st, the LFSR lane of draw/lfsrset)
 *   [15:11] rd    destination register (the stored register rs of st and the state rs of lfsrset)
 *   A field a format does not list is 0.
 *
 * OPERAND FIELDS O16 ([31:16]) and O9 ([31:23]): mode in the top two bits ([31:30]), a value v in the rest (14 / 7
 * bits). O9's v is [29:23]; O16's v has its low 7 bits there too ([29:23]) and v[13:7] in [22:16], so that a
 * register, an immediate's low bits and a pool index's low bits sit at the same bits in both (the core's decode
 * chooses nothing on the way from the word to the register file's and the pool's addresses)
 *   mode 0  register: rb = v[4:0] ([27:23]), v above bit 4 zero
 *   mode 1  immediate: v sign-extended (O16: −8192 … 8191; O9: −64 … 63)
 *   mode 2  block RAM address: EBR_BASE + v (EBR_BASE = 65536, the first data word after the SPRAM:
 *           program/layout.ts; O16 reaches 65536 … 81919)
 *   mode 3  pool: pool[v] (O16: entries 0 … 16383; O9: 0 … 127)
 *   The encoder takes the first mode that holds the value: register, immediate, block RAM, pool.
 *   li, ld and st take no register operand (mode 0 is invalid there).
 *
 * FORMATS: the fields besides the opcode; ra [10:6] and rd [15:11] where listed. A field in pieces lists them from
 * its low bits up (pair [29:23] [19:16]: its bits 6 … 0 at 29 … 23, 10 … 7 at 19 … 16). Every register read as a
 * second operand is at [27:23] (rb) except st's rs ([15:11]): opcode bit 5 chooses.
 *   N   halt, ret            —
 *   J   b, call              target [22:11]
 *   D   dbnz                 ra, target [22:11]
 *   C   beq bne blt bge      ra, target [22:11], b: O9
 *   R2  lone, draw, lfsrget  ra, rd (draw, lfsrget: lane = ra)
 *   L   lfsrset              ra (the lane), rs [27:23] (the state's register)
 *   Rd  recv                 rd
 *   Ra  send                 ra
 *   I   li                   rd, imm: O16 (ra = 0: rd ← r0 + O16)
 *   A   add sub and or xor   ra, rd, b: O16
 *       mul max min slt
 *   X   ld, st               ra, rd (st: rs), off: O16 (n and signedness in the opcode)
 *   M   mulr                 ra, rd, k [22:16] (signed: −64 … 63), b: O9
 *   S   shl, shr             ra, rd, amount [28:23], imm [22], mode [17:16]. imm = 1: the shift is amount
 *                            (0 … 63); imm = 0: rb = amount[4:0], bit 28 zero. mode (shr): 0 floor,
 *                            1 truncate, 2 nearest, 3 nearest-even; shl: 0
 *   R   srnd                 ra, rd, lane: rb [27:23], k [21:16] (1 … 63)
 *   T   sat                  ra, rd, q [20:16], w [26:21] (1 … 63), signed [27]
 *   U   satr                 ra, rd, q [22:20] [31:30], pair [29:23] [19:16]: lo = pool[pair], hi = pool[pair + 1]
 *                            (the pair's bits where O16's index has them)
 *   V   vdot, vdist, vupd    ra, rd, rb [27:23], rc [20:16], x [22:21] [31:28]:
 *                              vdot  rd, A = ra, Bv = rb, n = rc; x: descriptor (sa, sb, fa, fb)
 *                              vdist rd, A = ra, Bv = rb, n = rc; x: f (0 unsigned, 1 signed)
 *                              vupd  W = ra, H = rb, n = rc, its register x = rd; x field: descriptor
 *                                    (lane0, g, UpdDesc)
 *
 * OPCODES: halt 0x00, li 0x01, lone 0x02, draw 0x03, lfsrset 0x04, ret 0x05, b 0x06, call 0x07, dbnz 0x08,
 *   srnd 0x09, sat 0x0a, satr 0x0b, mulr 0x0c, vdot 0x0d, vdist 0x0e, vupd 0x0f, add … slt 0x10 … 0x18 (in the
 *   order add sub and or xor mul max min slt), shl 0x1a, shr 0x1b, beq bne blt bge 0x1c … 0x1f,
 *   ld 0x20 | signed·4 | (n − 1), st 0x28 | (n − 1), recv 0x30, send 0x31, lfsrget 0x32. Every other opcode is invalid.
 *
 * DESCRIPTORS (32-bit entries, 0 … 63, shared by equal contents)
 *   vdot   sa [4:0], sb [9:5], fa [10], fb [11] (1: signed)
 *   vupd   lane0 [4:0], g [10:5] (1 … 63), k [17:11] (signed 7 bits), rounding [20:18] (0 floor, 1 truncate,
 *          2 nearest, 3 nearest-even, 4 stochastic), w [26:21] (1 … 63), q [31:27]
 *
 * POOL. 64-bit two's-complement entries. A satr's bounds are an adjacent pair (shared by equal pairs); any
 * other value is stored once (or found in a pair already stored). Entries referenced by narrower index fields come first (O9, then satr pairs, then O16), so every
 * index fits its field whenever the pool allows.
 *
 * Branch targets are absolute instruction addresses of 12 bits (0 … 4095; the UP5K's 30 EBR hold 3,840 words).
 * Counters q are 5 bits (0 … 31). An instruction whose field does not fit is refused with its index, its op,
 * the field and the value.
 */
import { ROUNDINGS } from '../fixed/index.js';
import { SPRAM_WORDS } from './program/layout.js';
import type { Instr, Op, Reg, ShiftMode, Signedness, Src, UpdDesc } from './isa.js';
import type { Program } from './asm.js';

/** The first block RAM data address (operand mode 2). */
export const EBR_BASE = SPRAM_WORDS;

export type FormatName = 'N' | 'J' | 'D' | 'C' | 'R2' | 'L' | 'Rd' | 'Ra' | 'I' | 'A' | 'X' | 'M' | 'S' | 'R' | 'T' | 'U' | 'V';

export interface Field {
  name: string;
  /** where its bits are: [lsb, width] pieces of the word, the field's low bits first */
  at: readonly (readonly [number, number])[];
  /** its width (the pieces' widths added) */
  width: number;
  /** two's complement (the value range is −2^(width−1) … 2^(width−1) − 1) */
  signed?: boolean;
  /** a mode-tagged operand (header: OPERAND FIELDS) */
  operand?: boolean;
}

/** A field in pieces ([lsb, width], its low bits first). */
const fp = (name: string, at: [number, number][], signed = false, operand = false): Field => ({ name, at, width: at.reduce((w, [, n]) => w + n, 0), signed, operand });
const f = (name: string, lsb: number, width: number, signed = false): Field => fp(name, [[lsb, width]], signed);
const OP = f('op', 0, 6);
const RA = f('ra', 6, 5);
const RD = f('rd', 11, 5);
const RB = f('rb', 23, 5);
const TARGET = f('target', 11, 12);
const O16 = fp('b', [[23, 7], [16, 7], [30, 2]], false, true);
const O9 = fp('b', [[23, 9]], false, true);

/** The fields of each format (besides the opcode at [5:0]), as the header's table. */
export const FORMATS: Record<FormatName, readonly Field[]> = {
  N: [],
  J: [TARGET],
  D: [RA, TARGET],
  C: [RA, TARGET, O9],
  R2: [RA, RD],
  L: [RA, f('rs', 23, 5)],
  Rd: [RD],
  Ra: [RA],
  I: [RD, O16],
  A: [RA, RD, O16],
  X: [RA, RD, O16],
  M: [RA, RD, f('k', 16, 7, true), O9],
  S: [RA, RD, f('amount', 23, 6), f('imm', 22, 1), f('mode', 16, 2)],
  R: [RA, RD, RB, f('k', 16, 6)],
  T: [RA, RD, f('q', 16, 5), f('w', 21, 6), f('signed', 27, 1)],
  U: [RA, RD, fp('q', [[20, 3], [30, 2]]), fp('pair', [[23, 7], [16, 4]])],
  V: [RA, RD, RB, f('rc', 16, 5), fp('x', [[21, 2], [28, 4]])],
};

export interface OpcodeSpec {
  code: number;
  op: Op;
  format: FormatName;
  /** fields of the instruction fixed by the opcode (ld / st: n, signed) */
  fixed?: { n: number; signed?: boolean };
}

/** The ops of format A, in opcode order. */
export const ALU = ['add', 'sub', 'and', 'or', 'xor', 'mul', 'max', 'min', 'slt'] as const;
export type AluOp = (typeof ALU)[number];
type AluInstr = { op: AluOp; rd: Reg; ra: Reg; b: Src };
export const isAlu = (i: Instr): i is AluInstr => (ALU as readonly string[]).includes(i.op);
const BRANCH = ['beq', 'bne', 'blt', 'bge'] as const;
const SHIFT_MODES: readonly ShiftMode[] = ['floor', 'truncate', 'nearest', 'nearest-even'];

/** Every valid opcode (header: OPCODES). */
export const OPCODES: readonly OpcodeSpec[] = [
  { code: 0x00, op: 'halt', format: 'N' },
  { code: 0x01, op: 'li', format: 'I' },
  { code: 0x02, op: 'lone', format: 'R2' },
  { code: 0x03, op: 'draw', format: 'R2' },
  { code: 0x04, op: 'lfsrset', format: 'L' },
  { code: 0x05, op: 'ret', format: 'N' },
  { code: 0x06, op: 'b', format: 'J' },
  { code: 0x07, op: 'call', format: 'J' },
  { code: 0x08, op: 'dbnz', format: 'D' },
  { code: 0x09, op: 'srnd', format: 'R' },
  { code: 0x0a, op: 'sat', format: 'T' },
  { code: 0x0b, op: 'satr', format: 'U' },
  { code: 0x0c, op: 'mulr', format: 'M' },
  { code: 0x0d, op: 'vdot', format: 'V' },
  { code: 0x0e, op: 'vdist', format: 'V' },
  { code: 0x0f, op: 'vupd', format: 'V' },
  ...ALU.map((op, i): OpcodeSpec => ({ code: 0x10 + i, op, format: 'A' })),
  { code: 0x1a, op: 'shl', format: 'S' },
  { code: 0x1b, op: 'shr', format: 'S' },
  ...BRANCH.map((op, i): OpcodeSpec => ({ code: 0x1c + i, op, format: 'C' })),
  ...[false, true].flatMap((signed) => [1, 2, 3, 4].map((n): OpcodeSpec => ({ code: 0x20 | (signed ? 4 : 0) | (n - 1), op: 'ld', format: 'X', fixed: { n, signed } }))),
  ...[1, 2, 3, 4].map((n): OpcodeSpec => ({ code: 0x28 | (n - 1), op: 'st', format: 'X', fixed: { n } })),
  { code: 0x30, op: 'recv', format: 'Rd' },
  { code: 0x31, op: 'send', format: 'Ra' },
  { code: 0x32, op: 'lfsrget', format: 'R2' },
];

const BY_CODE = new Map(OPCODES.map((s) => [s.code, s]));

export interface Image {
  /** the program ROM: one 32-bit word per instruction */
  words: Uint32Array;
  /** the constant pool, 64-bit two's complement */
  pool: BigInt64Array;
  /** the descriptor table of vdot / vupd */
  descriptors: Uint32Array;
}

/** Bits of an image: words and descriptors 32 each, pool entries 64. */
export function imageBits(im: Image): { words: number; pool: number; descriptors: number; total: number } {
  const r = { words: 32 * im.words.length, pool: 64 * im.pool.length, descriptors: 32 * im.descriptors.length };
  return { ...r, total: r.words + r.pool + r.descriptors };
}

export class EncodeError extends RangeError {}

// ---------------------------------------------------------------------------------------------- pool

/** A pool reference: one value, or a satr pair (two adjacent entries); `bits` of the index field. */
interface PoolRequest {
  values: bigint[];
  bits: number;
}

/** Entries in order of the narrowest index field that references them, each value (and pair) once. */
function buildPool(reqs: PoolRequest[]): { entries: bigint[]; index: (values: bigint[]) => number } {
  const entries: bigint[] = [];
  const key = (vs: bigint[]): string => vs.join(',');
  const at = new Map<string, number>();
  const sorted = reqs.map((r, i) => ({ r, i })).sort((x, y) => x.r.bits - y.r.bits || x.i - y.i);
  for (const { r } of sorted) {
    const k = key(r.values);
    if (at.has(k)) continue;
    at.set(k, entries.length);
    for (const [j, v] of r.values.entries()) {
      const one = key([v]);
      if (!at.has(one)) at.set(one, entries.length + j);
    }
    entries.push(...r.values);
  }
  return { entries, index: (vs) => at.get(key(vs)) as number };
}

// ---------------------------------------------------------------------------------------------- codecs

/** The state of one encode pass: pool references (collected, then resolved) and the descriptor table. */
interface EncodeCtx {
  pool(values: bigint[], bits: number): number;
  descriptor(v: number): number;
}

interface DecodeCtx {
  pool(i: number): bigint;
  descriptor(i: number): number;
}

type Fields = Record<string, number>;

const fits = (v: bigint, bits: number): boolean => v >= -(1n << BigInt(bits - 1)) && v < 1n << BigInt(bits - 1);

/** An operand field of `width` bits (O16 / O9): mode in the top two bits (header). */
function encOperand(b: Src | bigint, width: number, ctx: EncodeCtx, what: string): number {
  const vb = width - 2;
  const tag = (mode: number, v: number): number => mode * 2 ** vb + v;
  if (typeof b === 'object' && 'reg' in b) return tag(0, checkReg(b.reg, what));
  const v = typeof b === 'bigint' ? b : b.imm;
  if (fits(v, vb)) return tag(1, Number(BigInt.asUintN(vb, v)));
  const e = v - BigInt(EBR_BASE);
  if (e >= 0n && e < 1n << BigInt(vb)) return tag(2, Number(e));
  return tag(3, ctx.pool([v], vb));
}

function decOperand(x: number, width: number, ctx: DecodeCtx, what: string): Src {
  const vb = width - 2;
  const mode = Math.floor(x / 2 ** vb);
  const v = x % 2 ** vb;
  if (mode === 0) {
    if (v >= 32) throw new EncodeError(`${what}: register operand ${v} above r31`);
    return { reg: v };
  }
  if (mode === 1) return { imm: BigInt.asIntN(vb, BigInt(v)) };
  if (mode === 2) return { imm: BigInt(EBR_BASE + v) };
  return { imm: ctx.pool(v) };
}

/** A value operand (li, ld/st offsets): any mode but a register. */
function decValue(x: number, width: number, ctx: DecodeCtx, what: string): bigint {
  const s = decOperand(x, width, ctx, what);
  if ('reg' in s) throw new EncodeError(`${what}: a register where a value belongs`);
  return s.imm;
}

function checkReg(r: Reg, what: string): Reg {
  if (!Number.isInteger(r) || r < 0 || r > 31) throw new EncodeError(`${what}: register operand ${r} does not fit 5 bits (r0 … r31)`);
  return r;
}

const signedness = (s: boolean): Signedness => (s ? 'signed' : 'unsigned');
const bit = (b: boolean): number => (b ? 1 : 0);

/** Packs fields [value, lsb, width] into a 32-bit descriptor, each checked against its width. */
function pack(parts: [string, number, number, number][], what: string): number {
  let w = 0;
  for (const [name, v, lsb, width] of parts) {
    if (!Number.isInteger(v) || v < 0 || v >= 2 ** width) throw new EncodeError(`${what}: ${name} = ${v} does not fit ${width} bits`);
    w += v * 2 ** lsb;
  }
  return w;
}
const unpack = (w: number, lsb: number, width: number): number => Math.floor(w / 2 ** lsb) % 2 ** width;

function vdotDesc(i: Extract<Instr, { op: 'vdot' }>, what: string): number {
  return pack([['sa', i.sa, 0, 5], ['sb', i.sb, 5, 5], ['fa', bit(i.fa === 'signed'), 10, 1], ['fb', bit(i.fb === 'signed'), 11, 1]], what);
}

function vupdDesc(i: Extract<Instr, { op: 'vupd' }>, what: string): number {
  const u = i.u;
  if (!Number.isInteger(u.k) || u.k < -64 || u.k > 63) throw new EncodeError(`${what}: vupd shift k = ${u.k} does not fit 7 signed bits (−64 … 63)`);
  const r = ROUNDINGS.indexOf(u.rounding);
  return pack([['lane0', i.lane0, 0, 5], ['g', i.g, 5, 6], ['k', u.k & 127, 11, 7], ['rounding', r, 18, 3], ['w', u.w, 21, 6], ['q', u.q, 27, 5]], what);
}

/** The fields of instruction `i` (opcode spec chosen by encode), pool and descriptors through ctx. */
function fieldsOf(i: Instr, ctx: EncodeCtx, what: string): Fields {
  switch (i.op) {
    case 'halt':
    case 'ret':
      return {};
    case 'b':
    case 'call':
      return { target: i.target };
    case 'dbnz':
      return { ra: i.ra, target: i.target };
    case 'beq':
    case 'bne':
    case 'blt':
    case 'bge':
      return { ra: i.ra, target: i.target, b: encOperand(i.b, 9, ctx, what) };
    case 'lone':
      return { ra: i.ra, rd: i.rd };
    case 'recv':
      return { rd: i.rd };
    case 'send':
      return { ra: i.ra };
    case 'draw':
    case 'lfsrget':
      return { ra: i.lane, rd: i.rd };
    case 'lfsrset':
      return { ra: i.lane, rs: i.rs };
    case 'li':
      return { rd: i.rd, b: encOperand(i.imm, 16, ctx, what) };
    case 'ld':
      return { ra: i.ra, rd: i.rd, b: encOperand(BigInt(i.off), 16, ctx, what) };
    case 'st':
      return { ra: i.ra, rd: i.rs, b: encOperand(BigInt(i.off), 16, ctx, what) };
    case 'mulr':
      return { ra: i.ra, rd: i.rd, k: i.k, b: encOperand(i.b, 9, ctx, what) };
    case 'shl':
    case 'shr': {
      const mode = i.op === 'shr' ? SHIFT_MODES.indexOf(i.mode) : 0;
      if ('reg' in i.b) return { ra: i.ra, rd: i.rd, amount: checkReg(i.b.reg, what), imm: 0, mode };
      if (i.b.imm < 0n || i.b.imm > 63n) throw new EncodeError(`${what}: immediate shift ${i.b.imm} outside 0 … 63`);
      return { ra: i.ra, rd: i.rd, amount: Number(i.b.imm), imm: 1, mode };
    }
    case 'srnd':
      return { ra: i.ra, rd: i.rd, rb: i.lane, k: i.k };
    case 'sat':
      return { ra: i.ra, rd: i.rd, q: i.q, w: i.w, signed: bit(i.signed) };
    case 'satr':
      return { ra: i.ra, rd: i.rd, q: i.q, pair: ctx.pool([BigInt.asIntN(64, i.lo), BigInt.asIntN(64, i.hi)], 11) };
    case 'vdot':
      return { ra: i.a, rd: i.rd, rb: i.bv, rc: i.n, x: ctx.descriptor(vdotDesc(i, what)) };
    case 'vdist':
      return { ra: i.a, rd: i.rd, rb: i.bv, rc: i.n, x: bit(i.f === 'signed') };
    case 'vupd':
      return { ra: i.w, rd: i.x, rb: i.h, rc: i.n, x: ctx.descriptor(vupdDesc(i, what)) };
    default:
      if (isAlu(i)) return { ra: i.ra, rd: i.rd, b: encOperand(i.b, 16, ctx, what) };
      throw new EncodeError(`${what}: unknown op`);
  }
}

function instrOf(spec: OpcodeSpec, x: Fields, ctx: DecodeCtx, what: string): Instr {
  const { ra, rd, rb, rc } = x;
  switch (spec.op) {
    case 'halt':
    case 'ret':
      return { op: spec.op };
    case 'b':
    case 'call':
      return { op: spec.op, target: x.target };
    case 'dbnz':
      return { op: 'dbnz', ra, target: x.target };
    case 'beq':
    case 'bne':
    case 'blt':
    case 'bge':
      return { op: spec.op, ra, b: decOperand(x.b, 9, ctx, what), target: x.target };
    case 'lone':
      return { op: 'lone', rd, ra };
    case 'recv':
      return { op: 'recv', rd };
    case 'send':
      return { op: 'send', ra };
    case 'draw':
    case 'lfsrget':
      return { op: spec.op, rd, lane: ra };
    case 'lfsrset':
      return { op: 'lfsrset', lane: ra, rs: x.rs };
    case 'li':
      return { op: 'li', rd, imm: decValue(x.b, 16, ctx, what) };
    case 'ld': {
      const fx = spec.fixed as { n: number; signed: boolean };
      return { op: 'ld', rd, ra, off: Number(decValue(x.b, 16, ctx, what)), n: fx.n, signed: fx.signed };
    }
    case 'st':
      return { op: 'st', rs: rd, ra, off: Number(decValue(x.b, 16, ctx, what)), n: (spec.fixed as { n: number }).n };
    case 'mulr':
      return { op: 'mulr', rd, ra, b: decOperand(x.b, 9, ctx, what), k: x.k };
    case 'shl':
    case 'shr': {
      if (x.imm === 0 && x.amount >= 32) throw new EncodeError(`${what}: register shift amount ${x.amount} above r31`);
      const b: Src = x.imm ? { imm: BigInt(x.amount) } : { reg: x.amount };
      if (spec.op === 'shl') {
        if (x.mode !== 0) throw new EncodeError(`${what}: shl with mode ${x.mode}`);
        return { op: 'shl', rd, ra, b };
      }
      return { op: 'shr', rd, ra, b, mode: SHIFT_MODES[x.mode] };
    }
    case 'srnd':
      return { op: 'srnd', rd, ra, k: x.k, lane: rb };
    case 'sat':
      return { op: 'sat', rd, ra, w: x.w, signed: x.signed === 1, q: x.q };
    case 'satr':
      return { op: 'satr', rd, ra, lo: ctx.pool(x.pair), hi: ctx.pool(x.pair + 1), q: x.q };
    case 'vdot': {
      const d = ctx.descriptor(x.x);
      if (d >= 2 ** 12) throw new EncodeError(`${what}: descriptor ${x.x} has bits set above a vdot's [11:0]`);
      return { op: 'vdot', rd, a: ra, sa: unpack(d, 0, 5), bv: rb, sb: unpack(d, 5, 5), n: rc, fa: signedness(unpack(d, 10, 1) === 1), fb: signedness(unpack(d, 11, 1) === 1) };
    }
    case 'vdist':
      if (x.x > 1) throw new EncodeError(`${what}: vdist format ${x.x}`);
      return { op: 'vdist', rd, a: ra, bv: rb, n: rc, f: signedness(x.x === 1) };
    case 'vupd': {
      const d = ctx.descriptor(x.x);
      const r = ROUNDINGS[unpack(d, 18, 3)];
      if (r === undefined) throw new EncodeError(`${what}: descriptor ${x.x} has rounding code ${unpack(d, 18, 3)}`);
      const u: UpdDesc = { k: (unpack(d, 11, 7) << 25) >> 25, rounding: r, w: unpack(d, 21, 6), q: unpack(d, 27, 5) };
      return { op: 'vupd', w: ra, h: rb, n: rc, x: rd, lane0: unpack(d, 0, 5), g: unpack(d, 5, 6), u };
    }
    default:
      return { op: spec.op as AluOp, rd, ra, b: decOperand(x.b, 16, ctx, what) };
  }
}

function specOf(i: Instr): OpcodeSpec {
  const s = OPCODES.find((o) => o.op === i.op && (o.fixed === undefined || ('n' in i && o.fixed.n === i.n && (i.op !== 'ld' || o.fixed.signed === i.signed))));
  if (s === undefined) throw new EncodeError(`no opcode for ${i.op}${'n' in i ? ` of ${i.n} words` : ''}`);
  return s;
}

/** The word of spec with fields x; every field checked against its width. */
function assemble(spec: OpcodeSpec, x: Fields, what: string): number {
  let w = spec.code;
  for (const fd of FORMATS[spec.format]) {
    const v = x[fd.name];
    const lo = fd.signed ? -(2 ** (fd.width - 1)) : 0;
    const hi = fd.signed ? 2 ** (fd.width - 1) - 1 : 2 ** fd.width - 1;
    if (!Number.isInteger(v) || v < lo || v > hi) throw new EncodeError(`${what}: ${fd.name} = ${v} does not fit ${fd.width} bits (${lo} … ${hi})`);
    let u = v < 0 ? v + 2 ** fd.width : v;
    for (const [lsb, n] of fd.at) {
      w += (u % 2 ** n) * 2 ** lsb;
      u = Math.floor(u / 2 ** n);
    }
  }
  return w;
}

/** The field's bits in word w, as an unsigned number. */
const gather = (w: number, fd: Field): number => fd.at.reduceRight((v, [lsb, n]) => v * 2 ** n + unpack(w, lsb, n), 0);

/** The bits a format uses (opcode and fields); the others must be 0. */
const USED = Object.fromEntries(
  Object.entries(FORMATS).map(([k, fs]) => [k, [OP, ...fs].flatMap((fd) => fd.at).reduce((m, [lsb, n]) => m + (2 ** n - 1) * 2 ** lsb, 0)]),
) as Record<FormatName, number>;

function fieldsIn(w: number, format: FormatName, what: string): Fields {
  if ((w & ~USED[format]) !== 0) throw new EncodeError(`${what}: bits 0x${((w & ~USED[format]) >>> 0).toString(16)} set outside the fields of format ${format}`);
  const x: Fields = {};
  for (const fd of FORMATS[format]) {
    const v = gather(w, fd);
    x[fd.name] = fd.signed && v >= 2 ** (fd.width - 1) ? v - 2 ** fd.width : v;
  }
  return x;
}

const describe = (k: number, i: Instr): string => `ucore encode: instruction ${k} (${i.op})`;

/** The binary image of a program (format in the file header). Throws naming the instruction that does not fit. */
export function encode(program: Program | Instr[]): Image {
  const code = Array.isArray(program) ? program : program.code;
  const descriptors: number[] = [];
  const descAt = new Map<number, number>();
  const descriptor = (v: number): number => {
    let k = descAt.get(v);
    if (k === undefined) descAt.set(v, (k = descriptors.push(v) - 1));
    return k;
  };
  // pass 1: the pool references; pass 2: the words, with the pool in its order
  const reqs: PoolRequest[] = [];
  const specs = code.map((i, k) => {
    const spec = specOf(i);
    fieldsOf(i, { pool: (values, bits) => (reqs.push({ values, bits }), 0), descriptor }, describe(k, i));
    return spec;
  });
  const pool = buildPool(reqs);
  const words = new Uint32Array(code.length);
  code.forEach((i, k) => {
    const what = describe(k, i);
    words[k] = assemble(specs[k], fieldsOf(i, { pool: (values) => pool.index(values), descriptor }, what), what);
  });
  return { words, pool: BigInt64Array.from(pool.entries), descriptors: Uint32Array.from(descriptors) };
}

/** The instruction list of an image: the inverse of encode. Throws on an invalid opcode or field. */
export function decode(im: Image): Instr[] {
  const ctx: DecodeCtx = {
    pool: (i) => {
      if (i >= im.pool.length) throw new EncodeError(`pool entry ${i} of ${im.pool.length}`);
      return im.pool[i];
    },
    descriptor: (i) => {
      if (i >= im.descriptors.length) throw new EncodeError(`descriptor ${i} of ${im.descriptors.length}`);
      return im.descriptors[i];
    },
  };
  return Array.from(im.words, (w, k) => {
    const spec = BY_CODE.get(w & 63);
    if (spec === undefined) throw new EncodeError(`ucore decode: word ${k} (0x${w.toString(16)}) has no valid opcode`);
    const what = `word ${k} (${spec.op})`;
    try {
      return instrOf(spec, fieldsIn(w, spec.format, what), ctx, what);
    } catch (e) {
      throw new EncodeError(`ucore decode: ${(e as Error).message}`);
    }
  });
}
