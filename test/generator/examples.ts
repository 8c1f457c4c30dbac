/**
 * Small example modules for the generator tests: each exercises part of the IR and is emitted,
 * snapshotted, linted, synthesized and parsed by the tests.
 */
import { ModuleBuilder, constant, mux, sint, uint, type Module } from '../../generator/ir/index.js';

/** Up-counter with enable and a wrap flag. */
export function counter(width: number): Module {
  const m = new ModuleBuilder(`counter_w${width}`, { width });
  m.clock();
  const en = m.input('en', uint(1));
  const count = m.reg('count_q', uint(width), { reset: 0 });
  m.seq('count', ($) => {
    $.if(en, () => $.set(count, count.addWrap(1)));
  });
  m.output('count', count);
  m.output('wrap', en.and(count.eq(2 ** width - 1)));
  return m.build();
}

/** Registered signed adder: the sum widens by one bit, no overflow possible. */
export function adderReg(width: number): Module {
  const m = new ModuleBuilder(`adder_reg_s${width}`, { width, signed: true });
  m.clock();
  const a = m.input('a', sint(width));
  const b = m.input('b', sint(width));
  const sum = m.pipe('sum_q', a.add(b), { reset: 0 });
  m.output('sum', sum);
  return m.build();
}

/** Simple dual-port RAM: synchronous write, synchronous (registered) read. */
export function ramSync(width: number, depth: number): Module {
  const m = new ModuleBuilder(`ram_w${width}_d${depth}`, { width, depth });
  m.clock();
  const ram = m.memory('mem', { depth, type: uint(width) });
  const we = m.input('we', uint(1));
  const waddr = m.input('waddr', ram.addrType);
  const wdata = m.input('wdata', uint(width));
  const re = m.input('re', uint(1));
  const raddr = m.input('raddr', ram.addrType);
  ram.write(waddr, wdata, we);
  const rdata = ram.readSync('rdata_q', raddr, re);
  m.output('rdata', rdata);
  return m.build();
}

/** Combinational ALU: a switch on the opcode with a default first, plus a mux. */
export function alu(width: number): Module {
  const m = new ModuleBuilder(`alu_w${width}`, { width });
  const op = m.input('op', uint(2));
  const a = m.input('a', uint(width));
  const b = m.input('b', uint(width));
  const swap = m.input('swap', uint(1));
  const x = m.wire('x', mux(swap, b, a));
  const z = m.wire('z', mux(swap, a, b));
  const y = m.output('y', uint(width));
  m.comb('alu', ($) => {
    $.set(y, 0);
    $.switch(op)
      .case(0, () => $.set(y, x.addWrap(z)))
      .case(1, () => $.set(y, x.subWrap(z)))
      .case(2, () => $.set(y, x.and(z)))
      .case(3, () => $.set(y, x.xor(z)));
  });
  m.output('zero', y.eq(0));
  m.output('less', x.lt(z));
  return m.build();
}

/**
 * Signed multiply-accumulate: the product widens to 2w bits, the accumulator is wider still and
 * wraps explicitly; a clear input restarts it. Exercises temporaries (`_mul_…`, `_add_…`).
 */
export function mac(width: number, accWidth: number): Module {
  const m = new ModuleBuilder(`mac_s${width}_a${accWidth}`, { width, accWidth });
  m.clock();
  const a = m.input('a', sint(width));
  const b = m.input('b', sint(width));
  const valid = m.input('valid', uint(1));
  const clear = m.input('clear', uint(1));
  const acc = m.reg('acc_q', sint(accWidth), { reset: 0 });
  m.seq('accumulate', ($) => {
    $.if(clear, () => $.set(acc, 0))
      .elseIf(valid, () => $.set(acc, acc.add(a.mul(b).sext(accWidth)).trunc(accWidth)));
  });
  m.output('acc', acc);
  m.output('negative', acc.lt(constant(0, sint(accWidth))));
  m.output('half', acc.shr(1));
  return m.build();
}

/** Two children under one top: a counter addressing a ROM-like memory and a registered adder. */
export function top(): Module {
  const m = new ModuleBuilder('example_top', {});
  m.clock();
  const en = m.input('en', uint(1));
  const c = m.instance('u_counter', counter(4), { en });
  const ram = ramSync(8, 16);
  const r = m.instance('u_ram', ram, { we: en, waddr: c.out('count'), wdata: constant(7, uint(8)), re: 1, raddr: c.out('count') });
  const add = m.instance('u_add', adderReg(8), { a: r.out('rdata').asSigned(), b: -3 });
  m.output('sum', add.out('sum'));
  m.output('wrap', c.out('wrap'));
  return m.build();
}

/** Every example, for the lint/synth/parse sweep. */
export const EXAMPLES: Record<string, () => Module> = {
  counter_w8: () => counter(8),
  adder_reg_s8: () => adderReg(8),
  ram_w8_d16: () => ramSync(8, 16),
  alu_w8: () => alu(8),
  mac_s8_a20: () => mac(8, 20),
  example_top: () => top(),
};
