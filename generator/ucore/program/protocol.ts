/**
 * The chip's host protocol (generator/protocol.ts, docs/protocol.md) as a ucore program: on the iCEBreaker the
 * UART's bytes reach the core through `recv` and leave through `send`, and this program is the parallel chip's
 * stream front end and controller in one loop, run forever from entry `serve`:
 *
 *   hunt      bytes dropped (counted) until A5 5A (A5 A5 5A too); the idle line (recv's 256) is ignored
 *   header    opcode, tag, length and hcrc; a wrong CRC-8 is HEADER_CRC, a length above MAX_PAYLOAD BAD_LENGTH
 *             (both: hunting resumes at the next byte)
 *   payload   `length` bytes into proto.buf (one byte a word, SPRAM), then the CRC-16's two bytes; the idle line
 *             inside a frame is TRUNCATED (detail: bytes after the sync)
 *   checks    BAD_CRC, UNKNOWN_OPCODE, BAD_LENGTH, OUT_OF_RANGE in the order of docs/protocol.md, from the
 *             CommandSpec table; nothing runs before all pass
 *   execute   as the controller's reference (host/chip/model.ts) on the step program's state (step.ts, its
 *             entries called as subroutines), then the response frame with both CRCs
 *
 * The CRC-16 comes from two 16-word nibble tables in block RAM and the CRC-8 bit by bit (ProtocolOptions crc:
 * 'split'), or both bit by bit ('bitwise'), or both from 256-word tables ('table'). Where the ucore differs from
 * the controller's reference:
 *   READ_COUNTERS  busy and stalled cycles are 0 (the core has no cycle counter; the reference model answers
 *                  0 as well); steps and the saturations are the chip's
 *   LOAD_LFSR      a state whose low lfsrWidth bits are 0 is refused with OUT_OF_RANGE (detail: its byte
 *                  offset), before any lane is written: the core's LFSRs take nonzero states only
 *   SET_PARAMS     the learning rates are compiled into the program: others are NOT_SUPPORTED (as the
 *                  reference); the seed reseeds every lane with laneSeed (sim/golden/fixed/lfsr-bank.ts)
 *   LINK_STATUS    the front end's counters: frames accepted, rejected (error frames of the checks above),
 *                  bytes dropped while hunting; RESET keeps them (as the front end)
 * Power-up runs RESET's work: weights 0, lanes seeded with seed 0, window and counters cleared.
 */
import type { ChipConfig } from '../../config.js';
import { DEFAULT_TIMEOUT_CYCLES, ERRORS, identifyBlock, MAX_PAYLOAD, OPCODES, protocolSpec, RESPONSE_BIT, SYNC, type CommandSpec, type ProtocolSpec } from '../../protocol.js';
import { QUANTITIES } from '../../numeric.js';
import type { ChipParams } from '../../../sim/golden/fixed/params.js';
import { Asm, imm, type Label, type Program } from '../asm.js';
import type { Reg } from '../isa.js';
import { wordsOf } from './common.js';
import { chipLayout, type Layout } from './layout.js';
import { emitStep, type StepProgram } from './step.js';

export interface ProtocolProgram {
  program: Program;
  layout: Layout;
  /** the entry the board starts at (it never halts) */
  entry: { serve: number };
  /** ROM images (the step's tables, the CRC tables, the identify block, the weight map): words at `at` */
  images: { name: string; at: number; words: number[] }[];
  /** where the saturation counters are data words (MachineConfig.satBase) */
  satBase: number;
  spec: ProtocolSpec;
  sections: StepProgram['sections'];
  /** whether it runs on the vector unit (vdot, vdist, vupd) or has them as scalar loops (ProtocolOptions.vector) */
  vector: boolean;
}

/** A CRC table of 256 entries, MSB first (the frame format's CRC-8 and CRC-16). */
export function crcTable(width: 8 | 16, poly: number): number[] {
  const top = 1 << (width - 1);
  const mask = (1 << width) - 1;
  return Array.from({ length: 256 }, (_, b) => {
    let c = b << (width - 8);
    for (let k = 0; k < 8; k++) c = c & top ? ((c << 1) ^ poly) & mask : (c << 1) & mask;
    return c;
  });
}

const M32 = 0xffffffff;
const mix32 = (x: number): number => {
  let t = x >>> 0;
  t = Math.imul(t ^ (t >>> 16), 0x21f0aaad);
  t = Math.imul(t ^ (t >>> 15), 0x735a2d97);
  return (t ^ (t >>> 15)) >>> 0;
};

/**
 * One contiguous piece of the protocol's weight map in the data memory: protocol words start … end − 1 at
 * addr, stride words each (a hidden layer is one piece, its rows already weights-then-bias; the output layer
 * a piece per row's weights and one per bias).
 */
interface Segment {
  start: number;
  end: number;
  addr: number;
  stride: number;
}

function segments(P: ChipParams, spec: ProtocolSpec, lay: Layout): Segment[] {
  const out: Segment[] = [];
  const L = P.L;
  const bw = wordsOf(P.numeric.bias.format);
  for (const m of spec.layers) {
    const l = m.layer - 1;
    if (l < L - 1) {
      out.push({ start: m.base, end: m.base + m.words, addr: lay.at(`params.${l}`), stride: 1 });
      continue;
    }
    for (let j = 0; j < m.nOut; j++) {
      const row = m.base + j * (m.nIn + 1);
      out.push({ start: row, end: row + m.nIn, addr: lay.at('out.W') + j * m.nIn, stride: 1 });
      out.push({ start: row + m.nIn, end: row + m.nIn + 1, addr: lay.at('out.b') + j * bw, stride: bw });
    }
  }
  return out;
}

export interface ProtocolOptions {
  /**
   * How the CRCs are computed: `split` (default: the CRC-16 from two 16-word tables, rom.crc16hi and rom.crc16lo
   * in block RAM, of the byte's high and low nibble, since the byte table is linear, T[x] = T[x & 0xf0] ⊕
   * T[x & 0x0f]; the header's CRC-8 bit by bit), `bitwise` (8 rounds of doubling and conditional XOR a byte, no
   * memory) or `table` (256-word ROM images rom.crc8 and rom.crc16: 2 and 6 instructions a byte)
   */
  crc?: 'split' | 'bitwise' | 'table';
  /** the board's idle timeout in cycles (rx_idle), as IDENTIFY reports it; default DEFAULT_TIMEOUT_CYCLES */
  timeoutCycles?: number;
  /** false: for a core without its vector unit, vdot, vdist and vupd as scalar loops (AsmOptions; default true) */
  vector?: boolean;
}

/** The serving program of chip `cfg` (its ChipParams P: the step it trains). */
export function protocolProgram(cfg: ChipConfig, P: ChipParams, o: ProtocolOptions = {}): ProtocolProgram {
  const crcMode = o.crc ?? 'split';
  const crcTables = crcMode === 'table';
  const spec = protocolSpec(cfg);
  if (P.numeric.lfsr.lanes !== cfg.lanes) throw new RangeError(`ucore protocol: the step has ${P.numeric.lfsr.lanes} LFSR lanes a layer, the chip ${cfg.lanes}`);
  const cmd = (name: keyof typeof OPCODES): CommandSpec => spec.commands.find((c) => c.name === name) as CommandSpec;
  // the payload buffer, INFER's classes and the counters saved around it first in SPRAM: their addresses are short
  // immediates (no pool entries), and SPRAM needs no initial contents
  const lay = chipLayout(P, true, [
    { name: 'proto.buf', words: MAX_PAYLOAD },
    { name: 'proto.cls', words: cmd('INFER').maxRecords },
    { name: 'proto.satsave', words: 4 * QUANTITIES.length },
  ], { sampleInSpram: o.vector === false });
  const buf = lay.at('proto.buf');
  const V = {
    op: lay.alloc('proto.op', 1),
    tag: lay.alloc('proto.tag', 1),
    k: lay.alloc('proto.k', 1),
    p: lay.alloc('proto.p', 2),
    accepted: lay.alloc('proto.accepted', 2),
    rejected: lay.alloc('proto.rejected', 2),
    dropped: lay.alloc('proto.dropped', 2),
    steps: lay.alloc('proto.steps', 4),
    q: lay.alloc('proto.q', 2),
    cls: lay.at('proto.cls'),
    satSave: lay.at('proto.satsave'),
  };
  const ident = identifyBlock(cfg, o.timeoutCycles ?? DEFAULT_TIMEOUT_CYCLES);
  const segs = segments(P, spec, lay);
  // a piece's fields in one word each when every value fits 16 bits, else two
  const segField = segs.every((g) => g.end < 65536 && g.addr < 65536) ? 1 : 2;
  const t16 = crcTable(16, spec.crc16.poly);
  const romImgs: { name: string; words: number[] }[] = [
    ...(crcTables ? [{ name: 'crc8', words: crcTable(8, spec.crc8.poly) }, { name: 'crc16', words: t16 }] : []),
    ...(crcMode === 'split'
      ? [
          { name: 'crc16hi', words: Array.from({ length: 16 }, (_, n) => t16[n << 4]) },
          { name: 'crc16lo', words: t16.slice(0, 16) },
        ]
      : []),
    { name: 'ident', words: ident },
    { name: 'wseg', words: segs.flatMap((g) => [g.start, g.end, g.addr, g.stride].flatMap((v) => (segField === 1 ? [v] : [v & 0xffff, v >>> 16]))) },
  ];
  const R = Object.fromEntries(romImgs.map((r) => [r.name, lay.alloc(`rom.${r.name}`, r.words.length)])) as Record<string, number>;
  lay.checkFits();
  const satBase = lay.at('sat');
  const satWords = 4 * QUANTITIES.length;

  const a = new Asm({ vector: o.vector });
  const step = emitStep(a, P, lay, true, () => a.ret());
  const sections = step.sections;
  let mark = a.here;
  /** the protocol's parts, for the size and profile benches */
  const cut = (name: string, romWords = 0): void => {
    sections.push({ name: `protocol: ${name}`, from: mark, to: a.here, romWords });
    mark = a.here;
  };

  // registers of the protocol code (the step's subroutines clobber them: what lives across a call is in memory)
  const [b, c, t, got, op, tag, len, k, ec, ed, rop, rl] = a.regs(12);
  // the subroutines' own (held too, so that no caller's register is one of them)
  const [x, y, lane, kq, s1, s2, s3] = a.regs(7);
  // 256 (recv's idle line), set while hunting: compared against a register, it takes no pool entry
  const c256 = a.reg();
  const L = (name: string): Label => a.label(name);
  const hunt = L('hunt');
  const errorFE = L('error_frontend');
  const errorSend = L('error_send');
  const putb = L('putb');
  const crcb = L('crcb');
  const respBegin = L('resp_begin');
  const respEnd = L('resp_end');
  const seedLanes = L('seed_lanes');
  const mix = L('mix32');
  const doReset = L('reset');
  const bump = (at: number, by: number): void =>
    a.with(1, (v) => {
      a.ld(v, 0, at, 2, false);
      a.add(v, v, imm(by));
      a.st(v, 0, at, 2); // 32 bits stored: the count wraps at 2^32
    });
  /** error stubs: code and detail into ec / ed, then the error frame; emitted after the code that branches */
  const stubs: { l: Label; code: number; detail: Reg | { imm: number }; fe: boolean }[] = [];
  const stubAt = new Map<string, Label>();
  /** a stub that answers error `code` with `detail` (a register, or imm(value)); fe: counted as rejected. One per kind. */
  const fail = (code: number, detail: Reg | { imm: number }, fe = true): Label => {
    const key = `${code}/${typeof detail === 'number' ? `r${detail}` : detail.imm}/${fe}`;
    let l = stubAt.get(key);
    if (l === undefined) {
      l = L(`fail_${code}`);
      stubAt.set(key, l);
      stubs.push({ l, code, detail, fe });
    }
    return l;
  };
  const emitStubs = (): void => {
    for (const s of stubs.splice(0)) {
      a.bind(s.l);
      a.li(ec, s.code);
      if (typeof s.detail === 'number') a.mov(ed, s.detail);
      else a.li(ed, s.detail.imm);
      a.b(s.fe ? errorFE : errorSend);
    }
  };
  /**
   * A compare-and-branch with a constant: as it is when the constant fits the branch's short immediate
   * (−64 … 63), else through t (t ← ra ⊕ v or ra − v, then against 0), so that it takes no pool entry
   */
  const cmpBranch = (op: 'beq' | 'bne' | 'blt' | 'bge', ra: Reg, v: number, l: Label): void => {
    if (v >= -64 && v < 64) return a[op](ra, imm(v), l);
    if (op === 'beq' || op === 'bne') a.xor(t, ra, imm(v));
    else a.sub(t, ra, imm(v));
    a[op](t, imm(0), l);
  };
  const truncated = fail(ERRORS.TRUNCATED, got);
  /** dst ← the next byte of a frame; the idle line: TRUNCATED */
  const recvf = (dst: Reg): void => {
    a.recv(dst);
    a.beq(dst, c256, truncated);
    a.add(got, got, imm(1));
  };
  /** byte b into the CRC-16 c (c ← c·2^8 ⊕ T[(c >> 8) ⊕ b], 16 bits), tmp clobbered; tables only */
  const crcStep = (tmp: Reg): void => {
    a.shr(tmp, c, imm(8), 'floor');
    a.xor(tmp, tmp, b);
    a.ld(tmp, tmp, R.crc16, 1, false);
    a.shl(c, c, imm(8));
    a.and(c, c, imm(0xffff));
    a.xor(c, c, tmp);
  };
  const crc8Bits = L('crc8_bits');
  /** s3 ← the CRC-8 of the bytes in `regs` (by table, or through crc8_bits) */
  const crc8Of = (regs: Reg[]): void => {
    if (crcTables) a.ld(s3, regs[0], R.crc8, 1, false);
    else {
      a.mov(s3, regs[0]);
      a.call(crc8Bits);
    }
    for (const r of regs.slice(1)) {
      a.xor(s3, s3, r);
      if (crcTables) a.ld(s3, s3, R.crc8, 1, false);
      else a.call(crc8Bits);
    }
  };
  /** 8 rounds of a CRC of `width` bits in register v (its byte already XORed in at the top): tmp and n clobbered */
  const crcRounds = (v: Reg, width: 8 | 16, poly: number, tmp: Reg, n: Reg): void => {
    a.li(n, 8);
    const top = L('crc.round');
    const skip = L('crc.skip');
    a.bind(top);
    a.add(v, v, v); // v·2 by the adder (4 core cycles; a shift takes the shift unit's 19)
    a.and(tmp, v, imm(2 ** width));
    a.beq(tmp, imm(0), skip);
    a.xor(v, v, imm(2 ** width + poly));
    a.bind(skip);
    a.dbnz(n, top);
  };
  const getn = L('getn');
  const accept = L('accept');
  const takePixels = L('take_pixels');
  const putn = L('putn');
  /** dst ← the payload's little-endian field of `bytes` at byte `offset` (+ the byte address in `base`): getn */
  const field = (dst: Reg, offset: number, bytes: number, base: Reg = 0): void => {
    if (bytes === 1) return a.ld(dst, base, buf + offset, 1, false);
    a.add(ed, base, imm(buf + offset));
    a.li(ec, bytes);
    a.call(getn);
    a.mov(dst, ed);
  };
  /** sends the `bytes` low bytes of v little-endian through putb: putn (ec, ed clobbered) */
  const putLE = (v: Reg, bytes: number): void => {
    if (v !== ed) a.mov(ed, v);
    a.li(ec, bytes);
    a.call(putn);
  };
  const respEmpty = L('resp_empty');
  /** a response frame of opcode `code` | 0x80 and `n` payload bytes (a register, or imm(bytes)); then hunting */
  const respond = (code: number, n: Reg | { imm: number | bigint }, payload?: () => void): void => {
    a.li(rop, code | RESPONSE_BIT);
    if (payload === undefined && typeof n !== 'number' && n.imm === 0) {
      a.b(respEmpty);
      return;
    }
    if (typeof n === 'number') a.mov(rl, n);
    else a.li(rl, n.imm);
    a.call(respBegin);
    payload?.();
    a.call(respEnd);
    a.b(hunt);
  };
  /** n (a register ≥ 0) payload bytes from memory words at base register p, through putb */
  const putWords = (p: Reg, n: Reg): void => {
    const none = L('put.none');
    a.beq(n, imm(0), none);
    a.loopReg(n, () => {
      a.ld(b, p, 0, 1, false);
      a.call(putb);
      a.add(p, p, imm(1));
    });
    a.bind(none);
  };

  // ---- serve: power-up, then the frame loop
  const serve = a.here;
  for (const at of [V.accepted, V.rejected, V.dropped]) a.st(0, 0, at, 2);
  a.call(doReset);
  a.bind(hunt);
  const sync1 = L('sync1');
  const header = L('header');
  const drop2 = L('drop2');
  a.li(c256, 256);
  a.recv(b);
  cmpBranch('beq', b, SYNC[0], sync1);
  a.beq(b, c256, hunt);
  bump(V.dropped, 1);
  a.b(hunt);
  a.bind(sync1);
  a.recv(b);
  cmpBranch('beq', b, SYNC[1], header);
  a.beq(b, c256, sync1);
  cmpBranch('bne', b, SYNC[0], drop2);
  bump(V.dropped, 1);
  a.b(sync1);
  a.bind(drop2);
  bump(V.dropped, 2);
  a.b(hunt);

  // header: opcode, tag, length, hcrc
  a.bind(header);
  a.li(got, 0);
  if (V.tag !== V.op + 1) throw new Error('ucore protocol: proto.op and proto.tag are not adjacent');
  a.st(0, 0, V.op, 2); // op and tag 0 until received
  recvf(op);
  a.st(op, 0, V.op, 1);
  recvf(tag);
  a.st(tag, 0, V.tag, 1);
  a.with(3, (lo, hi, h) => {
    recvf(lo);
    recvf(hi);
    a.shl(len, hi, imm(8));
    a.or(len, len, lo);
    crc8Of([op, tag, lo, hi]);
    recvf(b);
    a.bne(b, s3, fail(ERRORS.HEADER_CRC, { imm: 0 }));
    cmpBranch('bge', len, MAX_PAYLOAD + 1, fail(ERRORS.BAD_LENGTH, len));
    a.mov(h, b);
    a.li(c, spec.crc16.init);
    for (const r of [op, tag, lo, hi, h]) {
      a.mov(b, r);
      a.call(crcb);
    }
  });
  // payload into proto.buf, the CRC-16 running (with tables inline: 6 instructions a byte)
  a.with(2, (p, n) => {
    const none = L('payload.none');
    a.li(p, buf);
    a.beq(len, imm(0), none);
    a.loopReg(len, () => {
      recvf(b);
      a.st(b, p, 0, 1);
      a.add(p, p, imm(1));
      if (crcTables) crcStep(n);
      else a.call(crcb);
    });
    a.bind(none);
  });
  recvf(b);
  a.call(crcb);
  recvf(b);
  a.call(crcb);
  a.bne(c, imm(0), fail(ERRORS.BAD_CRC, { imm: 0 }));

  // dispatch: the command's length rule and fields, then its work
  const handlers = new Map<number, Label>(spec.commands.map((cs) => [cs.code, L(`cmd.${cs.name}`)]));
  for (const [code, l] of handlers) cmpBranch('beq', op, code, l);
  a.b(fail(ERRORS.UNKNOWN_OPCODE, op));
  emitStubs();
  cut('frames');

  /** BAD_LENGTH and OUT_OF_RANGE of command cs (docs/protocol.md's order); k ← the number of records */
  function emitChecks(cs: CommandSpec): void {
    const badLen = fail(ERRORS.BAD_LENGTH, len);
    if (cs.record === 0) {
      a.bne(len, imm(cs.header), badLen);
      a.li(k, 0);
    } else {
      a.blt(len, imm(cs.header), badLen);
      a.sub(k, len, imm(cs.header));
      if ((cs.record & (cs.record - 1)) === 0) {
        a.with(1, (m) => {
          a.and(m, k, imm(cs.record - 1));
          a.bne(m, imm(0), badLen);
        });
        a.shr(k, k, imm(Math.log2(cs.record)), 'floor');
      } else {
        // k ← rest / record by subtraction (at most maxRecords + 1 rounds)
        a.with(1, (r) => {
          const top = L('records');
          const done = L('records.done');
          a.mov(r, k);
          a.li(k, 0);
          a.bind(top);
          cmpBranch('blt', r, cs.record, done);
          a.sub(r, r, imm(cs.record));
          a.add(k, k, imm(1));
          a.b(top);
          a.bind(done);
          a.bne(r, imm(0), badLen);
        });
      }
      if (cs.minRecords > 0) a.blt(k, imm(cs.minRecords), badLen);
      cmpBranch('bge', k, cs.maxRecords + 1, badLen);
    }
    const vals = new Map<string, Reg>();
    const held: Reg[] = [];
    for (const f of cs.fields.filter((g) => g.in === 'header')) {
      const v = a.reg();
      held.push(v);
      vals.set(f.name, v);
      field(v, f.offset, f.bytes);
      const bad = fail(ERRORS.OUT_OF_RANGE, { imm: f.offset });
      if (f.min > 0) a.blt(v, imm(f.min), bad);
      if (f.max < 2 ** (8 * f.bytes) - 1) cmpBranch('bge', v, f.max + 1, bad);
    }
    if (cs.span) {
      const off = vals.get(cs.span.offset) as Reg;
      const offField = cs.fields.find((f) => f.name === cs.span?.offset) as { offset: number };
      a.with(1, (e) => {
        a.add(e, off, cs.span?.count === 'records' ? k : (vals.get(cs.span?.count as string) as Reg));
        cmpBranch('bge', e, cs.span!.limit + 1, fail(ERRORS.OUT_OF_RANGE, { imm: offField.offset }));
      });
    }
    a.release(...held);
    const recFields = cs.fields.filter((g) => g.in === 'record');
    // LOAD_LFSR: a state of lfsrWidth zero bits is refused (the core's LFSRs take nonzero states only)
    const zeroLfsr = cs.name === 'LOAD_LFSR';
    if (recFields.length === 0 && !zeroLfsr) return;
    a.with(2, (p, v) => {
      const none = L('recs.none');
      a.li(p, cs.header);
      a.beq(k, imm(0), none);
      a.loopReg(k, () => {
        for (const f of recFields) {
          const bad = L('rec.bad');
          const ok = L('rec.ok');
          a.ld(v, p, buf + f.offset, 1, false);
          if (f.min > 0) a.blt(v, imm(f.min), bad);
          cmpBranch('blt', v, f.max + 1, ok);
          a.bind(bad);
          a.add(ed, p, imm(f.offset));
          a.li(ec, ERRORS.OUT_OF_RANGE);
          a.b(errorFE);
          a.bind(ok);
        }
        if (zeroLfsr) {
          const ok = L('lfsr.nonzero');
          field(v, 0, spec.lfsrBytes, p);
          a.and(v, v, imm(2 ** spec.lfsrWidth - 1));
          a.bne(v, imm(0), ok);
          a.mov(ed, p);
          a.li(ec, ERRORS.OUT_OF_RANGE);
          a.b(errorFE);
          a.bind(ok);
        }
        a.add(p, p, imm(cs.record));
      });
      a.bind(none);
    });
  }

  /** the records of TRAIN / INFER one at a time into cur.u (and cur.label), `each` after each one */
  function records(withLabel: boolean, each: () => void): void {
    const top = L('record');
    a.st(k, 0, V.k, 1);
    a.li(t, buf);
    a.st(t, 0, V.p, 2);
    a.bind(top);
    a.call(takePixels);
    if (withLabel) {
      a.ld(t, x, 0, 1, false);
      a.st(t, 0, lay.at('cur.label'), 1);
      a.add(x, x, imm(1));
      a.st(x, 0, V.p, 2);
    }
    each();
    a.ld(k, 0, V.k, 1, false);
    a.sub(k, k, imm(1));
    a.st(k, 0, V.k, 1);
    a.bne(k, imm(0), top);
  }

  /** copies the counters' words from → to (the saturation counters around inference) */
  const copyWords = (from: number, to: number, n: number): void =>
    a.with(1, (p) => {
      a.li(p, 0);
      a.loop(n, () => {
        a.ld(t, p, from, 1, false);
        a.st(t, p, to, 1);
        a.add(p, p, imm(1));
      });
    });

  /** walks the weight map's segments over protocol words [off, off + n): `each(addr, stride)` per word */
  function weightSpan(off: Reg, n: Reg, each: (addr: Reg, stride: Reg) => void): void {
    a.with(6, (s, w1, lo, hi, addr, stride) => {
      a.add(w1, off, n);
      a.li(s, R.wseg);
      a.loop(segs.length, () => {
        const next = L('seg.next');
        a.ld(lo, s, 0, segField, false);
        a.ld(hi, s, segField, segField, false);
        a.ld(addr, s, 2 * segField, segField, false);
        a.ld(stride, s, 3 * segField, segField, false);
        a.max(lo, lo, off);
        a.min(hi, hi, w1);
        a.bge(lo, hi, next);
        a.with(1, (d) => {
          a.ld(d, s, 0, segField, false);
          a.sub(d, lo, d);
          a.mul(d, d, stride);
          a.add(addr, addr, d);
          a.sub(hi, hi, lo);
        });
        a.loopReg(hi, () => {
          each(addr, stride);
          a.add(addr, addr, stride);
        });
        a.bind(next);
        a.add(s, s, imm(4 * segField));
      });
    });
  }
  const strides = [...new Set(segs.map((s) => s.stride))];
  /** per stride value of the map: `body(n)` with n its literal word count (one value: no test) */
  const byStride = (stride: Reg, body: (n: number) => void): void => {
    if (strides.length === 1) return body(strides[0]);
    const done = L('stride.done');
    for (const n of strides) {
      const other = L('stride.other');
      a.bne(stride, imm(n), other);
      body(n);
      a.b(done);
      a.bind(other);
    }
    a.bind(done);
  };

  function emitCommand(cs: CommandSpec): void {
    const O = OPCODES;
    switch (cs.code) {
      case O.IDENTIFY:
        return respond(cs.code, imm(ident.length), () => a.with(2, (p, n) => {
          a.li(p, R.ident);
          a.li(n, ident.length);
          putWords(p, n);
        }));
      case O.ECHO:
        return respond(cs.code, len, () => a.with(1, (p) => {
          a.li(p, buf);
          putWords(p, len);
        }));
      case O.LINK_STATUS:
        // accepted, rejected, dropped: 2 words each, one after another
        if (V.rejected !== V.accepted + 2 || V.dropped !== V.rejected + 2) throw new Error('ucore protocol: the link counters are not adjacent');
        return respond(cs.code, imm(12), () => a.with(2, (v, p) => {
          a.li(p, V.accepted);
          a.loop(3, () => {
            a.ld(v, p, 0, 2, false);
            putLE(v, 4);
            a.add(p, p, imm(2));
          });
        }));
      case O.RESET:
        a.li(rop, cs.code | RESPONSE_BIT);
        a.li(rl, 0);
        a.call(respBegin);
        a.call(respEnd);
        a.call(doReset);
        a.b(hunt);
        return;
      case O.SET_PARAMS: {
        const lr = cfg.numeric.lr;
        const no = fail(ERRORS.NOT_SUPPORTED, { imm: cs.code }, false);
        field(t, 0, 4);
        a.bne(t, imm(lr.hiddenShift + 256 * (lr.hiddenMul + 256 * (lr.outShift + 256 * lr.outMul))), no);
        field(b, 4, 4);
        a.call(seedLanes);
        return respond(cs.code, imm(0));
      }
      case O.NEW_EPOCH:
        a.call(step.entry.clear);
        return respond(cs.code, imm(0));
      case O.TRAIN:
        records(true, () => {
          const skip = L('train.nostep');
          a.call(step.entry.train);
          a.ld(t, 0, lay.at('win.count'), 1, false);
          a.bne(t, imm(P.B), skip);
          a.ld(t, 0, V.steps, 4, false);
          a.add(t, t, imm(1));
          a.st(t, 0, V.steps, 4);
          a.bind(skip);
        });
        return respond(cs.code, imm(0));
      case O.INFER:
        copyWords(satBase, V.satSave, satWords);
        a.li(t, V.cls);
        a.st(t, 0, V.q, 2);
        records(false, () => {
          a.call(step.entry.infer);
          a.ld(t, 0, lay.at('out.class'), 1, false);
          a.ld(b, 0, V.q, 2, false);
          a.st(t, b, 0, 1);
          a.add(b, b, imm(1));
          a.st(b, 0, V.q, 2);
        });
        copyWords(V.satSave, satBase, satWords);
        a.ld(t, 0, V.q, 2, false);
        a.sub(k, t, imm(V.cls));
        return respond(cs.code, k, () => a.with(1, (p) => {
          a.li(p, V.cls);
          putWords(p, k);
        }));
      case O.READ_COUNTERS:
        return respond(cs.code, imm(24 + 4 * QUANTITIES.length), () => a.with(3, (v, w, p) => {
          a.ld(v, 0, V.steps, 4, false);
          putLE(v, 8);
          putLE(0, 16); // busy and stalled cycles: none counted
          // per quantity: its high and low counts (satBase + 4q, + 4q + 2), summed
          a.li(p, satBase);
          a.loop(QUANTITIES.length, () => {
            a.ld(v, p, 0, 2, false);
            a.ld(w, p, 2, 2, false);
            a.add(v, v, w);
            putLE(v, 4);
            a.add(p, p, imm(4));
          });
        }));
      case O.LOAD_WEIGHTS:
        a.with(2, (off, p) => {
          field(off, 0, 4);
          a.li(p, buf + cs.header);
          weightSpan(off, k, (addr, stride) => {
            const wb = spec.wordBytes;
            a.li(b, 0);
            for (let i = wb - 1; i >= 0; i--) {
              a.shl(b, b, imm(8));
              a.ld(t, p, i, 1, false);
              a.or(b, b, t);
            }
            a.add(p, p, imm(wb));
            byStride(stride, (nw) => a.st(b, addr, 0, nw));
          });
        });
        return respond(cs.code, imm(0));
      case O.READ_WEIGHTS:
        a.with(2, (off, n) => {
          field(off, 0, 4);
          field(n, 4, 2);
          a.mul(rl, n, imm(spec.wordBytes));
          a.li(rop, cs.code | RESPONSE_BIT);
          a.call(respBegin);
          weightSpan(off, n, (addr, stride) => a.with(1, (v) => {
            byStride(stride, (nw) => a.ld(v, addr, 0, nw, true));
            putLE(v, spec.wordBytes);
          }));
          a.call(respEnd);
          a.b(hunt);
        });
        return;
      case O.LOAD_LFSR:
        a.with(3, (q, p, v) => {
          field(q, 0, 2);
          a.li(p, 0);
          a.loopReg(k, () => {
            field(v, cs.header, spec.lfsrBytes, p);
            a.and(v, v, imm(2 ** spec.lfsrWidth - 1));
            a.lfsrset(q, v);
            a.add(q, q, imm(1));
            a.add(p, p, imm(spec.lfsrBytes));
          });
        });
        return respond(cs.code, imm(0));
      case O.READ_LFSR:
        a.with(3, (q, n, v) => {
          field(q, 0, 2);
          field(n, 2, 2);
          a.mul(rl, n, imm(spec.lfsrBytes));
          a.li(rop, cs.code | RESPONSE_BIT);
          a.call(respBegin);
          a.loopReg(n, () => {
            a.lfsrget(v, q);
            putLE(v, spec.lfsrBytes);
            a.add(q, q, imm(1));
          });
          a.call(respEnd);
          a.b(hunt);
        });
        return;
      default:
        throw new Error(`ucore protocol: no handler for command ${cs.name}`);
    }
  }

  for (const cs of spec.commands) {
    a.bind(handlers.get(cs.code) as Label);
    emitChecks(cs);
    a.call(accept);
    emitCommand(cs);
    emitStubs();
    cut(cs.name);
  }

  // an empty response of opcode rop
  a.bind(respEmpty);
  a.li(rl, 0);
  a.call(respBegin);
  a.call(respEnd);
  a.b(hunt);

  // ---- the error frame: code ec, detail ed (u16), the request's opcode and tag as received
  a.bind(errorFE);
  bump(V.rejected, 1);
  a.bind(errorSend);
  a.li(rop, spec.errorOpcode);
  a.li(rl, 4);
  a.call(respBegin);
  a.mov(b, ec);
  a.call(putb);
  a.ld(b, 0, V.op, 1, false);
  a.call(putb);
  putLE(ed, 2);
  a.call(respEnd);
  a.b(hunt);

  // ---- subroutines: a response's header (opcode rop, length rl; tag from proto.tag), its bytes, its CRC
  a.bind(respBegin);
  a.li(b, SYNC[0]);
  a.send(b);
  a.li(b, SYNC[1]);
  a.send(b);
  a.ld(tag, 0, V.tag, 1, false);
  a.and(s1, rl, imm(0xff));
  a.shr(s2, rl, imm(8), 'floor');
  crc8Of([rop, tag, s1, s2]);
  a.li(c, spec.crc16.init);
  for (const v of [rop, tag, s1, s2, s3]) {
    a.mov(b, v);
    a.call(putb);
  }
  a.ret();
  // putb: sends b and runs it through the CRC-16; crcb: only the CRC
  a.bind(putb);
  a.send(b);
  a.bind(crcb);
  if (crcTables) crcStep(t);
  else if (crcMode === 'split') {
    // x = (c >> 8) ⊕ b; c ← c·2^8 (16 bits) ⊕ T_hi[x >> 4] ⊕ T_lo[x & 15]
    a.shr(t, c, imm(8), 'floor');
    a.xor(t, t, b);
    a.and(y, t, imm(15));
    a.shr(t, t, imm(4), 'floor');
    a.ld(t, t, R.crc16hi, 1, false);
    a.ld(y, y, R.crc16lo, 1, false);
    a.xor(t, t, y);
    a.shl(c, c, imm(8));
    a.and(c, c, imm(0xffff));
    a.xor(c, c, t);
  } else {
    a.shl(t, b, imm(8));
    a.xor(c, c, t);
    crcRounds(c, 16, spec.crc16.poly, t, y);
  }
  a.ret();
  if (!crcTables) {
    // crc8_bits: the 8 rounds of the CRC-8 on s3 (its byte XORed in)
    a.bind(crc8Bits);
    crcRounds(s3, 8, spec.crc8.poly, y, kq);
    a.ret();
  }
  // the subroutines below use only the held registers (a caller's own may be live across the call)
  // accept: a frame passed its checks; take_pixels: the record's pixels at proto.p into cur.u (x ← after them)
  a.bind(accept);
  a.ld(s1, 0, V.accepted, 2, false);
  a.add(s1, s1, imm(1));
  a.st(s1, 0, V.accepted, 2);
  a.ret();
  const countDown = (n: Reg, body: () => void): void => {
    const top = L('down');
    a.bind(top);
    body();
    a.dbnz(n, top);
  };
  a.bind(takePixels);
  a.ld(x, 0, V.p, 2, false);
  a.li(y, lay.at('cur.u'));
  a.li(s3, spec.pixels);
  countDown(s3, () => {
    a.ld(t, x, 0, 1, false);
    a.st(t, y, 0, 1);
    a.add(x, x, imm(1));
    a.add(y, y, imm(1));
  });
  a.st(x, 0, V.p, 2);
  a.ret();
  // getn: ed ← the ec ≥ 1 bytes at word address ed, little-endian; putn: the ec ≥ 1 low bytes of ed through putb
  a.bind(getn);
  a.add(s2, ed, ec);
  a.li(ed, 0);
  countDown(ec, () => {
    a.sub(s2, s2, imm(1));
    a.shl(ed, ed, imm(8));
    a.ld(s1, s2, 0, 1, false);
    a.or(ed, ed, s1);
  });
  a.ret();
  a.bind(putn);
  countDown(ec, () => {
    a.and(b, ed, imm(0xff));
    a.call(putb);
    a.shr(ed, ed, imm(8), 'floor');
  });
  a.ret();
  a.bind(respEnd);
  a.shr(b, c, imm(8), 'floor');
  a.send(b);
  a.and(b, c, imm(0xff));
  a.send(b);
  a.ret();

  // seed_lanes: lane q of weight layer l ← laneSeed(numeric.lfsr.seed, b, l, q) (b: the u32 seed)
  a.bind(seedLanes);
  {
    const h0 = mix32((P.numeric.lfsr.seed >>> 0) ^ 0x9e3779b9);
    const W = P.numeric.lfsr.width;
    const period = 2 ** W - 1;
    a.xor(x, b, imm(h0));
    a.call(mix);
    a.mov(s1, x); // h1
    a.li(lane, 0);
    // per weight layer l: ed ← (l + 1)·0xc2b2ae35 mod 2^32 (counted up), ec counts the layers down
    a.li(ed, 0);
    a.li(ec, P.L);
    /** acc ← acc + k mod 2^32 (the multiple (i + 1)·k of the i-th round), x ← mix32(h ⊕ acc) */
    const mixNext = (acc: Reg, k: number, h: Reg): void => {
      a.add(acc, acc, imm(k));
      a.and(acc, acc, imm(M32));
      a.xor(x, h, acc);
      a.call(mix);
    };
    countDown(ec, () => {
      mixNext(ed, 0xc2b2ae35, s1);
      a.mov(s2, x); // h2 of the layer
      a.li(kq, 0);
      a.li(s3, cfg.lanes);
      countDown(s3, () => {
        mixNext(kq, 0x27d4eb2f, s2);
        // x mod (2^W − 1) by folding, then + 1
        if (W < 32) {
          for (let f = 0; f < Math.ceil(32 / W) + 1; f++) {
            a.shr(y, x, imm(W), 'floor');
            a.and(x, x, imm(period));
            a.add(x, x, y);
          }
        }
        const lt = L('seed.lt');
        a.blt(x, imm(period), lt);
        a.sub(x, x, imm(period));
        a.bind(lt);
        a.add(x, x, imm(1));
        a.lfsrset(lane, x);
        a.add(lane, lane, imm(1));
      });
    });
    a.ret();
  }
  // mix32 of x (y clobbered)
  a.bind(mix);
  for (const [sh, m] of [[16, 0x21f0aaad], [15, 0x735a2d97]] as const) {
    a.shr(y, x, imm(sh), 'floor');
    a.xor(x, x, y);
    a.mul(x, x, imm(m));
    a.and(x, x, imm(M32));
  }
  a.shr(y, x, imm(15), 'floor');
  a.xor(x, x, y);
  a.ret();

  // reset: weights 0, lanes seeded with 0, the window cleared, saturation counters and steps 0
  a.bind(doReset);
  {
    const zero = (at: number, n: number): void => {
      a.li(x, at);
      a.li(s3, n);
      countDown(s3, () => {
        a.st(0, x, 0, 1);
        a.add(x, x, imm(1));
      });
    };
    // the parameters are one run of SPRAM (chipLayout: params.0 …, out.W, out.b)
    const lo = Math.min(...segs.map((g) => g.addr));
    const hi = Math.max(...segs.map((g) => g.addr + (g.end - g.start) * g.stride));
    if (segs.reduce((n, g) => n + (g.end - g.start) * g.stride, 0) !== hi - lo) throw new Error('ucore protocol: the parameters are not one run of memory');
    zero(lo, hi - lo);
    zero(satBase, satWords);
    a.st(0, 0, V.steps, 4);
  }
  a.li(b, 0);
  a.call(seedLanes);
  a.call(step.entry.clear);
  a.ret();

  cut('subroutines', romImgs.reduce((n, r) => n + r.words.length, 0));
  const program = a.finish();
  const images = [...step.images, ...romImgs.map((r) => ({ name: r.name, at: R[r.name], words: r.words }))];
  return { program, layout: lay, entry: { serve }, images, satBase, spec, sections, vector: o.vector ?? true };
}
