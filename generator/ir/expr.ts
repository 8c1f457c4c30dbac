/**
 * Expressions of the IR: immutable trees with a strict type at every node.
 *
 * Width rules (every result is exact, nothing wraps or truncates implicitly):
 *   a.add(b)            max(wa, wb) + 1                       a.sub(b)  max(wa, wb) + 1, always SIGNED
 *   a.addWrap(b)        same type as a (explicit modulo 2^w)  a.subWrap(b) likewise
 *   a.mul(b)            wa + wb                               a.neg()   sint(wa + 1)
 *   a.mulWrap(b)        same type as a (a·b modulo 2^wa; b of a's signedness, no wider)
 *   and/or/xor          operands of equal type; same type     not()     same type
 *   eq/ne/lt/le/gt/ge   uint(1); widths may differ, signedness may not
 *   slice(hi, lo)       uint(hi − lo + 1)                     bit(i)    uint(1)
 *   trunc(w)            keep the low w bits, same signedness  zext/sext/resize(w)
 *   shl(n)              width + n (exact)                     shr(n)    width − n (exact floor division;
 *                                                                       arithmetic for signed)
 *   shlBy(s)/shrBy(s)   same width: bits shifted out are lost (zext first to keep them)
 *   cat(a, b, …)        sum of widths, unsigned, first operand most significant
 *   mux(c, t, f), select(sel, [...], default)  operands of equal type
 * Signed and unsigned operands never mix implicitly: convert with `.toSigned()` (exact, +1 bit) or
 * reinterpret with `.asSigned()` / `.asUnsigned()`.
 *
 * Weak literals: a plain `number`/`bigint` or `lit(v)` used as an operand takes the type of the other
 * operand (or of the assignment target) and it is an error if the value does not fit there.
 * `constant(v, type)` is a strong, explicitly typed constant.
 */
import {
  HdlError,
  fits,
  maxValue,
  minValue,
  sint,
  toBigInt,
  typeName,
  uint,
  withWidth,
  type HwType,
} from './types.js';

/** What a memory looks like to an expression (the full class is in module.ts). */
export interface MemoryRef {
  readonly name: string;
  readonly type: HwType;
  readonly depth: number;
  readonly addrType: HwType;
  readonly owner: object;
}

export type BinaryOp =
  | 'add'
  | 'sub'
  | 'addWrap'
  | 'subWrap'
  | 'mul'
  | 'mulWrap'
  | 'and'
  | 'or'
  | 'xor'
  | 'eq'
  | 'ne'
  | 'lt'
  | 'le'
  | 'gt'
  | 'ge';

export type ExprNode =
  | { readonly op: 'ref'; readonly sig: Signal }
  /** `name`: a localparam the constant is written as (named enum members), else a sized literal. */
  | { readonly op: 'const'; readonly value: bigint; readonly name?: string }
  | { readonly op: 'memread'; readonly mem: MemoryRef; readonly addr: Expr }
  | { readonly op: BinaryOp; readonly a: Expr; readonly b: Expr }
  | { readonly op: 'neg' | 'not' | 'andReduce' | 'orReduce' | 'xorReduce'; readonly a: Expr }
  /** Bits hi..lo of `a`; the node's type says whether the result is read as signed (trunc, shr). */
  | { readonly op: 'slice'; readonly a: Expr; readonly hi: number; readonly lo: number }
  /**
   * Zero or sign extension of `a` (by a's signedness) to the node's width. `sim`: a sign extension the
   * emitter writes, for Verilator only, as (a ^ 2^(n−1)) − 2^(n−1) on the wide word (Expr.sextSim).
   */
  | { readonly op: 'extend'; readonly a: Expr; readonly sim?: true }
  /** Same bits, the node's signedness. */
  | { readonly op: 'cast'; readonly a: Expr }
  | { readonly op: 'cat'; readonly parts: readonly Expr[] }
  | { readonly op: 'repeat'; readonly a: Expr; readonly count: number }
  | { readonly op: 'mux'; readonly cond: Expr; readonly a: Expr; readonly b: Expr }
  | { readonly op: 'select'; readonly sel: Expr; readonly options: readonly Expr[]; readonly dflt: Expr | null }
  | { readonly op: 'shl'; readonly a: Expr; readonly n: number }
  | { readonly op: 'shlBy' | 'shrBy'; readonly a: Expr; readonly amount: Expr };

/** A weak (untyped) integer literal; it takes the type of whatever it meets. */
export class Lit {
  readonly value: bigint;
  constructor(value: number | bigint) {
    this.value = toBigInt(value, 'literal');
  }
  toString(): string {
    return this.value.toString();
  }
}

/** A weak literal; a plain number or bigint operand means the same. */
export function lit(value: number | bigint): Lit {
  return new Lit(value);
}

/** Anything accepted where a value is expected. */
export type Operand = Expr | Lit | number | bigint;

const BIN_SYMBOL: Record<BinaryOp, string> = {
  add: '+',
  sub: '-',
  addWrap: '+%',
  subWrap: '-%',
  mul: '*',
  mulWrap: '*%',
  and: '&',
  or: '|',
  xor: '^',
  eq: '==',
  ne: '!=',
  lt: '<',
  le: '<=',
  gt: '>',
  ge: '>=',
};

const OP_WORD: Record<BinaryOp, string> = {
  add: 'add',
  sub: 'subtract',
  addWrap: 'addWrap',
  subWrap: 'subWrap',
  mul: 'multiply',
  mulWrap: 'mulWrap',
  and: 'and',
  or: 'or',
  xor: 'xor',
  eq: 'compare (eq)',
  ne: 'compare (ne)',
  lt: 'compare (lt)',
  le: 'compare (le)',
  gt: 'compare (gt)',
  ge: 'compare (ge)',
};

export class Expr {
  readonly type: HwType;
  readonly node: ExprNode;

  constructor(type: HwType, node: ExprNode | ((self: Expr) => ExprNode)) {
    this.type = type;
    this.node = typeof node === 'function' ? node(this) : node;
  }

  get width(): number {
    return this.type.width;
  }

  get signed(): boolean {
    return this.type.signed;
  }

  /** A short rendering for error messages: `'count'`, `(a + b)`, `8'd5`. */
  toString(): string {
    return render(this);
  }

  // ---- arithmetic (widening) ----

  /** a + b, width max(wa, wb) + 1. */
  add(b: Operand): Expr {
    const [x, y] = pair('add', this, b);
    return new Expr(withWidth(x.type, Math.max(x.width, y.width) + 1), { op: 'add', a: x, b: y });
  }

  /** a − b, width max(wa, wb) + 1 and always signed (uint − uint may be negative). */
  sub(b: Operand): Expr {
    const [x, y] = pair('sub', this, b);
    return new Expr(sint(Math.max(x.width, y.width) + 1), { op: 'sub', a: x, b: y });
  }

  /** a + b modulo 2^w: same type as a; b must have the same type (a weak literal is sized to it). */
  addWrap(b: Operand): Expr {
    const [x, y] = pair('addWrap', this, b);
    sameWidth('addWrap', x, y);
    return new Expr(x.type, { op: 'addWrap', a: x, b: y });
  }

  /** a − b modulo 2^w: same type as a. */
  subWrap(b: Operand): Expr {
    const [x, y] = pair('subWrap', this, b);
    sameWidth('subWrap', x, y);
    return new Expr(x.type, { op: 'subWrap', a: x, b: y });
  }

  /** a · b, width wa + wb. A weak literal takes a's width (use `constant` for a narrower factor). */
  mul(b: Operand): Expr {
    const [x, y] = pair('mul', this, b);
    return new Expr(withWidth(x.type, x.width + y.width), { op: 'mul', a: x, b: y });
  }

  /**
   * a · b modulo 2^wa: same type as a; b has a's signedness and is at most as wide (extended by it). The low
   * bits of the exact product, formed at a's width: where a is a machine word (64 bits) a simulator
   * multiplies two words, nothing extended or masked; hardware keeps the bits it needs (the fit check,
   * host/boards/fit.ts, counts it as a multiplier).
   */
  mulWrap(b: Operand): Expr {
    const [x, y] = pair('mulWrap', this, b);
    if (y.width > x.width) throw new HdlError(`mulWrap: ${describe(y)} (${typeName(y.type)}) is wider than ${describe(x)} (${typeName(x.type)}); put the wider factor first`);
    return new Expr(x.type, { op: 'mulWrap', a: x, b: y });
  }

  /** −a, sint(w + 1) (exact for both signednesses). */
  neg(): Expr {
    return new Expr(sint(this.width + 1), { op: 'neg', a: this });
  }

  // ---- bitwise ----

  and(b: Operand): Expr {
    return this.bitwise('and', b);
  }
  or(b: Operand): Expr {
    return this.bitwise('or', b);
  }
  xor(b: Operand): Expr {
    return this.bitwise('xor', b);
  }
  not(): Expr {
    return new Expr(this.type, { op: 'not', a: this });
  }
  andReduce(): Expr {
    return new Expr(uint(1), { op: 'andReduce', a: this });
  }
  orReduce(): Expr {
    return new Expr(uint(1), { op: 'orReduce', a: this });
  }
  xorReduce(): Expr {
    return new Expr(uint(1), { op: 'xorReduce', a: this });
  }

  private bitwise(op: 'and' | 'or' | 'xor', b: Operand): Expr {
    const [x, y] = pair(op, this, b);
    sameWidth(op, x, y);
    return new Expr(x.type, { op, a: x, b: y });
  }

  // ---- comparisons (1 bit) ----

  eq(b: Operand): Expr {
    return this.compare('eq', b);
  }
  ne(b: Operand): Expr {
    return this.compare('ne', b);
  }
  lt(b: Operand): Expr {
    return this.compare('lt', b);
  }
  le(b: Operand): Expr {
    return this.compare('le', b);
  }
  gt(b: Operand): Expr {
    return this.compare('gt', b);
  }
  ge(b: Operand): Expr {
    return this.compare('ge', b);
  }

  private compare(op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', b: Operand): Expr {
    const [x, y] = pair(op, this, b);
    return new Expr(uint(1), { op, a: x, b: y });
  }

  // ---- bits ----

  /** Bits hi..lo (inclusive), as uint(hi − lo + 1). */
  slice(hi: number, lo: number): Expr {
    if (!Number.isInteger(hi) || !Number.isInteger(lo) || lo < 0 || hi < lo || hi >= this.width) {
      throw new HdlError(
        `slice(${hi}, ${lo}) of ${describe(this)} (${typeName(this.type)}): need ${this.width - 1} ≥ hi ≥ lo ≥ 0`,
      );
    }
    if (hi === this.width - 1 && lo === 0 && !this.signed) return this;
    return new Expr(uint(hi - lo + 1), { op: 'slice', a: this, hi, lo });
  }

  /** Bit i as uint(1). */
  bit(i: number): Expr {
    return this.slice(i, i);
  }

  /** The most significant bit (the sign bit of a signed value) as uint(1). */
  msb(): Expr {
    return this.slice(this.width - 1, this.width - 1);
  }

  /** Keeps the low `w` bits (w ≤ width), same signedness. */
  trunc(w: number): Expr {
    this.checkNewWidth('trunc', w);
    if (w > this.width) {
      throw new HdlError(
        `trunc(${w}) of ${describe(this)} (${typeName(this.type)}): cannot truncate to a wider width; ` +
          `use .${this.signed ? 'sext' : 'zext'}(${w})`,
      );
    }
    if (w === this.width) return this;
    return new Expr(withWidth(this.type, w), { op: 'slice', a: this, hi: w - 1, lo: 0 });
  }

  /** Zero-extends an unsigned value to `w` ≥ width bits. */
  zext(w: number): Expr {
    this.checkNewWidth('zext', w);
    if (this.signed) {
      throw new HdlError(
        `zext(${w}) of signed ${describe(this)} (${typeName(this.type)}): zero extension would change its value; ` +
          `use .sext(${w}), or .asUnsigned().zext(${w}) to extend the raw bits`,
      );
    }
    return this.extendTo('zext', w);
  }

  /** Sign-extends a signed value to `w` ≥ width bits. */
  sext(w: number): Expr {
    this.checkNewWidth('sext', w);
    if (!this.signed) {
      throw new HdlError(
        `sext(${w}) of unsigned ${describe(this)} (${typeName(this.type)}): sign extension needs a signed value; ` +
          `use .zext(${w}), or .asSigned().sext(${w}) if the top bit really is a sign`,
      );
    }
    return this.extendTo('sext', w);
  }

  /**
   * sext(w), written by the emitter for Verilator as (x ^ 2^(n−1)) − 2^(n−1) on the w-bit word — the same
   * value for every x (the top bit's weight flipped, then taken off), which Verilator's C++ forms in three
   * machine operations (zero extension, xor, subtract) where it forms a replicated sign bit in seven. Other
   * tools read the usual {{k{x[n−1]}}, x} (synthesis sees wires). For hot, lane-replicated extensions.
   */
  sextSim(w: number): Expr {
    const e = this.sext(w);
    if (e === this || e.node.op !== 'extend' || w > 64 || this.width < 2) return e;
    return new Expr(e.type, { op: 'extend', a: this, sim: true });
  }

  /** Extends (by signedness) or truncates to exactly `w` bits. Truncation here is deliberate. */
  resize(w: number): Expr {
    this.checkNewWidth('resize', w);
    return w <= this.width ? this.trunc(w) : this.extendTo('resize', w);
  }

  /** Same bits read as signed. */
  asSigned(): Expr {
    if (this.signed) return this;
    return new Expr(sint(this.width), { op: 'cast', a: this });
  }

  /** Same bits read as unsigned. */
  asUnsigned(): Expr {
    if (!this.signed) return this;
    return new Expr(uint(this.width), { op: 'cast', a: this });
  }

  /** Exact conversion of an unsigned value to signed: zext by one bit, then read as signed. */
  toSigned(): Expr {
    if (this.signed) return this;
    return this.zext(this.width + 1).asSigned();
  }

  /** `count` copies side by side (`{count{a}}`), unsigned. */
  repeat(count: number): Expr {
    if (!Number.isInteger(count) || count < 1) {
      throw new HdlError(`repeat(${count}) of ${describe(this)}: count must be an integer ≥ 1`);
    }
    return new Expr(uint(this.width * count), { op: 'repeat', a: this, count });
  }

  // ---- shifts ----

  /** a · 2^n, width + n (exact). */
  shl(n: number): Expr {
    checkShift('shl', this, n);
    if (n === 0) return this;
    return new Expr(withWidth(this.type, this.width + n), { op: 'shl', a: this, n });
  }

  /** ⌊a / 2^n⌋, width − n (exact; arithmetic for signed values). Needs n < width. */
  shr(n: number): Expr {
    checkShift('shr', this, n);
    if (n === 0) return this;
    if (n >= this.width) {
      throw new HdlError(
        `shr(${n}) of ${describe(this)} (${typeName(this.type)}): shifting out every bit leaves no width; need n < ${this.width}`,
      );
    }
    return new Expr(withWidth(this.type, this.width - n), { op: 'slice', a: this, hi: this.width - 1, lo: n });
  }

  /** a << amount, same width: bits shifted past the top are lost (zext first to keep them). */
  shlBy(amount: Expr): Expr {
    checkAmount('shlBy', this, amount);
    return new Expr(this.type, { op: 'shlBy', a: this, amount });
  }

  /** a >> amount, same width; arithmetic (sign-filling) for signed values. */
  shrBy(amount: Expr): Expr {
    checkAmount('shrBy', this, amount);
    return new Expr(this.type, { op: 'shrBy', a: this, amount });
  }

  private checkNewWidth(op: string, w: number): void {
    if (!Number.isInteger(w) || w < 1) {
      throw new HdlError(`${op}(${String(w)}) of ${describe(this)}: width must be an integer ≥ 1`);
    }
  }

  private extendTo(op: string, w: number): Expr {
    if (w < this.width) {
      throw new HdlError(
        `${op}(${w}) of ${describe(this)} (${typeName(this.type)}): cannot extend to a narrower width; use .trunc(${w})`,
      );
    }
    if (w === this.width) return this;
    if (this.node.op === 'const') return constant(this.node.value, withWidth(this.type, w));
    return new Expr(withWidth(this.type, w), { op: 'extend', a: this });
  }
}

/** What a signal is in its module. */
export type SignalKind = 'input' | 'output' | 'wire' | 'reg' | 'instout';

/** A named signal of a module; use it as an expression. Created by ModuleBuilder only. */
export class Signal extends Expr {
  readonly name: string;
  readonly kind: SignalKind;
  /** Reset value of a register (null: not reset). */
  readonly reset: bigint | null;
  /** `clock` / `reset` for the module's clk and rst ports. */
  readonly role: 'clock' | 'reset' | null;
  /** The builder that owns it; expressions may only use signals of their own module. */
  readonly owner: object;
  readonly moduleName: string;

  constructor(opts: {
    name: string;
    kind: SignalKind;
    type: HwType;
    owner: object;
    moduleName: string;
    reset?: bigint | null;
    role?: 'clock' | 'reset' | null;
  }) {
    super(opts.type, (self) => ({ op: 'ref', sig: self as Signal }));
    this.name = opts.name;
    this.kind = opts.kind;
    this.reset = opts.reset ?? null;
    this.role = opts.role ?? null;
    this.owner = opts.owner;
    this.moduleName = opts.moduleName;
  }
}

/** A strong constant of an explicit type; throws if `value` does not fit. */
export function constant(value: number | bigint, type: HwType): Expr {
  const v = toBigInt(value, 'constant');
  if (!fits(v, type)) {
    throw new HdlError(
      `constant ${v} does not fit in ${typeName(type)} (range ${minValue(type)}..${maxValue(type)})`,
    );
  }
  return new Expr(type, { op: 'const', value: v });
}

/**
 * Resolves an operand against a known type: expressions pass through, weak literals become constants
 * of `type`. `role` says where the value goes, for the error message.
 */
export function sizeTo(value: Operand, type: HwType, role: string): Expr {
  if (value instanceof Expr) return value;
  if (value instanceof Lit || typeof value === 'number' || typeof value === 'bigint') {
    const v = value instanceof Lit ? value.value : toBigInt(value, role);
    if (!fits(v, type)) {
      const hint =
        v < 0n && !type.signed
          ? `a negative literal cannot take an unsigned type; convert the other side with .toSigned() or use subWrap/sub`
          : `widen the other side first (e.g. .${type.signed ? 'sext' : 'zext'}(${type.width + 1})) or use constant(${v}, ${
              type.signed ? 'sint' : 'uint'
            }(w)) with a wide enough w`;
      throw new HdlError(
        `literal ${v} does not fit ${role}, of type ${typeName(type)} (range ${minValue(type)}..${maxValue(type)}): ${hint}`,
      );
    }
    return new Expr(type, { op: 'const', value: v });
  }
  throw new HdlError(`${role}: expected an expression or an integer literal, got ${String(value)}`);
}

/** True for operands that are weak literals. */
export function isWeak(value: Operand): value is Lit | number | bigint {
  return !(value instanceof Expr);
}

/** Short description of an expression for messages: `'name'` for signals, else a rendering. */
export function describe(e: Expr): string {
  return e.node.op === 'ref' ? `'${e.node.sig.name}'` : render(e);
}

function render(e: Expr): string {
  const n = e.node;
  switch (n.op) {
    case 'ref':
      return n.sig.name;
    case 'const':
      if (n.name) return n.name;
      return `${e.signed && n.value < 0n ? '-' : ''}${e.width}'${e.signed ? 's' : ''}d${n.value < 0n ? -n.value : n.value}`;
    case 'memread':
      return `${n.mem.name}[${render(n.addr)}]`;
    case 'neg':
      return `(-${render(n.a)})`;
    case 'not':
      return `(~${render(n.a)})`;
    case 'andReduce':
      return `(&${render(n.a)})`;
    case 'orReduce':
      return `(|${render(n.a)})`;
    case 'xorReduce':
      return `(^${render(n.a)})`;
    case 'slice':
      return `${render(n.a)}[${n.hi}:${n.lo}]`;
    case 'extend':
      return `${n.a.signed ? 'sext' : 'zext'}(${render(n.a)}, ${e.width})`;
    case 'cast':
      return `${e.signed ? 'asSigned' : 'asUnsigned'}(${render(n.a)})`;
    case 'cat':
      return `{${n.parts.map(render).join(', ')}}`;
    case 'repeat':
      return `{${n.count}{${render(n.a)}}}`;
    case 'mux':
      return `(${render(n.cond)} ? ${render(n.a)} : ${render(n.b)})`;
    case 'select':
      return `select(${render(n.sel)}, [${n.options.map(render).join(', ')}]${n.dflt ? `, ${render(n.dflt)}` : ''})`;
    case 'shl':
      return `(${render(n.a)} << ${n.n})`;
    case 'shlBy':
      return `(${render(n.a)} << ${render(n.amount)})`;
    case 'shrBy':
      return `(${render(n.a)} >> ${render(n.amount)})`;
    default:
      return `(${render(n.a)} ${BIN_SYMBOL[n.op]} ${render(n.b)})`;
  }
}

function pair(op: BinaryOp, a: Expr, bOperand: Operand): [Expr, Expr] {
  const b = sizeTo(bOperand, a.type, `the right operand of ${OP_WORD[op]} with ${describe(a)}`);
  if (a.signed !== b.signed) {
    const [u, s] = a.signed ? [b, a] : [a, b];
    throw new HdlError(
      `cannot ${OP_WORD[op]} ${typeName(a.type)} ${describe(a)} and ${typeName(b.type)} ${describe(b)}: ` +
        `signed/unsigned mixing is never implicit. Fix: convert the unsigned side exactly with ` +
        `${describe(u)}.toSigned() (→ sint(${u.width + 1})), or reinterpret bits with ${describe(s)}.asUnsigned() / ` +
        `${describe(u)}.asSigned()`,
    );
  }
  return [a, b];
}

function sameWidth(op: string, a: Expr, b: Expr): void {
  if (a.width === b.width) return;
  const [narrow, wide] = a.width < b.width ? [a, b] : [b, a];
  const ext = narrow.signed ? 'sext' : 'zext';
  throw new HdlError(
    `${op} needs operands of equal width: ${describe(a)} is ${typeName(a.type)}, ${describe(b)} is ${typeName(b.type)}. ` +
      `Fix: ${describe(narrow)}.${ext}(${wide.width}) or ${describe(wide)}.trunc(${narrow.width})`,
  );
}

function checkShift(op: string, a: Expr, n: number): void {
  if (!Number.isInteger(n) || n < 0) {
    throw new HdlError(`${op}(${String(n)}) of ${describe(a)}: shift must be a non-negative integer`);
  }
}

function checkAmount(op: string, a: Expr, amount: Expr): void {
  if (!(amount instanceof Expr)) {
    throw new HdlError(`${op} of ${describe(a)}: the amount must be a signal expression; for a constant use ${op.slice(0, 3)}(n)`);
  }
  if (amount.signed) {
    throw new HdlError(`${op} of ${describe(a)}: the shift amount ${describe(amount)} must be unsigned; use .asUnsigned()`);
  }
}

/** Concatenation, first part most significant; parts must be typed (no weak literals). */
export function cat(...parts: Expr[]): Expr {
  if (parts.length === 0) throw new HdlError('cat() needs at least one part');
  parts.forEach((p, i) => {
    if (!(p instanceof Expr)) {
      throw new HdlError(`cat(): part ${i} is an untyped literal (${String(p)}); give it a width with constant(v, uint(w))`);
    }
  });
  if (parts.length === 1) return parts[0].asUnsigned();
  return new Expr(uint(parts.reduce((s, p) => s + p.width, 0)), { op: 'cat', parts });
}

/** Checks that `cond` is a 1-bit unsigned expression; `where` names the use. */
export function checkCondition(cond: Operand, where: string): Expr {
  if (!(cond instanceof Expr)) {
    throw new HdlError(`${where}: the condition must be a uint(1) expression, got the literal ${String(cond)}`);
  }
  if (cond.width !== 1 || cond.signed) {
    throw new HdlError(
      `${where}: the condition ${describe(cond)} is ${typeName(cond.type)}, must be uint(1); ` +
        `use ${describe(cond)}.ne(0) or .orReduce()`,
    );
  }
  return cond;
}

/** Resolves a list of operands to one common type, taken from the first typed one. */
function unify(values: Operand[], where: string): Expr[] {
  const typed = values.find((v): v is Expr => v instanceof Expr);
  if (!typed) {
    throw new HdlError(`${where}: every value is an untyped literal, so no width can be inferred; use constant(v, uint(w))`);
  }
  return values.map((v, i) => {
    const e = sizeTo(v, typed.type, `${where} value ${i}`);
    if (e.signed !== typed.signed || e.width !== typed.width) {
      const ext = e.signed ? 'sext' : 'zext';
      throw new HdlError(
        `${where}: all values need the same type; value ${i} ${describe(e)} is ${typeName(e.type)} but ${describe(typed)} is ` +
          `${typeName(typed.type)}. Fix: ${e.width < typed.width ? `.${ext}(${typed.width})` : `.trunc(${typed.width})`}` +
          `${e.signed !== typed.signed ? ' and convert the signedness (.toSigned() / .asUnsigned())' : ''}`,
      );
    }
    return e;
  });
}

/** cond ? a : b. */
export function mux(cond: Expr, a: Operand, b: Operand): Expr {
  const c = checkCondition(cond, 'mux');
  const [x, y] = unify([a, b], 'mux');
  return new Expr(x.type, { op: 'mux', cond: c, a: x, b: y });
}

/** options[sel]; `dflt` is required when there are fewer than 2^width(sel) options. */
export function select(sel: Expr, options: Operand[], dflt?: Operand): Expr {
  if (!(sel instanceof Expr) || sel.signed) {
    throw new HdlError(`select: the selector must be an unsigned expression`);
  }
  const n = 2 ** Math.min(sel.width, 30);
  if (options.length === 0) throw new HdlError(`select on ${describe(sel)}: no options given`);
  if (options.length > n) {
    throw new HdlError(`select on ${describe(sel)} (${typeName(sel.type)}): ${options.length} options but only ${n} selector values`);
  }
  if (options.length < n && dflt === undefined) {
    throw new HdlError(
      `select on ${describe(sel)} (${typeName(sel.type)}): ${options.length} of ${n} selector values covered and no default; ` +
        `pass a default as the third argument`,
    );
  }
  const all = unify(dflt === undefined || options.length === n ? options : [...options, dflt], 'select');
  const opts = all.slice(0, options.length);
  const d = options.length < n ? all[options.length] : null;
  // every value it can take is the same constant (a per-layer constant equal in every layer): that constant
  const first = all[0].node;
  if (first.op === 'const' && all.every((o) => o.node.op === 'const' && o.node.value === first.value)) return all[0];
  return new Expr(opts[0].type, { op: 'select', sel, options: opts, dflt: d });
}

/** Operands of a node, in a fixed order. */
export function children(e: Expr): Expr[] {
  const n = e.node;
  switch (n.op) {
    case 'ref':
    case 'const':
      return [];
    case 'memread':
      return [n.addr];
    case 'neg':
    case 'not':
    case 'andReduce':
    case 'orReduce':
    case 'xorReduce':
    case 'slice':
    case 'extend':
    case 'cast':
    case 'repeat':
    case 'shl':
      return [n.a];
    case 'cat':
      return [...n.parts];
    case 'mux':
      return [n.cond, n.a, n.b];
    case 'select':
      return n.dflt ? [n.sel, ...n.options, n.dflt] : [n.sel, ...n.options];
    case 'shlBy':
    case 'shrBy':
      return [n.a, n.amount];
    default:
      return [n.a, n.b];
  }
}

const KEYS = new WeakMap<Expr, string>();

/**
 * A structural key of `e`: equal for two expressions that compute the same function of the same signals
 * (the same operators, operands, constants and types), whatever objects they are built from. Synthesis
 * merges such copies into one cell (Yosys opt_merge); a resource count keys on it to count them once.
 */
export function exprKey(e: Expr): string {
  const known = KEYS.get(e);
  if (known !== undefined) return known;
  const n = e.node;
  const t = `${e.signed ? 's' : 'u'}${e.width}`;
  let own: string;
  switch (n.op) {
    case 'ref':
      own = `ref:${n.sig.name}`;
      break;
    case 'const':
      own = `const:${n.value}`;
      break;
    case 'memread':
      own = `memread:${n.mem.name}`;
      break;
    case 'slice':
      own = `slice:${n.hi}:${n.lo}`;
      break;
    case 'repeat':
      own = `repeat:${n.count}`;
      break;
    case 'shl':
      own = `shl:${n.n}`;
      break;
    default:
      own = n.op;
  }
  const key = `${own}/${t}(${children(e).map(exprKey).join(',')})`;
  KEYS.set(e, key);
  return key;
}

/** Every signal read by `e` (memories are reported through `mems`). */
export function collectReads(e: Expr, sigs: Set<Signal>, mems?: Set<MemoryRef>): void {
  const n = e.node;
  if (n.op === 'ref') sigs.add(n.sig);
  if (n.op === 'memread' && mems) mems.add(n.mem);
  for (const c of children(e)) collectReads(c, sigs, mems);
}
