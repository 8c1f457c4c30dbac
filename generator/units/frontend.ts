/**
 * frontend(cfg, {timeoutCycles}): the chip's stream front end — one module `frontend`.
 *
 * Parses request frames of the command protocol (generator/protocol.ts, docs/protocol.md) from the input
 * byte stream, checks each one whole before anything leaves it, answers IDENTIFY / ECHO / LINK_STATUS /
 * RESET and every malformed frame itself, forwards verified commands to the controller and frames the
 * controller's replies on the output stream. Reference: host/protocol/frontend-model.ts (byte for byte).
 *
 * Ports (clk, rst synchronous active high):
 *   s_axis_in_tvalid/tready/tdata[8]/tlast     request bytes from the host. tlast is optional: a tlast on
 *                                              any byte but a frame's last cuts the frame (TRUNCATED)
 *   m_axis_out_tvalid/tready/tdata[8]/tlast    response frames; tlast on each frame's last byte
 *   m_axis_cmd_tvalid/tready/tdata[8]/tlast    to the controller: verified commands, each
 *                                              opcode, len lo, len hi, payload[len]; tlast on its last byte
 *   s_axis_rsp_tvalid/tready/tdata[8]/tlast    from the controller: one reply per command, in order:
 *                                              status (0 ok, else an error code ≥ 0x40), len lo, len hi,
 *                                              payload[len]. tlast is not needed (the length counts) and ignored
 *   chip_rst                                   1-cycle pulse after a RESET command's reply is framed:
 *                                              reset the controller and the units (not the front end)
 *
 * Interface to the controller (the "commit" rule): a command appears on m_axis_cmd only after its whole
 * frame was received into the payload buffer and passed the CRC, the length rule and every field check,
 * so the controller never sees a byte of a malformed frame; the tlast beat is the commit, there is no
 * abort. The controller must answer each command exactly once on s_axis_rsp; the front end frames that
 * reply (opcode | 0x80, or an error frame carrying the status as its code) with the request's tag. The
 * next command is forwarded only after the previous reply has been framed; meanwhile the next request is
 * received and checked, so the link and the controller overlap. A command is forwarded by the dispatcher from
 * its half of the payload buffer while the receiver takes the next request into the other half (so a stream of
 * TRAIN frames reaches the controller at the link's rate, not half of it); an answer of the front end's own
 * (error, IDENTIFY, ECHO, LINK_STATUS, RESET) waits until the dispatcher is done, so answers keep request order.
 *
 * Structure: the request bytes pass a skid buffer (skid_w10_l, which also carries the byte's two sync
 * compares); a receive FSM (hunt sync, header with CRC-8, payload, the two CRC-16 bytes, CHECK,
 * CHECK2, decide) whose decoded states are kept as flag registers beside it (stateFlags); a dispatcher
 * (a verified command's opcode and length copied, its payload read from its half of the buffer); a payload
 * stage one cycle behind it (buffer write into a MAX_PAYLOAD-byte buffer, record counters, field
 * captures and record checks on registered copies of the byte, its index and its fire); a transmit FSM
 * (one frame at a time from a job: error, identify ROM, buffer, link counters, empty, controller reply)
 * and two 4-deep output FIFOs (fifo_w8_d4_l) behind one-byte stages, so every stream output comes from a
 * register or a FIFO.
 *
 * Timing (iCE40 UP5K ≥ 48 MHz; bench/RESULTS.md "Boards"): every per-byte path starts and ends at a
 * register within a few LUT levels. The CRC-16 runs per byte (one XOR network of register and byte);
 * the verdict is pipelined instead: the field range checks are kept byte by byte as each field arrives
 * (8-bit compares), the header CRC byte is compared in the cycle after it (HCHK, the input pauses one
 * cycle), the check bits, the span sum, the length rule and the CRC-16 residue are registered during
 * the CRC bytes, CHECK and CHECK2, so DECIDE reads registers. Counters that end a phase (last payload
 * byte, last command byte, last reply byte, idle timeout, record end) are flags kept one step ahead.
 * The reply's header CRC-8 is one XOR network of its registers, its CRC-16 runs one byte behind the
 * pushed bytes and CW (a cycle without a byte before the CRC-16 bytes) lets it catch up; the identify
 * ROM is a block RAM of byte pairs read ahead, the register-held payload bytes (error fields, link
 * counters) leave through a shift register.
 *
 * Cycle counts (streams at full rate): a request of len payload bytes is taken in len + 10 cycles (one
 * pause after the header CRC byte). The first byte of a verified command on m_axis_cmd, or of the
 * front end's own answer, transfers 9 cycles after the request's last byte; then a byte per cycle
 * (3 + len command beats, the next request received meanwhile into the other half; n + 9 bytes for an answer of n
 * payload bytes, one cycle without a byte before its CRC-16). Pipelined ECHO frames of L bytes take
 * 2L + 25 cycles each (measured: 25, 57 and 1,595 for L = 0, 16, 785; bench/frontend.ts). An input gap of
 * `timeoutCycles` cycles inside a frame cuts it (TRUNCATED). Pipelined commands of L payload bytes that the
 * controller takes at once and answers within the next frame's bytes pass at the link's rate, about L + 10
 * cycles each (with one buffer they took 2L + 25: bench/chip.ts, one-record TRAIN frames, 1,596 cycles a
 * sample before 2026-12-01). Payload buffer: one block RAM of two halves of 2^⌈log2 MAX_PAYLOAD⌉ bytes (16 SB_RAM40_4K,
 * 2 RAMB36); identify ROM: one more (1 SB_RAM40_4K).
 */
import { ModuleBuilder, cat, constant, mux, select, uint, type Expr, type Module, type ProcScope, type Signal } from '../ir/index.js';
import { fifo } from '../lib/stream/fifo.js';
import { skidBuffer } from '../lib/stream/skid.js';
import { feedStream, instanceOutStream, streamIn, streamPortName } from '../lib/stream/bundle.js';
import { configHash, type ChipConfig } from '../config.js';
import {
  CRC16,
  CRC8,
  DEFAULT_TIMEOUT_CYCLES,
  ERRORS,
  ERROR_OPCODE,
  MAX_PAYLOAD,
  OPCODES,
  RESPONSE_BIT,
  SYNC,
  identifyBlock,
  protocolSpec,
  type CommandSpec,
  type FieldSpec,
} from '../protocol.js';

export interface FrontendOptions {
  /** Idle cycles inside a frame after which it is cut (default 2^24). */
  timeoutCycles?: number;
}

const k = (v: number | bigint, w: number): Expr => constant(v, uint(w));

/**
 * Next value of a non-reflected CRC register (MSB first, no final XOR) after one byte, as an XOR network:
 * each output bit is the parity of the input bits (register and byte) the serial algorithm folds into it.
 */
export function crcByteNext(crc: Expr, byte: Expr, poly: number): Expr {
  return crcBytesNext(crc, [byte], poly);
}

/** The same after several bytes (first byte first), still one XOR network over all the input bits. */
export function crcBytesNext(crc: Expr, bytes: readonly Expr[], poly: number): Expr {
  const w = crc.width;
  const n = w + 8 * bytes.length;
  // masks over the inputs: bits 0..w-1 the register, then 8 bits per byte
  let state: bigint[] = Array.from({ length: w }, (_, i) => 1n << BigInt(i));
  bytes.forEach((_, b) => {
    for (let j = 0; j < 8; j++) state[w - 8 + j] ^= 1n << BigInt(w + 8 * b + j);
    for (let step = 0; step < 8; step++) {
      const top = state[w - 1];
      const next: bigint[] = new Array<bigint>(w);
      for (let i = 0; i < w; i++) next[i] = (i === 0 ? 0n : state[i - 1]) ^ ((poly >> i) & 1 ? top : 0n);
      state = next;
    }
  });
  const all = cat(...[...bytes].reverse(), crc);
  const bits = state.map((mask) => all.and(constant(mask, uint(n))).xorReduce());
  return cat(...bits.reverse());
}

const RX = { HUNT: 0, SYNC1: 1, HDR: 2, HCRC: 3, PAY: 4, CRC0: 5, CRC1: 6, DECIDE: 7, REPORT: 8, REPLY: 9, WAITTX: 10, DISPWAIT: 11, RESETP: 13, CHECK: 14, HCHK: 15, CHECK2: 16 };
const TX = { IDLE: 0, RSPH: 1, S0: 2, S1: 3, OP: 4, TAG: 5, L0: 6, L1: 7, HC: 8, PAY: 9, CH: 10, CL: 11, CW: 12 };
const KIND = { ERR: 0, ROM: 1, BUF: 2, STATUS: 3, ACK: 4, CTRL: 5 };
const SEL = { REG: 0, BUF: 1, HCRC: 2, CRCH: 3, CRCL: 4 };
const QDEPTH = 4;

/** Header fields the front end checks: range-checked or used by the span check. */
function heldFields(c: CommandSpec) {
  return c.fields.filter(
    (f) => f.in === 'header' && (f.min > 0 || f.max < 2 ** (8 * f.bytes) - 1 || c.span?.offset === f.name || c.span?.count === f.name),
  );
}

/**
 * e > c or e < c for a constant c, byte by byte above 8 bits (short carry chains in parallel and
 * equalities instead of one long chain).
 */
function cmpConst(e: Expr, c: number, op: 'gt' | 'lt'): Expr {
  if (c >= 2 ** e.width) return k(op === 'lt' ? 1 : 0, 1);
  if (e.width <= 8) return op === 'gt' ? e.gt(c) : e.lt(c);
  const hi = e.slice(e.width - 1, 8);
  const lo = e.slice(7, 0);
  const cHi = Math.floor(c / 256);
  const cLo = c % 256;
  return cmpConst(hi, cHi, op).or(hi.eq(cHi).and(op === 'gt' ? lo.gt(cLo) : lo.lt(cLo)));
}

/**
 * offset + count > limit without a full-width sum: either operand above the limit decides it alone;
 * otherwise both fit in bits(limit) bits and their sum in one more (short carry chains for iCE40).
 */
function spanExceeds(m: ModuleBuilder, name: string, offset: Expr, count: Expr, offsetOver: Expr, countOver: Expr, limit: number, enable: Expr): Expr {
  const w = Math.max(1, Math.ceil(Math.log2(limit + 1)));
  const narrow = (e: Expr) => {
    if (e.width <= w) return e.zext(w);
    m.unused(e.slice(e.width - 1, w)); // the bits above decide through offsetOver / countOver
    return e.trunc(w);
  };
  // the narrow sum has a register stage of its own (span_sum_<command>_q), clocked with the verdict's stages
  return offsetOver.or(countOver).or(m.pipe(`span_sum_${name}_q`, narrow(offset).add(narrow(count)), { reset: 0, enable }).gt(limit));
}

/**
 * Decoded flags of a state register, kept as registers beside it: `goTo` writes the state and every
 * flag, so logic that tests a flag starts at a flip-flop instead of a state decode.
 */
function stateFlags<F extends string>(m: ModuleBuilder, state: Signal, prefix: string, resetState: number, preds: Record<F, (st: number) => boolean>) {
  const names = Object.keys(preds) as F[];
  const flag = Object.fromEntries(names.map((n) => [n, m.reg(`${prefix}_${n}_q`, uint(1), { reset: preds[n](resetState) ? 1 : 0 })])) as Record<F, Signal>;
  /** Next state: a state, or `cond ? a : b`. */
  const goTo = ($: ProcScope, a: number, cond?: Expr, b?: number) => {
    const pick = (x: number, y: number, w: number): Expr => (cond === undefined || b === undefined || x === y ? k(x, w) : mux(cond, k(x, w), k(y, w)));
    $.set(state, pick(a, b ?? a, state.width));
    for (const n of names) $.set(flag[n], pick(preds[n](a) ? 1 : 0, preds[n](b ?? a) ? 1 : 0, 1));
  };
  return { flag, goTo };
}

/**
 * Room for one more byte in an output queue (FIFO + its one-byte stage), registered: the bytes queued
 * or staged now plus the one issued now must be fewer than QDEPTH. The queue pops only, so this is
 * at most one cycle pessimistic, and the issue logic starts at a register.
 */
function queueRoom(m: ModuleBuilder, room: Signal, count: Expr, staged: Expr, issue: Expr): void {
  const held = count.add(staged);
  // the issue selects between two compares of registers (it is the latest-arriving input)
  m.next(room, mux(issue, held.lt(QDEPTH - 1), held.lt(QDEPTH)));
}

export function frontend(cfg: ChipConfig, opts: FrontendOptions = {}): Module {
  const timeoutCycles = opts.timeoutCycles ?? DEFAULT_TIMEOUT_CYCLES;
  if (!Number.isInteger(timeoutCycles) || timeoutCycles < 16 || timeoutCycles > 2 ** 31) {
    throw new RangeError(`frontend: timeoutCycles must be an integer in 16..2^31, got ${timeoutCycles}`);
  }
  const spec = protocolSpec(cfg);
  const identify = identifyBlock(cfg, timeoutCycles);
  // the identify ROM and the field checks follow from the configuration: its hash stands for them
  const m = new ModuleBuilder('frontend', { protocol: spec.version, config: configHash(cfg), maxPayload: MAX_PAYLOAD, timeoutCycles });
  m.clock();
  const IW = Math.ceil(Math.log2(MAX_PAYLOAD + 8)) + 1; // payload index / counts up to MAX_PAYLOAD + 2
  const AW = Math.ceil(Math.log2(MAX_PAYLOAD));
  const TW = Math.ceil(Math.log2(timeoutCycles + 1));

  const sInPort = streamIn(m, 'in', uint(8), { last: true });
  const sRsp = streamIn(m, 'rsp', uint(8), { last: true });
  const qMod = fifo(8, QDEPTH, { last: true });

  // ---- state -----------------------------------------------------------------------------------
  const rxState = m.reg('rx_state_q', uint(5), { reset: RX.HUNT });
  const txState = m.reg('tx_state_q', uint(4), { reset: TX.IDLE });
  const opQ = m.reg('op_q', uint(8), { reset: 0 });
  const tagQ = m.reg('tag_q', uint(8), { reset: 0 });
  const lenQ = m.reg('len_q', uint(16), { reset: 0 });
  const hdrAt = m.reg('hdr_at_q', uint(4), { reset: 1 }); // one-hot: which header byte comes next
  const got = m.reg('got_q', uint(16), { reset: 0 });
  const idx = m.reg('idx_q', uint(IW), { reset: 0 });
  const recPos = m.reg('rec_pos_q', uint(IW), { reset: 0 });
  // "rec_pos_q is the record's last byte", kept across its advance
  const recEnd = m.reg('rec_end_q', uint(1), { reset: 0 });
  const recCnt = m.reg('rec_cnt_q', uint(IW), { reset: 0 });
  const crc8 = m.reg('rx_crc8_q', uint(8), { reset: 0 });
  const crc16 = m.reg('rx_crc16_q', uint(16), { reset: CRC16.init });
  const errCode = m.reg('err_code_q', uint(8), { reset: 0 });
  const errDetail = m.reg('err_detail_q', uint(16), { reset: 0 });
  const timer = m.reg('idle_timer_q', uint(TW), { reset: 0 });
  // the dispatcher: forwards a verified command from its half of the payload buffer (disp_bank_q) while the
  // receiver takes the next frame into the other half (rx_bank_q); its opcode and length are its own copies
  const dActive = m.reg('disp_active_q', uint(1), { reset: 0 });
  const dBank = m.reg('disp_bank_q', uint(1), { reset: 0 });
  const wBank = m.reg('rx_bank_q', uint(1), { reset: 0 });
  const dOp = m.reg('disp_op_q', uint(8), { reset: 0 });
  const dLen = m.reg('disp_len_q', uint(16), { reset: 0 });
  const disp = m.reg('disp_idx_q', uint(IW), { reset: 0 });
  // disp − 3, the buffer address of the payload byte dispatched (a counter beside disp: no subtractor)
  const dispAddr = m.reg('disp_addr_q', uint(AW), { reset: 0 });
  const accepted = m.reg('accepted_q', uint(32), { reset: 0 });
  const rejected = m.reg('rejected_q', uint(32), { reset: 0 });
  const dropped = m.reg('dropped_q', uint(32), { reset: 0 });

  // decoded state flags (registers): the input's ready and the payload-byte enables start at a flip-flop
  const { flag, goTo } = stateFlags(m, rxState, 'rx', RX.HUNT, {
    open: (st) => st <= RX.CRC1,
    pay: (st) => st === RX.PAY,
    hunting: (st) => st === RX.HUNT || st === RX.SYNC1,
    hdr: (st) => st === RX.HDR,
    header: (st) => st === RX.HDR || st === RX.HCRC,
    report: (st) => st === RX.REPORT,
    dispwait: (st) => st === RX.DISPWAIT,
    answering: (st) => st === RX.REPORT || st === RX.REPLY || st === RX.DISPWAIT,
    // the CRC-16 bytes and the two check cycles: the verdict's register stages work only here
    verdict: (st) => st === RX.CRC0 || st === RX.CRC1 || st === RX.CHECK || st === RX.CHECK2,
  });
  // inside a frame's bytes (the idle timer runs): open and not hunting (HCHK's paused cycle restarts it)
  const receiving = m.wire('receiving', flag.open.and(flag.hunting.not()));
  const inReady = m.wire('in_ready', flag.open);
  // request bytes pass a skid buffer first: every per-byte path starts at a register, and the input's
  // tready is a register too (one cycle of latency, full rate)
  // tracks the byte's two sync compares beside it (bits 8, 9)
  const inSkid = m.instance('in_skid', skidBuffer(10, { last: true }), {
    ...feedStream('in', { valid: sInPort.valid, data: cat(sInPort.data.eq(SYNC[1]), sInPort.data.eq(SYNC[0]), sInPort.data), last: sInPort.last as Signal }),
    [streamPortName('out', 'out', 'tready')]: inReady,
  });
  m.assign(sInPort.ready, inSkid.out(streamPortName('in', 'in', 'tready')));
  const sIn = instanceOutStream(inSkid, 'out');
  const inFire = m.wire('in_fire', sIn.valid.and(inReady));
  const byte = m.wire('in_byte', sIn.data.slice(7, 0));
  const isSync0 = sIn.data.bit(8);
  const isSync1 = sIn.data.bit(9);
  const inLast = sIn.last as Signal;
  const tx = stateFlags(m, txState, 'tx', TX.IDLE, {
    idle: (st) => st === TX.IDLE,
    emitting: (st) => st >= TX.S0 && st !== TX.CW,
    pay: (st) => st === TX.PAY,
    rsph: (st) => st === TX.RSPH,
  });
  const txIdle = tx.flag.idle;
  // a new answer (and its transmit job) starts once the previous one is framed and no command is being forwarded:
  // answers leave in request order, and the buffer's read port is the dispatcher's until it is done
  const txFree = m.wire('tx_free', txIdle.and(dActive.not()));

  // ---- per-command constants, decoded from the opcode ---------------------------------------------
  // Two register stages: one flag per command (op_q is its opcode), then each constant as an AND-OR of
  // the flags. op_q is written by the first header byte, and the first use (in PAY) comes at least four
  // input bytes later, so the decode is off the per-byte paths.
  // Both stages take a new value only in the cycle after the one before it changed (op_changed_q, then
  // cmd_flags_changed_q): the same registers with a clock enable, which a simulator skips while the link is idle.
  const opChange = m.wire('op_change', uint(1));
  const opChanged = m.pipe('op_changed_q', opChange, { reset: 1 });
  const flagsChanged = m.pipe('cmd_flags_changed_q', opChanged, { reset: 1 });
  const isCmd = new Map(spec.commands.map((c) => [c.name, m.pipe(`cmd_is_${c.name.toLowerCase()}_q`, opQ.eq(c.code), { reset: 0, enable: opChanged })]));
  const is = (c: CommandSpec) => isCmd.get(c.name) as Signal;
  const isOp = (name: CommandSpec['name']) => isCmd.get(name) as Signal;
  const constant_ = (name: string, w: number, value: (c: CommandSpec) => number, dflt = 0) =>
    m.pipe(
      `cmd_${name}_q`,
      spec.commands.reduce<Expr>((acc, c) => (value(c) === dflt ? acc : mux(is(c), k(value(c) ^ dflt, w), k(0, w)).or(acc)), k(0, w)).xor(k(dflt, w)),
      { reset: dflt, enable: flagsChanged },
    );
  const known = m.pipe('cmd_known_q', spec.commands.map(is).reduce<Expr>((a, b) => a.or(b), k(0, 1)), { reset: 0, enable: flagsChanged });
  const curHeader = constant_('header', IW, (c) => c.header);
  const curHeaderM1 = constant_('header_m1', IW, (c) => Math.max(c.header - 1, 0));
  const curRecM2 = constant_('record_m2', IW, (c) => Math.max(c.record - 2, 0));
  const curRecOne = constant_('record_one', 1, (c) => (c.record <= 1 ? 1 : 0));
  const curNoRec = constant_('no_records', 1, (c) => (c.record === 0 ? 1 : 0), 1);
  const curMin = constant_('min_records', IW, (c) => c.minRecords);
  const curMax = constant_('max_records', IW, (c) => c.maxRecords);

  // ---- field checks ------------------------------------------------------------------------------
  const payFire = m.wire('pay_fire', inFire.and(flag.pay).and(inLast.not()));
  // The payload stage runs one cycle behind the receive FSM, on registered copies of the payload byte,
  // its index and its fire (few and short paths start at the input): the buffer write, the record
  // counters, the field captures and the record checks. Only idx (and the last-byte flag) advance with
  // the FSM.
  const payD = m.pipe('pay_d_q', payFire, { reset: 0 });
  const byteD = m.pipe('pay_byte_d_q', byte, { reset: 0 });
  const idxD = m.pipe('pay_idx_d_q', idx, { reset: 0 });
  // idx ≥ the command's header bytes, kept as a flag (set at HCRC, raised by the last header byte)
  const inRecords = m.reg('in_records_q', uint(1), { reset: 0 });
  const recBad = m.reg('rec_bad_q', uint(1), { reset: 0 });
  const recBadOff = m.reg('rec_bad_off_q', uint(IW), { reset: 0 });
  // the values of the fields the span check adds (the range checks keep only their compares)
  const held = new Map<string, Signal>();
  const fieldName = (c: CommandSpec, f: FieldSpec) => `f_${c.name.toLowerCase()}_${f.name.toLowerCase()}`;
  for (const c of spec.commands) {
    for (const f of heldFields(c)) {
      if (c.span?.offset === f.name || c.span?.count === f.name) held.set(`${c.name}.${f.name}`, m.reg(`${fieldName(c, f)}_q`, uint(8 * f.bytes), { reset: 0 }));
    }
  }
  const recordChecks = spec.commands.flatMap((c) => c.fields.filter((f) => f.in === 'record').map((f) => ({ c, f })));
  const payIdx = m.pipe('pay_idx_q', idxD, { reset: 0 });
  // Each held field's compares with the constants the checks need (range, span limit), kept byte by
  // byte as the field arrives (little-endian: a byte decides unless it equals the constant's byte, then
  // the less significant bytes decide): 8-bit compares instead of full-width ones after the payload.
  const fieldCmp = new Map<string, Expr>();
  const cmpKey = (c: CommandSpec, f: string, op: 'gt' | 'lt', v: number) => `${c.name}.${f}.${op}.${v}`;
  // "the payload stage's byte is at index j" for the few header indexes fields use, registered beside idxD
  const atIndex = new Map<number, Signal>();
  const at = (j: number) => {
    if (!atIndex.has(j)) atIndex.set(j, m.pipe(`pay_at${j}_q`, idx.eq(j), { reset: 0 }));
    return atIndex.get(j) as Signal;
  };
  m.seq('fields', ($) => {
    // (the captures test the payload stage's fire once: a simulator skips them between payload bytes)
    $.if(payD, () => captures($));
    $.if(rxState.eq(RX.HCRC), () => $.set(recBad, 0));
    for (const { c, f } of recordChecks) {
      const outs = [...(f.min > 0 ? [byteD.lt(f.min)] : []), ...(f.max < 255 ? [byteD.gt(f.max)] : [])];
      if (outs.length === 0) continue;
      const out = outs.reduce((a, b) => a.or(b));
      // one cycle late: the byte's verdict is registered first, the first bad one kept
      const hit = m.pipe(`rec_chk_${c.name.toLowerCase()}_${f.name.toLowerCase()}_q`, payD.and(inRecords).and(is(c)).and(recPos.eq(f.offset)).and(out), { reset: 0 });
      $.if(hit.and(recBad.not()), () => {
        $.set(recBad, 1);
        $.set(recBadOff, payIdx);
      });
    }
  });
  function captures($: ProcScope): void {
    for (const c of spec.commands) {
      for (const f of heldFields(c)) {
        const r = held.get(`${c.name}.${f.name}`);
        const cmps: ['gt' | 'lt', number][] = [];
        if (f.min > 0) cmps.push(['lt', f.min]);
        if (f.max < 2 ** (8 * f.bytes) - 1) cmps.push(['gt', f.max]);
        if (c.span && (c.span.offset === f.name || c.span.count === f.name) && !cmps.some(([op, v]) => op === 'gt' && v === c.span?.limit)) cmps.push(['gt', c.span.limit]);
        const cmpRegs = cmps.map(([op, v], i) => {
          if (v >= 2 ** (8 * f.bytes)) return { op, v, reg: null };
          const reg = m.reg(`${fieldName(c, f)}_${op}${i}_q`, uint(1), { reset: 0 });
          return { op, v, reg };
        });
        for (const { op, v, reg } of cmpRegs) fieldCmp.set(cmpKey(c, f.name, op, v), reg ?? k(op === 'lt' ? 1 : 0, 1));
        for (let j = 0; j < f.bytes; j++) {
          const hit = is(c).and(at(f.offset + j));
          $.if(hit, () => {
            // little-endian: shift right, the new byte on top; after `bytes` bytes the value is in place
            if (r) $.set(r, f.bytes === 1 ? byteD : cat(byteD, r.slice(8 * f.bytes - 1, 8)));
            for (const { op, v, reg } of cmpRegs) {
              if (!reg) continue;
              const cj = Math.floor(v / 256 ** j) % 256;
              const never = op === 'gt' ? cj === 255 : cj === 0;
              const decided = never ? k(0, 1) : op === 'gt' ? byteD.gt(cj) : byteD.lt(cj);
              $.set(reg, j === 0 ? decided : decided.or(byteD.eq(cj).and(reg)));
            }
          });
        }
      }
    }
  }

  // ---- the verdict, in two register stages --------------------------------------------------------
  // Every input of the verdict (held fields, record checks, record count and position, length, opcode)
  // is final once the last payload byte is taken (or at HCRC for an empty payload), and the two CRC-16
  // bytes take at least one cycle each before DECIDE. So the verdict's stages take a value in those cycles
  // (CRC0 … CHECK2, the rx_verdict_q flag), one stage per cycle: the span sums (span_sum_<command>_q), stage 1
  // every check's bit (chk_<command>_q) and the length compares (len_cmp_q), stage 2 the first failing check
  // of the command and its offset (range_bad_q, range_off_q) and the length rule (len_ok_q); at DECIDE they
  // hold the verdict of the whole frame, with no added latency (and a simulator skips them outside those cycles).
  let rangeBad: Expr = k(0, 1);
  let rangeOff: Expr = k(0, IW);
  for (const c of [...spec.commands].reverse()) {
    const checks: { bad: Expr; off: number | Expr }[] = [];
    const value = (name: string) => held.get(`${c.name}.${name}`) as Signal;
    for (const f of heldFields(c)) {
      const conds: Expr[] = [];
      if (f.min > 0) conds.push(fieldCmp.get(cmpKey(c, f.name, 'lt', f.min)) as Expr);
      if (f.max < 2 ** (8 * f.bytes) - 1) conds.push(fieldCmp.get(cmpKey(c, f.name, 'gt', f.max)) as Expr);
      if (conds.length) checks.push({ bad: conds.reduce((a, b) => a.or(b)), off: f.offset });
    }
    if (c.span) {
      const { offset, count, limit } = c.span;
      const over = (name: string) => fieldCmp.get(cmpKey(c, name, 'gt', limit)) as Expr;
      const countValue = count === 'records' ? recCnt : value(count);
      const countOver = count === 'records' ? cmpConst(recCnt, limit, 'gt') : over(count);
      const offField = c.fields.find((f) => f.name === offset) as { offset: number };
      checks.push({ bad: spanExceeds(m, c.name.toLowerCase(), value(offset), countValue, over(offset), countOver, limit, flag.verdict), off: offField.offset });
    }
    if (checks.length === 0 && !c.fields.some((f) => f.in === 'record')) continue;
    // stage 1: the check bits, first check in bit 0
    const bits = checks.length ? m.pipe(`chk_${c.name.toLowerCase()}_q`, cat(...checks.map((ch) => ch.bad).reverse()), { reset: 0, enable: flag.verdict }) : null;
    const staged = checks.map((ch, i) => ({ bad: (bits as Signal).bit(i), off: ch.off }));
    if (c.fields.some((f) => f.in === 'record')) staged.push({ bad: recBad, off: recBadOff });
    let bad: Expr = k(0, 1);
    let off: Expr = k(0, IW);
    for (const ch of staged.reverse()) {
      off = mux(ch.bad, typeof ch.off === 'number' ? k(ch.off, IW) : ch.off, off);
      bad = ch.bad.or(bad);
    }
    // AND-OR over the commands (one flag at most is set)
    rangeOff = is(c).repeat(IW).and(off).or(rangeOff);
    rangeBad = is(c).and(bad).or(rangeBad);
  }
  // stage 2
  const rangeBadW = m.pipe('range_bad_q', rangeBad, { reset: 0, enable: flag.verdict });
  const rangeOffW = m.pipe('range_off_q', rangeOff, { reset: 0, enable: flag.verdict });
  // the length rule in two stages too: its compares (len_cmp_q), then their combination
  const lenCmp = m.pipe('len_cmp_q', cat(lenQ.ge(curHeader), lenQ.eq(curHeader), recPos.eq(0), recCnt.ge(curMin), recCnt.le(curMax)), { reset: 0, enable: flag.verdict });
  const lenOk = m.pipe('len_ok_q', known.and(lenCmp.bit(4)).and(mux(curNoRec, lenCmp.bit(3), lenCmp.slice(2, 0).andReduce())), { reset: 0, enable: flag.verdict });
  const feOp = m.wire('fe_op', spec.commands.filter((c) => c.handler === 'frontend').map(is).reduce<Expr>((a, b) => a.or(b), k(0, 1)));

  // ---- payload buffer ----------------------------------------------------------------------------
  // two halves: the receiver writes its frame into rx_bank_q's while the dispatcher reads the other
  const buf = m.memory('payload_buf', { depth: 2 ** (AW + 1), type: uint(8) });
  buf.write(cat(wBank, idxD.trunc(AW)), byteD, payD);

  // ---- receive FSM -------------------------------------------------------------------------------
  const cmdQCount = m.wire('cmd_fill', uint(3));
  const outQCount = m.wire('out_fill', uint(3));
  const cmdStgValid = m.reg('cmd_stg_valid_q', uint(1), { reset: 0 });
  const cmdStgBuf = m.reg('cmd_stg_buf_q', uint(1), { reset: 0 });
  const cmdStgData = m.reg('cmd_stg_data_q', uint(8), { reset: 0 });
  const cmdStgLast = m.reg('cmd_stg_last_q', uint(1), { reset: 0 });
  const cmdRoom = m.reg('cmd_room_q', uint(1), { reset: 1 });
  const cmdIssue = m.wire('cmd_issue', dActive.and(cmdRoom));
  queueRoom(m, cmdRoom, cmdQCount, cmdStgValid, cmdIssue);
  // "disp is the last command byte (len + 2)", kept across disp's advance (disp is 0 on entry, never
  // the last); lenQ + 1 registered: lenQ is final long before DISPATCH
  const dispEnd = m.reg('disp_end_q', uint(1), { reset: 0 });
  const lenP1 = m.reg('disp_len_p1_q', uint(17), { reset: 0 });
  m.next(dispEnd, dActive.and(mux(cmdIssue, disp.zext(17).eq(lenP1), dispEnd)));
  // "the idle timer is at timeoutCycles − 1", registered one count ahead (the compare is off the path)
  const timerAtEnd = m.reg('idle_timer_end_q', uint(1), { reset: 0 });
  const timeout = m.wire('timeout', receiving.and(inFire.not()).and(timerAtEnd));
  // the CRC steps are written where the registers take them (rx_frame below), not as wires: a simulator then
  // forms the XOR networks only in cycles that take a byte
  // the header's CRC byte and length, judged in HCHK (the cycle after the CRC byte, input paused) from
  // registers: the compare is off the state logic
  const hdrCrcBad = m.pipe('hdr_crc_bad_q', byte.ne(crc8), { reset: 0 });
  const lenBig = m.pipe('len_big_q', lenQ.gt(MAX_PAYLOAD), { reset: 0 });
  // the frame's CRC-16 residue is final in CHECK (after the last CRC byte); its zero test registered
  const crcOk = m.pipe('rx_crc_ok_q', crc16.eq(0), { reset: 0, enable: flag.verdict });

  // "the payload byte at idx is the last", kept across idx's advance (idx is 0 in the header, and holds
  // in HCHK); lenQ − 2 registered: lenQ is final at HCRC, this is used from the first payload byte on
  const lenM2 = m.pipe('len_m2_q', lenQ.subWrap(2), { reset: 0 });
  const payLast = m.reg('pay_last_q', uint(1), { reset: 0 });
  m.next(payLast, mux(flag.header, lenQ.eq(1), mux(payFire, idx.zext(16).eq(lenM2), payLast)));

  // A failure moves the receive FSM to REPORT; the error's code and detail are written in every cycle
  // outside REPORT with the answer the failure of that cycle would give (so their enable is the state
  // alone, not the failure conditions), and held through REPORT.
  const fail = ($: ProcScope) => goTo($, RX.REPORT);
  const hdrLast = hdrAt.bit(3);
  m.seq('err', ($) => {
    const set = (code: number, detail: Expr | number) => {
      $.set(errCode, code);
      $.set(errDetail, detail);
    };
    // (failures happen in DECIDE, HCHK and the frame's open states, where the input fires: the other states
    // hold the registers, which REPORT's transmit start reads)
    $.if(rxState.eq(RX.DECIDE), () => {
      $.if(crcOk.not(), () => set(ERRORS.BAD_CRC, 0))
        .elseIf(known.not(), () => set(ERRORS.UNKNOWN_OPCODE, opQ.zext(16)))
        .elseIf(lenOk.not(), () => set(ERRORS.BAD_LENGTH, lenQ))
        .else(() => set(ERRORS.OUT_OF_RANGE, rangeOffW.zext(16)));
    })
      .elseIf(rxState.eq(RX.HCHK), () => {
        $.if(hdrCrcBad, () => set(ERRORS.HEADER_CRC, 0)).else(() => set(ERRORS.BAD_LENGTH, lenQ));
      })
      .elseIf(flag.open, () => {
        $.if(inFire.and(inLast).and(rxState.ne(RX.CRC1)), () => set(ERRORS.TRUNCATED, got.addWrap(1))).else(() => set(ERRORS.TRUNCATED, got));
      });
  });

  m.seq('rx', ($) => {
    $.switch(rxState)
      .case([RX.HUNT, RX.SYNC1], () => {
        $.if(rxState.eq(RX.HUNT), () => {
          $.if(inFire.and(isSync0), () => goTo($, RX.SYNC1));
        }).elseIf(inFire, () => {
          $.if(isSync1, () => goTo($, RX.HDR)).elseIf(isSync0.not(), () => goTo($, RX.HUNT));
        });
      })
      .case([RX.HDR, RX.HCRC, RX.PAY, RX.CRC0, RX.CRC1], () => {
        $.if(inFire, () => {
          $.if(inLast.and(rxState.ne(RX.CRC1)), () => fail($)).else(() => {
            $.switch(rxState)
              .case(RX.HDR, () => {
                $.if(hdrLast, () => goTo($, RX.HCRC));
              })
              .case(RX.HCRC, () => goTo($, RX.HCHK))
              .case(RX.PAY, () => {
                $.if(payLast, () => goTo($, RX.CRC0));
              })
              .case(RX.CRC0, () => goTo($, RX.CRC1))
              .case(RX.CRC1, () => goTo($, RX.CHECK));
          });
        }).elseIf(timeout, () => fail($));
      })
      .case(RX.HCHK, () => {
        $.if(hdrCrcBad.or(lenBig), () => fail($)).else(() => goTo($, RX.CRC0, lenQ.eq(0), RX.PAY));
      })
      .case(RX.CHECK, () => goTo($, RX.CHECK2))
      .case(RX.CHECK2, () => goTo($, RX.DECIDE))
      .case(RX.DECIDE, () => {
        $.if(crcOk.not().or(known.not()).or(lenOk.not()).or(rangeBadW), () => fail($)).else(() => goTo($, RX.REPLY, feOp, RX.DISPWAIT));
      })
      .case(RX.REPORT, () => {
        $.if(txFree, () => goTo($, RX.HUNT));
      })
      .case(RX.REPLY, () => {
        $.if(txFree, () => goTo($, RX.HUNT, isOp('IDENTIFY'), RX.WAITTX));
      })
      .case(RX.WAITTX, () => {
        $.if(txIdle, () => goTo($, RX.RESETP, isOp('RESET'), RX.HUNT));
      })
      .case(RX.DISPWAIT, () => {
        // the command goes to the dispatcher (its reply framed after the previous one's), and the receiver on to
        // the next frame, into the other half of the buffer
        $.if(txFree, () => goTo($, RX.HUNT));
      })
      .default(() => goTo($, RX.HUNT));
  });

  // The frame's registers, apart from the state logic (each on its own flag and the byte's fire):
  // header fields and CRCs start over in every hunting cycle (the transmit side took op and tag at its
  // start), the payload counters in every header cycle
  const hdrFire = inFire.and(flag.hdr).and(inLast.not());
  // op_q changes: cleared while hunting (when not 0 already), or written by the opcode byte
  m.assign(opChange, flag.hunting.and(opQ.ne(0)).or(hdrFire.and(hdrAt.bit(0))));
  m.seq('rx_frame', ($) => {
    $.if(flag.hunting, () => {
      $.set(hdrAt, 1);
      $.set(got, 0);
      $.set(opQ, 0);
      $.set(tagQ, 0);
      $.set(crc8, CRC8.init);
      $.set(crc16, CRC16.init);
    }).elseIf(inFire, () => {
      $.set(got, got.addWrap(1));
      $.set(crc16, crcByteNext(crc16, byte, CRC16.poly));
    });
    $.if(hdrFire, () => {
      $.set(crc8, crcByteNext(crc8, byte, CRC8.poly));
      $.set(hdrAt, cat(hdrAt.slice(2, 0), hdrAt.bit(3)));
      $.if(hdrAt.bit(0), () => $.set(opQ, byte));
      $.if(hdrAt.bit(1), () => $.set(tagQ, byte));
      $.if(hdrAt.bit(2), () => $.set(lenQ, cat(lenQ.slice(15, 8), byte)));
      $.if(hdrAt.bit(3), () => $.set(lenQ, cat(byte, lenQ.slice(7, 0))));
    });
  });
  m.seq('rx_payload', ($) => {
    $.if(flag.header, () => $.set(idx, 0)).elseIf(payFire, () => $.set(idx, idx.addWrap(1)));
  });
  m.seq('rx_records', ($) => {
    $.if(flag.header, () => {
      $.set(recPos, 0);
      $.set(recEnd, curRecOne);
      $.set(recCnt, 0);
      $.set(inRecords, curHeader.eq(0));
    }).elseIf(payD, () => {
      $.if(idxD.eq(curHeaderM1), () => $.set(inRecords, 1));
      $.if(inRecords, () => {
        $.if(recEnd, () => {
          $.set(recPos, 0);
          $.set(recEnd, curRecOne);
          $.set(recCnt, recCnt.addWrap(1));
        }).else(() => {
          $.set(recPos, recPos.addWrap(1));
          $.set(recEnd, recPos.eq(curRecM2));
        });
      });
    });
  });

  m.seq('idle_timer', ($) => {
    const counting = receiving.and(inFire.not()).and(timeout.not());
    $.if(counting, () => $.set(timer, timer.addWrap(1))).else(() => $.set(timer, 0));
    $.set(timerAtEnd, counting.and(timer.eq(timeoutCycles - 2)));
  });

  // the counters add what the previous cycle counted (registered events: the 32-bit adders and their
  // enables start at registers); LINK_STATUS reads them at least seven cycles after its own DECIDE
  const acceptedEv = m.pipe('accepted_ev_q', rxState.eq(RX.DECIDE).and(crcOk).and(known).and(lenOk).and(rangeBadW.not()), { reset: 0 });
  const rejectedEv = m.pipe('rejected_ev_q', flag.report.and(txFree), { reset: 0 });
  const huntDrop = inFire.and(rxState.eq(RX.HUNT)).and(isSync0.not());
  const syncDrop1 = inFire.and(rxState.eq(RX.SYNC1)).and(isSync0);
  const syncDrop2 = inFire.and(rxState.eq(RX.SYNC1)).and(isSync1.not());
  const droppedEv = m.pipe('dropped_ev_q', mux(huntDrop.or(syncDrop1), k(1, 2), mux(syncDrop2, k(2, 2), k(0, 2))), { reset: 0 });
  m.seq('link_counters', ($) => {
    $.if(acceptedEv, () => $.set(accepted, accepted.addWrap(1)));
    $.if(rejectedEv, () => $.set(rejected, rejected.addWrap(1)));
    $.if(droppedEv.ne(0), () => $.set(dropped, dropped.addWrap(droppedEv.zext(32))));
  });

  m.output('chip_rst', rxState.eq(RX.RESETP));

  // ---- dispatcher: a verified command's bytes → command stage → command FIFO -----------------------
  m.seq('dispatcher', ($) => {
    $.if(flag.dispwait.and(txFree), () => {
      $.set(dActive, 1);
      $.set(dBank, wBank);
      $.set(wBank, wBank.not());
      $.set(dOp, opQ);
      $.set(dLen, lenQ);
      $.set(lenP1, lenQ.add(1));
      $.set(disp, 0);
      $.set(dispAddr, 2 ** AW - 3);
    }).elseIf(cmdIssue, () => {
      $.set(disp, disp.addWrap(1));
      $.set(dispAddr, dispAddr.addWrap(1));
      $.if(dispEnd, () => $.set(dActive, 0));
    });
  });
  m.seq('cmd_stage', ($) => {
    $.set(cmdStgValid, cmdIssue);
    $.if(cmdIssue, () => {
      $.set(cmdStgBuf, disp.ge(3));
      $.set(cmdStgData, select(disp.slice(1, 0), [dOp, dLen.slice(7, 0), dLen.slice(15, 8)], k(0, 8)));
      $.set(cmdStgLast, dispEnd);
    });
  });

  // ---- transmit FSM ------------------------------------------------------------------------------
  const kind = m.reg('tx_kind_q', uint(3), { reset: 0 });
  const txOp = m.reg('tx_op_q', uint(8), { reset: 0 });
  const txTag = m.reg('tx_tag_q', uint(8), { reset: 0 });
  const txReqOp = m.reg('tx_req_op_q', uint(8), { reset: 0 });
  const txLen = m.reg('tx_len_q', uint(16), { reset: 0 });
  const txIdx = m.reg('tx_idx_q', uint(16), { reset: 0 });
  const txCode = m.reg('tx_code_q', uint(8), { reset: 0 });
  const txDetail = m.reg('tx_detail_q', uint(16), { reset: 0 });
  const rspHdr = m.reg('rsp_hdr_idx_q', uint(2), { reset: 0 });
  const txCrc16 = m.reg('tx_crc16_q', uint(16), { reset: CRC16.init });
  const stgValid = m.reg('stg_valid_q', uint(1), { reset: 0 });
  const stgSel = m.reg('stg_sel_q', uint(3), { reset: 0 });
  const stgData = m.reg('stg_data_q', uint(8), { reset: 0 });
  const stgLast = m.reg('stg_last_q', uint(1), { reset: 0 });
  const stgC16 = m.reg('stg_crc16_q', uint(1), { reset: 0 });
  const stgInit = m.reg('stg_init_q', uint(1), { reset: 0 });

  const txStart = m.wire('tx_start', txFree.and(flag.answering));
  const feKind = select(
    opQ.slice(1, 0),
    [k(KIND.ACK, 3), k(KIND.ROM, 3), k(KIND.BUF, 3), k(KIND.STATUS, 3)],
  );
  if ((OPCODES.IDENTIFY & 3) !== 1 || (OPCODES.ECHO & 3) !== 2 || (OPCODES.LINK_STATUS & 3) !== 3) {
    // the two low opcode bits pick the job; RESET is told apart by the mux below
    throw new Error('frontend: front-end opcodes no longer decode by their two low bits');
  }
  const startKind = m.wire(
    'tx_start_kind',
    mux(flag.report, k(KIND.ERR, 3), mux(flag.dispwait, k(KIND.CTRL, 3), mux(isOp('RESET'), k(KIND.ACK, 3), feKind))),
  );
  const startLen = m.wire(
    'tx_start_len',
    select(startKind, [k(4, 16), k(identify.length, 16), lenQ, k(12, 16), k(0, 16), k(0, 16)], k(0, 16)),
  );

  const rspStatus = m.reg('rsp_status_q', uint(8), { reset: 0 });
  // payload bytes that come from the controller's reply: all of an ok reply's, an error reply's from the
  // third on (status and request opcode first). From registers: the kind and the status are final long
  // before PAY, and txIdx ≥ 2 is tracked across the advance (txIdx resets to 0 in IDLE)
  const txAdvance = m.wire('tx_advance', uint(1));
  const pastTwo = m.reg('tx_past_two_q', uint(1), { reset: 0 });
  // txIdx only counts up from 0 within a frame: it passes 2 when it advances from a non-zero index
  m.next(pastTwo, txIdle.not().and(pastTwo.or(txAdvance.and(txIdx.ne(0)))));
  const isCtrl = m.pipe('tx_ctrl_q', kind.eq(KIND.CTRL), { reset: 0 });
  const rspOk = m.pipe('rsp_ok_q', rspStatus.eq(0), { reset: 0 });
  const needsRsp = m.wire('needs_rsp', isCtrl.and(rspOk.or(pastTwo)));
  const outRoom = m.reg('out_room_q', uint(1), { reset: 1 });
  const emitting = tx.flag.emitting;
  const rspReady = m.wire('rsp_ready', tx.flag.rsph.or(tx.flag.pay.and(needsRsp).and(outRoom)));
  m.assign(sRsp.ready, rspReady);
  const rspFire = m.wire('rsp_fire', sRsp.valid.and(rspReady));
  const txIssue = m.wire('tx_issue', emitting.and(outRoom).and(tx.flag.pay.not().or(needsRsp.not()).or(sRsp.valid)));
  queueRoom(m, outRoom, outQCount, stgValid, txIssue);
  // "txIdx is the last payload byte", kept across txIdx's advance (txIdx is 0 before PAY); txLen − 1 and
  // − 2 registered: txLen is final at least six cycles (S0 … HC) before the first payload byte
  const txLenM1 = m.pipe('tx_len_m1_q', txLen.subWrap(1), { reset: 0 });
  const txLenM2 = m.pipe('tx_len_m2_q', txLen.subWrap(2), { reset: 0 });
  const lastPay = m.reg('tx_last_pay_q', uint(1), { reset: 0 });
  m.next(lastPay, mux(tx.flag.pay, mux(txAdvance, txIdx.eq(txLenM2), lastPay), txLenM1.eq(0)));

  // The identify ROM, read ahead: a block-RAM ROM of byte pairs (the byte at i and the one after it),
  // read at txIdx every cycle; txIdx advanced by at most one since, so the payload byte is a 2:1
  // choice of the RAM's output register (and the ROM's address is not a function of this cycle's issue)
  const romAW = Math.max(1, Math.ceil(Math.log2(identify.length)));
  const romPairs = identify.map((b, i) => (b | ((identify[i + 1] ?? 0) << 8)));
  const romWord = m.memory('identify_rom', { depth: identify.length, type: uint(16), init: romPairs, style: 'block' }).readSync('identify_rom_q', txIdx.trunc(romAW));
  const romHere = romWord.slice(7, 0);
  const romNext = romWord.slice(15, 8);
  m.assign(txAdvance, txIssue.and(tx.flag.pay));
  const txAdvanced = m.pipe('tx_advanced_q', txAdvance, { reset: 0 });
  const romByte = m.wire('rom_byte', mux(txAdvanced, romNext, romHere));
  const counterBytes = [accepted, rejected, dropped].flatMap((c) => [0, 1, 2, 3].map((b) => c.slice(8 * b + 7, 8 * b)));
  // The payload bytes kept in registers (error fields; link counters; the status and opcode of an error
  // reply) go through a shift register loaded when the header CRC byte is staged (the counters are
  // final by then: the receive side waits for the transmit side) and shifted a byte per payload byte,
  // so the payload byte is its low byte
  const SHW = 8 * counterBytes.length;
  const txShift = m.reg('tx_shift_q', uint(SHW), { reset: 0 });
  const load = (bytes: Expr[]) => cat(...[...bytes, ...new Array<Expr>(counterBytes.length - bytes.length).fill(k(0, 8))].reverse());
  m.seq('tx_shift', ($) => {
    $.if(txIssue.and(txState.eq(TX.HC)), () => {
      $.set(
        txShift,
        select(kind, [load([txCode, txReqOp, txDetail.slice(7, 0), txDetail.slice(15, 8)]), k(0, SHW), k(0, SHW), load(counterBytes), k(0, SHW), load([rspStatus, txReqOp])], k(0, SHW)),
      );
    }).elseIf(txAdvance, () => $.set(txShift, cat(k(0, 8), txShift.slice(SHW - 1, 8))));
  });
  const isRom = m.pipe('tx_rom_q', kind.eq(KIND.ROM), { reset: 0 });
  // a buffer byte comes from the RAM at the stage (stg_sel_q), an empty reply has no payload
  const payByte = m.wire('tx_pay_byte', mux(isRom, romByte, mux(needsRsp, sRsp.data, txShift.slice(7, 0))));

  m.seq('tx', ($) => {
    $.set(stgValid, txIssue);
    const stage = (sel: Expr | number, data: Expr | number, c16: number, last = 0, init = 0) => {
      $.set(stgSel, sel);
      $.set(stgData, data);
      $.set(stgC16, c16);
      $.set(stgLast, last);
      $.set(stgInit, init);
    };
    $.switch(txState)
      .case(TX.IDLE, () => {
        $.if(txStart, () => {
          $.set(kind, startKind);
          $.set(txTag, tagQ);
          $.set(txReqOp, opQ);
          $.set(txOp, mux(flag.report, k(ERROR_OPCODE, 8), opQ.or(RESPONSE_BIT)));
          $.set(txLen, startLen);
          $.set(txIdx, 0);
          $.set(txCode, errCode);
          $.set(txDetail, errDetail);
          $.set(rspStatus, 0);
          $.set(rspHdr, 0);
          tx.goTo($, TX.RSPH, flag.dispwait, TX.S0);
        });
      })
      .case(TX.RSPH, () => {
        $.if(rspFire, () => {
          $.set(rspHdr, rspHdr.addWrap(1));
          $.switch(rspHdr)
            .case(0, () => $.set(rspStatus, sRsp.data))
            .case(1, () => $.set(txLen, cat(k(0, 8), sRsp.data)))
            .case(2, () => {
              const len = cat(sRsp.data, txLen.slice(7, 0));
              $.if(rspStatus.eq(0), () => {
                $.set(txLen, len);
              }).else(() => {
                $.set(txLen, len.addWrap(2));
                $.set(txOp, ERROR_OPCODE);
              });
              tx.goTo($, TX.S0);
            })
            .default(() => tx.goTo($, TX.S0));
        });
      })
      .case(TX.PAY, () => {
        $.if(txIssue, () => {
          stage(mux(kind.eq(KIND.BUF), k(SEL.BUF, 3), k(SEL.REG, 3)), payByte, 1);
          $.set(txIdx, txIdx.addWrap(1));
          $.if(lastPay, () => tx.goTo($, TX.CW));
        });
      })
      .case(TX.CW, () => tx.goTo($, TX.CH))
      .default(() => {
        $.if(txIssue, () => {
          $.switch(txState)
            .case(TX.S0, () => {
              stage(SEL.REG, SYNC[0], 0);
              tx.goTo($, TX.S1);
            })
            .case(TX.S1, () => {
              stage(SEL.REG, SYNC[1], 0, 0, 1);
              tx.goTo($, TX.OP);
            })
            .case(TX.OP, () => {
              stage(SEL.REG, txOp, 1);
              tx.goTo($, TX.TAG);
            })
            .case(TX.TAG, () => {
              stage(SEL.REG, txTag, 1);
              tx.goTo($, TX.L0);
            })
            .case(TX.L0, () => {
              stage(SEL.REG, txLen.slice(7, 0), 1);
              tx.goTo($, TX.L1);
            })
            .case(TX.L1, () => {
              stage(SEL.REG, txLen.slice(15, 8), 1);
              tx.goTo($, TX.HC);
            })
            .case(TX.HC, () => {
              stage(SEL.HCRC, 0, 1);
              tx.goTo($, TX.CW, txLen.eq(0), TX.PAY);
            })
            .case(TX.CH, () => {
              stage(SEL.CRCH, 0, 0);
              tx.goTo($, TX.CL);
            })
            .case(TX.CL, () => {
              stage(SEL.CRCL, 0, 0, 1);
              tx.goTo($, TX.IDLE);
            })
            .default(() => tx.goTo($, TX.IDLE));
        });
      });
  });

  // ---- buffer read port (command replay or ECHO) and the two output queues ------------------------
  // read every cycle: a byte read is consumed by the stage in the very next cycle, or not at all
  const bufAddr = m.wire('buf_raddr', mux(dActive, cat(dBank, dispAddr), cat(wBank, txIdx.trunc(AW))));
  const bufData = buf.readSync('buf_rdata_q', bufAddr);

  // The header CRC-8 is a function of registers final since the frame's start (op, tag, length): one
  // XOR network, registered. The CRC-16 runs one byte behind the pushed bytes (tx_crc_byte_q and its
  // flags): CW, a cycle without a byte between the payload and the CRC-16 bytes, lets it catch up.
  // (clocked while the frame's bytes are emitted, from S0 on: op, tag and length change only at the transmit
  // side's start and in RSPH, before S0, and S0 … L1 take six cycles before HC; a link that is idle or waits in
  // RSPH for the controller's reply, as in training, then does not form the XOR network every cycle)
  const txHcrc = m.pipe('tx_hcrc_q', crcBytesNext(k(CRC8.init, 8), [txOp, txTag, txLen.slice(7, 0), txLen.slice(15, 8)], CRC8.poly), {
    reset: 0,
    enable: emitting,
  });
  const pushByte = m.wire('tx_push_byte', select(stgSel, [stgData, bufData, txHcrc, txCrc16.slice(15, 8), txCrc16.slice(7, 0)], k(0, 8)));
  const crcByte = m.pipe('tx_crc_byte_q', pushByte, { reset: 0 });
  const crcTake = m.pipe('tx_crc_take_q', stgValid.and(stgC16), { reset: 0 });
  const crcInit = m.pipe('tx_crc_init_q', stgValid.and(stgInit), { reset: 0 });
  m.seq('tx_crc', ($) => {
    $.if(crcInit, () => $.set(txCrc16, CRC16.init)).elseIf(crcTake, () => $.set(txCrc16, crcByteNext(txCrc16, crcByte, CRC16.poly)));
  });

  const outQ = m.instance('out_q', qMod, {
    ...feedStream('in', { valid: stgValid, data: pushByte, last: stgLast }),
    [streamPortName('out', 'out', 'tready')]: m.input(streamPortName('out', 'out', 'tready'), uint(1)),
  });
  const cmdQ = m.instance('cmd_q', qMod, {
    ...feedStream('in', { valid: cmdStgValid, data: mux(cmdStgBuf, bufData, cmdStgData), last: cmdStgLast }),
    [streamPortName('out', 'out', 'tready')]: m.input(streamPortName('out', 'cmd', 'tready'), uint(1)),
  });
  m.assign(outQCount, outQ.out('count'));
  m.assign(cmdQCount, cmdQ.out('count'));
  for (const [bus, inst] of [['out', outQ], ['cmd', cmdQ]] as const) {
    const o = instanceOutStream(inst, 'out');
    m.output(streamPortName('out', bus, 'tvalid'), o.valid);
    m.output(streamPortName('out', bus, 'tdata'), o.data);
    m.output(streamPortName('out', bus, 'tlast'), o.last as Signal);
    // the stages push only into reserved room (count + stage < depth), so the FIFOs are always ready
    m.unused(inst.out(streamPortName('in', 'in', 'tready')));
  }
  m.unused(sRsp.last as Signal);
  return m.build();
}
