/**
 * Pieces of the weight-lane datapath shared by the Hebbian-update unit (hebbian.ts) and the output-layer
 * unit (output.ts): the LFSR draw unrolled over LEAP steps as a few shifts and XORs, the rounded and
 * saturated update word W ← sat(W + SR(x, k)), the weight layout of L lanes, the adder tree over lanes, the
 * saturation counters and the host read port.
 *
 * LFSR leap (generator/fixed/lfsr.ts: a Galois register shifting right with tap mask T; a draw is LEAP
 * steps then the low RBITS bits). The LEAP steps shift out the bits b_0 … b_{LEAP−1}; b_t is bit t of the
 * state plus the taps fed back by earlier out-bits, b_t = s_t ⊕ ⊕_k b_{t − t_k − 1} (t_k the set bits of T),
 * so as polynomials B = S·P⁻¹ mod x^LEAP with P = 1 + Σ_k x^(t_k + 1). The state after the leap is
 * (s >> LEAP) ⊕ ⊕_k (B shifted left by t_k − LEAP + 1, right when negative). Both steps are fixed XORs of
 * shifted copies: a handful of operations per lane instead of one parity per state bit, which keeps
 * the verilated lanes fast; the gates are the same XOR network either way.
 */
import { fx, width, type FixedFormat, type Rounding } from '../fixed/index.js';
import { Expr, Signal, constant, mux, sint, uint, type ModuleBuilder } from '../ir/index.js';
import { resizeHw } from '../lib/arith/index.js';

/** GF(2) inverse of p (bit i = coefficient of x^i, p(0) = 1) modulo x^n, as a bigint. */
function inverseMod(p: bigint, n: number): bigint {
  // q·p ≡ 1 (mod x^n), solved bit by bit
  let q = 0n;
  let prod = 0n; // q·p so far, mod x^n
  const mask = (1n << BigInt(n)) - 1n;
  for (let i = 0; i < n; i++) {
    const want = i === 0 ? 1n : 0n;
    if (((prod >> BigInt(i)) & 1n) !== want) {
      q |= 1n << BigInt(i);
      prod ^= (p << BigInt(i)) & mask;
    }
  }
  return q;
}

/** The shift terms of one LEAP-step advance of a Galois LFSR: see the file comment. */
export interface LeapPlan {
  width: number;
  leap: number;
  /** exponents e of P⁻¹: B = ⊕ (s_low << e) mod 2^leap */
  inv: number[];
  /** or P⁻¹ as a product of factors (1 + Σ x^e), applied one after another (null: use inv) */
  factors: number[][] | null;
  /** shifts of B into the new state: t_k − leap + 1 per tap */
  taps: number[];
}

/** GF(2) division a / p, or null when p does not divide a. */
function divExact(a: bigint, p: bigint): bigint | null {
  const dp = p.toString(2).length - 1;
  let q = 0n;
  let rem = a;
  for (let d = rem.toString(2).length - 1; rem > 0n && d >= dp; d = rem.toString(2).length - 1) {
    q |= 1n << BigInt(d - dp);
    rem ^= p << BigInt(d - dp);
  }
  return rem === 0n ? q : null;
}

/** Exponents e > 0 of the set bits of p below x^n. */
function exponents(p: bigint, n: number): number[] {
  const out: number[] = [];
  for (let i = 1; i < n; i++) if ((p >> BigInt(i)) & 1n) out.push(i);
  return out;
}

export function leapPlan(widthBits: number, taps: number, leap: number): LeapPlan {
  const tk: number[] = [];
  for (let i = 0; i < widthBits; i++) if (Math.floor(taps / 2 ** i) % 2 === 1) tk.push(i);
  let p = 1n;
  for (const t of tk) if (t + 1 < leap) p ^= 1n << BigInt(t + 1);
  const q = inverseMod(p, leap);
  const inv: number[] = [];
  for (let i = 0; i < leap; i++) if ((q >> BigInt(i)) & 1n) inv.push(i);
  const cost = (f: number[][]): number => f.reduce((n, x) => n + x.length, 0);
  // the same inverse as a product of sparse factors (1 + Σ x^e), applied one after another:
  // (a) P = 1 + R, 1/(1 + R) = Π_i (1 + R^(2^i)) mod x^leap, R^(2^i) = R(x^(2^i)) over GF(2);
  // (b) P dividing 1 + x^a (a the order of P): 1/P = M / (1 + x^a) = M · Π_i (1 + x^(a·2^i)), M = (1 + x^a)/P
  //     (for P = 1 + x + x²: 1/P = (1 + x)(1 + x³)(1 + x⁶)(1 + x¹²) mod x^16, four shifted copies)
  const candidates: number[][][] = [];
  const R = tk.filter((t) => t + 1 < leap).map((t) => t + 1);
  if (R.length > 0) {
    const fa: number[][] = [];
    for (let sh = 1; R[0] * sh < leap; sh *= 2) fa.push(R.map((e) => e * sh).filter((e) => e < leap));
    candidates.push(fa);
    for (let a = 1; a <= 4 * leap; a++) {
      const M = divExact((1n << BigInt(a)) | 1n, p);
      if (M === null) continue;
      const fb: number[][] = [];
      const mExp = exponents(M, leap);
      if (mExp.length > 0) fb.push(mExp);
      for (let e = a; e < leap; e *= 2) fb.push([e]);
      candidates.push(fb);
      break;
    }
  }
  candidates.sort((x, y) => cost(x) - cost(y));
  const best = candidates.length > 0 && cost(candidates[0]) < inv.length - 1 ? candidates[0] : null;
  return { width: widthBits, leap, inv, factors: best, taps: tk.map((t) => t - leap + 1) };
}

/** The same advance in TypeScript (checks the plan against Lfsr in the tests). */
export function leapNumber(plan: LeapPlan, s: number): number {
  const { width: W, leap } = plan;
  const sb = BigInt(s);
  const lmask = (1n << BigInt(leap)) - 1n;
  const wmask = (1n << BigInt(W)) - 1n;
  const sl = sb & lmask;
  let B = 0n;
  if (plan.factors) {
    B = sl;
    for (const f of plan.factors) {
      let t = B;
      for (const e of f) t ^= B << BigInt(e);
      B = t & lmask;
    }
  } else for (const e of plan.inv) B ^= (sl << BigInt(e)) & lmask;
  let out = leap < W ? sb >> BigInt(leap) : 0n;
  for (const d of plan.taps) out ^= (d >= 0 ? B << BigInt(d) : B >> BigInt(-d)) & wmask;
  return Number(out);
}

/**
 * The IR of one advance: `s` is uint(width); returns uint(width). The factors work on the whole register
 * width (or LEAP bits if wider), each a named wire `<name>_f<i>`: left shifts wrap at that width and the bits
 * above LEAP, garbage, never come back down, so one mask at the end (wire `<name>_b`, the out-bits B) is
 * all the truncation there is — native-width shifts and XORs for the simulator, the same XOR network for
 * synthesis.
 */
export function leapExpr(m: ModuleBuilder, name: string, plan: LeapPlan, s: Expr): Expr {
  return leapWith(m, name, plan, s, (n, e) => m.wire(n, e));
}

/**
 * The same advance formed in a comb process `<name>` only while `en` (the lane draws); otherwise `<name>`
 * is the state itself. Its factors and out-bits are the process's temporaries (set in the draw branch,
 * zero in the other), so a simulator computes the leap only in drawing cycles (Verilator evaluates a
 * continuous assignment, or a wire read twice, in every cycle). Hardware: the same XOR network with a
 * 2:1 choice after it — the hold mux of a register that takes `<name>` becomes redundant. Use it where
 * every reader of the advanced state reads it only while `en`. Verilator reads the same advance as table
 * lookups (withLeapTables; the process above is then the unrolled form), when `s` is a signal.
 */
export function gatedLeap(m: ModuleBuilder, name: string, plan: LeapPlan, s: Expr, en: Expr): Signal {
  return withLeapTables(m, name, plan, 1, s, en, (enS) => gatedLeapItems(m, name, plan, s, enS));
}

function gatedLeapItems(m: ModuleBuilder, name: string, plan: LeapPlan, s: Expr, en: Expr): Signal {
  const next = m.wire(name, uint(plan.width));
  const temps: Signal[] = [];
  m.comb(name, ($) => {
    $.if(en, () => {
      const out = leapWith(m, name, plan, s, (n, e) => {
        const t = m.wire(n, e.type);
        $.setTemp(t, e);
        temps.push(t);
        return t;
      });
      $.set(next, out);
    }).else(() => {
      for (const t of temps) $.setTemp(t, constant(0, t.type));
      $.set(next, s);
    });
  });
  return next;
}

/**
 * A leap of n lanes packed in one word (lane i in bits [i·W + W − 1 : i·W], n·W ≤ 64): the same shifts and
 * XORs done once for all n lanes on a native word, with constant masks where a lane's bits would cross into
 * its neighbour's (the unpacked form drops them at the register width). The factors work on the out-bits'
 * LEAP bits of each lane: the input is masked to them, and again before a factor whose shift would carry a
 * lane's top bit past the lane (bits above LEAP only ever move up, so the mask changes nothing below LEAP).
 * A tap shifting B left keeps the bits that stay in the lane (mask first), one shifting right drops those
 * that leave it (mask after). Null when the plan has no factors or LEAP exceeds the lane.
 */
export interface PackedLeap {
  lanes: number;
  /**
   * before factor i: 'acc' re-masks the word to LEAP bits per lane; 'copies' also masks each shifted copy
   * (shift e) to its LEAP − e bits that land below LEAP (a factor whose shift alone crosses a lane)
   */
  remask: ('none' | 'acc' | 'copies')[];
  /** tap terms: B masked to `pre` bits per lane, shifted by d (left when ≥ 0), masked to `post` bits per lane */
  terms: { d: number; pre: number | null; post: number | null }[];
}

export function packedLeap(plan: LeapPlan, lanes: number): PackedLeap | null {
  const { width: W, leap } = plan;
  if (!plan.factors || leap > W || lanes * W > NATIVE || lanes < 2) return null;
  let top = leap - 1;
  const remask = plan.factors.map((f): PackedLeap['remask'][number] => {
    const e = Math.max(...f);
    if (top + e <= W - 1) {
      top += e;
      return 'none';
    }
    top = leap - 1 + e;
    if (top <= W - 1) return 'acc';
    top = leap - 1;
    return 'copies';
  });
  const terms: PackedLeap['terms'] = [];
  for (const d of plan.taps) {
    if (d <= -leap || d >= W) continue; // shifted out entirely
    if (d >= 0) terms.push({ d, pre: leap - 1 + d > W - 1 ? W - d : null, post: null });
    else terms.push({ d, pre: null, post: leap + d });
  }
  return { lanes, remask, terms };
}

/** A mask of the low `bits` bits of each of n lanes of width w. */
function laneMask(bits: number, w: number, n: number): bigint {
  let mk = 0n;
  for (let i = 0; i < n; i++) mk |= ((1n << BigInt(bits)) - 1n) << BigInt(i * w);
  return mk;
}

/** The packed advance in TypeScript: states[i] of lane i (checks packedLeap against Lfsr in the tests). */
export function leapPackedNumber(plan: LeapPlan, pk: PackedLeap, states: number[]): number[] {
  const { width: W, leap } = plan;
  const n = pk.lanes;
  const T = BigInt(n * W);
  const all = (1n << T) - 1n;
  const mk = (b: number): bigint => laneMask(b, W, n);
  const s = states.reduce((a, v, i) => a | (BigInt(v) << BigInt(i * W)), 0n);
  let acc = s & mk(leap);
  (plan.factors as number[][]).forEach((f, i) => {
    if (pk.remask[i] !== 'none') acc &= mk(leap);
    let t = acc;
    for (const e of f) t ^= ((pk.remask[i] === 'copies' ? acc & mk(leap - e) : acc) << BigInt(e)) & all;
    acc = t;
  });
  const B = acc & mk(leap);
  let out = leap < W ? (s >> BigInt(leap)) & mk(W - leap) : 0n;
  for (const { d, pre, post } of pk.terms) {
    const b = pre === null ? B : B & mk(pre);
    let t = d >= 0 ? (b << BigInt(d)) & all : b >> BigInt(-d);
    if (post !== null) t &= mk(post);
    out ^= t;
  }
  return states.map((_, i) => Number((out >> BigInt(i * W)) & ((1n << BigInt(W)) - 1n)));
}

/**
 * gatedLeap of n lanes packed in `s` (uint(n·W), see packedLeap): the comb process `<name>` forms the
 * advanced states of all n lanes while `en`, else passes `s`; its factors and out-bits are temporaries.
 * Verilator reads the table form (withLeapTables), as for gatedLeap.
 */
export function gatedLeapPacked(m: ModuleBuilder, name: string, plan: LeapPlan, pk: PackedLeap, s: Expr, en: Expr): Signal {
  return withLeapTables(m, name, plan, pk.lanes, s, en, (enS) => gatedLeapPackedItems(m, name, plan, pk, s, enS));
}

function gatedLeapPackedItems(m: ModuleBuilder, name: string, plan: LeapPlan, pk: PackedLeap, s: Expr, en: Expr): Signal {
  const { width: W, leap } = plan;
  const n = pk.lanes;
  const T = n * W;
  if (s.width !== T || s.signed) throw new Error(`gatedLeapPacked: the state must be uint(${T}) (internal)`);
  const mk = (b: number): Expr => constant(laneMask(b, W, n), uint(T));
  const next = m.wire(name, uint(T));
  const temps: Signal[] = [];
  m.comb(name, ($) => {
    $.if(en, () => {
      const bind = (nm: string, e: Expr): Signal => {
        const t = m.wire(nm, e.type);
        $.setTemp(t, e);
        temps.push(t);
        return t;
      };
      // the masked state is bound before it is shifted: the simulator masks once and shifts the result, instead
      // of masking the state and, again, its shifted copy (the same XOR network). Binding the later re-mask too
      // saved 23 more simulator instructions per cycle but Yosys/ABC then took 9 more LUTs (64-32-16-10, L = 4).
      let acc: Expr = bind(`${name}_m`, s.and(mk(leap)));
      (plan.factors as number[][]).forEach((f, i) => {
        if (pk.remask[i] !== 'none') acc = acc.and(mk(leap));
        let t = acc;
        for (const e of f) t = t.xor((pk.remask[i] === 'copies' ? acc.and(mk(leap - e)) : acc).trunc(T - e).shl(e));
        acc = bind(`${name}_f${i}`, t);
      });
      const B = bind(`${name}_b`, acc.and(mk(leap)));
      let out: Expr = leap < W ? s.shr(leap).zext(T).and(mk(W - leap)) : constant(0, uint(T));
      for (const { d, pre, post } of pk.terms) {
        const b = pre === null ? B : B.and(mk(pre));
        let t = d >= 0 ? (d === 0 ? b : b.trunc(T - d).shl(d)) : b.shr(-d).zext(T);
        if (post !== null) t = t.and(mk(post));
        out = out.xor(t);
      }
      $.set(next, out);
    }).else(() => {
      for (const t of temps) $.setTemp(t, constant(0, t.type));
      $.set(next, s);
    });
  });
  return next;
}

/**
 * The leap as byte tables, the simulator's form of it. A leap is linear over GF(2): the advanced state is
 * (s >> LEAP) ⊕ g(s mod 2^LEAP) (the shift only while LEAP < W), so g is the XOR of one table per byte of
 * the state's low min(LEAP, W) bits, table k holding g(v · 2^(8k)) = leapNumber(v · 2^(8k)). Null for
 * registers wider than 32 bits (the tables' words are numbers).
 */
export function leapTables(plan: LeapPlan): number[][] | null {
  if (plan.width > 32) return null;
  const bits = Math.min(plan.leap, plan.width);
  const out: number[][] = [];
  for (let lo = 0; lo < bits; lo += 8) {
    const n = Math.min(8, bits - lo);
    out.push(Array.from({ length: 2 ** n }, (_, v) => leapNumber(plan, v * 2 ** lo)));
  }
  return out;
}

/** The leap tables' names in each module (declared once a module, by plan). */
const moduleLeapTables = new WeakMap<ModuleBuilder, Map<string, string[]>>();

/**
 * The leap tables of `plan` in module m: a Verilator block `leap_tables[_<i>]` declaring them (`leap_tab<k>`,
 * W-bit words) and filling them in an `initial` block, written once a module and plan.
 */
function leapTableNames(m: ModuleBuilder, plan: LeapPlan, tables: number[][]): string[] {
  let byPlan = moduleLeapTables.get(m);
  if (!byPlan) moduleLeapTables.set(m, (byPlan = new Map()));
  const key = `${plan.width}/${plan.leap}/${plan.taps.join(',')}`;
  const known = byPlan.get(key);
  if (known) return known;
  const sfx = byPlan.size === 0 ? '' : `_${byPlan.size}`;
  const names = tables.map((_, k) => `leap_tab${sfx}${sfx ? '_' : ''}${k}`);
  const W = plan.width;
  const hex = (v: number): string => `${W}'h${v.toString(16).padStart(Math.ceil(W / 4), '0')}`;
  const lines = ['  initial begin'];
  tables.forEach((t, k) => {
    for (let v = 0; v < t.length; v += 4) lines.push(`    ${t.slice(v, v + 4).map((x, j) => `${names[k]}[${v + j}] = ${hex(x)};`).join(' ')}`);
  });
  lines.push('  end');
  const decls = tables.map((t, k) => `reg  [${W - 1}:0] ${names[k]} [0:${t.length - 1}];`);
  m.verilatorBlock(`leap_tables${sfx}`, [`// the LFSR leap's linear part g, one table per byte of the state's low bits (lane.ts leapTables)`, ...decls], lines);
  byPlan.set(key, names);
  return names;
}

/**
 * A gated leap of n lanes packed in `s` (n = 1: one lane) in two forms: `items` (given the enable as a
 * signal) the hardware, and for Verilator the same advance by table lookups, two loads and XORs per byte of
 * state bits instead of the XOR network's shifts (Verilator runs those as ~18 machine operations a lane).
 * Both forms are simulated against each other under Icarus (test/generator/verilator-form.test.ts).
 */
function withLeapTables(m: ModuleBuilder, name: string, plan: LeapPlan, n: number, s: Expr, en: Expr, items: (en: Expr) => Signal): Signal {
  const tables = leapTables(plan);
  if (!tables || !(s instanceof Signal)) return items(en);
  const enS = en instanceof Signal ? en : m.wire(`${name}_en`, en);
  const next = m.unrolledOnly(() => items(enS));
  const { width: W, leap } = plan;
  const T = n * W;
  const names = leapTableNames(m, plan, tables);
  const bits = Math.min(leap, W);
  const laneText = (i: number): string =>
    names.map((t, k) => `${t}[${s.name}[${i * W + Math.min(8 * k + 8, bits) - 1}:${i * W + 8 * k}]]`).join(' ^ ');
  const lanes = Array.from({ length: n }, (_, i) => laneText(n - 1 - i));
  const looked = n === 1 ? lanes[0] : `{${lanes.join(', ')}}`;
  const shifted = leap >= W ? null : n === 1 ? `{${leap}'d0, ${s.name}[${W - 1}:${leap}]}` : `({${leap}'d0, ${s.name}[${T - 1}:${leap}]} & ${T}'h${laneMask(W - leap, W, n).toString(16)})`;
  m.verilatorBlock(name, [], [
    '  always @* begin',
    `    if (${enS.name}) begin`,
    `      ${name} = ${shifted ? `${shifted} ^ ${looked}` : looked};`,
    '    end else begin',
    `      ${name} = ${s.name};`,
    '    end',
    '  end',
  ]);
  return next;
}

/** leapExpr with its intermediate values bound by `bind` (a wire, or a process temporary). */
function leapWith(m: ModuleBuilder, name: string, plan: LeapPlan, s: Expr, bind: (name: string, e: Expr) => Signal): Expr {
  const { width: W, leap } = plan;
  let acc: Expr;
  if (plan.factors) {
    const WF = Math.max(W, leap);
    acc = WF > W ? s.zext(WF) : s;
    plan.factors.forEach((f, i) => {
      let t = acc;
      for (const e of f) if (e < WF) t = t.xor(acc.trunc(WF - e).shl(e));
      acc = bind(`${name}_f${i}`, t);
    });
    if (WF > leap) m.unused(acc.slice(WF - 1, leap));
    acc = acc.trunc(leap);
  } else {
    const WB = Math.max(W, leap) + Math.max(...plan.inv);
    const sx = s.zext(WB);
    let x: Expr | null = null;
    for (const e of plan.inv) {
      const t = e === 0 ? sx : sx.shl(e).trunc(WB);
      x = x ? x.xor(t) : t;
    }
    if (!x) throw new Error('leapExpr: empty inverse (internal)');
    acc = x.trunc(leap);
  }
  const B = bind(`${name}_b`, acc);
  const fit = (e: Expr, w: number): Expr => (e.width > w ? e.trunc(w) : e.width < w ? e.zext(w) : e);
  let out: Expr = leap < W ? s.shr(leap).zext(W) : constant(0, uint(W));
  for (const d of plan.taps) {
    if (d <= -leap) continue; // shifted out entirely
    const t = d >= 0 ? fit(B.shl(d), W) : fit(B.shr(-d), W);
    out = out.xor(t);
  }
  return out;
}

/** A product left as its two signed factors, so that updateWord can form it at the native width. */
export interface Product {
  a: Expr;
  b: Expr;
  /**
   * a sign-extended to NATIVE bits (the same value): the native product is then aWide times b extended by
   * Expr.sextSim (b's cheap extension in the simulator: a lane's h where a, ν, is one value for all lanes)
   */
  aWide?: Expr;
}

/** The simulator's native word: values that provably fit are computed in 64-bit wrapping arithmetic. */
export const NATIVE = 64;

/** The product a·b at NATIVE bits, or null when it does not fit with two bits to spare. */
function nativeProduct({ a, b, aWide }: Product): Expr | null {
  if (!a.signed || !b.signed) throw new Error('updateWord: the factors of a product must be signed (internal)');
  if (a.width + b.width + 2 > NATIVE) return null;
  if (aWide && (aWide.width !== NATIVE || !aWide.signed)) throw new Error('updateWord: aWide must be a signed NATIVE-bit value (internal)');
  return aWide ? aWide.mulWrap(b.sextSim(NATIVE)) : laneProduct(a, b);
}

/**
 * a·b of two signed values, formed at NATIVE bits when the exact product fits there (the simulator then
 * multiplies whole words: the emitter writes the factors unextended), else at its exact width.
 */
export function laneProduct(a: Expr, b: Expr): Expr {
  return a.width + b.width <= NATIVE ? a.sext(NATIVE - b.width).mul(b) : a.mul(b);
}

/**
 * An update word's operands: the stored word w, the signed product x with k fraction bits above the word's
 * format F, the rounding and its draw r (stochastic rounding with k > 0).
 */
export interface WordUpdate {
  w: Expr;
  x: Expr | Product;
  k: number;
  rounding: Rounding;
  r: Signal | null;
  F: FixedFormat;
  /**
   * Stochastic rounding with k > rbits in 64-bit arithmetic: add the draw shifted up to the product's k
   * fraction bits and shift once, (x + r·2^(k−rbits)) >> k, instead of ((x >> (k − rbits)) + r) >> rbits —
   * the same value (⌊⌊y/a⌋/b⌋ = ⌊y/(ab)⌋), one arithmetic shift fewer for the simulator. Off: the two shifts.
   */
  oneShift?: boolean;
  /** The stored word's extension in the native sum written with Expr.sextSim (the simulator's cheap form). */
  simExtend?: boolean;
}

/** What updateWord returns: the saturated word and the two saturation flags. */
export interface UpdateWord {
  value: Expr;
  satHi: Expr;
  satLo: Expr;
}

/**
 * One update word: value = sat_F(w + round(x, k)), x a signed product with k fraction bits above the
 * weight's (k ≤ 0: an exact left shift, nothing drawn). `r` is the draw for stochastic rounding (k > 0).
 * Returns the saturated word (sint of F's width) and the two saturation flags (wires `<name>_sum`,
 * `<name>_sat_hi`, `<name>_sat_lo` hold the shared parts, so no expression is emitted twice).
 *
 * When every intermediate value fits 64 bits (the default formats: a 33-bit product), the word is computed in
 * 64-bit wrapping arithmetic — sign-extended operands, arithmetic shifts, a signed compare against the rails
 * — which gives the exact values (nothing wraps) and lets the simulator work on whole machine words; the
 * roundings other than floor, nearest and stochastic, and wider values, take resizeHw's exact-width path.
 */
export function updateWord(m: ModuleBuilder, name: string, u: WordUpdate): UpdateWord {
  const F = u.F;
  const sum = m.wire(`${name}_sum`, updateSum(m, u)());
  const satHi = m.wire(`${name}_sat_hi`, railFlag(sum, F, 'hi'));
  const satLo = m.wire(`${name}_sat_lo`, railFlag(sum, F, 'lo'));
  return { value: saturated(sum, satHi, satLo, F), satHi, satLo };
}

/** gatedUpdateWord's result: the word and its two flags, outputs of one comb process. */
export interface GatedUpdateWord {
  /** sat_F(w + SR(x, k)) while the lane writes, w otherwise */
  value: Expr;
  /** the sum's rail flags while the lane writes, 0 otherwise */
  satHi: Expr;
  satLo: Expr;
  /** with packFlags: the process's one output {satLo, satHi, word} (value and flags are its slices) */
  packed?: Signal;
}

/**
 * The same update word formed in one comb process `<name>` only while `en` (the lane writes the word): the
 * exact sum `<name>_sum` and its rail flags `<name>_above/_below` are temporaries of the process, the word `<name>` and its flags `<name>_sat_hi/lo`
 * its outputs. Otherwise the word is the stored word w and both flags are 0 — what a lane that does not
 * write needs anyway (the forward's operand, flags ANDed with the write). A simulator then does the
 * product, rounding, add and saturation once, and only in the writing cycles (Verilator evaluates a
 * continuous assignment, or a value read in two places, in every cycle); the word's readers (a register,
 * the bank's write data) and the counters read signals. In hardware the enable's 2:1 choice sits after the
 * saturation, where a lane's hold mux is anyway.
 */
export function gatedUpdateWord(m: ModuleBuilder, name: string, u: WordUpdate, en: Expr, opts: { packFlags?: boolean } = {}): GatedUpdateWord {
  const exact = updateSum(m, u)();
  const wo = width(u.F);
  if (!u.w.signed || !exact.signed || u.w.width !== wo) throw new Error('gatedUpdateWord: the word must be a signed word of its format, its sum signed (internal)');
  const sum = m.wire(`${name}_sum`, exact.type);
  if (opts.packFlags) {
    const above = m.wire(`${name}_above`, uint(1));
    const below = m.wire(`${name}_below`, uint(1));
    // one output {below, above, word}: the simulator stores one word per lane (no flag bytes), and the
    // counters test the flags of all lanes with one OR of the words (satFlagsAny)
    const packed = m.wire(name, uint(wo + 2));
    const hiV = 2n ** BigInt(wo - 1) - 1n;
    const loV = 2n ** BigInt(wo - 1);
    m.comb(name, ($) => {
      $.if(en, () => {
        $.setTemp(sum, exact);
        $.setTemp(above, railFlag(sum, u.F, 'hi'));
        $.setTemp(below, railFlag(sum, u.F, 'lo'));
        $.if(above, () => $.set(packed, constant((1n << BigInt(wo)) | hiV, uint(wo + 2))))
          .elseIf(below, () => $.set(packed, constant((2n << BigInt(wo)) | loV, uint(wo + 2))))
          .else(() => $.set(packed, sum.asUnsigned().trunc(wo).zext(wo + 2)));
      }).else(() => {
        $.setTemp(sum, constant(0, exact.type));
        $.setTemp(above, 0);
        $.setTemp(below, 0);
        $.set(packed, u.w.asUnsigned().zext(wo + 2));
      });
    });
    return { value: packed.slice(wo - 1, 0).asSigned(), satHi: packed.bit(wo), satLo: packed.bit(wo + 1), packed };
  }
  const value = m.wire(name, sint(wo));
  const satHi = m.wire(`${name}_sat_hi`, uint(1));
  const satLo = m.wire(`${name}_sat_lo`, uint(1));
  const above = m.wire(`${name}_above`, uint(1));
  const below = m.wire(`${name}_below`, uint(1));
  m.comb(name, ($) => {
    $.if(en, () => {
      $.setTemp(sum, exact);
      $.setTemp(above, railFlag(sum, u.F, 'hi'));
      $.setTemp(below, railFlag(sum, u.F, 'lo'));
      $.set(satHi, above);
      $.set(satLo, below);
      $.set(value, saturated(sum, above, below, u.F));
    }).else(() => {
      $.setTemp(sum, constant(0, exact.type));
      $.setTemp(above, 0);
      $.setTemp(below, 0);
      $.set(satHi, 0);
      $.set(satLo, 0);
      $.set(value, u.w);
    });
  });
  return { value, satHi, satLo };
}

/**
 * Whether any of packed update words (gatedUpdateWord with packFlags) has a flag set: the OR of the words
 * themselves, then their two flag bits — one OR per lane for the simulator instead of two flag loads.
 */
export function satFlagsAny(words: Expr[]): Expr {
  const w = words[0].width;
  // a mask, not a slice: the emitter then needs no temporary wire (formed every cycle) for the OR
  return words.reduce((a, b) => a.or(b)).and(constant(3n << BigInt(w - 2), uint(w))).ne(0);
}

/** sat_F of a sum given its two rail flags. */
function saturated(sum: Expr, satHi: Expr, satLo: Expr, F: FixedFormat): Expr {
  const wo = width(F);
  const hiV = 2n ** BigInt(wo - 1) - 1n;
  const loV = -(2n ** BigInt(wo - 1));
  return mux(satHi, constant(hiV, sint(wo)), mux(satLo, constant(loV, sint(wo)), sum.trunc(wo)));
}

/**
 * Whether the exact sum is above the format's top rail ('hi') or below its bottom one ('lo'): the bits from
 * wo − 1 up are not all equal — one slice of them (top, n bits) read once: above iff top ∈ [1, 2^(n−1) − 1],
 * below iff top ∈ [2^(n−1), 2^n − 2], each one wrapping subtract and compare on n bits.
 */
function railFlag(sum: Expr, F: FixedFormat, side: 'hi' | 'lo'): Expr {
  const wo = width(F);
  const WS = sum.width;
  const n = WS - wo + 1;
  const top = sum.asUnsigned().slice(WS - 1, wo - 1);
  if (n === 1) return constant(0, uint(1));
  // two bits: the ranges are single values (01 above, 10 below), one compare
  if (n === 2) return top.eq(constant(side === 'hi' ? 1 : 2, uint(2)));
  const off = side === 'hi' ? 1n : 2n ** BigInt(n - 1);
  return top.subWrap(constant(off, uint(n))).lt(constant(2n ** BigInt(n - 1) - 1n, uint(n)));
}

/**
 * A builder of the exact sum w + round(x, k) (see updateWord), a fresh expression on every call. The
 * unused draw bits are declared once.
 */
function updateSum(m: ModuleBuilder, { w, x, k, rounding, r, oneShift, simExtend }: WordUpdate): () => Expr {
  const xw = x instanceof Expr ? x.width : x.a.width + x.b.width;
  const useNative = !(x instanceof Expr) && ['floor', 'nearest', 'stochastic'].includes(rounding) && xw - k + 2 <= NATIVE;
  // the rounded value's own width (resizeHw's widest rounding), so the 'wrap' below never drops a bit
  const wd = k > 0 ? Math.max(xw, k + 2) + 2 - k : xw - k;
  if (useNative && k > 0 && rounding === 'stochastic') {
    if (!r) throw new Error('updateWord: stochastic rounding needs the draw r');
    if (k < r.width) m.unused(r.slice(r.width - k - 1, 0)); // ⌊r·2^(k−rbits)⌋ keeps only the top k bits of the draw
  }
  const rounded = (): Expr => {
    const native = useNative ? nativeProduct(x as Product) : null;
    if (native) {
      const sra = (v: Expr, n: number): Expr => (n === 0 ? v : v.shrBy(constant(n, uint(bitsFor(NATIVE)))));
      const add = (v: Expr, u: Expr): Expr => v.addWrap(u.width < NATIVE ? u.zext(NATIVE).asSigned() : u);
      let q: Expr;
      if (k <= 0) q = k === 0 ? native : native.shlBy(constant(-k, uint(bitsFor(NATIVE))));
      else if (rounding === 'floor') q = sra(native, k);
      else if (rounding === 'nearest') q = sra(native.addWrap(constant(2n ** BigInt(k - 1), sint(NATIVE))), k);
      else {
        const rr = r as Signal;
        const rb = rr.width;
        if (k > rb && oneShift && xw + 2 <= NATIVE && k + 2 <= NATIVE) q = sra(native.addWrap(rr.zext(NATIVE - (k - rb)).shl(k - rb).asSigned()), k);
        else q = k >= rb ? sra(add(sra(native, k - rb), rr), rb) : sra(add(native, rr.shr(rb - k)), k);
      }
      return q;
    }
    const xe = x instanceof Expr ? x : x.a.mul(x.b);
    return resizeHw(m, xe, k, fx(wd, wd, true), rounding, 'wrap', rounding === 'stochastic' && k > 0 ? r : null).value;
  };
  // native: the exact sum (WS bits) is the low WS bits of the 64-bit wrapping sum of the 64-bit rounded term
  // (one slice of one temporary; the exact-width add would sign-extend the term, reading it twice)
  const WS = Math.max(w.width, Math.min(wd, NATIVE)) + 1;
  if (useNative && WS <= NATIVE) return () => (simExtend ? w.sextSim(NATIVE) : w.sext(NATIVE)).addWrap(rounded()).trunc(WS);
  return () => {
    const d = rounded();
    return w.add(d.width > NATIVE ? d : d.trunc(Math.min(wd, NATIVE)));
  };
}

/** Balanced sum of signed terms (exact widths). */
function sumTree(terms: Expr[]): Expr {
  if (terms.length === 0) throw new Error('sumTree: no terms');
  let level = terms;
  while (level.length > 1) {
    const next: Expr[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(level[i].add(level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/**
 * Σ terms modulo 2^sumW (the caller proves the exact sum fits sumW bits), as an expression without a named
 * wire: the unit writes it into a register process under its enable, so a simulator adds the lanes only in
 * the enabled cycles (the emitted adders work at sumW bits: the low bits of a sum need only the terms' low bits).
 */
export function laneSum(terms: Expr[], sumW: number): Expr {
  return sumTreeWrap(terms, Math.max(sumW, ...terms.map((t) => t.width))).resize(sumW);
}

/**
 * Sum of signed terms, each sign-extended once to `w` bits and added modulo 2^w (the caller proves the
 * exact sum fits w bits): same-width adds, cheaper to simulate than a widening tree.
 */
export function sumTreeWrap(terms: Expr[], w: number): Expr {
  let level = terms.map((t) => (t.width < w ? t.sext(w) : t));
  while (level.length > 1) {
    const next: Expr[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) next.push(level[i].addWrap(level[i + 1]));
    if (level.length % 2 === 1) next.push(level[level.length - 1]);
    level = next;
  }
  return level[0];
}

/** Number of set bits among 1-bit terms, as uint. */
export function popCount(bits: Expr[]): Expr {
  return sumTree(bits);
}

/** Bits of an unsigned value range 0..n−1 (at least 1). */
export function bitsFor(n: number): number {
  let b = 1;
  while (2 ** b < n) b++;
  return b;
}

/** Host port kinds of the lane units (host_kind). */
export const HOST_KIND = { weight: 0, bias: 1, lfsr: 2 } as const;

/** One saturation counter: its output name, its flags, and optionally the enable of the cycles that can set them. */
export type SatCounter = [name: string, flags: Expr[], gate?: Expr, any?: Expr];

/**
 * Saturation counters: one 32-bit register `<name>_q` and output `<name>` per entry, adding how many of its
 * flags are set. Counters are grouped by gate (none, or the enable of the only cycles that can set their
 * flags); a group adds only in its gate's cycles and only when one of its flags is set (an OR of the flags
 * themselves, no flag vectors), so a simulator evaluates the flags only in those cycles and the population
 * counts only on a saturation. Ungated flags are ORed into the wire `any_sat`. An entry may bring its own
 * test of "a flag is set" (`any`, e.g. satFlagsAny of packed update words), used when every entry of its
 * group brings one. `opts.process`: the name of the one clocked process (default sat_count); `opts.wrap` runs its
 * creation (e.g. ModuleBuilder.unrolledOnly).
 */
export function satCounters(m: ModuleBuilder, counters: SatCounter[], opts: { process?: string; wrap?: (body: () => void) => void } = {}): void {
  const cw = 32;
  const cregs = counters.map(([nm]) => m.reg(`${nm}_q`, uint(cw), { reset: 0 }));
  const groups = new Map<Expr | null, number[]>();
  counters.forEach(([, , g], k) => groups.set(g ?? null, [...(groups.get(g ?? null) ?? []), k]));
  // a group's "some flag set": the OR of the flags, or the OR of the distinct tests its counters bring (satFlagsAny)
  const any = (ks: number[]): Expr => {
    const given = [...new Set(ks.map((k) => counters[k][3]))];
    if (given.every((e): e is Expr => e !== undefined)) return given.reduce((a, b) => a.or(b));
    return ks.flatMap((k) => counters[k][1]).reduce((a, b) => a.or(b));
  };
  const anySat = groups.has(null) ? m.wire('any_sat', any(groups.get(null) as number[])) : null;
  const counting = (): void => m.seq(opts.process ?? 'sat_count', ($) => {
    const add = (ks: number[]): void =>
      ks.forEach((k) => {
        const f = counters[k][1];
        const cnt = f.length === 1 ? f[0] : popCount(f);
        $.set(cregs[k], cregs[k].addWrap(cnt.width >= cw ? cnt.trunc(cw) : cnt.zext(cw)));
      });
    for (const [g, ks] of groups) {
      if (g === null) $.if(anySat as Expr, () => add(ks));
      else $.if(g, () => $.if(any(ks), () => add(ks)));
    }
  });
  if (opts.wrap) opts.wrap(counting);
  else counting();
  counters.forEach(([nm], k) => m.output(nm, cregs[k]));
}

/** What the host port reads: per bank (lane) a weight word (signed) and an LFSR state, and the bias word. */
export interface HostReadSources {
  weights: Expr[];
  lfsrs: Expr[];
  /** the bias word of each bias memory (one per row group), chosen by the host bank */
  bias: Expr[];
}

/**
 * The lane units' host read port, latency 2: host_re (while `idle`) samples kind and bank (and the
 * `capture` registers, e.g. a layer for the LFSR selection); the memories' read registers hold the word at
 * the first edge, and the second edge copies the selected one into host_rdata_q (output `host_rdata`,
 * held until the next read), signed words sign-extended. The bank is chosen by a case statement inside
 * the pending branch, so simulation evaluates it only for host reads.
 */
export function hostReadPort(
  m: ModuleBuilder,
  port: { idle: Expr; re: Expr; kind: Expr; bank: Expr },
  src: HostReadSources,
  dataWidth: number,
  capture: [Signal, Expr][] = [],
): void {
  const L = src.weights.length;
  const kindQ = m.reg('host_kind_q', uint(2), { reset: 0 });
  const bankQ = m.reg('host_bank_q', uint(port.bank.width), { reset: 0 });
  const rdPend = m.reg('host_rd_pend_q', uint(1), { reset: 0 });
  const rdata = m.reg('host_rdata_q', uint(dataWidth), { reset: 0 });
  const ext = (e: Expr, signed: boolean): Expr => (e.width === dataWidth ? e.asUnsigned() : signed ? e.asSigned().sext(dataWidth).asUnsigned() : e.zext(dataWidth));
  const read = port.idle.and(port.re);
  // the word read, chosen in a comb process only while a read is pending: the clocked process then reads one
  // wire, not every lane's weight-read and LFSR registers (a clocked process reading registers that other
  // clocked processes write makes Verilator keep shadow copies of them, copied every cycle); the same
  // multiplexer in front of the same register
  const word = m.wire('host_word', uint(dataWidth));
  m.comb('host_word', ($) => {
    const byBank = (words: Expr[], signed: boolean): void => {
      if (words.length === 1) {
        $.set(word, ext(words[0], signed));
        return;
      }
      let sw = $.switch(bankQ);
      words.forEach((w, q) => {
        sw = sw.case(q, () => $.set(word, ext(w, signed)));
      });
      if (2 ** port.bank.width !== words.length) sw.default(() => $.set(word, 0));
    };
    $.if(rdPend, () => {
      $.switch(kindQ)
        .case(HOST_KIND.weight, () => byBank(src.weights, true))
        .case(HOST_KIND.bias, () => byBank(src.bias, true))
        .case(HOST_KIND.lfsr, () => byBank(src.lfsrs, false))
        .default(() => $.set(word, 0));
    }).else(() => $.set(word, 0));
  });
  m.seq('host_read', ($) => {
    $.set(rdPend, read);
    $.if(read, () => {
      $.set(kindQ, port.kind);
      $.set(bankQ, port.bank);
      for (const [r, v] of capture) $.set(r, v);
    });
    $.if(rdPend, () => $.set(rdata, word));
  });
  m.output('host_rdata', rdata);
}
