/**
 * The UP5K engine's core in RTL (module `ucore_core`): fetches the 32-bit words of the program ROM
 * (generator/ucore/encode.ts: the format), reads its operands from a register file in block RAM and executes
 * them one at a time, the 64-bit values in two 32-bit halves (a 64-bit carry chain alone takes longer than a
 * 48 MHz cycle on the iCE40 UP5K). The instruction-set simulator sim/ucore/iss.ts is its specification: the
 * co-simulation (test/ucore/rtl/core.test.ts) runs programs on both and compares every register, every data
 * word and the cycle count (the ISS with this core's timing, `coreCycles`).
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
 *   rom    the program ROM (block RAM, 32 bits): the instruction words at 0 …, then the constant pool, entry i
 *          as two words (low, high) at poolBase + 2i (poolBase = the number of instruction words)
 *   rf     the register file, twice (rfa, rfb: one read port each, every write to both): 64 × 32 bits in block
 *          RAM, register r's low half at 2r and its high half at 2r + 1. r0 is never written and reads 0
 *          whatever the RAM holds.
 *   dmem   the block RAM data words (addresses EBR_BASE …; initial contents `data`)
 *   spram  the SPRAM words (addresses 0 … spramWords − 1; style huge: SB_SPRAM256KA, one port)
 *   rstack0_q … rstack7_q  the return stack (registers)
 *
 * SEQUENCE (states; `coreCycles` counts them)
 *   FETCH   the ROM reads the word at pc
 *   DECODE  the register file reads the low halves of ra and of the second register (rb, the stored register of
 *           st, or the O9 register of a branch); a pool operand's low word is read from the ROM
 *   LOW     the low halves: add/sub keep their carry, and/or/xor/add/sub/li write the low half of rd; the high
 *           halves and a pool operand's high word are read. b, call, ret and halt end here.
 *   HIGH    the high halves: the result's high half is written, a branch decided (64-bit comparisons from the
 *           high halves and the low half's borrow), a data address checked
 *   LOWSEL  max, min, slt: the low half of the result, chosen by the comparison made in HIGH
 *   LOAD    n words read, one a cycle (n + 1 cycles: the last lands a cycle later); then WLO and WHI write the
 *           value's halves
 *   STORE   n words written, one a cycle
 * So: b, call, ret, halt 3 cycles; li, add … xor, branches, dbnz 4; max, min, slt 5; ld of n words n + 7;
 * st of n words n + 4.
 */
import { cat, constant, HdlError, ModuleBuilder, mux, select, uint, type Expr, type Module, type ProcScope } from '../../ir/index.js';
import { EBR_BASE, encode, OPCODES, type Image } from '../encode.js';
import type { Instr } from '../isa.js';
import { NUM_REGS, RETURN_STACK } from '../isa.js';
import type { StepProgram } from '../program/step.js';

export interface CoreConfig {
  /** the program image (encode.ts); the descriptors are not used by this core */
  image: Image;
  /** block RAM data words (addresses EBR_BASE …) and their initial contents (shorter: the rest 0) */
  ebrWords: number;
  data?: readonly number[];
  /** SPRAM words (0 … 65536; addresses 0 …) */
  spramWords: number;
  /**
   * The ROM's layout for programs loaded later (a co-simulation): its size and the first pool word (default:
   * the image's, the pool right after the instructions)
   */
  romWords?: number;
  poolBase?: number;
}

/** Cycles this core takes for an instruction (the ISS's timing in the co-simulation). */
export function coreCycles(ins: Instr): number {
  switch (ins.op) {
    case 'b':
    case 'call':
    case 'ret':
    case 'halt':
      return 3;
    case 'max':
    case 'min':
    case 'slt':
      return 5;
    case 'ld':
      return ins.n + 7;
    case 'st':
      return ins.n + 4;
    default:
      return 4;
  }
}

/** The opcodes this core executes. */
export const CORE_OPS: ReadonlySet<Instr['op']> = new Set(['li', 'add', 'sub', 'and', 'or', 'xor', 'max', 'min', 'slt', 'b', 'beq', 'bne', 'blt', 'bge', 'dbnz', 'call', 'ret', 'ld', 'st', 'halt']);

const code = (op: Instr['op']): number => {
  const s = OPCODES.find((o) => o.op === op);
  if (!s) throw new HdlError(`ucore core: no opcode for ${op}`);
  return s.code;
};

/** The ROM contents of an image: the instruction words, then from poolBase each pool entry as its low and high words. */
export function romImage(image: Image, poolBase = image.words.length): bigint[] {
  if (poolBase < image.words.length) throw new HdlError(`ucore core: the pool at ${poolBase} overlaps the ${image.words.length} instruction words`);
  const words = Array.from({ length: poolBase }, (_, i) => BigInt(image.words[i] ?? 0));
  for (const v of image.pool) {
    const u = BigInt.asUintN(64, v);
    words.push(u & 0xffffffffn, u >> 32n);
  }
  return words;
}

const bitsFor = (depth: number): number => Math.max(1, Math.ceil(Math.log2(depth)));

export function ucoreCore(cfg: CoreConfig): Module {
  const { image, ebrWords, spramWords } = cfg;
  if (!Number.isInteger(spramWords) || spramWords < 0 || spramWords > EBR_BASE) throw new HdlError(`ucore core: spramWords ${spramWords} not in 0 … ${EBR_BASE}`);
  if (!Number.isInteger(ebrWords) || ebrWords < 2) throw new HdlError(`ucore core: ebrWords ${ebrWords} must be ≥ 2`);
  const poolBase = cfg.poolBase ?? image.words.length;
  const rom = romImage(image, poolBase);
  const romWords = Math.max(2, rom.length, cfg.romWords ?? 0);
  if (romWords > 4096) throw new HdlError(`ucore core: ${romWords} ROM words; branch targets reach 4,096`);
  const m = new ModuleBuilder('ucore_core', {
    romWords,
    poolBase,
    ebrWords,
    spramWords,
    rom: rom.map(String).join(','),
    data: (cfg.data ?? []).join(','),
  });
  m.clock();
  const start = m.input('start', uint(1));
  const entry = m.input('entry', uint(12));

  const S = m.enum('state', ['IDLE', 'FETCH', 'DECODE', 'LOW', 'HIGH', 'LOWSEL', 'LOAD', 'WLO', 'WHI', 'STORE']);
  const st = S.reg('state_q', 'IDLE');
  const at = (s: 'FETCH' | 'DECODE' | 'LOW' | 'HIGH' | 'LOWSEL' | 'LOAD' | 'WLO' | 'WHI' | 'STORE'): Expr => S.is(st, s);
  const pc = m.reg('pc_q', uint(12), { reset: 0 });
  const fault = m.reg('fault_q', uint(1), { reset: 0 });
  const cycles = m.reg('cycles_q', uint(32), { reset: 0 });

  // ---- the ROM: instructions (FETCH), pool words (DECODE: low, LOW: high)
  const romMem = m.memory('rom', { depth: romWords, type: uint(32), style: 'block', init: Array.from({ length: romWords }, (_, i) => rom[i] ?? 0n) });
  const romAddr = m.wire('rom_addr', uint(12));
  const romQ = romMem.readSync('rom_q', romAddr.trunc(romMem.addrType.width), { en: at('FETCH').or(at('DECODE')).or(at('LOW')) });
  // the instruction: the ROM's word in DECODE, then held
  const instQ = m.reg('inst_q', uint(32), { reset: null });
  const ir = m.wire('inst', mux(at('DECODE'), romQ, instQ));
  const opc = m.wire('opcode', ir.slice(5, 0));
  const raF = m.wire('ra_field', ir.slice(10, 6));
  const rdF = m.wire('rd_field', ir.slice(15, 11));
  const target = m.wire('target', ir.slice(22, 11));
  const mode = m.wire('operand_mode', ir.slice(31, 30));
  const is = (op: Instr['op']): Expr => opc.eq(code(op));
  const isLd = m.wire('is_ld', opc.slice(5, 3).eq(4)); // 0x20 … 0x27
  const isSt = m.wire('is_st', opc.slice(5, 3).eq(5)); // 0x28 … 0x2f
  const nWords = m.wire('mem_words', opc.slice(1, 0).zext(3).addWrap(1)); // n − 1 in the opcode's low bits
  const ldSigned = m.wire('ld_signed', opc.bit(2));
  const isBranch = m.wire('is_branch', opc.slice(5, 2).eq(0x1c >> 2)); // beq bne blt bge: the O9 operand
  const isAlu = m.wire('is_alu', opc.slice(5, 4).eq(1).and(opc.slice(3, 0).le(8)).and(opc.ne(code('mul'))));
  const isSel = m.wire('is_select', is('max').or(is('min')).or(is('slt')));
  const shortEnd = m.wire('ends_low', is('b').or(is('call')).or(is('ret')).or(is('halt')));
  const known = m.wire('op_known', isAlu.or(is('li')).or(isBranch).or(is('dbnz')).or(shortEnd).or(isLd).or(isSt));
  // the operand field's value: O9 (branches) or O16, unsigned (pool index, block RAM offset) or signed (immediate)
  const vIdx = m.wire('operand_index', mux(isBranch, ir.slice(29, 23).zext(14), ir.slice(29, 16)));
  const vImm = m.wire('operand_imm', mux(isBranch, ir.slice(29, 23).asSigned().sext(32), ir.slice(29, 16).asSigned().sext(32)));
  const poolWord = vIdx.trunc(11).zext(12).shl(1).trunc(12).addWrap(poolBase);
  m.assign(romAddr, mux(at('FETCH'), pc, mux(at('LOW'), poolWord.addWrap(1), poolWord)));

  // ---- register file: halves; low halves read in DECODE, high halves in LOW
  const rfa = m.memory('rfa', { depth: 2 * NUM_REGS, type: uint(32), style: 'block' });
  const rfb = m.memory('rfb', { depth: 2 * NUM_REGS, type: uint(32), style: 'block' });
  const rbF = m.wire('rb_field', mux(isSt, rdF, mux(isBranch, ir.slice(27, 23), ir.slice(20, 16))));
  const half = at('LOW');
  const raQ = rfa.readSync('ra_q', cat(raF, half), { en: at('DECODE').or(at('LOW')) });
  const rbQ = rfb.readSync('rb_q', cat(rbF, half), { en: at('DECODE').or(at('LOW')) });
  const raZero = m.pipe('ra_zero_q', raF.eq(0), { reset: null, enable: at('DECODE') });
  const rbZero = m.pipe('rb_zero_q', rbF.eq(0), { reset: null, enable: at('DECODE') });
  const zero32 = constant(0, uint(32));
  const a = m.wire('op_a', mux(raZero, zero32, raQ));
  const rb = m.wire('op_rb', mux(rbZero, zero32, rbQ));
  // the second operand's half by its mode: register, short immediate, block RAM address, pool word
  const ebrLo = vIdx.zext(32).addWrap(EBR_BASE);
  const bLo = m.wire('op_b_low', select(mode, [rb, vImm.asUnsigned(), ebrLo, romQ]));
  const bHi = m.wire('op_b_high', select(mode, [rb, mux(vImm.bit(31), constant(0xffffffff, uint(32)), zero32), zero32, romQ]));
  const b = m.wire('op_b', mux(at('LOW'), bLo, bHi));

  // ---- the halves' arithmetic: LOW starts with carry-in 0 (add) / borrow-in 0 (sub), HIGH takes LOW's
  const carryQ = m.reg('carry_q', uint(1), { reset: null });
  const carryIn = m.wire('carry_in', mux(at('LOW'), constant(0, uint(1)), carryQ));
  const sum = m.wire('sum', a.zext(33).addWrap(b.zext(33)).addWrap(carryIn.zext(33)));
  // a − b − borrow = a + ~b + (1 − borrow): carry_q holds the carry (1 − borrow)
  const diff = m.wire('diff', a.zext(33).addWrap(b.not().zext(33)).addWrap(mux(at('LOW'), constant(1, uint(33)), carryQ.zext(33))));
  const eqLoQ = m.reg('eq_low_q', uint(1), { reset: null });
  const nzLoQ = m.reg('nonzero_low_q', uint(1), { reset: null });
  const aLoQ = m.reg('a_low_q', uint(32), { reset: null });
  const bLoQ = m.reg('b_low_q', uint(32), { reset: null });
  const bHiQ = m.reg('b_high_q', uint(32), { reset: null });
  // 64-bit comparisons in HIGH: signed a < b from the high difference (sign xor overflow)
  const dHi = diff.trunc(32);
  const overflow = a.bit(31).ne(b.bit(31)).and(dHi.bit(31).ne(a.bit(31)));
  const lt = m.wire('a_lt_b', dHi.bit(31).xor(overflow));
  const eq = m.wire('a_eq_b', eqLoQ.and(a.eq(b)));
  // dbnz: ra − 1 (b is not read: subtract 1 in LOW, the borrow in HIGH)
  const dec = m.wire('dec', a.zext(33).addWrap(constant(0xffffffff, uint(32)).zext(33)).addWrap(mux(at('LOW'), constant(0, uint(33)), carryQ.zext(33))));
  const decNz = m.wire('dec_nonzero', nzLoQ.or(dec.trunc(32).ne(0)));
  const taken = m.wire('branch_taken', select(opc.slice(1, 0), [eq, eq.not(), lt, lt.not()]));
  const logic = select(opc.slice(3, 0), [sum.trunc(32), diff.trunc(32), a.and(b), a.or(b), a.xor(b)], sum.trunc(32));
  const result = m.wire('half_result', mux(is('li'), b, logic));
  // max/min/slt: the high half in HIGH, the low half in LOWSEL (a, b low halves kept)
  // (slt 0x18, max 0x16, min 0x17 by the opcode's low bits)
  const selHi = m.wire('select_high', select(opc.slice(1, 0), [zero32, zero32, mux(lt, b, a), mux(lt, a, b)]));

  // ---- data memories: one address a cycle (block RAM above EBR_BASE, SPRAM below)
  const memAddr = m.reg('mem_addr_q', uint(17), { reset: null });
  const memK = m.reg('mem_k_q', uint(3), { reset: null });
  const memAcc = m.reg('mem_acc_q', uint(64), { reset: null });
  const inEbr = memAddr.ge(EBR_BASE);
  const dmem = m.memory('dmem', { depth: ebrWords, type: uint(16), style: 'block', init: Array.from({ length: ebrWords }, (_, i) => BigInt((cfg.data ?? [])[i] ?? 0)) });
  const ebrIdx = memAddr.subWrap(EBR_BASE).trunc(bitsFor(ebrWords));
  const storing = at('STORE');
  const loading = at('LOAD').and(memK.lt(nWords));
  const stored = cat(bHiQ, bLoQ);
  const storeWord = stored.shrBy(cat(memK.trunc(2), constant(0, uint(4)))).trunc(16);
  dmem.write(ebrIdx, storeWord, storing.and(inEbr));
  const dQ = dmem.readSync('dmem_q', ebrIdx, { en: loading.and(inEbr) });
  let spQ: Expr = constant(0, uint(16));
  if (spramWords > 0) {
    const spram = m.memory('spram', { depth: spramWords, type: uint(16), style: 'huge' });
    const spIdx = memAddr.trunc(bitsFor(spramWords));
    spram.write(spIdx, storeWord, storing.and(inEbr.not()));
    spQ = spram.readSync('spram_q', spIdx, { en: loading.and(inEbr.not()) });
  }
  const fromEbr = m.pipe('load_ebr_q', inEbr, { reset: null });
  const word = m.wire('load_word', mux(fromEbr, dQ, spQ));
  const got = m.wire('load_value', memAcc.or(word.zext(64).shlBy(cat(memK.subWrap(1).trunc(2), constant(0, uint(4))))));
  const loaded = select(nWords.subWrap(1).trunc(2), [1, 2, 3, 4].map((n) => mux(ldSigned, memAcc.trunc(16 * n).asSigned().sext(64).asUnsigned(), memAcc.trunc(16 * n).zext(64))));
  // the address: LOW forms its low 32 bits, HIGH checks the rest is 0 and the n words lie in one memory
  const addrLoQ = m.reg('addr_low_q', uint(32), { reset: null });
  const lastAddr = addrLoQ.zext(33).addWrap(nWords.zext(33)).subWrap(1);
  const mapped = (x: Expr): Expr => x.lt(spramWords).or(x.ge(EBR_BASE).and(x.lt(EBR_BASE + ebrWords)));
  const addrOk = m.wire('addr_ok', sum.trunc(32).eq(0).and(lastAddr.lt(1 << 17)).and(mapped(addrLoQ)).and(mapped(lastAddr)));

  // ---- return stack (registers: eight entries are too few for a block RAM, and the iCE40 has no LUT RAM)
  const sp = m.reg('sp_q', uint(4), { reset: 0 });
  const rstack = Array.from({ length: RETURN_STACK }, (_, i) => m.reg(`rstack${i}_q`, uint(12), { reset: null }));
  const top = m.wire('rstack_top', select(sp.subWrap(1).trunc(3), rstack));
  m.seq('rstack', ($) => {
    $.if(at('LOW').and(is('call')), () => rstack.forEach((r, i) => $.if(sp.eq(i), () => $.set(r, pc.addWrap(1)))));
  });

  // ---- register write (both copies): the half written and its value by state
  const wEn = m.wire('rf_we', uint(1));
  const wReg = m.wire('rf_wreg', mux(is('dbnz'), raF, rdF));
  const wHalf = m.wire('rf_whalf', uint(1));
  const wData = m.wire('rf_wdata', uint(32));
  rfa.write(cat(wReg, wHalf), wData, wEn);
  rfb.write(cat(wReg, wHalf), wData, wEn);
  m.comb('rf_write', ($) => {
    $.set(wEn, 0);
    $.set(wHalf, 0);
    $.set(wData, result);
    $.if(at('LOW').and(isAlu.or(is('li'))).and(isSel.not()), () => $.set(wEn, 1))
      .elseIf(at('HIGH').and(isAlu.or(is('li'))), () => {
        $.set(wEn, 1);
        $.set(wHalf, 1);
        $.if(isSel, () => $.set(wData, selHi));
      })
      .elseIf(at('LOWSEL'), () => {
        $.set(wEn, 1);
        // slt: lt in bit 0 (kept in carry_q); max/min: the chosen low half
        $.set(wData, select(opc.slice(1, 0), [carryQ.zext(32), zero32, mux(carryQ, bLoQ, aLoQ), mux(carryQ, aLoQ, bLoQ)]));
      })
      .elseIf(at('LOW').and(is('dbnz')), () => {
        $.set(wEn, 1);
        $.set(wData, dec.trunc(32));
      })
      .elseIf(at('HIGH').and(is('dbnz')), () => {
        $.set(wEn, 1);
        $.set(wHalf, 1);
        $.set(wData, dec.trunc(32));
      })
      .elseIf(at('WLO'), () => $.set(wData, loaded.trunc(32)))
      .elseIf(at('WHI'), () => {
        $.set(wHalf, 1);
        $.set(wData, loaded.slice(63, 32));
      });
    // r0 is never written
    $.if(at('WLO').or(at('WHI')), () => $.set(wEn, rdF.ne(0))).elseIf(wReg.eq(0), () => $.set(wEn, 0));
  });

  const stop = ($: ProcScope): void => {
    $.set(fault, 1);
    $.set(st, S.v.IDLE);
  };
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
      .case(S.v.DECODE, () => {
        $.set(instQ, romQ);
        $.set(st, S.v.LOW);
      })
      .case(S.v.LOW, () => {
        $.set(st, S.v.HIGH);
        $.set(aLoQ, a);
        $.set(bLoQ, mux(isSt, rb, b));
        $.set(carryQ, mux(is('dbnz'), dec.bit(32), mux(is('add').or(is('li')).or(isLd).or(isSt), sum.bit(32), diff.bit(32))));
        $.set(eqLoQ, a.eq(b));
        $.set(nzLoQ, dec.trunc(32).ne(0));
        $.set(addrLoQ, sum.trunc(32));
        $.if(known.not(), () => stop($))
          .elseIf(is('halt'), () => $.set(st, S.v.IDLE))
          .elseIf(is('b'), () => {
            $.set(pc, target);
            $.set(st, S.v.FETCH);
          })
          .elseIf(is('call'), () => {
            $.set(st, S.v.FETCH);
            $.if(sp.lt(RETURN_STACK), () => {
              $.set(sp, sp.addWrap(1));
              $.set(pc, target);
            }).else(() => stop($));
          })
          .elseIf(is('ret'), () => {
            $.set(st, S.v.FETCH);
            $.if(sp.ne(0), () => {
              $.set(sp, sp.subWrap(1));
              $.set(pc, top);
            }).else(() => stop($));
          });
      })
      .case(S.v.HIGH, () => {
        $.set(pc, pc.addWrap(1));
        $.set(st, S.v.FETCH);
        $.set(bHiQ, rb);
        // slt / max / min: the comparison for LOWSEL
        $.set(carryQ, lt);
        $.if(isSel, () => $.set(st, S.v.LOWSEL))
          .elseIf(isBranch.and(taken).or(is('dbnz').and(decNz)), () => $.set(pc, target))
          .elseIf(isLd.or(isSt), () => {
            $.set(memAddr, addrLoQ.trunc(17));
            $.set(memK, 0);
            $.set(memAcc, 0);
            $.set(st, mux(isLd, S.v.LOAD, S.v.STORE));
            $.if(addrOk.not(), () => stop($));
          });
      })
      .case(S.v.LOWSEL, () => $.set(st, S.v.FETCH))
      .case(S.v.LOAD, () => {
        $.set(memK, memK.addWrap(1));
        $.if(memK.lt(nWords), () => $.set(memAddr, memAddr.addWrap(1)));
        $.if(memK.ne(0), () => $.set(memAcc, got));
        $.if(memK.eq(nWords), () => $.set(st, S.v.WLO));
      })
      .case(S.v.WLO, () => $.set(st, S.v.WHI))
      .case(S.v.WHI, () => $.set(st, S.v.FETCH))
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
