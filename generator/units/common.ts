/**
 * Pieces shared by the accelerator's units: the hidden layers of a configuration, the round-half-up shift
 * the golden model uses everywhere (rnd), saturation into a format, per-layer selection of constants, and
 * the command interface (start / busy / done) with its per-call saturation counters.
 */
import { ConstScale, type FixedFormat } from '../fixed/index.js';
import { ModuleBuilder, constant, mux, select, sint, uint, type Expr, type Signal } from '../ir/index.js';
import type { StreamPorts } from '../lib/stream/index.js';
import { resizeHw } from '../lib/arith/index.js';
import { bitsOf } from '../lib/arith/common.js';
import type { ChipConfig } from '../config.js';

export { bitsOf };

/**
 * One hidden layer of a configuration, width n. The LayerNorm and its backward divide by n and n² with the
 * spec's constants (sim/golden/fixed: ConstScale(1/n), ConstScale(1/n²) of numeric.constBits bits): a shift
 * when n is a power of two, else a product by the constant's mantissa before the rounding shift.
 */
export interface HiddenLayer {
  /** index among the hidden layers, 0 = the first hidden layer (network layer 1) */
  index: number;
  n: number;
  /** 1/n and 1/n² as the spec rounds them (mantissa m, shift s: the constant is m·2^−s; m = 1 for n = 2^k) */
  invN: ConstScale;
  invN2: ConstScale;
}

/** The hidden layers of `cfg` (`constBits`: the constants' mantissa bits, numeric.constBits). */
export function hiddenLayers(cfg: ChipConfig, unit: string, constBits: number): HiddenLayer[] {
  const out: HiddenLayer[] = [];
  for (let l = 1; l < cfg.layers.length - 1; l++) {
    const n = cfg.layers[l];
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`${unit}: hidden width layers[${l}] = ${n} must be a positive integer`);
    out.push({ index: l - 1, n, invN: new ConstScale(1 / n, constBits), invN2: new ConstScale(1 / (n * n), constBits) });
  }
  if (out.length === 0) throw new RangeError(`${unit}: the configuration has no hidden layer`);
  return out;
}

/** x·n exactly: a shift when n is a power of two, else a product by the constant (unsigned n). */
export function mulByConst(x: Expr, n: number): Expr {
  const k = Math.round(Math.log2(n));
  if (2 ** k === n) return x.shl(k);
  const c = constant(n, uint(bitsOf(n)));
  return x.mul(x.signed ? c.toSigned() : c);
}

/** The spec's c.apply(x, e) = rnd(x·m, s + e) (ConstScale: round half up); m a power of two is a shift (m = 1: none). */
export function scaleRnd(x: Expr, c: ConstScale, e: number): Expr {
  return rnd(mulByConst(x, c.m), c.s + e);
}

/** rnd(x, k) = ⌊(x + 2^(k−1)) / 2^k⌋ (round half up) for k > 0, the exact x·2^−k for k ≤ 0; signed result. */
export function rnd(x: Expr, k: number): Expr {
  const s = x.signed ? x : x.toSigned();
  if (k <= 0) return s.shl(-k);
  return s.add(constant(2n ** BigInt(k - 1), sint(k + 1))).shr(k);
}

/** Signed value resized to `w` bits: only where |x| < 2^(w−1) is proven (a deliberate narrowing). */
export function fitS(x: Expr, w: number): Expr {
  const s = x.signed ? x : x.toSigned();
  return s.resize(w);
}

/** Bits of a signed register that holds any value of magnitude ≤ bound. */
export function sbits(bound: number | bigint): number {
  return bitsOf(Number(bound)) + 1;
}

/** x (an integer in the units of f) saturated into f: the raw word and the clamp flags. */
export function saturate(m: ModuleBuilder, x: Expr, f: FixedFormat): { value: Expr; hi: Expr; lo: Expr } {
  const r = resizeHw(m, x, f.fracBits, f, 'nearest', 'saturate', null);
  if (!r.satHi || !r.satLo) throw new Error('saturate: resizeHw returned no flags');
  return { value: r.value, hi: r.satHi, lo: r.satLo };
}

/** options[layer] (one option: no selector); options are brought to a common width first. */
export function byLayer(layer: Expr, options: Expr[]): Expr {
  const signed = options.some((o) => o.signed);
  const conv = options.map((o) => (signed && !o.signed ? o.toSigned() : o));
  const w = Math.max(...conv.map((o) => o.width));
  const eq = conv.map((o) => (o.width < w ? o.resize(w) : o));
  if (eq.length === 1) return eq[0];
  return select(layer, eq, eq[0]);
}

/** A constant per layer, selected by `layer`. */
export function constByLayer(layer: Expr, values: number[]): Expr {
  const w = bitsOf(Math.max(...values));
  return byLayer(
    layer,
    values.map((v) => constant(v, uint(w))),
  );
}

/** The command interface: start (sampled arguments), busy, done; a per-call counter set. */
export interface Command {
  start: Signal;
  busy: Signal;
  done: Signal;
}

/**
 * A saturation counter output `sat_<name>`: cleared at `start`, +1 in every cycle `inc` is high; wide
 * enough for `max` events per call (it saturates there instead of wrapping).
 */
export function satCounter(m: ModuleBuilder, name: string, start: Expr, inc: Expr, max: number): Signal {
  const w = bitsOf(max);
  const q = m.reg(`sat_${name}_q`, uint(w), { reset: 0 });
  const full = q.eq(constant(2 ** w - 1, uint(w)));
  m.seq(`sat_${name}_q`, ($) => {
    $.if(start, () => $.set(q, 0)).elseIf(inc.and(full.not()), () => $.set(q, q.addWrap(1)));
  });
  m.output(`sat_${name}`, q);
  return q;
}

/** `layer` port (hidden-layer index, uint(max(1, bits))); unused when the configuration has one hidden layer. */
export function layerPort(m: ModuleBuilder, layers: HiddenLayer[]): Signal {
  const p = m.input('layer', uint(Math.max(1, bitsOf(layers.length - 1))));
  return p;
}

/** mux on a 1-bit condition, operands brought to one signed width. */
export function smux(c: Expr, a: Expr, b: Expr): Expr {
  const sa = a.signed ? a : a.toSigned();
  const sb = b.signed ? b : b.toSigned();
  const w = Math.max(sa.width, sb.width);
  return mux(c, sa.resize(w), sb.resize(w));
}


/**
 * The output register of a pipeline that the output stream stalls: out_valid_q, out_data_q, out_last_q load
 * together when `adv` = ¬out_valid ∨ tready (the register is empty or its word transfers), so the stream
 * rules hold by construction. Every stage before it advances with `adv` too. `load` connects the last
 * stage and returns `finish`: the word with tlast transfers at this edge.
 */
export function stalledOutput(m: ModuleBuilder, out: StreamPorts): { adv: Signal; load: (valid: Expr, data: Expr, last: Expr) => Signal } {
  const outValid = m.reg('out_valid_q', uint(1), { reset: 0 });
  const adv = m.wire('adv', outValid.not().or(out.ready));
  const load = (valid: Expr, data: Expr, last: Expr): Signal => {
    const outData = m.reg('out_data_q', out.data.type, { reset: 0 });
    const outLast = m.reg('out_last_q', uint(1), { reset: 0 });
    m.seq('out', ($) => {
      $.if(adv, () => {
        $.set(outValid, valid);
        $.set(outData, data);
        $.set(outLast, last);
      });
    });
    m.assign(out.valid, outValid);
    m.assign(out.data, outData);
    if (out.last) m.assign(out.last, outLast);
    return m.wire('finish', out.fire.and(outLast));
  };
  return { adv, load };
}

/**
 * A temporary of gatedRegs: its name, its value (from the temporaries set before it), and how many of its low
 * bits are read (default all; the rest are declared unused).
 */
export type GatedTemp = [name: string, value: (t: Signal[]) => Expr, used?: number];

/** A register of gatedRegs: it takes value(temporaries) while `en` (and the group's enable) holds. */
export interface GatedRegUpdate {
  reg: Signal;
  value: (t: Signal[]) => Expr;
  /** the register's own enable within the group's (default: the group's) */
  en?: Expr;
}

/**
 * Registers that take values formed in one comb process `name`, only in the cycles the group's enable `en`
 * holds: `temps` are the process's temporaries (a product, a lane sum), set in the enabled branch in order
 * and zero in the other; each register's next value `<reg>_next` reads them under its own enable and is the
 * register itself otherwise; each register takes its next value under its enable. A simulator then forms the
 * temporaries only while a register takes them — Verilator evaluates a continuous assignment, and a value a
 * register process needs sliced or sign-extended is one, in every cycle. One process for registers that
 * share a value (a lane's product read by two registers in different phases) writes the value once: two
 * processes with the same expression are merged by Verilator's DFG passes into a value formed every cycle.
 * Hardware: the same arithmetic, the hold choice (the register itself) in front of the register's own hold
 * mux, which then never switches.
 */
export function gatedRegs(m: ModuleBuilder, name: string, en: Expr, temps: GatedTemp[], regs: GatedRegUpdate[]): void {
  const next = regs.map((r) => m.wire(`${r.reg.name}_next`, r.reg.type));
  const ts: Signal[] = [];
  m.comb(name, ($) => {
    $.if(en, () => {
      for (const [n, e, used] of temps) {
        const v = e(ts);
        const t = m.wire(n, v.type);
        $.setTemp(t, v);
        if (used !== undefined && used < t.width) m.unused(t.slice(t.width - 1, used));
        ts.push(t);
      }
      regs.forEach((r, i) => {
        if (r.en) $.if(r.en, () => $.set(next[i], r.value(ts))).else(() => $.set(next[i], r.reg));
        else $.set(next[i], r.value(ts));
      });
    }).else(() => {
      for (const t of ts) $.setTemp(t, constant(0, t.type));
      regs.forEach((r, i) => $.set(next[i], r.reg));
    });
  });
  regs.forEach((r, i) => m.seq(r.reg.name, ($) => $.if(r.en ?? en, () => $.set(r.reg, next[i]))));
}

/**
 * A pipeline register `name` (reset value `reset`, null for none) that takes `value` only while `enable`, the
 * value formed in a comb process gated by the same enable (gatedRegs): a product or a rounding that needs the
 * emitter's temporaries is then evaluated by a simulator only in the enabled cycles.
 */
export function gatedPipe(m: ModuleBuilder, name: string, value: Expr, opts: { reset: number | null; enable: Expr }): Signal {
  const reg = m.reg(name, value.type, { reset: opts.reset });
  gatedRegs(m, `${name}_next`, opts.enable, [], [{ reg, value: () => value }]);
  return reg;
}
