/**
 * Test tops: several blocks side by side in one module, so that each test file verilates once.
 */
import {
  exp,
  expNeg,
  parseFormat,
  recip,
  rsqrt,
  ROUNDINGS,
  OVERFLOWS,
  type FixedFormat,
  type Overflow,
  type Rounding,
  type TableFunction,
} from '../../../generator/fixed/index.js';
import { ModuleBuilder, uint, type Expr, type Module } from '../../../generator/ir/index.js';
import type { ChipConfig } from '../../../generator/config.js';
import { chipTables, resolveNumeric } from '../../../generator/numeric.js';
import { fixedMul, hwType as hwTypeOf, lfsr, tableLookup } from '../../../generator/lib/arith/index.js';

/** A group of fixedMul instances over one format triple: every rounding × overflow. */
export interface MulGroup {
  tag: string;
  fa: FixedFormat;
  fb: FixedFormat;
  out: FixedFormat;
  rbits: number;
  modes: { rounding: Rounding; overflow: Overflow }[];
}

const ALL_MODES = ROUNDINGS.flatMap((rounding) => OVERFLOWS.map((overflow) => ({ rounding, overflow })));

export const MUL_GROUPS: MulGroup[] = [
  // the weight-update product: k = 18 ≥ rbits
  { tag: 'g0', fa: parseFormat('Q-4.20'), fb: parseFormat('Q6.10'), out: parseFormat('Q4.12'), rbits: 16, modes: ALL_MODES },
  // narrow output so both saturations happen; k = 6 < rbits = 8
  { tag: 'g1', fa: parseFormat('Q4.6'), fb: parseFormat('Q3.5'), out: parseFormat('Q3.5'), rbits: 8, modes: ALL_MODES },
  // signed × unsigned into an unsigned output; k = 9 ≥ rbits = 4
  { tag: 'g2', fa: parseFormat('Q5.7'), fb: parseFormat('UQ2.6'), out: parseFormat('UQ4.4'), rbits: 4, modes: ALL_MODES },
  // unsigned × unsigned into a signed output; k = 6 ≥ rbits = 3
  { tag: 'g4', fa: parseFormat('UQ4.4'), fb: parseFormat('UQ2.6'), out: parseFormat('Q4.4'), rbits: 3, modes: ALL_MODES },
  // no bits dropped (k = −2, an exact left shift): no draw, no r port
  {
    tag: 'g3',
    fa: parseFormat('Q6.2'),
    fb: parseFormat('Q4.0'),
    out: parseFormat('Q8.4'),
    rbits: 8,
    modes: [
      { rounding: 'floor', overflow: 'wrap' },
      { rounding: 'stochastic', overflow: 'saturate' },
      { rounding: 'nearest', overflow: 'saturate' },
    ],
  },
];

export const modeTag = (r: Rounding, o: Overflow): string => `${r.replace('-', '_')}_${o}`;

/**
 * Every MUL_GROUPS multiplier on shared inputs a_<g>, b_<g>, r_<g>; outputs o_<g>_<mode>, s_<g>_<mode>,
 * l_<g>_<mode> (sat, sat_lo). Plus an lfsr (enable `go`) feeding a g0 stochastic saturating multiplier
 * (output o_lfsr, s_lfsr, l_lfsr) and its draw `r_lfsr`.
 */
export function mulAllTop(): Module {
  const m = new ModuleBuilder('arith_test_mul_all', {});
  m.clock();
  for (const g of MUL_GROUPS) {
    const a = m.input(`a_${g.tag}`, hwTypeOf(g.fa));
    const b = m.input(`b_${g.tag}`, hwTypeOf(g.fb));
    const needR = g.modes.some((md) => md.rounding === 'stochastic') && g.fa.fracBits + g.fb.fracBits > g.out.fracBits;
    const r = needR ? m.input(`r_${g.tag}`, uint(g.rbits)) : null;
    for (const md of g.modes) {
      const mod = fixedMul(g.fa, g.fb, g.out, md.rounding, md.overflow, { rbits: g.rbits });
      const hasR = mod.ports.some((p) => p.name === 'r');
      const inst = m.instance(`u_${g.tag}_${modeTag(md.rounding, md.overflow)}`, mod, hasR && r ? { a, b, r } : { a, b });
      const t = `${g.tag}_${modeTag(md.rounding, md.overflow)}`;
      m.output(`o_${t}`, inst.out('out'));
      if (md.overflow === 'saturate') {
        m.output(`s_${t}`, inst.out('sat'));
        m.output(`l_${t}`, inst.out('sat_lo'));
      }
    }
  }
  const g0 = MUL_GROUPS[0];
  const go = m.input('go', uint(1));
  const l = m.instance('u_lfsr', lfsr({ width: 16, seed: 0xace1, rbits: 16 }), { en: go });
  const mul = m.instance('u_lfsr_mul', fixedMul(g0.fa, g0.fb, g0.out, 'stochastic', 'saturate', { rbits: 16 }), {
    a: m.input('a_lfsr', hwTypeOf(g0.fa)),
    b: m.input('b_lfsr', hwTypeOf(g0.fb)),
    r: l.out('r'),
  });
  m.output('r_lfsr', l.out('r'));
  m.output('o_lfsr', mul.out('out'));
  m.output('s_lfsr', mul.out('sat'));
  m.output('l_lfsr', mul.out('sat_lo'));
  return m.build();
}

/** LFSR variants of the lfsr co-simulation, each with its own enable en_<i> and draw r_<i>. */
export const LFSR_SPECS = [
  { width: 16 },
  { width: 8, seed: 0x5a, rbits: 5, leap: 3 },
  { width: 32, seed: 0x89abcdef, rbits: 32, leap: 1 },
  { width: 24, seed: 0x123456, rbits: 12, leap: 16 },
  { width: 5, seed: 7, rbits: 2, leap: 100 },
];

export function lfsrTop(): Module {
  const m = new ModuleBuilder('arith_test_lfsr_all', {});
  m.clock();
  LFSR_SPECS.forEach((spec, i) => {
    const en = m.input(`en_${i}`, uint(1));
    const inst = m.instance(`u_lfsr_${i}`, lfsr(spec), { en });
    m.output(`r_${i}`, inst.out('r'));
  });
  return m.build();
}

/** Table functions of the table co-simulation: the defaults and small variants through the other paths. */
export function tableFns(): { tag: string; fn: TableFunction }[] {
  return [
    { tag: 'expneg', fn: expNeg() },
    { tag: 'exp', fn: exp() },
    { tag: 'recip', fn: recip() },
    { tag: 'rsqrt', fn: rsqrt() },
    // guardBits 0 (a zero output shift happens), no interpolation
    { tag: 'expneg_b', fn: expNeg({ inFormat: 'ufixed<10,4>', outFormat: 'ufixed<12,0>', tableBits: 5, interpolate: false, interpBits: 3, guardBits: 0 }) },
    // mantissa bits beyond the input (zero-filled), left output shifts that saturate
    { tag: 'recip_b', fn: recip({ inFormat: 'ufixed<8,4>', outFormat: 'ufixed<12,6>', tableBits: 4, interpBits: 5, guardBits: 2 }) },
    // odd input fraction bits, no interpolation
    { tag: 'rsqrt_b', fn: rsqrt({ inFormat: 'ufixed<12,3>', outFormat: 'ufixed<16,8>', tableBits: 5, interpolate: false, interpBits: 3, guardBits: 3 }) },
    // v narrower than its fraction (n = 0 always)
    { tag: 'expneg_c', fn: expNeg({ inFormat: 'ufixed<6,-2>', outFormat: 'ufixed<10,0>', tableBits: 3, interpBits: 4, guardBits: 3 }) },
    // integer input, v = t·L shifted left (F_t + C < F_v)
    { tag: 'expneg_d', fn: expNeg({ inFormat: 'ufixed<8,8>', outFormat: 'ufixed<12,0>', tableBits: 5, interpBits: 6, guardBits: 2, constBits: 8 }) },
    // exp with a small input and interpolation, constBits small
    { tag: 'exp_b', fn: exp({ inFormat: 'fixed<12,4>', outFormat: 'ufixed<14,1>', tableBits: 4, interpBits: 6, guardBits: 2, constBits: 12 }) },
  ];
}

/** Every table of tableFns side by side (inputs x_<tag>; with `valid`, the x_valid variant and inputs v_<tag>). */
export function tableTop(valid = false): Module {
  const m = new ModuleBuilder(valid ? 'arith_test_tables_v' : 'arith_test_tables', {});
  m.clock();
  for (const { tag, fn } of tableFns()) {
    const x = m.input(`x_${tag}`, hwTypeOf(fn.inFormat));
    const inst = valid
      ? m.instance(`u_${tag}`, tableLookup(fn, { valid: true }), { x, x_valid: m.input(`v_${tag}`, uint(1)) })
      : m.instance(`u_${tag}`, tableLookup(fn), { x });
    m.output(`y_${tag}`, inst.out('y'));
    m.output(`sat_${tag}`, inst.out('sat'));
  }
  return m.build();
}

/** The arithmetic blocks exactly as `ibhebb gen` builds them for a chip configuration, with their TS references. */
export function chipBlocks(cfg: ChipConfig) {
  const N = resolveNumeric(cfg.numeric);
  const tables = chipTables(N, cfg.layers[cfg.layers.length - 1]);
  const { width: w, rbits, leap, seed } = N.lfsr;
  const lfsrSpec = { width: w, rbits, leap, seed };
  const mul = { fa: N.delta.format, fb: N.act.format, out: N.weight.format, rounding: N.weight.rounding, overflow: N.weight.overflow, rbits };
  const fns = [
    { tag: 'expneg', fn: tables.expNeg },
    { tag: 'exp', fn: tables.exp },
    { tag: 'rsqrt', fn: tables.rsqrt },
    { tag: 'recip', fn: tables.recip },
  ];
  return { lfsrSpec, mul, fns };
}

/**
 * The chip's blocks side by side: tables with inputs x_<tag>, outputs y_<tag>, sat_<tag>; the LFSR
 * (enable `go`, draw `r`) feeding the weight-update product (inputs a, b; outputs out, sat, sat_lo).
 */
export function chipTop(cfg: ChipConfig): Module {
  const { lfsrSpec, mul, fns } = chipBlocks(cfg);
  const m = new ModuleBuilder('arith_test_chip', {});
  m.clock();
  for (const { tag, fn } of fns) {
    const x = m.input(`x_${tag}`, hwTypeOf(fn.inFormat));
    const inst = m.instance(`u_${tag}`, tableLookup(fn), { x });
    m.output(`y_${tag}`, inst.out('y'));
    m.output(`sat_${tag}`, inst.out('sat'));
  }
  const go = m.input('go', uint(1));
  const l = m.instance('u_lfsr', lfsr(lfsrSpec), { en: go });
  const mod = fixedMul(mul.fa, mul.fb, mul.out, mul.rounding, mul.overflow, { rbits: mul.rbits });
  const conn: Record<string, Expr> = { a: m.input('a', hwTypeOf(mul.fa)), b: m.input('b', hwTypeOf(mul.fb)) };
  if (mod.ports.some((p) => p.name === 'r')) conn.r = l.out('r');
  else m.unused(l.out('r'));
  const u = m.instance('u_mul', mod, conn);
  m.output('r', l.out('r'));
  m.output('out', u.out('out'));
  if (mul.overflow === 'saturate') {
    m.output('sat', u.out('sat'));
    m.output('sat_lo', u.out('sat_lo'));
  }
  return m.build();
}
