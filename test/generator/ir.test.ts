import { describe, expect, it } from 'vitest';
import {
  HdlError,
  ModuleBuilder,
  VERILOG_KEYWORDS,
  cat,
  constant,
  lit,
  mux,
  paramsHashOf,
  select,
  sint,
  typeName,
  uint,
} from '../../generator/ir/index.js';
import { counter } from './examples.js';

/** A fresh builder with a clock and a few inputs. */
function fixture() {
  const m = new ModuleBuilder('t', {});
  m.clock();
  return {
    m,
    a: m.input('a', uint(8)),
    b: m.input('b', uint(4)),
    sa: m.input('sa', sint(8)),
    sb: m.input('sb', sint(4)),
    c: m.input('c', uint(1)),
  };
}

describe('types', () => {
  it('rejects zero and fractional widths, naming the signal', () => {
    expect(() => uint(0, "input 'x'")).toThrow(/input 'x': width must be an integer ≥ 1, got 0 .*no zero-width/);
    expect(() => sint(2.5)).toThrow(/width must be an integer ≥ 1, got 2.5/);
    expect(typeName(sint(9))).toBe('sint(9)');
  });
});

describe('width rules', () => {
  it('arithmetic widens', () => {
    const { a, b, sa, sb } = fixture();
    expect(typeName(a.add(b).type)).toBe('uint(9)');
    expect(typeName(b.add(a).type)).toBe('uint(9)');
    expect(typeName(a.sub(b).type)).toBe('sint(9)');
    expect(typeName(sa.sub(sb).type)).toBe('sint(9)');
    expect(typeName(a.mul(b).type)).toBe('uint(12)');
    expect(typeName(sa.mul(sb).type)).toBe('sint(12)');
    expect(typeName(a.neg().type)).toBe('sint(9)');
    expect(typeName(sa.neg().type)).toBe('sint(9)');
    expect(typeName(a.addWrap(1).type)).toBe('uint(8)');
    expect(typeName(sa.subWrap(1).type)).toBe('sint(8)');
    // mulWrap: a's type; the second factor no wider, of a's signedness
    expect(typeName(sa.mulWrap(sb).type)).toBe('sint(8)');
    expect(typeName(a.mulWrap(b).type)).toBe('uint(8)');
    expect(() => sb.mulWrap(sa)).toThrow("mulWrap: 'sa' (sint(8)) is wider than 'sb' (sint(4)); put the wider factor first");
    expect(() => sa.mulWrap(b)).toThrow(/cannot mulWrap sint\(8\) 'sa' and uint\(4\) 'b'/);
  });

  it('comparisons give one bit and accept different widths', () => {
    const { a, b, sa, sb } = fixture();
    expect(typeName(a.lt(b).type)).toBe('uint(1)');
    expect(typeName(sa.ge(sb).type)).toBe('uint(1)');
    expect(typeName(a.eq(3).type)).toBe('uint(1)');
  });

  it('bitwise ops need equal widths and say how to fix it', () => {
    const { a, b } = fixture();
    expect(() => a.and(b)).toThrow("and needs operands of equal width: 'a' is uint(8), 'b' is uint(4). Fix: 'b'.zext(8) or 'a'.trunc(4)");
    expect(typeName(a.xor(b.zext(8)).type)).toBe('uint(8)');
    expect(() => a.addWrap(b)).toThrow(/addWrap needs operands of equal width.*'b'.zext\(8\)/);
  });

  it('slices, shifts, extension and truncation', () => {
    const { a, sa, b } = fixture();
    expect(typeName(a.slice(6, 2).type)).toBe('uint(5)');
    expect(typeName(sa.bit(7).type)).toBe('uint(1)');
    expect(typeName(cat(a, b, sa).type)).toBe('uint(20)');
    expect(typeName(a.shl(3).type)).toBe('uint(11)');
    expect(typeName(sa.shr(3).type)).toBe('sint(5)');
    expect(typeName(a.shlBy(b).type)).toBe('uint(8)');
    expect(typeName(sa.shrBy(b).type)).toBe('sint(8)');
    expect(typeName(a.zext(12).type)).toBe('uint(12)');
    expect(typeName(sa.sext(12).type)).toBe('sint(12)');
    expect(typeName(sa.trunc(3).type)).toBe('sint(3)');
    expect(typeName(sa.resize(3).type)).toBe('sint(3)');
    expect(typeName(sa.resize(10).type)).toBe('sint(10)');
    expect(typeName(a.toSigned().type)).toBe('sint(9)');
    expect(typeName(a.asSigned().type)).toBe('sint(8)');
    expect(typeName(sa.asUnsigned().type)).toBe('uint(8)');
    expect(typeName(b.repeat(3).type)).toBe('uint(12)');
  });

  it('rejects out-of-range slices and wrong-direction resizes with the fix', () => {
    const { a, sa } = fixture();
    expect(() => a.slice(8, 0)).toThrow("slice(8, 0) of 'a' (uint(8)): need 7 ≥ hi ≥ lo ≥ 0");
    expect(() => a.trunc(9)).toThrow("trunc(9) of 'a' (uint(8)): cannot truncate to a wider width; use .zext(9)");
    expect(() => a.zext(4)).toThrow("zext(4) of 'a' (uint(8)): cannot extend to a narrower width; use .trunc(4)");
    expect(() => sa.zext(9)).toThrow(/zero extension would change its value; use .sext\(9\), or .asUnsigned\(\).zext\(9\)/);
    expect(() => a.sext(9)).toThrow(/sign extension needs a signed value; use .zext\(9\)/);
    expect(() => a.shr(8)).toThrow(/shifting out every bit leaves no width; need n < 8/);
  });

  it('mux and select need equal types; select needs a default unless complete', () => {
    const { a, b, c } = fixture();
    expect(() => mux(c, a, b)).toThrow(/mux: all values need the same type; value 1 'b' is uint\(4\) but 'a' is uint\(8\). Fix: .zext\(8\)/);
    expect(() => mux(a, a, a)).toThrow("mux: the condition 'a' is uint(8), must be uint(1); use 'a'.ne(0) or .orReduce()");
    expect(() => select(b.slice(1, 0), [a, a, a])).toThrow(/3 of 4 selector values covered and no default/);
    expect(typeName(select(b.slice(1, 0), [a, 1, 2], 0).type)).toBe('uint(8)');
    expect(typeName(select(c, [a, b.zext(8)]).type)).toBe('uint(8)');
  });
});

describe('weak literals', () => {
  it('take the width of the other operand', () => {
    const { a, sa } = fixture();
    expect(typeName(a.add(1).type)).toBe('uint(9)');
    expect(typeName(a.add(lit(255)).type)).toBe('uint(9)');
    expect(typeName(sa.add(-128).type)).toBe('sint(9)');
    expect(typeName(a.mul(3).type)).toBe('uint(16)');
    expect(typeName(a.mul(constant(3, uint(2))).type)).toBe('uint(10)');
  });

  it('error when the value does not fit, with the fix', () => {
    const { a, sa } = fixture();
    expect(() => a.add(256)).toThrow(
      "literal 256 does not fit the right operand of add with 'a', of type uint(8) (range 0..255): widen the other side first (e.g. .zext(9)) or use constant(256, uint(w)) with a wide enough w",
    );
    expect(() => a.eq(-1)).toThrow(/literal -1 does not fit .*uint\(8\).*a negative literal cannot take an unsigned type; convert the other side with .toSigned\(\)/);
    expect(() => sa.lt(128)).toThrow(/literal 128 does not fit .*sint\(8\) \(range -128..127\)/);
  });

  it('are sized by the assignment target', () => {
    const { m } = fixture();
    const w = m.wire('w', uint(4));
    expect(() => m.assign(w, 16)).toThrow("literal 16 does not fit wire 'w' (assign), of type uint(4) (range 0..15): widen the other side first (e.g. .zext(5)) or use constant(16, uint(w)) with a wide enough w");
    m.assign(w, 15);
  });

  it('cannot appear alone where no width is known', () => {
    const { c } = fixture();
    expect(() => mux(c, 0, 1)).toThrow('mux: every value is an untyped literal, so no width can be inferred; use constant(v, uint(w))');
    expect(() => cat(1 as never)).toThrow(/cat\(\): part 0 is an untyped literal/);
  });

  it('beyond 53 bits need bigint', () => {
    const m = new ModuleBuilder('wide', {});
    const x = m.input('x', uint(64));
    expect(() => x.eq(2 ** 60)).toThrow(/is not a safe integer; use a bigint/);
    expect(typeName(x.eq(0xffff_ffff_ffff_ffffn).type)).toBe('uint(1)');
    expect(() => x.eq(1n << 64n)).toThrow(/does not fit/);
  });
});

describe('signed/unsigned mixing', () => {
  it('is an error naming the fix', () => {
    const { a, sa, sb } = fixture();
    expect(() => a.add(sa)).toThrow(
      "cannot add uint(8) 'a' and sint(8) 'sa': signed/unsigned mixing is never implicit. Fix: convert the unsigned side exactly with 'a'.toSigned() (→ sint(9)), or reinterpret bits with 'sa'.asUnsigned() / 'a'.asSigned()",
    );
    expect(() => sb.lt(a)).toThrow(/cannot compare \(lt\) sint\(4\) 'sb' and uint\(8\) 'a'.*'a'.toSigned\(\)/);
    expect(typeName(a.toSigned().add(sa).type)).toBe('sint(10)');
  });
});

describe('assignment widths', () => {
  it('narrower into wider names zext / sext', () => {
    const { m, b, sb } = fixture();
    const w = m.wire('w', uint(16));
    expect(() => m.assign(w, b)).toThrow(
      "width mismatch in module 't' (assign): cannot assign 'b' of type uint(4) to wire 'w' of type uint(16). Fix: widen it explicitly: .zext(16)",
    );
    const s = m.wire('s', sint(16));
    expect(() => m.assign(s, sb)).toThrow(/cannot assign 'sb' of type sint\(4\) to wire 's' of type sint\(16\). Fix: widen it explicitly: .sext\(16\)/);
  });

  it('wider into narrower names trunc (and saturation via the fixed-point library)', () => {
    const { m, a } = fixture();
    const q = m.reg('q', uint(8), { reset: 0 });
    expect(() => m.next(q, q.add(a))).toThrow(
      "width mismatch in module 't' (seq process 'q'): cannot assign (q + a) of type uint(9) to register 'q' of type uint(8). Fix: narrow it explicitly: .trunc(8) drops the top 1 bit (or use addWrap/subWrap for modulo arithmetic); to saturate or round use the fixed-point library (generator/fixed)",
    );
  });

  it('signedness differences name the conversions', () => {
    const { m, a, sa } = fixture();
    const w = m.wire('w', sint(9));
    expect(() => m.assign(w, a)).toThrow(/cannot assign 'a' of type uint\(8\) to wire 'w' of type sint\(9\). Fix: convert exactly with .toSigned\(\) \(→ sint\(9\)\), or reinterpret with .asSigned\(\)/);
    const u = m.wire('u', uint(8));
    expect(() => m.assign(u, sa)).toThrow(/Fix: reinterpret with .asUnsigned\(\)/);
  });

  it('register reset values must fit and be stated', () => {
    const { m } = fixture();
    expect(() => m.reg('r', uint(4), { reset: 16 })).toThrow("register 'r': reset value 16 does not fit uint(4)");
    expect(() => m.reg('r2', uint(4), {} as never)).toThrow(/say \{ reset: <value> \} or \{ reset: null \}/);
  });
});

describe('latch detection', () => {
  it('rejects an if without else and without a default', () => {
    const { m, a, c } = fixture();
    const y = m.wire('y', uint(8));
    expect(() =>
      m.comb('pick', ($) => {
        $.if(c, () => $.set(y, a));
      }),
    ).toThrow(
      "latch: comb process 'pick' in module 't' leaves wire 'y' unassigned on a path (if (c) not taken). Fix: assign a default at the top of the process ($.set(y, …) before the if/switch), or add the missing else/default branch",
    );
  });

  it('rejects a switch without default that does not cover every value', () => {
    const { m, a, b } = fixture();
    const y = m.wire('y', uint(8));
    expect(() =>
      m.comb('dec', ($) => {
        $.switch(b.slice(1, 0))
          .case(0, () => $.set(y, a))
          .case([1, 2], () => $.set(y, 0));
      }),
    ).toThrow(/leaves wire 'y' unassigned on a path \(switch \(b\[1:0\]\): no case matches and there is no default\)/);
  });

  it('reports the nested path', () => {
    const { m, a, c, b } = fixture();
    const y = m.wire('y', uint(8));
    expect(() =>
      m.comb('nest', ($) => {
        $.if(c, () => {
          $.if(b.eq(3), () => $.set(y, a)).else(() => $.set(y, 1));
        }).elseIf(b.eq(1), () => $.set(y, 2));
      }),
    ).toThrow(/\(if \(c\) not taken → if \(\(b == 4'd1\)\) not taken\)/);
  });

  it('accepts defaults, complete if/else chains and complete switches', () => {
    const { m, a, b, c } = fixture();
    const y1 = m.wire('y1', uint(8));
    const y2 = m.wire('y2', uint(8));
    const y3 = m.wire('y3', uint(8));
    m.comb('dflt', ($) => {
      $.set(y1, 0);
      $.if(c, () => $.set(y1, a));
    });
    m.comb('full', ($) => {
      $.if(c, () => $.set(y2, a))
        .elseIf(b.eq(0), () => $.set(y2, 1))
        .else(() => $.set(y2, 2));
    });
    m.comb('sw', ($) => {
      $.switch(b.slice(0, 0))
        .case(0, () => $.set(y3, a))
        .case(1, () => $.set(y3, 7));
    });
    m.unused(y1, y2, y3);
    expect(() => m.build()).not.toThrow();
  });

  it('rejects duplicate case values and misplaced else', () => {
    const { m, b, c } = fixture();
    const y = m.wire('y', uint(8));
    expect(() =>
      m.comb('dup', ($) => {
        $.set(y, 0);
        $.switch(b).case(1, () => $.set(y, 1)).case([2, 1], () => $.set(y, 2));
      }),
    ).toThrow(/duplicate case value 1/);
    const z = m.wire('z', uint(8));
    expect(() =>
      m.comb('late', ($) => {
        const chain = $.if(c, () => $.set(z, 1));
        $.set(z, 2);
        chain.else(() => $.set(z, 3));
      }),
    ).toThrow(/.else\(\) must directly follow its if \/ elseIf/);
  });
});

describe('drivers', () => {
  it('rejects a second driver, naming both', () => {
    const { m, a, c } = fixture();
    const y = m.wire('y', uint(8));
    m.assign(y, a);
    expect(() => m.comb('again', ($) => $.set(y, mux(c, a, 0)))).toThrow(
      "multiple drivers in module 't': wire 'y' is already driven by assign, now also by comb process 'again'. A signal has exactly one driver; merge the logic into assign",
    );
    const q = m.reg('q', uint(8), { reset: null });
    m.next(q, a);
    expect(() => m.seq('q2', ($) => $.set(q, 0))).toThrow(/register 'q' is already driven by seq process 'q', now also by seq process 'q2'/);
  });

  it('keeps registers in seq processes and wires out of them', () => {
    const { m, a } = fixture();
    const q = m.reg('q', uint(8), { reset: 0 });
    const w = m.wire('w', uint(8));
    expect(() => m.assign(q, a)).toThrow(/'q' is a register; set registers in a seq process/);
    expect(() => m.seq('s', ($) => $.set(w, a))).toThrow(/'w' is a wire; seq processes set registers only/);
    expect(() => m.assign(m.input('i', uint(1)), 0)).toThrow(/input 'i' cannot be driven inside its module/);
  });

  it('finds undriven signals and combinational loops at build', () => {
    const m1 = new ModuleBuilder('undriven', {});
    m1.output('o', uint(3));
    expect(() => m1.build()).toThrow("module 'undriven': output 'o' is never driven; drive it with m.assign(o, …) or in a comb process");
    const m2 = new ModuleBuilder('loop', {});
    const i = m2.input('i', uint(4));
    const x = m2.wire('x', uint(4));
    const y = m2.wire('y', x.xor(i));
    m2.assign(x, y.not());
    m2.output('o', y);
    expect(() => m2.build()).toThrow("combinational loop in module 'loop': y → x → y. Break it with a register, or compute the value without reading itself");
  });

  it('lets a comb process read its temporaries after setting them, and nothing else read them', () => {
    const make = (body: (m: ModuleBuilder, i: ReturnType<ModuleBuilder['input']>, en: ReturnType<ModuleBuilder['input']>, t: ReturnType<ModuleBuilder['wire']>, o: ReturnType<ModuleBuilder['wire']>) => void): ModuleBuilder => {
      const m = new ModuleBuilder('temps', {});
      const i = m.input('i', uint(4));
      const en = m.input('en', uint(1));
      const t = m.wire('t', uint(4));
      const o = m.wire('o_w', uint(4));
      body(m, i, en, t, o);
      m.output('o', o);
      return m;
    };
    // set in the branch before the read, dead default in the other: no loop, no latch
    const ok = make((m, i, en, t, o) =>
      m.comb('p', ($) => {
        $.if(en, () => {
          $.setTemp(t, i.xor(i.shl(1).trunc(4)));
          $.set(o, t.xor(t.shr(2).zext(4)));
        }).else(() => {
          $.setTemp(t, 0);
          $.set(o, i);
        });
      }),
    );
    expect(() => ok.build()).not.toThrow();
    // the same without setTemp is a loop through t
    const loop = make((m, i, en, t, o) =>
      m.comb('p', ($) => {
        $.set(t, i);
        $.set(o, t.xor(i));
      }),
    );
    expect(() => loop.build()).toThrow(/combinational loop in module 'temps'/);
    const early = make((m, i, en, t, o) =>
      m.comb('p', ($) => {
        $.set(o, t);
        $.setTemp(t, i);
      }),
    );
    expect(() => early.build()).toThrow("comb process 'p' in module 'temps': temporary 't' is read before it is set on a path");
    const onePath = make((m, i, en, t, o) =>
      m.comb('p', ($) => {
        $.setTemp(t, 0);
        $.if(en, () => $.setTemp(t, i));
        $.set(o, t);
      }),
    );
    expect(() => onePath.build()).not.toThrow();
    const outside = make((m, i, en, t, o) => {
      m.comb('p', ($) => {
        $.setTemp(t, i);
        $.set(o, t);
      });
      m.output('leak', t);
    });
    expect(() => outside.build()).toThrow("comb process 'p' in module 'temps': temporary 't' is read outside its process (by the assign to 'leak')");
    const m = new ModuleBuilder('seqtemp', {});
    m.clock();
    const q = m.reg('q', uint(1), { reset: 0 });
    expect(() => m.seq('s', ($) => $.setTemp(q, 1))).toThrow("seq process 's': setTemp is for comb processes ('q')");
  });

  it('rejects signals of another module', () => {
    const m1 = new ModuleBuilder('one', {});
    const i = m1.input('i', uint(4));
    const m2 = new ModuleBuilder('two', {});
    expect(() => m2.output('o', i)).toThrow(/reads 'i' of module 'one'; connect it through an instance port/);
  });
});

describe('names', () => {
  it('rejects Verilog and SystemVerilog keywords instead of escaping them', () => {
    const m = new ModuleBuilder('k', {});
    expect(() => m.input('reg', uint(1))).toThrow(
      "input in module 'k' 'reg': 'reg' is a Verilog/SystemVerilog keyword; names are not escaped, choose another (e.g. 'reg_q' or 'r_reg')",
    );
    expect(() => m.wire('logic', uint(1))).toThrow(/'logic' is a Verilog\/SystemVerilog keyword/);
    expect(() => new ModuleBuilder('module', {})).toThrow(/keyword/);
    expect(VERILOG_KEYWORDS.has('always_ff')).toBe(true);
  });

  it('rejects collisions, case-only differences, reserved and invalid names', () => {
    const m = new ModuleBuilder('n', {});
    m.clock();
    m.input('data', uint(1));
    expect(() => m.wire('data', uint(1))).toThrow("name collision in module 'n': wire 'data' is already used by the input; give one of them another name");
    expect(() => m.wire('Data', uint(1))).toThrow(/wire 'Data' differs only by case from 'data'/);
    expect(() => m.input('clk', uint(1))).toThrow(/'clk' is already used by the clock port/);
    expect(() => m.wire('_t', uint(1))).toThrow(/names starting with '_' are reserved for emitter temporaries/);
    expect(() => m.wire('a$b', uint(1))).toThrow(/not a portable Verilog identifier/);
    expect(() => m.wire('9x', uint(1))).toThrow(/not a portable Verilog identifier/);
    expect(() => m.clock()).toThrow(/clock\(\) called twice/);
  });

  it('instance outputs get <instance>_<port> names, checked for collisions', () => {
    const m = new ModuleBuilder('p', {});
    m.clock();
    m.wire('u_count', uint(1));
    expect(() => m.instance('u', counter(4), { en: 1 })).toThrow(/output wire of instance 'u' 'u_count' is already used by the wire/);
  });
});

describe('memories and instances', () => {
  it('check address and data types', () => {
    const m = new ModuleBuilder('mm', {});
    m.clock();
    const mem = m.memory('mem', { depth: 12, type: uint(8) });
    expect(typeName(mem.addrType)).toBe('uint(4)');
    const a5 = m.input('a5', uint(5));
    expect(() => mem.write(a5, 0)).toThrow("memory 'mem' (depth 12) write: the address must be uint(4), got 'a5' of type uint(5); use .trunc(4)");
    expect(() => mem.write(a5.trunc(4), m.input('d', uint(9)))).toThrow(/write data 'd' is uint\(9\), the words are uint\(8\); use .trunc\(8\)/);
    expect(() => m.memory('rom', { depth: 2, type: uint(2), init: [1, 4] })).toThrow(/init\[1\] = 4 does not fit uint\(2\)/);
  });

  it('check instance ports by name and width', () => {
    const child = counter(4);
    const m = new ModuleBuilder('parent', {});
    expect(() => m.instance('u0', child, { en: 1 })).toThrow(/needs a clock: call m.clock\(\) first/);
    m.clock();
    expect(() => m.instance('u1', child, {})).toThrow("instance 'u1' of 'counter_w4': input 'en' (uint(1)) is not connected");
    expect(() => m.instance('u2', child, { en: 1, enable: 1 })).toThrow("instance 'u2' of 'counter_w4': 'enable' is not an input port; inputs are: en");
    expect(() => m.instance('u3', child, { en: 1, count: 1 })).toThrow(/'count' is not an input port \(it is an output: read it with .out\(\)\)/);
    const two = m.input('two', uint(2));
    expect(() => m.instance('u4', child, { en: two })).toThrow("instance 'u4' of 'counter_w4': port 'en' is uint(1) but 'two' is uint(2); use .trunc(1)");
    const u = m.instance('u5', child, { en: two.bit(0) });
    expect(typeName(u.out('count').type)).toBe('uint(4)');
    expect(() => u.out('nope')).toThrow("instance 'u5' of 'counter_w4' has no output 'nope'; outputs are: count, wrap");
  });
});

describe('params', () => {
  it('hash the canonical JSON (key order does not matter) and reject non-JSON', () => {
    expect(paramsHashOf({ a: 1, b: [1, 2] })).toBe(paramsHashOf({ b: [1, 2], a: 1 }));
    expect(paramsHashOf({ a: 1 })).not.toBe(paramsHashOf({ a: 2 }));
    expect(paramsHashOf({})).toMatch(/^[0-9a-f]{16}$/);
    expect(() => new ModuleBuilder('x', { n: 5n } as never)).toThrow('params.n: a bigint is not JSON (write it as a string, e.g. String(x)); params must be plain JSON data');
    expect(() => new ModuleBuilder('x', { f: NaN })).toThrow(/params.f: NaN is not JSON/);
  });

  it('built modules are frozen and builders sealed', () => {
    const m = new ModuleBuilder('sealed', {});
    m.output('o', constant(1, uint(1)));
    const mod = m.build();
    expect(Object.isFrozen(mod)).toBe(true);
    expect(() => m.input('late', uint(1))).toThrow("module 'sealed' is already built; the builder cannot change it any more");
    expect(() => new ModuleBuilder('y', {}).input('x', uint(0))).toThrow(/width must be an integer ≥ 1/);
  });
});

it('HdlError is the error class', () => {
  expect(() => uint(-1)).toThrow(HdlError);
});

describe('select of constants', () => {
  it('is the constant itself when every option and the default are the same constant, a select otherwise', () => {
    const m = new ModuleBuilder('sel_fold', {});
    const s1 = m.input('s1', uint(1));
    const s2 = m.input('s2', uint(2));
    const x = m.input('x', uint(4));
    const folded = select(s2, [constant(5, uint(4)), constant(5, uint(4)), constant(5, uint(4))], constant(5, uint(4)));
    expect(folded.node).toEqual({ op: 'const', value: 5n });
    // every selector value covered: no default to compare
    expect(select(s1, [constant(3, uint(4)), constant(3, uint(4))]).node.op).toBe('const');
    // a default that differs, a different option, or a signal keep the select
    expect(select(s2, [constant(5, uint(4)), constant(5, uint(4)), constant(5, uint(4))], constant(0, uint(4))).node.op).toBe('select');
    expect(select(s1, [constant(5, uint(4)), constant(6, uint(4))]).node.op).toBe('select');
    expect(select(s1, [x, x]).node.op).toBe('select');
  });
});
