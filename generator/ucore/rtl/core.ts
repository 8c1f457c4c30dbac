/**
 * The UP5K engine's core in RTL (module `ucore_core`): fetches the 32-bit words of the program ROM
 * (generator/ucore/encode.ts, the format and its decoder's tables), reads its operands from a register file in
 * block RAM and executes them one at a time. The instruction-set simulator sim/ucore/iss.ts is its
 * specification: the co-simulation (test/ucore/rtl/core.test.ts) runs programs on both and compares every
 * register, every data word and the cycle count (the ISS with this core's timing, `coreCycles`).
 *
 * THIS CORE EXECUTES the control and integer subset: li, add, sub, and, or, xor, max, min, slt, b, beq, bne,
 * blt, bge, dbnz, call, ret, ld (1–4 words, signed or not), st (1–4 words), halt. Every other opcode (the
 * products, shifts, saturation, LFSR and vector instructions, whose units are separate modules) stops the core
 * with `fault` set, as do an unknown opcode, a call with the return stack full, a ret with it empty and a data
 * address outside the memories.
 *
 * PORTS
 *   clk, rst         rst (synchronous, active high) stops the core and clears fault
 *   start, entry     a cycle with start high (while not busy) begins execution at instruction `entry`
 *   busy             high from the cycle after start until the cycle after halt (or a fault)
 *   fault            set when the core stopped on a fault (kept until the next start)
 *   cycles           cycles of the last (or current) run: the cycles busy was high
 *
 * STATE (memories readable by name in co-simulation)
 *   prog   the program ROM (progWords × 32, block RAM, initial contents the image's words)
 *   pool   the constant pool (max(1, entries) × 64, block RAM)
 *   rfa, rfb  the register file, twice (one read port each; every write goes to both): 32 × 64, block RAM.
 *          r0 is never written and reads as 0 whatever the RAM holds.
 *   dmem   the block RAM data words (addresses EBR_BASE …; initial contents `data`)
 *   spram  the SPRAM words (addresses 0 … spramWords − 1; style huge: SB_SPRAM256KA, one port)
 *   rstack0 … rstack7  the return stack (registers rstack<i>_q, 12 bits)
 *
 * TIMING (cycles from the cycle after start; `coreCycles` gives them per instruction)
 *   every instruction takes FETCH (the ROM read), DECODE (the register and pool reads) and EXEC: 3 cycles;
 *   ld of n words n + 1 more (one word read a cycle, the last landing a cycle later), st of n words n more.
 */
import { cat, constant, HdlError, ModuleBuilder, mux, select, sint, uint, type Expr, type Module } from '../../ir/index.js';
import { EBR_BASE, encode, OPCODES, type Image } from '../encode.js';
import type { StepProgram } from '../program/step.js';
import type { Instr } from '../isa.js';
import { NUM_REGS, RETURN_STACK } from '../isa.js';

export interface CoreConfig {
  /** the program image (encode.ts) */
  image: Image;
  /** block RAM data words (addresses EBR_BASE …) and their initial contents (shorter: the rest 0) */
  ebrWords: number;
  data?: readonly number[];
  /** SPRAM words (0 … 65536; addresses 0 …) */
  spramWords: number;
}

/** Cycles this core takes for an instruction (the ISS's timing for the co-simulation). */
export function coreCycles(ins: Instr): number {
  if (ins.op === 'ld') return 3 + ins.n + 1;
  if (ins.op === 'st') return 3 + ins.n;
  return 3;
}

/** The opcodes this core executes. */
export const CORE_OPS: ReadonlySet<Instr['op']> = new Set(['li', 'add', 'sub', 'and', 'or', 'xor', 'max', 'min', 'slt', 'b', 'beq', 'bne', 'blt', 'bge', 'dbnz', 'call', 'ret', 'ld', 'st', 'halt']);

const code = (op: Instr['op']): number => {
  const s = OPCODES.find((o) => o.op === op);
  if (!s) throw new HdlError(`ucore core: no opcode for ${op}`);
  return s.code;
};

export function ucoreCore(cfg: CoreConfig): Module {
  const { image, ebrWords, spramWords } = cfg;
  if (!Number.isInteger(spramWords) || spramWords < 0 || spramWords > EBR_BASE) throw new HdlError(`ucore core: spramWords ${spramWords} not in 0 … ${EBR_BASE}`);
  if (!Number.isInteger(ebrWords) || ebrWords < 2) throw new HdlError(`ucore core: ebrWords ${ebrWords} must be ≥ 2`);
  const progWords = Math.max(2, image.words.length);
  const poolWords = Math.max(2, image.pool.length);
  const m = new ModuleBuilder('ucore_core', {
    progWords,
    poolWords,
    ebrWords,
    spramWords,
    program: Array.from(image.words, String).join(','),
    pool: Array.from(image.pool, String).join(','),
    data: (cfg.data ?? []).join(','),
  });
  m.clock();
  const start = m.input('start', uint(1));
  const entry = m.input('entry', uint(12));

  const S = m.enum('state', ['IDLE', 'FETCH', 'DECODE', 'EXEC', 'LOAD', 'STORE']);
  const st = S.reg('state_q', 'IDLE');
  const pc = m.reg('pc_q', uint(12), { reset: 0 });
  const fault = m.reg('fault_q', uint(1), { reset: 0 });
  const cycles = m.reg('cycles_q', uint(32), { reset: 0 });

  // ---- program ROM and instruction fields
  const prog = m.memory('prog', { depth: progWords, type: uint(32), style: 'block', init: Array.from({ length: progWords }, (_, i) => BigInt(image.words[i] ?? 0)) });
  const ir = prog.readSync('ir_q', pc.trunc(prog.addrType.width), { en: S.is(st, 'FETCH') });
  const opc = m.wire('opcode', ir.slice(5, 0));
  const raF = m.wire('ra_field', ir.slice(10, 6));
  const rdF = m.wire('rd_field', ir.slice(15, 11));
  const target = m.wire('target', ir.slice(22, 11));
  const mode = m.wire('operand_mode', ir.slice(31, 30));
  const is = (op: Instr['op']): Expr => opc.eq(code(op));
  const isLd = m.wire('is_ld', opc.slice(5, 3).eq(4)); // 0x20 … 0x27
  const isSt = m.wire('is_st', opc.slice(5, 3).eq(5)); // 0x28 … 0x2f
  const nWords = m.wire('mem_words', opc.slice(1, 0).zext(3).addWrap(1)); // n − 1 in the low bits
  const ldSigned = m.wire('ld_signed', opc.bit(2));
  // the O9 operand (branches) or the O16 operand (everything else this core runs)
  const o9 = m.wire('o9_format', opc.slice(5, 2).eq(0x1c >> 2));

  // ---- constant pool and register file (read in DECODE)
  const pool = m.memory('pool', { depth: poolWords, type: uint(64), style: 'block', init: Array.from({ length: poolWords }, (_, i) => BigInt.asUintN(64, image.pool[i] ?? 0n)) });
  const poolIdx = mux(o9, ir.slice(29, 23).zext(14), ir.slice(29, 16));
  const decode = S.is(st, 'DECODE');
  const poolQ = pool.readSync('pool_q', poolIdx.trunc(pool.addrType.width), { en: decode });
  const rfa = m.memory('rfa', { depth: NUM_REGS, type: uint(64), style: 'block' });
  const rfb = m.memory('rfb', { depth: NUM_REGS, type: uint(64), style: 'block' });
  // port b: the stored register of st (the rd field), the O9 register of a branch, else the O16 register
  const rbF = m.wire('rb_field', mux(isSt, rdF, mux(o9, ir.slice(27, 23), ir.slice(20, 16))));
  const raQ = rfa.readSync('ra_q', raF, { en: decode });
  const rbQ = rfb.readSync('rb_q', rbF, { en: decode });
  const raZero = m.pipe('ra_zero_q', raF.eq(0), { reset: null, enable: decode });
  const rbZero = m.pipe('rb_zero_q', rbF.eq(0), { reset: null, enable: decode });
  const a = m.wire('op_a', mux(raZero, constant(0, uint(64)), raQ).asSigned());
  const rb = m.wire('op_rb', mux(rbZero, constant(0, uint(64)), rbQ).asSigned());
  // the second operand by its mode: register, short immediate, block RAM address, pool entry
  const imm = mux(o9, ir.slice(29, 23).asSigned().sext(64), ir.slice(29, 16).asSigned().sext(64));
  const ebrAddr = mux(o9, ir.slice(29, 23).zext(17), ir.slice(29, 16).zext(17)).addWrap(EBR_BASE).zext(64).asSigned();
  const b = m.wire('op_b', select(mode, [rb, imm, ebrAddr, poolQ.asSigned()]));

  // ---- the integer results
  const alu = m.wire(
    'alu_result',
    select(
      opc.slice(3, 0),
      [
        a.addWrap(b), // add 0x10 (li 0x01 as add with ra = 0)
        a.subWrap(b),
        a.and(b),
        a.or(b),
        a.xor(b),
        constant(0, sint(64)), // mul: not in this core
        mux(a.gt(b), a, b),
        mux(a.lt(b), a, b),
        mux(a.lt(b), constant(1, sint(64)), constant(0, sint(64))),
      ],
      constant(0, sint(64)),
    ),
  );
  const isAluOp = m.wire('is_alu', opc.slice(5, 4).eq(1).and(opc.slice(3, 0).le(8)).and(opc.ne(0x15)));
  const dec = m.wire('ra_minus_1', a.subWrap(1));
  const taken = m.wire(
    'branch_taken',
    select(opc.slice(1, 0), [a.eq(b), a.ne(b), a.lt(b), a.ge(b)]),
  );
  const isBranch = m.wire('is_branch', opc.slice(5, 2).eq(0x1c >> 2));

  // ---- return stack
  // (registers: eight entries are too few for a block RAM, and the iCE40 has no LUT RAM)
  const sp = m.reg('sp_q', uint(4), { reset: 0 });
  const rstack = Array.from({ length: RETURN_STACK }, (_, i) => m.reg(`rstack${i}_q`, uint(12), { reset: null }));
  const top = m.wire('rstack_top', select(sp.subWrap(1).trunc(3), rstack));
  m.seq('rstack', ($) => {
    $.if(S.is(st, 'EXEC').and(is('call')), () => rstack.forEach((r, i) => $.if(sp.eq(i), () => $.set(r, pc.addWrap(1)))));
  });

  // ---- register write (both copies)
  const wEn = m.wire('rf_we', uint(1));
  const wAddr = m.wire('rf_waddr', uint(5));
  const wData = m.wire('rf_wdata', uint(64));
  rfa.write(wAddr, wData, wEn);
  rfb.write(wAddr, wData, wEn);

  // ---- data memories: one address a cycle (block RAM above EBR_BASE, SPRAM below)
  const memAddr = m.reg('mem_addr_q', uint(17), { reset: null });
  const memK = m.reg('mem_k_q', uint(3), { reset: null });
  const memAcc = m.reg('mem_acc_q', uint(64), { reset: null });
  const inEbr = memAddr.ge(EBR_BASE);
  const ebrIdx = memAddr.subWrap(EBR_BASE).trunc(Math.max(1, Math.ceil(Math.log2(ebrWords))));
  const dmem = m.memory('dmem', { depth: ebrWords, type: uint(16), style: 'block', init: Array.from({ length: ebrWords }, (_, i) => BigInt((cfg.data ?? [])[i] ?? 0)) });
  const storing = S.is(st, 'STORE');
  const loading = S.is(st, 'LOAD').and(memK.lt(nWords));
  const storeWord = rb.asUnsigned().shrBy(cat(memK.trunc(2), constant(0, uint(4)))).trunc(16);
  dmem.write(ebrIdx, storeWord, storing.and(inEbr));
  const dQ = dmem.readSync('dmem_q', ebrIdx, { en: loading.and(inEbr) });
  let spQ: Expr = constant(0, uint(16));
  if (spramWords > 0) {
    const spram = m.memory('spram', { depth: spramWords, type: uint(16), style: 'huge' });
    const spIdx = memAddr.trunc(Math.max(1, Math.ceil(Math.log2(spramWords))));
    spram.write(spIdx, storeWord, storing.and(inEbr.not()));
    spQ = spram.readSync('spram_q', spIdx, { en: loading.and(inEbr.not()) });
  }
  const fromEbr = m.pipe('load_ebr_q', inEbr, { reset: null });
  const word = m.wire('load_word', mux(fromEbr, dQ, spQ));
  // the address is in a memory: below spramWords, or in EBR_BASE … EBR_BASE + ebrWords − 1
  const mapped = (x: Expr): Expr => x.lt(spramWords).or(x.ge(EBR_BASE).and(x.lt(EBR_BASE + ebrWords)));
  const ldAddr = a.addWrap(b).asUnsigned();
  const lastAddr = ldAddr.addWrap(nWords.zext(64)).subWrap(1);
  const addrOk = m.wire('addr_ok', ldAddr.lt(1 << 17).and(mapped(ldAddr.trunc(17))).and(mapped(lastAddr.trunc(17))).and(lastAddr.lt(1 << 17)));
  // the loaded value: n words little-endian, sign- or zero-extended from 16·n bits
  const got = m.wire('load_value', memAcc.or(word.zext(64).shlBy(cat(memK.subWrap(1).trunc(2), constant(0, uint(4))))));
  const ext = select(nWords.subWrap(1).trunc(2), [1, 2, 3, 4].map((n) => mux(ldSigned, got.trunc(16 * n).asSigned().sext(64).asUnsigned(), got.trunc(16 * n).zext(64))));

  const known = m.wire('op_known', isAluOp.or(is('li')).or(isBranch).or(is('b')).or(is('call')).or(is('ret')).or(is('dbnz')).or(is('halt')).or(isLd).or(isSt));

  m.comb('rf_write', ($) => {
    $.set(wEn, 0);
    $.set(wAddr, rdF);
    $.set(wData, mux(is('li'), b, alu).asUnsigned());
    $.if(S.is(st, 'EXEC'), () => {
      $.if(isAluOp.or(is('li')), () => $.set(wEn, rdF.ne(0))).elseIf(is('dbnz'), () => {
        $.set(wEn, raF.ne(0));
        $.set(wAddr, raF);
        $.set(wData, dec.asUnsigned());
      });
    }).elseIf(S.is(st, 'LOAD').and(memK.eq(nWords)), () => {
      $.set(wEn, rdF.ne(0));
      $.set(wData, ext);
    });
  });

  m.seq('fsm', ($) => {
    $.if(st.ne(S.v.IDLE), () => $.set(cycles, cycles.addWrap(1)));
    $.switch(st)
      .case(S.v.IDLE, () => {
        $.if(start, () => {
          $.set(pc, entry);
          $.set(sp, 0);
          $.set(fault, 0);
          $.set(cycles, 0);
          $.set(st, S.v.FETCH);
        });
      })
      .case(S.v.FETCH, () => $.set(st, S.v.DECODE))
      .case(S.v.DECODE, () => $.set(st, S.v.EXEC))
      .case(S.v.EXEC, () => {
        $.set(pc, pc.addWrap(1));
        $.set(st, S.v.FETCH);
        $.if(known.not(), () => {
          $.set(fault, 1);
          $.set(st, S.v.IDLE);
        })
          .elseIf(is('halt'), () => $.set(st, S.v.IDLE))
          .elseIf(is('b').or(isBranch.and(taken)).or(is('dbnz').and(dec.ne(0))), () => $.set(pc, target))
          .elseIf(is('call'), () => {
            $.if(sp.lt(RETURN_STACK), () => {
              $.set(sp, sp.addWrap(1));
              $.set(pc, target);
            }).else(() => {
              $.set(fault, 1);
              $.set(st, S.v.IDLE);
            });
          })
          .elseIf(is('ret'), () => {
            $.if(sp.ne(0), () => {
              $.set(sp, sp.subWrap(1));
              $.set(pc, top);
            }).else(() => {
              $.set(fault, 1);
              $.set(st, S.v.IDLE);
            });
          })
          .elseIf(isLd.or(isSt), () => {
            $.set(memAddr, ldAddr.trunc(17));
            $.set(memK, 0);
            $.set(memAcc, 0);
            $.set(st, mux(isLd, S.v.LOAD, S.v.STORE));
            $.if(addrOk.not(), () => {
              $.set(fault, 1);
              $.set(st, S.v.IDLE);
            });
          });
      })
      .case(S.v.LOAD, () => {
        $.set(memK, memK.addWrap(1));
        $.if(memK.lt(nWords), () => $.set(memAddr, memAddr.addWrap(1)));
        $.if(memK.ne(0), () => $.set(memAcc, got));
        $.if(memK.eq(nWords), () => $.set(st, S.v.FETCH));
      })
      .case(S.v.STORE, () => {
        $.set(memK, memK.addWrap(1));
        $.set(memAddr, memAddr.addWrap(1));
        $.if(memK.eq(nWords.subWrap(1)), () => $.set(st, S.v.FETCH));
      })
      .default(() => $.set(st, S.v.IDLE));
  });

  m.output('busy', st.ne(S.v.IDLE));
  m.output('fault', fault);
  m.output('cycles', cycles);
  return m.build();
}

/** The core that runs the step program `sp`: its image, its block RAM data (the table ROMs in place), all of SPRAM. */
export function ucoreCoreOf(sp: StepProgram): Module {
  const data: number[] = new Array<number>(sp.layout.ebrWords).fill(0);
  for (const img of sp.images) img.words.forEach((w, i) => (data[img.at - EBR_BASE + i] = w));
  return ucoreCore({ image: encode(sp.program), ebrWords: sp.layout.ebrWords, data, spramWords: EBR_BASE });
}
