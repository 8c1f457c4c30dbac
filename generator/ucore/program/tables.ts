/**
 * The chip's four table functions (generator/fixed/tables.ts: expNeg, exp, rsqrt, recip; configured by
 * chipTables in generator/numeric.ts) as ucore code: the ROM image of a function and the program that
 * evaluates it bit-exactly as `tf.eval(raw, slot)` does, the output's saturation counted in counter q.
 *
 * ROM IMAGE (tableImage). For N entries, base[i] takes nb = ⌈width(base ROM)/16⌉ words and slope[i] ns words
 * (little-endian, read signed when the ROM is signed): base[i] at romBase + i·nb, slope[i] at romBase + N·nb +
 * i·ns (no slope array without interpolation). `words` is the whole image, to be placed at romBase.
 *
 * SUBROUTINE CONVENTION (emitTableSub). One shared register set (tableRegs) serves every table subroutine:
 * the caller puts the raw input (a full integer, signed for exp) in regs.x and `call`s the label; the result
 * is in regs.y, regs.x is preserved, regs.t are clobbered. The registers of the set are held (never handed out
 * by the allocator) until releaseTableRegs, so a caller's own registers survive the call. One return-stack
 * entry is used.
 *
 * The pipelines (names as in generator/fixed/tables.ts):
 *   expNeg/exp  t (exp: max(−x, 0)); v = mulr(t, L, F_t + C − F_v); n = v >> F_v; u = v mod 2^F_v;
 *               y = base[u >> s] + rnd(slope·(u mod 2^s), s); out = sat(rnd(y, min(n + g, 63)))
 *   recip       x ≤ 0 → max (counted); m = lone(x); q = ⌊x·2^bits / 2^m⌋ − 2^bits (the `bits` mantissa bits
 *               after the leading one, truncated or zero-extended); y from q; sh = F_x − m + F_o − P;
 *               scaleOut(y, sh): sh ≥ 0 → y·2^sh or max when y > ⌊max/2^sh⌋ (or sh > 60), sh < 0 → rnd(y, −sh)
 *   rsqrt       as recip with E = m − F_x, p = E & 1, index msb p, sh = −(E − p)/2 + F_o − P.
 */
import { width, type TableFunction } from '../../fixed/index.js';
import { Asm, imm, type Label } from '../asm.js';
import type { Reg } from '../isa.js';

export interface TableImage {
  /** the ROM words, to be placed at romBase */
  words: number[];
  /** entries N; words per base / slope entry; word offset of the slope array (0 when none) */
  entries: number;
  nb: number;
  ns: number;
  slopeOff: number;
  baseSigned: boolean;
  slopeSigned: boolean;
  interpolate: boolean;
}

const wordsFor = (bits: number): number => {
  const n = Math.max(1, Math.ceil(bits / 16));
  if (n > 4) throw new RangeError(`ucore tables: a ${bits}-bit ROM entry does not fit 4 words`);
  return n;
};

/** The ROM image of a table function (layout in the file header). */
export function tableImage(tf: TableFunction): TableImage {
  const roms = tf.tables();
  const d = tf.describe();
  const base = roms[0];
  const slope = d.interpolate ? roms[1] : undefined;
  if (base === undefined || (d.interpolate && slope === undefined)) throw new Error(`ucore tables: ${tf.name} has no ${base ? 'slope' : 'base'} ROM`);
  const N = base.entries.length;
  const nb = wordsFor(base.width);
  const ns = slope ? wordsFor(slope.width) : 0;
  const words: number[] = [];
  const put = (v: number, n: number) => {
    let x = BigInt.asUintN(16 * n, BigInt(v));
    for (let i = 0; i < n; i++) {
      words.push(Number(x & 0xffffn));
      x >>= 16n;
    }
  };
  for (const v of base.entries) put(v, nb);
  if (slope) for (const v of slope.entries) put(v, ns);
  return { words, entries: N, nb, ns, slopeOff: slope ? N * nb : 0, baseSigned: base.signed, slopeSigned: slope?.signed ?? false, interpolate: d.interpolate };
}

/** The registers every table subroutine shares: input x, result y, four scratch registers. */
export interface TableRegs {
  x: Reg;
  y: Reg;
  t: [Reg, Reg, Reg, Reg];
}

/** Takes (holds) the shared table registers. */
export function tableRegs(a: Asm): TableRegs {
  const [x, y, t0, t1, t2, t3] = a.regs(6);
  return { x, y, t: [t0, t1, t2, t3] };
}

export function releaseTableRegs(a: Asm, r: TableRegs): void {
  a.release(r.x, r.y, ...r.t);
}

/** addr ← idx·n (n words per entry). */
function scaleIdx(a: Asm, addr: Reg, idx: Reg, n: number): void {
  if (n === 1) a.mov(addr, idx);
  else if ((n & (n - 1)) === 0) a.shl(addr, idx, imm(Math.log2(n)));
  else a.mul(addr, idx, imm(n));
}

/** y ← base[idx] + rnd(slope[idx]·f, s) (interpolating) or base[idx]; idx, f and tmp are clobbered. */
function lookup(a: Asm, img: TableImage, romBase: number, s: number, y: Reg, idx: Reg, f: Reg, tmp: Reg): void {
  scaleIdx(a, tmp, idx, img.nb);
  a.ld(y, tmp, romBase, img.nb, img.baseSigned);
  if (!img.interpolate) return;
  scaleIdx(a, idx, idx, img.ns);
  a.ld(tmp, idx, romBase + img.slopeOff, img.ns, img.slopeSigned);
  a.mulr(tmp, tmp, f, s); // s = 0: the plain product (rnd(z, 0) = z)
  a.add(y, y, tmp);
}

/** y ← min(y, max), a clamp counted in q (when given). y ≥ 0. */
function clampOut(a: Asm, y: Reg, outBits: number, q: number | undefined): void {
  if (q === undefined) a.min(y, y, imm(2 ** outBits - 1));
  else a.sat(y, y, outBits, false, q);
}

/**
 * Straight-line evaluation y ← tf.eval(x) (the output saturation counted in q when given); x is preserved,
 * t are clobbered; y must differ from x and from t.
 */
function emitBody(a: Asm, tf: TableFunction, romBase: number, q: number | undefined, x: Reg, y: Reg, t: readonly Reg[]): void {
  const d = tf.describe();
  const img = tableImage(tf);
  const s = d.interpBits;
  const g = d.guardBits;
  const P = d.precisionBits;
  const outBits = width(tf.outFormat);
  const Fx = tf.inFormat.fracBits;
  const Fo = tf.outFormat.fracBits;
  const [t0, t1, t2, t3] = t;
  const sMask = 2 ** s - 1;
  if (tf.name === 'expNeg' || tf.name === 'exp') {
    const L = d.constants.log2e;
    const C = d.constants.constBits;
    const Fv = d.constants.vFracBits;
    let src = x;
    if (tf.name === 'exp') {
      a.sub(t0, 0, x);
      a.max(t0, t0, imm(0));
      src = t0;
    }
    a.mulr(t0, src, imm(L), Fx + C - Fv); // v (k ≤ 0: exact left shift)
    a.shr(t1, t0, imm(Fv), 'floor'); // n
    a.and(t0, t0, imm(2 ** Fv - 1)); // u
    a.shr(t2, t0, imm(s), 'floor'); // idx
    a.and(t0, t0, imm(sMask)); // f
    lookup(a, img, romBase, s, y, t2, t0, t3);
    a.add(t1, t1, imm(g));
    a.min(t1, t1, imm(63)); // y < 2^62: a shift past 63 rounds to 0 as well
    a.shr(y, y, t1, 'nearest');
    clampOut(a, y, outBits, q);
    return;
  }
  if (tf.name !== 'recip' && tf.name !== 'rsqrt') throw new RangeError(`ucore tables: no program for table function ${tf.name}`);
  const rs = tf.name === 'rsqrt';
  const n = d.tableBits;
  const bits = d.constants.mantissaBits;
  if (width(tf.inFormat) + bits > 62) throw new RangeError(`ucore tables: ${tf.name} input ${width(tf.inFormat)} bits + ${bits} mantissa bits exceed the 62-bit shift the program uses`);
  const zero = a.label(`${tf.name}_zero`);
  const right = a.label(`${tf.name}_right`);
  const high = a.label(`${tf.name}_high`);
  const clamp = a.label(`${tf.name}_clamp`);
  a.blt(x, imm(1), zero);
  a.lone(t0, x); // m
  a.shl(t1, x, imm(bits));
  a.shr(t1, t1, t0, 'floor');
  a.sub(t1, t1, imm(2 ** bits)); // q
  if (rs) {
    a.sub(t2, t0, imm(Fx)); // E
    a.and(t3, t2, imm(1)); // p
    a.sub(t2, t2, t3);
    a.shr(t2, t2, imm(1), 'floor'); // (E − p)/2, exact
    a.sub(t2, 0, t2);
    a.add(t2, t2, imm(Fo - P)); // sh
    a.shr(t0, t1, imm(s), 'floor');
    a.shl(t3, t3, imm(n - 1));
    a.add(t0, t0, t3); // idx = p·H + (q >> s)
  } else {
    a.sub(t2, 0, t0);
    a.add(t2, t2, imm(Fx + Fo - P)); // sh
    a.shr(t0, t1, imm(s), 'floor'); // idx
  }
  a.and(t1, t1, imm(sMask)); // f
  lookup(a, img, romBase, s, y, t0, t1, t3);
  // scaleOut(y, sh)
  a.blt(t2, imm(0), right);
  a.bge(t2, imm(61), high);
  a.li(t0, 2 ** outBits - 1);
  a.shr(t0, t0, t2, 'floor');
  a.blt(t0, y, high);
  a.shl(y, y, t2);
  a.b(clamp);
  a.bind(right);
  a.sub(t2, 0, t2);
  a.min(t2, t2, imm(63));
  a.shr(y, y, t2, 'nearest');
  a.b(clamp);
  a.bind(zero);
  a.bind(high);
  a.li(y, 2 ** outBits); // above max: the clamp counts it
  a.bind(clamp);
  clampOut(a, y, outBits, q);
}

/**
 * Emits the subroutine of tf (ROM at romBase, saturation counted in q when given) and returns its entry label.
 * The code is jumped over, so it may be emitted anywhere; convention in the file header.
 */
export function emitTableSub(a: Asm, tf: TableFunction, romBase: number, q: number | undefined, regs: TableRegs): Label {
  const over = a.label(`${tf.name}_over`);
  const entry = a.label(`${tf.name}_sub`);
  a.b(over);
  a.bind(entry);
  emitBody(a, tf, romBase, q, regs.x, regs.y, regs.t);
  a.ret();
  a.bind(over);
  return entry;
}

/** Inline rd ← tf.eval(ra) (counted in q when given); takes its own scratch registers. rd may equal ra. */
export function emitTableEval(a: Asm, tf: TableFunction, romBase: number, rd: Reg, ra: Reg, q?: number): void {
  a.with(5, (x, t0, t1, t2, t3) => {
    a.mov(x, ra);
    emitBody(a, tf, romBase, q, x, rd, [t0, t1, t2, t3]);
  });
}

/** A table subroutine as the sections take it: its entry and the shared registers (input regs.x, result regs.y). */
export interface TableSub {
  entry: Label;
  regs: TableRegs;
  fn: TableFunction;
}

/** emitTableSub, returned with its registers and function. */
export function tableSub(a: Asm, tf: TableFunction, romBase: number, q: number | undefined, regs: TableRegs): TableSub {
  return { entry: emitTableSub(a, tf, romBase, q, regs), regs, fn: tf };
}
