/**
 * The emitted Verilog computes exactly what the IR means: a module of many expressions is simulated
 * with Icarus on seeded random inputs and every output compared with a TypeScript evaluation of the
 * same IR (exact bigint arithmetic, the width rules of expr.ts).
 */
import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../generator/emit/index.js';
import {
  ModuleBuilder,
  cat,
  children,
  constant,
  mux,
  select,
  sint,
  uint,
  type Expr,
  type HwType,
  type Signal,
} from '../../generator/ir/index.js';
import { lintVerilator, simulateIcarus } from '../../generator/tools/index.js';
import { expectLintClean } from './tool-checks.js';

const asType = (pattern: bigint, t: HwType): bigint => (t.signed ? BigInt.asIntN(t.width, pattern) : BigInt.asUintN(t.width, pattern));
const bits = (v: bigint, w: number): bigint => BigInt.asUintN(w, v);

/** Reference semantics of an IR expression. */
function evaluate(e: Expr, env: Map<Signal, bigint>): bigint {
  const n = e.node;
  const ev = (x: Expr): bigint => evaluate(x, env);
  const t = e.type;
  switch (n.op) {
    case 'ref':
      return env.get(n.sig) as bigint;
    case 'const':
      return n.value;
    case 'memread':
      throw new Error('no memories here');
    case 'add':
      return ev(n.a) + ev(n.b);
    case 'sub':
      return ev(n.a) - ev(n.b);
    case 'addWrap':
      return asType(ev(n.a) + ev(n.b), t);
    case 'subWrap':
      return asType(ev(n.a) - ev(n.b), t);
    case 'mul':
      return ev(n.a) * ev(n.b);
    case 'mulWrap':
      return asType(ev(n.a) * ev(n.b), t);
    case 'neg':
      return -ev(n.a);
    case 'and':
      return asType(bits(ev(n.a), t.width) & bits(ev(n.b), t.width), t);
    case 'or':
      return asType(bits(ev(n.a), t.width) | bits(ev(n.b), t.width), t);
    case 'xor':
      return asType(bits(ev(n.a), t.width) ^ bits(ev(n.b), t.width), t);
    case 'not':
      return asType(~ev(n.a), t);
    case 'andReduce':
      return bits(ev(n.a), n.a.width) === (1n << BigInt(n.a.width)) - 1n ? 1n : 0n;
    case 'orReduce':
      return bits(ev(n.a), n.a.width) !== 0n ? 1n : 0n;
    case 'xorReduce':
      return BigInt([...bits(ev(n.a), n.a.width).toString(2)].filter((c) => c === '1').length % 2);
    case 'eq':
      return ev(n.a) === ev(n.b) ? 1n : 0n;
    case 'ne':
      return ev(n.a) !== ev(n.b) ? 1n : 0n;
    case 'lt':
      return ev(n.a) < ev(n.b) ? 1n : 0n;
    case 'le':
      return ev(n.a) <= ev(n.b) ? 1n : 0n;
    case 'gt':
      return ev(n.a) > ev(n.b) ? 1n : 0n;
    case 'ge':
      return ev(n.a) >= ev(n.b) ? 1n : 0n;
    case 'slice':
      return asType(bits(ev(n.a), n.a.width) >> BigInt(n.lo), t);
    case 'extend':
      return ev(n.a);
    case 'cast':
      return asType(bits(ev(n.a), t.width), t);
    case 'cat':
      return n.parts.reduce((acc, p) => (acc << BigInt(p.width)) | bits(ev(p), p.width), 0n);
    case 'repeat': {
      let v = 0n;
      for (let i = 0; i < n.count; i++) v = (v << BigInt(n.a.width)) | bits(ev(n.a), n.a.width);
      return v;
    }
    case 'mux':
      return ev(n.cond) === 1n ? ev(n.a) : ev(n.b);
    case 'select': {
      const s = Number(ev(n.sel));
      return s < n.options.length ? ev(n.options[s]) : ev(n.dflt as Expr);
    }
    case 'shl':
      return ev(n.a) << BigInt(n.n);
    case 'shlBy':
      return asType(bits(ev(n.a), t.width) << ev(n.amount), t);
    case 'shrBy':
      return ev(n.a) >> ev(n.amount); // bigint >> floors: arithmetic for negative values
  }
}

function zoo() {
  const m = new ModuleBuilder('expr_zoo', {});
  const a = m.input('a', uint(8));
  const b = m.input('b', uint(5));
  const sa = m.input('sa', sint(8));
  const sb = m.input('sb', sint(5));
  const n = m.input('n', uint(3));
  const c = m.input('c', uint(1));
  const outs: Record<string, Expr> = {
    add: a.add(b),
    sub: a.sub(b),
    ssub: sa.sub(sb),
    mul: a.mul(b),
    smul: sa.mul(sb),
    mulwrap: a.mulWrap(b.zext(6)),
    smulwrap: sa.mulWrap(sb),
    smulwrap_nested: sa.add(sb).mulWrap(sb.neg()).add(sa),
    neg: sa.neg(),
    uneg: a.neg(),
    nest: sa.mul(sb).add(sa).sub(sb.mul(sb)),
    trunc: a.add(b).mul(3).trunc(7),
    lt: sa.lt(sb),
    ge: a.ge(b),
    eq: sa.eq(sb.sext(8)),
    lt_lit: sa.lt(-3),
    lt_expr: sa.add(sb).lt(sa.sub(sb)),
    shr: sa.shr(3),
    shr_expr: sa.add(sb).shr(2),
    shr_u: a.add(b).shr(4),
    shrby: sa.shrBy(n),
    shrby_nested: sa.shrBy(n).add(sb),
    shrby_u: a.shrBy(n),
    shlby: a.shlBy(n),
    shl: sb.shl(3),
    cat: cat(sb, a.slice(3, 0), c),
    rep: b.repeat(2),
    mux: mux(c, sa, sb.sext(8)),
    sel: select(n.slice(1, 0), [a, a.not(), 5, a.xor(0x55)]),
    sel_dflt: select(n, [sb, sb.neg().trunc(5)], -1),
    sel_many: select(n, [sa, sa.neg().trunc(8), sb.sext(8), -100, sa.not(), sa.addWrap(sb.sext(8)), 77, sa.shr(2).sext(8)]),
    sel_bits: select(n.slice(1, 0), [a, b.zext(8), a.xor(0x33)], 9).slice(6, 3),
    red: cat(a.andReduce(), a.orReduce(), a.xorReduce(), sb.orReduce()),
    resize_dn: sa.resize(4),
    resize_up: sb.resize(10),
    cast: sa.asUnsigned().add(b),
    cast_s: a.asSigned().sub(sb),
    wrap: a.addWrap(200),
    and_or: a.and(0x0f).or(b.zext(8)),
    swrap: sa.subWrap(100),
    nested_ext: sa.add(sb).sext(12).add(sa.mul(sb)),
    low: sa.mul(sb).add(a.toSigned()).trunc(6),
    ge_sext: sb.sext(8).ge(sa),
    neg_low: sa.neg().trunc(3),
    bits_of_sum: a.add(b).slice(6, 2),
    sign_of_diff: a.sub(b).msb(),
    const_mix: a.add(constant(3, uint(2))).eq(b.zext(9)),
  };
  const ports = Object.entries(outs).map(([name, e]) => ({ name: `o_${name}`, e, sig: m.output(`o_${name}`, e) }));
  return { mod: m.build(), inputs: { a, b, sa, sb, n, c }, ports };
}

/** Deterministic 32-bit LCG. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

describe('emitted expressions match the IR semantics', () => {
  it('expr_zoo is lint clean', async () => {
    const { mod } = zoo();
    expectLintClean(await lintVerilator(emitDesign(mod).files, 'expr_zoo'));
  });

  it('Icarus simulation equals the bigint evaluation on 300 random vectors', async () => {
    const { mod, inputs, ports } = zoo();
    const next = rng(12345);
    const ins = Object.values(inputs);
    const vectors: Map<Signal, bigint>[] = [];
    for (let i = 0; i < 300; i++) {
      const env = new Map<Signal, bigint>();
      for (const s of ins) env.set(s, asType(BigInt(next()), s.type));
      vectors.push(env);
    }
    // corner values: all zeros, all ones, most negative
    for (const fill of [0n, -1n, 1n << 7n]) {
      const env = new Map<Signal, bigint>();
      for (const s of ins) env.set(s, asType(fill, s.type));
      vectors.push(env);
    }
    const tb: string[] = ['`default_nettype none', 'module tb;'];
    for (const s of ins) tb.push(`  reg ${s.signed ? 'signed ' : ''}[${s.width - 1}:0] ${s.name};`);
    for (const p of ports) tb.push(`  wire [${p.e.width - 1}:0] ${p.sig.name};`);
    tb.push(`  expr_zoo dut (${[...ins.map((s) => s.name), ...ports.map((p) => p.sig.name)].map((x) => `.${x}(${x})`).join(', ')});`);
    tb.push('  initial begin');
    for (const env of vectors) {
      for (const s of ins) tb.push(`    ${s.name} = ${s.width}'h${bits(env.get(s) as bigint, s.width).toString(16)};`);
      tb.push('    #1;');
      tb.push(`    $display("${ports.map(() => '%h').join(' ')}", ${ports.map((p) => p.sig.name).join(', ')});`);
    }
    tb.push('    $finish;', '  end', 'endmodule', '`default_nettype wire', '');
    const files = [...emitDesign(mod).files, { name: 'tb.v', content: tb.join('\n') }];
    const sim = await simulateIcarus(files, 'tb');
    expect(sim.compile.errors).toEqual([]);
    expect(sim.ok).toBe(true);
    const lines = sim.stdout.split('\n').filter((l) => /^[0-9a-fxz ]+$/i.test(l.trim()) && l.trim() !== '');
    expect(lines).toHaveLength(vectors.length);
    const mismatches: string[] = [];
    lines.forEach((line, i) => {
      const got = line.trim().split(/\s+/);
      ports.forEach((p, j) => {
        const want = bits(evaluate(p.e, vectors[i]), p.e.width);
        if (!/^[0-9a-f]+$/i.test(got[j]) || BigInt(`0x${got[j]}`) !== want) {
          mismatches.push(`${p.sig.name} vector ${i}: got ${got[j]}, want ${want.toString(16)}`);
        }
      });
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
  });

  it('the reference evaluator covers every expression kind used', () => {
    const { ports } = zoo();
    const seen = new Set<string>();
    const walk = (e: Expr): void => {
      seen.add(e.node.op);
      children(e).forEach(walk);
    };
    ports.forEach((p) => walk(p.e));
    for (const op of ['add', 'sub', 'mul', 'mulWrap', 'neg', 'addWrap', 'subWrap', 'and', 'xor', 'not', 'slice', 'extend', 'cast', 'cat', 'repeat', 'mux', 'select', 'shl', 'shlBy', 'shrBy', 'lt', 'ge', 'eq']) {
      expect(seen.has(op), op).toBe(true);
    }
  });
});
