import { describe, expect, it } from 'vitest';
import { Asm, imm } from '../../generator/ucore/asm.js';
import { Machine } from '../../sim/ucore/iss.js';

const machine = { memWords: 64, lanes: 1, lfsr: { width: 32, rbits: 16, leap: 16 }, quantities: 1 };

describe('ucore assembler', () => {
  it('emits each three-operand op with its registers and operand (register or immediate)', () => {
    const ops = ['add', 'sub', 'and', 'or', 'xor', 'mul', 'max', 'min', 'slt', 'shl'] as const;
    const a = new Asm();
    ops.forEach((op, i) => {
      a[op](i + 1, i + 2, i + 3);
      a[op](i + 2, i + 3, imm(-(i + 5)));
    });
    expect(a.finish().code).toEqual(
      ops.flatMap((op, i) => [
        { op, rd: i + 1, ra: i + 2, b: { reg: i + 3 } },
        { op, rd: i + 2, ra: i + 3, b: { imm: BigInt(-(i + 5)) } },
      ]),
    );
    for (const op of ops) {
      expect(() => new Asm()[op](32, 1, 2)).toThrow(/r32 does not exist/);
      expect(() => new Asm()[op](1, -1, 2)).toThrow(/r-1 does not exist/);
      expect(() => new Asm()[op](1, 2, 40)).toThrow(/r40 does not exist/);
      expect(() => new Asm()[op](1, 2, imm(0.5))).toThrow(/not a safe integer/);
    }
  });

  it('emits each compare-and-branch op with its operands and the bound target', () => {
    const ops = ['beq', 'bne', 'blt', 'bge'] as const;
    const a = new Asm();
    const back = a.label('back');
    const fwd = a.label('fwd');
    a.bind(back);
    ops.forEach((op, i) => {
      a[op](i + 1, i + 2, back);
      a[op](i + 3, imm(i - 2), fwd);
    });
    a.bind(fwd);
    a.halt();
    const end = 2 * ops.length;
    expect(a.finish().code.slice(0, end)).toEqual(
      ops.flatMap((op, i) => [
        { op, ra: i + 1, b: { reg: i + 2 }, target: 0 },
        { op, ra: i + 3, b: { imm: BigInt(i - 2) }, target: end },
      ]),
    );
    expect(() => new Asm().beq(32, 0, back)).toThrow(/r32 does not exist/);
  });

  it('loops a constant count and a count held in a register (preserved), the counter counting down, and frees the counter', () => {
    for (const count of [1, 2, 7]) {
      const a = new Asm();
      const [p, n] = a.regs(2);
      a.li(p, 0);
      a.li(n, count);
      a.loopReg(n, (c) => {
        a.st(c, p, 0);
        a.add(p, p, imm(1));
      });
      a.st(n, 0, 40);
      a.loop(count, (c) => {
        a.st(c, p, 0);
        a.add(p, p, imm(1));
      });
      a.st(p, 0, 41);
      a.release(p, n);
      a.with(31, () => undefined); // both loops gave their counter back
      a.halt();
      const m = new Machine(machine);
      m.run(a.finish());
      const down = Array.from({ length: count }, (_, i) => count - i);
      expect(Array.from(m.mem.subarray(0, 2 * count))).toEqual([...down, ...down]);
      expect([m.mem[40], m.mem[41]]).toEqual([count, 2 * count]);
    }
    expect(() => new Asm().loop(0, () => undefined)).toThrow(/must be ≥ 1/);
  });
});
