import { describe, expect, it } from 'vitest';
import { Asm, imm } from '../../generator/ucore/asm.js';
import { CYCLES, type Op } from '../../generator/ucore/isa.js';
import { LfsrBank } from '../../sim/golden/fixed/lfsr-bank.js';
import { Machine, shiftRound, type MachineIo } from '../../sim/ucore/iss.js';

const cfg = { memWords: 256, lanes: 3, lfsr: { width: 32, rbits: 16, leap: 16 }, quantities: 17 };

function run(build: (a: Asm) => void, setup?: (m: Machine) => void): Machine {
  const a = new Asm();
  build(a);
  a.halt();
  const m = new Machine(cfg);
  setup?.(m);
  m.run(a.finish());
  return m;
}

describe('ucore ISS', () => {
  it('rounds shifts as the golden model does', () => {
    // −5/4 = −1.25: floor −2, truncate −1, nearest −1, nearest-even −1; −6/4 = −1.5: nearest −1, even −2
    expect([shiftRound(-5n, 2, 'floor'), shiftRound(-5n, 2, 'truncate'), shiftRound(-5n, 2, 'nearest'), shiftRound(-5n, 2, 'nearest-even')]).toEqual([-2n, -1n, -1n, -1n]);
    expect([shiftRound(-6n, 2, 'nearest'), shiftRound(-6n, 2, 'nearest-even'), shiftRound(10n, 2, 'nearest-even')]).toEqual([-1n, -2n, 2n]);
  });

  it('runs a counted loop, loads and stores multi-word values, saturates with counters', () => {
    const m = run(
      (a) => {
        const [s, p, v] = a.regs(3);
        a.li(s, 0);
        a.li(p, 10);
        a.loop(4, () => {
          a.ld(v, p, 0, 1, true);
          a.add(s, s, v);
          a.add(p, p, imm(1));
        });
        a.st(s, 0, 20, 3);
        a.sat(v, s, 4, true, 5);
        a.st(v, 0, 30, 1);
        a.li(v, -(2 ** 40) - 3);
        a.st(v, 0, 40, 4);
      },
      (m) => m.mem.set([1, 0xffff, 7, 100], 10),
    );
    expect(m.load(20, 3, true)).toBe(107n);
    expect(m.load(30, 1, true)).toBe(7n);
    expect(m.sat[10]).toBe(1);
    expect(m.load(40, 4, true)).toBe(BigInt(-(2 ** 40) - 3));
    expect(m.load(40, 1, false)).toBe(BigInt((2 ** 16 - 3) & 0xffff));
  });

  it('draws as the golden LFSR bank', () => {
    const seeds = [0x12345, 0xdeadbeef, 7];
    const bank = new LfsrBank(32, 16, 16, 3, seeds);
    const m = run(
      (a) => {
        const [q, r, p] = a.regs(3);
        for (let l = 0; l < 3; l++) {
          a.li(q, l);
          a.li(r, seeds[l]);
          a.lfsrset(q, r);
        }
        a.li(p, 0);
        a.loop(30, (c) => {
          a.and(q, c, imm(1));
          a.draw(r, q);
          a.st(r, p, 100, 1);
          a.add(p, p, imm(1));
        });
      },
    );
    for (let i = 0; i < 30; i++) expect(m.mem[100 + i]).toBe(bank.draw((30 - i) & 1));
  });

  it('vdot, vdist and mulr compute exactly', () => {
    const m = run(
      (a) => {
        const [d, A, B, one, n, t] = a.regs(6);
        a.li(A, 0);
        a.li(B, 8);
        a.li(one, 1);
        a.li(n, 8);
        a.li(d, 5);
        a.vdot(d, A, one, B, one, n);
        a.st(d, 0, 50, 4);
        a.vdist(d, A, B, n, 'unsigned');
        a.st(d, 0, 60, 4);
        a.li(t, 2n ** 50n + 1n);
        a.mulr(d, t, imm(2 ** 30 + 1), 40); // 2^80 + … exceeds 64 bits before the shift
        a.st(d, 0, 70, 4);
      },
      (m) => {
        for (let i = 0; i < 8; i++) {
          m.mem[i] = (-(i * 1000) - 1) & 0xffff;
          m.mem[8 + i] = i * 3001;
        }
      },
    );
    let dot = 5;
    let dist = 0;
    for (let i = 0; i < 8; i++) {
      dot += (-(i * 1000) - 1) * (i * 3001);
      const du = ((-(i * 1000) - 1) & 0xffff) - i * 3001;
      dist += du * du;
    }
    expect(m.load(50, 4, true)).toBe(BigInt(dot));
    expect(m.load(60, 4, true)).toBe(BigInt(dist));
    const p = (2n ** 50n + 1n) * (2n ** 30n + 1n);
    expect(m.load(70, 4, true)).toBe((p + (1n << 39n)) >> 40n);
    expect(m.cycles).toBeGreaterThan(16);
  });

  it('refuses a memory access outside, a bad lane and a missing halt', () => {
    const a = new Asm();
    const r = a.reg();
    a.li(r, 300);
    a.ld(r, r, 0);
    a.halt();
    expect(() => new Machine(cfg).run(a.finish())).toThrow(/outside 0 … 255/);
    const b = new Asm();
    const top = b.label('top');
    b.bind(top);
    b.b(top);
    expect(() => new Machine(cfg).run(b.finish(), 0, 1000)).toThrow(/no halt/);
  });

  it('checks the whole range of each vector operand (strided, backwards, empty)', () => {
    const upd = { k: 4, rounding: 'nearest', w: 16, q: 0 } as const;
    /** runs one vector instruction on operands at a (stride sa), b (stride sb), n elements; the error, if any */
    const vec = (op: 'vdot' | 'vdist' | 'vupd', A: number, sa: number, B: number, sb: number, n: number): string => {
      const a = new Asm();
      const [d, ra, rsa, rb, rsb, rn] = a.regs(6);
      a.li(ra, A);
      a.li(rsa, sa);
      a.li(rb, B);
      a.li(rsb, sb);
      a.li(rn, n);
      if (op === 'vdot') a.vdot(d, ra, rsa, rb, rsb, rn);
      else if (op === 'vdist') a.vdist(d, ra, rb, rn);
      else a.vupd(ra, rb, rn, d, 0, 1, upd);
      a.halt();
      try {
        new Machine(cfg).run(a.finish());
        return 'ok';
      } catch (e) {
        return e instanceof Error ? e.message : String(e);
      }
    };
    const out = /outside 0 … 255/;
    // vdot: the last element decides, whichever way the stride goes
    expect(vec('vdot', 0, 17, 250, -50, 6)).toBe('ok');
    expect(vec('vdot', 0, 52, 250, -50, 6)).toMatch(out);
    expect(vec('vdot', 0, 1, 240, -49, 6)).toMatch(out);
    expect(vec('vdot', 255, 0, 0, 0, 100)).toBe('ok');
    expect(vec('vdot', 300, 1, 400, 1, 0)).toBe('ok');
    // vdist / vupd: n consecutive words from each operand
    for (const op of ['vdist', 'vupd'] as const) {
      expect(vec(op, 246, 1, 0, 1, 10)).toBe('ok');
      expect(vec(op, 247, 1, 0, 1, 10)).toMatch(out);
      expect(vec(op, 0, 1, 247, 1, 10)).toMatch(out);
      expect(vec(op, 300, 1, 300, 1, 0)).toBe('ok');
    }
  });

  it('profiles cycles per instruction address (pcCycles): a loop body counts once per pass, the sum is the cycles', () => {
    const a = new Asm();
    const [r, acc] = a.regs(2);
    a.li(r, 5); // 0
    const top = a.label('top');
    a.bind(top);
    a.add(acc, acc, imm(3)); // 1
    a.dbnz(r, top); // 2
    a.halt(); // 3
    const prog = a.finish();
    const m = new Machine({ ...cfg, profile: 4 });
    m.run(prog);
    expect(Array.from(m.pcCycles)).toEqual([1, 5, 5 * 2, 1]);
    expect(m.pcCycles.reduce((x, y) => x + y, 0)).toBe(m.cycles);
    // off (the default): no profile
    const q = new Machine(cfg);
    q.run(prog);
    expect(q.pcCycles.length).toBe(0);
  });

  it('recv and send: an echo program waits for the line, resumes where it waited (inside a call), stops on idle', () => {
    // echo: each byte b is answered with b and b + 1 (low 8 bits); the idle line (256) sends 0xee and halts
    const a = new Asm();
    const [c, t] = a.regs(2);
    const top = a.label('top');
    const getc = a.label('getc');
    const idle = a.label('idle');
    a.bind(top);
    a.call(getc);
    a.beq(c, imm(256), idle);
    a.send(c);
    a.add(t, c, imm(1));
    a.send(t);
    a.b(top);
    a.bind(idle);
    a.li(t, 0xee);
    a.send(t);
    a.halt();
    a.bind(getc);
    a.recv(c);
    a.ret();
    const prog = a.finish();
    const rx: number[] = [];
    const tx: number[] = [];
    let lineIdle = false;
    const io: MachineIo = { recv: () => rx.shift() ?? (lineIdle ? 256 : 'wait'), send: (b) => tx.push(b) };
    const m = new Machine({ ...cfg, io });
    expect(m.run(prog)).toBe('wait');
    expect(m.pc).toBe(prog.labels.get('getc'));
    expect(tx).toEqual([]);
    rx.push(7, 255, 0);
    expect(m.resume(prog)).toBe('wait');
    expect(tx).toEqual([7, 8, 255, 0, 0, 1]);
    // the first call, then per echoed byte recv, ret, beq, send, add, send, b, call (the plan); a wait counts nothing
    const cyc = (...ops: Op[]): number => ops.reduce((s, op) => s + CYCLES[op].fixed, 0);
    const echoed = cyc('call') + 3 * cyc('recv', 'ret', 'beq', 'send', 'add', 'send', 'b', 'call');
    expect(m.cycles).toBe(echoed);
    expect(m.resume(prog)).toBe('wait');
    expect(m.cycles).toBe(echoed);
    rx.push(128);
    lineIdle = true;
    expect(m.resume(prog)).toBe('halt');
    expect(tx).toEqual([7, 8, 255, 0, 0, 1, 128, 129, 0xee]);
    expect(m.regs[c]).toBe(256n);
    // a byte outside 0 … 256 from the line, or no line at all, is refused
    expect(() => new Machine({ ...cfg, io: { recv: () => 257, send: () => {} } }).run(prog)).toThrow(/the line gave 257/);
    expect(() => new Machine(cfg).run(prog)).toThrow(/without a UART/);
  });

  it('lfsrget reads a lane without advancing it; the counters are data words at satBase (ld reads, st writes them)', () => {
    const seeds = [0x12345, 0xdeadbeef, 7];
    const bank = new LfsrBank(32, 16, 16, 3, seeds);
    for (let i = 0; i < 5; i++) bank.draw(1);
    const a = new Asm();
    const [q, r, v, x] = a.regs(4);
    for (let l = 0; l < 3; l++) {
      a.li(q, l);
      a.li(r, seeds[l]);
      a.lfsrset(q, r);
    }
    a.li(q, 1);
    a.loop(5, () => a.draw(r, q));
    a.lfsrget(v, q);
    a.st(v, 0, 100, 2);
    a.lfsrget(v, q);
    a.st(v, 0, 102, 2);
    // two clamps of counter 3 (high), one of counter 16 (low); then counter 3's low count set to 70000 by st
    a.li(x, 1000);
    a.sat(r, x, 4, true, 3);
    a.sat(r, x, 4, true, 3);
    a.li(x, -1000);
    a.sat(r, x, 4, true, 16);
    a.ld(v, 0, 150 + 4 * 3, 2, false);
    a.st(v, 0, 110, 2);
    a.ld(v, 0, 150 + 4 * 16 + 2, 2, false);
    a.st(v, 0, 112, 2);
    a.li(x, 70000);
    a.st(x, 0, 150 + 4 * 3 + 2, 2);
    a.halt();
    const m = new Machine({ ...cfg, satBase: 150 });
    m.run(a.finish());
    expect(Number(m.load(100, 2, false))).toBe(bank.states[1] >>> 0);
    expect(Number(m.load(102, 2, false))).toBe(bank.states[1] >>> 0);
    expect(m.lfsr[1]).toBe(bank.states[1] >>> 0);
    expect([m.load(110, 2, false), m.load(112, 2, false)]).toEqual([2n, 1n]);
    expect([m.sat[6], m.sat[7], m.sat[33]]).toEqual([2, 70000, 1]);
    expect(() => new Machine({ ...cfg, satBase: 200 })).toThrow(/outside the memory/);
  });
});
