/**
 * CONTROLLER: the chip's command sequencer behind the stream front end (docs/protocol.md, "Inside the
 * chip"). Reference semantics: host/chip/model.ts (ChipModel) — every answer is the model's.
 *
 * PORTS (clk, rst synchronous active high; rst is the chip's reset: power-up or the front end's chip_rst)
 *   s_axis_cmd_*    verified commands, byte by byte: opcode, len lo, len hi, payload[len] (tlast on the last)
 *   m_axis_rsp_*    one reply per command: status, len lo, len hi, payload (tlast on the last byte)
 *   host_unit, host_re, host_we, host_kind, host_bank, host_addr, host_wdata   the units' host ports
 *                   (host_unit 0: the Hebbian unit, 1: the output layer; kind/bank/addr as theirs)
 *   host_rdata      the selected unit's host read data (latency 2; weight words sign-extended)
 *   seq_start, seq_op, seq_busy, seq_done, seq_result, seq_rec_ready, seq_quiet, m_axis_px, steps   the
 *                   sequencer's command interface, the record bytes it takes and its step counter (sequencer.ts)
 *   busy            a command (or the start-up walk) is running; with the sequencer's quiet, the chip is idle
 *   sat_<quantity>  saturation counts of training (32-bit) in QUANTITIES order, for READ_COUNTERS
 *
 * COMMANDS
 *   after rst      every weight and bias word is written 0 (a walk over the weight map, one word a cycle),
 *                  then the LFSR lanes are seeded with seed 0 (as SET_PARAMS), then the window is emptied
 *                  (the sequencer's CLEAR, as NEW_EPOCH: its memories keep their contents through a reset);
 *                  commands wait meanwhile
 *   SET_PARAMS     the learning rates are generation constants of the units (their rounding shifts and
 *                  multipliers are wired into the datapaths): rates other than the configuration's are
 *                  refused with NOT_SUPPORTED (detail: opcode, 0) and change nothing. The seed s seeds lane
 *                  q of weight layer l with laneSeed(numeric.lfsr.seed, s, l, q): a sequential unit with one
 *                  32×32 multiplier computes mix32 in 2 cycles (the multiplier's operand is x ⊕ x≫16 or
 *                  x ⊕ x≫15, the constant alternates); h₁ = mix32(mix32(base ⊕ 0x9e3779b9) ⊕ s) (the
 *                  inner mix32 a generation constant), per layer a = mix32(h₁ ⊕ (l+1)·0xc2b2ae35), per lane
 *                  mix32(a ⊕ (q+1)·0x27d4eb2f) mod (2^W − 1) + 1 (folded: W-bit chunks added end-around);
 *                  3 cycles a lane, written through host kind lfsr.
 *   LOAD_WEIGHTS / READ_WEIGHTS   a walker turns the word offset into (layer, row, input): the layer by
 *                  comparing with the layers' bases, the row by subtracting nIn + 1 per cycle, the chunk by
 *                  subtracting L per cycle (≤ nOut + C cycles); then it steps one word at a time: word i of
 *                  row j of hidden layer l at bank i mod L, address wBase_l + j·C_l + ⌊i/L⌋ (Hebbian unit),
 *                  the bias at bBase_l + j; the output layer's at bank i mod L, j·C + ⌊i/L⌋ and j.
 *                  LOAD: one word per wordBytes + 1 cycles; READ: wordBytes + 3 cycles a word.
 *   LOAD_LFSR / READ_LFSR   state n = lane n mod L of weight layer ⌊n/L⌋: the offset is divided by L by
 *                  subtracting L per cycle (≤ layers cycles), then one state at a time through host kind
 *                  lfsr (bank = lane, addr = layer; unit 1 for the output layer), lanes then layers.
 *                  LOAD: lfsrBytes + 1 cycles a state (the low W bits written); READ: lfsrBytes + 3.
 *   NEW_EPOCH      the sequencer's CLEAR (the window emptied; weights and LFSR states kept), then ok
 *   READ_COUNTERS  u64 steps, u64 busy cycles (a command, the start-up walk or a training step's work running), u64 stalled
 *                  cycles (busy, waiting for a command byte or for the reply stream), u32 per quantity
 *   TRAIN          per record (784 pixels, label): the sequencer's TRAIN (one training step, sequencer.ts),
 *                  the record's bytes streamed to it; ok once the last record's bytes are taken: its step and
 *                  the background work (K_X row, modulator, output layer) go on while the front end forwards
 *                  the next command, so consecutive TRAIN frames keep the datapath busy. Every other command
 *                  waits for them (FLUSH below), and the chip top holds a RESET until the datapath is quiet
 *   INFER          the reply header (k records) first, then per record the sequencer's INFER and its
 *                  predicted class as the answer byte, in record order. The next record's bytes stream to the
 *                  sequencer's intake while it still infers the previous one: at most two records are owed
 *                  an answer, their results wait in a two-entry queue until the reply stream takes them
 *   FLUSH          before every command other than TRAIN, once the sequencer is idle (the last TRAIN record's
 *                  step done), its background work finishes and a pending update is applied (the sequencer's
 *                  FLUSH), so weights read, loaded, used or reseeded and the counters are the model's
 */
import { ModuleBuilder, cat, constant, mux, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import { streamIn, streamOut } from '../lib/stream/bundle.js';
import { constMulWrap } from '../lib/arith/constmul.js';
import { configHash, type ChipConfig } from '../config.js';
import { ERRORS, OPCODES, protocolSpec, weightMap } from '../protocol.js';
import { QUANTITIES, resolveNumeric } from '../numeric.js';
import { bitsFor } from './lane.js';
import { width } from '../fixed/index.js';
import { hebbianLayout, HOST_KIND } from './hebbian.js';
import { hostDataWidth, SEQ_OP } from './sequencer.js';
import { outputLayout } from './output.js';

export const CONTROLLER_MODULE = 'controller';

const MIX_C1 = 0x21f0aaad;
const MIX_C2 = 0x735a2d97;

function mix32(x: number): number {
  let t = x >>> 0;
  t = Math.imul(t ^ (t >>> 16), MIX_C1);
  t = Math.imul(t ^ (t >>> 15), MIX_C2);
  return (t ^ (t >>> 15)) >>> 0;
}

export { hostDataWidth };

interface WeightLayer {
  nIn: number;
  nOut: number;
  chunks: number;
  wBase: number;
  bBase: number;
  mapBase: number;
}

export function controller(cfg: ChipConfig): Module {
  const N = resolveNumeric(cfg.numeric);
  const spec = protocolSpec(cfg);
  const heb = hebbianLayout(cfg);
  const out = outputLayout(cfg);
  const L = cfg.lanes;
  const H = heb.layers.length;
  const map = weightMap(cfg);
  const layers: WeightLayer[] = [
    ...heb.layers.map((y, l) => ({ nIn: y.nIn, nOut: y.nOut, chunks: y.chunks, wBase: y.wBase, bBase: y.bBase, mapBase: map[l].base })),
    { nIn: out.nIn, nOut: out.C, chunks: out.chunks, wBase: 0, bBase: 0, mapBase: map[H].base },
  ];
  const WL = layers.length;
  const wb = spec.wordBytes;
  const D = hostDataWidth(cfg);
  const LW = N.lfsr.width;
  const lrCfg = N.lr;
  const nQ = QUANTITIES.length;
  const cntBytes = 24 + 4 * nQ;

  const m = new ModuleBuilder(CONTROLLER_MODULE, {
    config: configHash(cfg),
    layers: cfg.layers.slice(),
    lanes: L,
    wordBytes: wb,
    lfsr: { width: LW, seed: N.lfsr.seed },
    lr: [lrCfg.hiddenShift, lrCfg.hiddenMul, lrCfg.outShift, lrCfg.outMul],
  });
  m.clock();
  const k = (v: number | bigint, w: number): Expr => constant(v, uint(w));

  // ---- ports
  const cmd = streamIn(m, 'cmd', uint(8), { last: true });
  const rsp = streamOut(m, 'rsp', uint(8), { last: true });
  const lw = bitsFor(WL);
  const maxOut = Math.max(...layers.map((y) => y.nOut));
  const maxIn = Math.max(...layers.map((y) => y.nIn));
  const maxC = Math.max(...layers.map((y) => y.chunks));
  const qw = bitsFor(L);
  const aw = bitsFor(Math.max(heb.depth, heb.biasDepth, out.depth, out.C, WL, 2));
  const hostUnit = m.output('host_unit', uint(1));
  const hostRe = m.output('host_re', uint(1));
  const hostWe = m.output('host_we', uint(1));
  const hostKind = m.output('host_kind', uint(2));
  const hostBank = m.output('host_bank', uint(qw));
  const hostAddr = m.output('host_addr', uint(aw));
  const hostWdata = m.output('host_wdata', uint(D));
  const hostRdata = m.input('host_rdata', uint(D));
  const sats = QUANTITIES.map((q) => m.input(`sat_${q}`, uint(32)));
  // the sequencer (sequencer.ts): one command at a time, a record's bytes on m_axis_px
  const seqStart = m.output('seq_start', uint(1));
  const seqOp = m.output('seq_op', uint(2));
  const seqBusy = m.input('seq_busy', uint(1));
  const seqDone = m.input('seq_done', uint(1));
  const seqResult = m.input('seq_result', uint(8));
  const seqRecReady = m.input('seq_rec_ready', uint(1));
  const seqQuiet = m.input('seq_quiet', uint(1));
  const stepsIn = m.input('steps', uint(64));
  const px = streamOut(m, 'px', uint(8));

  // ---- state
  const S = {
    INIT: 0,
    SEED: 1,
    IDLE: 2,
    LEN0: 3,
    LEN1: 4,
    ARGS: 5,
    DISPATCH: 6,
    WALK_ROW: 7,
    WALK_CHUNK: 8,
    LOAD_BYTES: 9,
    LOAD_WRITE: 10,
    READ_ISSUE: 11,
    READ_WAIT: 12,
    READ_SEND: 13,
    REPLY_ST: 14,
    REPLY_L0: 15,
    REPLY_L1: 16,
    SEND_BYTES: 17,
    DRAIN: 18,
    AFTER_SEED: 19,
    REC_DIV: 20,
    REC_START: 21,
    REC_PIX: 22,
    REC_WAIT: 23,
    PRE_FLUSH: 24,
    FLUSH_WAIT: 25,
    EPOCH_WAIT: 26,
    LFSR_DIV: 27,
    LFSR_BYTES: 28,
    LFSR_WRITE: 29,
    LFSR_SEND: 30,
    INIT_CLEAR: 31,
  };
  const sw = bitsFor(Object.keys(S).length);
  const state = m.reg('state_q', uint(sw), { reset: S.INIT });
  const is = (s: number): Expr => state.eq(k(s, sw));
  const op = m.reg('op_q', uint(8), { reset: 0 });
  const len = m.reg('len_q', uint(16), { reset: 0 });
  const args = m.reg('args_q', uint(64), { reset: 0 });
  const argc = m.reg('argc_q', uint(4), { reset: 0 });

  // reply: status, length, then `sendLeft` payload bytes: byte `sendIdx` of the counters (READ_COUNTERS) or
  // of an error's detail (sendErr), or from the read path (READ_WEIGHTS)
  const rspValid = m.reg('rsp_valid_q', uint(1), { reset: 0 });
  const rspData = m.reg('rsp_data_q', uint(8), { reset: 0 });
  const rspLast = m.reg('rsp_last_q', uint(1), { reset: 0 });
  m.assign(rsp.valid, rspValid);
  m.assign(rsp.data, rspData);
  m.assign(rsp.last as Signal, rspLast);
  const canSend = m.wire('can_send', rspValid.not().or(rsp.ready));
  const rStatus = m.reg('reply_status_q', uint(8), { reset: 0 });
  const rLen = m.reg('reply_len_q', uint(16), { reset: 0 });
  const afterHdr = m.reg('after_hdr_q', uint(sw), { reset: 0 });
  const sendLeft = m.reg('send_left_q', uint(16), { reset: 0 });
  const sendIdx = m.reg('send_idx_q', uint(bitsFor(cntBytes)), { reset: 0 });
  const sendErr = m.reg('send_err_q', uint(1), { reset: 0 });

  // ---- walker over the weight map
  const wL = m.reg('walk_layer_q', uint(lw), { reset: 0 });
  const wJ = m.reg('walk_row_q', uint(bitsFor(maxOut + 1)), { reset: 0 });
  const wI = m.reg('walk_in_q', uint(bitsFor(maxIn + 1)), { reset: 0 });
  const wQ = m.reg('walk_lane_q', uint(qw), { reset: 0 });
  const wK = m.reg('walk_chunk_q', uint(bitsFor(maxC + 1)), { reset: 0 });
  const wRow = m.reg('walk_row_addr_q', uint(aw), { reset: 0 });
  const wBias = m.reg('walk_bias_addr_q', uint(aw), { reset: 0 });
  const wRem = m.reg('walk_rem_q', uint(32), { reset: 0 });
  const wLeft = m.reg('walk_left_q', uint(32), { reset: spec.weightWords });
  // row groups (G > 1): row j of a hidden layer in group γ = j mod G, its words in banks γ·g + i mod g, the row
  // base advancing every G rows; the output layer has one group of L lanes
  const G = heb.groups;
  const g = heb.groupLanes;
  const wG = G > 1 ? m.reg('walk_group_q', uint(bitsFor(G)), { reset: 0 }) : null;
  const wGB = G > 1 ? m.reg('walk_group_base_q', uint(qw), { reset: 0 }) : null;
  /** A constant per weight layer, selected by `sel` (the walker's layer by default). */
  const perL = (f: (y: WeightLayer, l: number) => number, w: number, sel: Expr = wL): Expr => {
    const opts = layers.map((y, l) => k(f(y, l), w));
    let e = opts[WL - 1];
    for (let l = WL - 2; l >= 0; l--) e = mux(sel.eq(k(l, lw)), opts[l], e);
    return e;
  };
  const nInSel = m.wire('walk_nin', perL((y) => y.nIn, wI.width));
  const atBias = m.wire('walk_at_bias', wI.eq(nInSel));
  const rowEnd = m.wire('walk_row_end', wJ.eq(perL((y) => y.nOut - 1, wJ.width)));
  const isOut = m.wire('walk_is_out', wL.eq(k(WL - 1, lw)));
  const rowWords = perL((y) => y.nIn + 1, 32);
  const chunkSel = perL((y) => y.chunks, aw);
  // the lanes of a row (g for a hidden layer, L for the output layer)
  const laneSel = G === 1 ? null : perL((_, l) => (l < H ? g : L), qw + 1);
  const laneLast = laneSel ? wQ.eq(laneSel.subWrap(1).trunc(qw)) : wQ.eq(L - 1);
  type WalkScope = Parameters<Parameters<typeof m.seq>[1]>[0];
  const clearGroup = ($: WalkScope): void => {
    if (wG) $.set(wG, 0);
    if (wGB) $.set(wGB, 0);
  };
  // the next row: j + 1, its group; the row base and the bias address move on after the last group
  const nextRow = ($: WalkScope): void => {
    $.set(wJ, wJ.addWrap(1));
    const nextRound = (): void => {
      $.set(wRow, wRow.addWrap(chunkSel));
      $.set(wBias, wBias.addWrap(1));
    };
    if (!wG || !wGB) return nextRound();
    $.if(wG.eq(G - 1).or(isOut), () => {
      clearGroup($);
      nextRound();
    }).else(() => {
      $.set(wG, wG.addWrap(1));
      $.set(wGB, wGB.addWrap(g));
    });
  };
  // the layer of an offset: the last layer whose base it reaches
  // header bytes arrive into the top of args: LOAD's offset is bytes 60..63 of it, READ's 58..61
  const opIs = (o: number): Expr => op.eq(k(o, 8));
  const offArg = m.wire('arg_offset', mux(opIs(OPCODES.LOAD_WEIGHTS), args.slice(63, 32), args.slice(47, 16)));
  let layerOf: Expr = k(0, lw);
  let baseOf: Expr = k(0, 32);
  for (let l = 1; l < WL; l++) {
    const reach = offArg.ge(k(layers[l].mapBase, 32));
    layerOf = mux(reach, k(l, lw), layerOf);
    baseOf = mux(reach, k(layers[l].mapBase, 32), baseOf);
  }

  const wordAddr = m.wire('walk_addr', mux(atBias, wBias, wRow.addWrap(wK.zext(aw))));
  const walkStep = ($: Parameters<Parameters<typeof m.seq>[1]>[0]): void => {
    $.if(atBias, () => {
      $.set(wI, 0);
      $.set(wQ, 0);
      $.set(wK, 0);
      $.if(rowEnd, () => {
        $.set(wJ, 0);
        $.set(wL, wL.addWrap(1));
        const nextL = wL.addWrap(1);
        $.set(wRow, perL((y) => y.wBase, aw, nextL));
        $.set(wBias, perL((y) => y.bBase, aw, nextL));
        clearGroup($);
      }).else(() => nextRow($));
    }).else(() => {
      $.set(wI, wI.addWrap(1));
      $.if(laneLast, () => {
        $.set(wQ, 0);
        $.set(wK, wK.addWrap(1));
      }).else(() => $.set(wQ, wQ.addWrap(1)));
    });
    $.set(wLeft, wLeft.subWrap(1));
  };

  // ---- seeding: one 32×32 multiplier
  const h0 = mix32((N.lfsr.seed >>> 0) ^ 0x9e3779b9);
  const seedT = m.reg('seed_t_q', uint(32), { reset: 0 });
  const seedH1 = m.reg('seed_h1_q', uint(32), { reset: 0 });
  const seedA = m.reg('seed_a_q', uint(32), { reset: 0 });
  const seedLaneK = m.reg('seed_lane_k_q', uint(32), { reset: 0 });
  const seedPh = m.reg('seed_phase_q', uint(3), { reset: 0 });
  const seedTgt = m.reg('seed_target_q', uint(2), { reset: 0 });
  const seedVal = m.reg('seed_value_q', uint(32), { reset: 0 });
  const xs16 = seedT.xor(cat(k(0, 16), seedT.slice(31, 16)));
  const xs15 = seedT.xor(cat(k(0, 15), seedT.slice(31, 15)));
  const mulA = m.wire('seed_mul_a', xs16.trunc(32));
  const mulB = m.wire('seed_mul_b', xs15.trunc(32));
  const mixOut = m.wire('seed_mix', xs15.trunc(32));
  // by shifts and adds (lib/arith/constmul.ts): as products they took 8 DSP48E1s on the Arty
  const prodA = m.wire('seed_prod_a', constMulWrap(mulA, MIX_C1, 32));
  const prodB = m.wire('seed_prod_b', constMulWrap(mulB, MIX_C2, 32));
  // mod (2^W − 1) by end-around folding (W-bit chunks added; the bound tracked exactly), then + 1
  const M = 2 ** LW - 1;
  let r: Expr = mixOut;
  let bound = 2 ** 32 - 1;
  while (bound > M) {
    const hiB = Math.floor(bound / 2 ** LW);
    const next = Math.max((bound % 2 ** LW) + hiB, hiB > 0 ? M + hiB - 1 : 0);
    const lo = r.trunc(LW);
    const hi = r.slice(r.width - 1, LW);
    const w = Math.max(LW, hi.width) + 1;
    r = lo.zext(w).add(hi.zext(w)).trunc(Math.max(bitsFor(next + 1), 1));
    bound = next;
  }
  const rW = m.wire('seed_fold', r.width >= LW ? r.trunc(LW) : r.zext(LW));
  const laneSeedW = m.wire('seed_lane', mux(rW.eq(M), k(1, LW), rW.zext(LW + 1).add(1).trunc(LW)));
  const LAYER_MUL = 0xc2b2ae35;
  const LANE_MUL = 0x27d4eb2f;
  const layerMul = (sel: Expr): Expr => perL((_, l) => Math.imul(l + 1, LAYER_MUL) >>> 0, 32, sel);

  // ---- counters
  const steps = stepsIn;
  const busyC = m.reg('busy_cycles_q', uint(64), { reset: 0 });
  const stallC = m.reg('stall_cycles_q', uint(64), { reset: 0 });
  const waitingCmd = is(S.REC_PIX).or(is(S.LFSR_BYTES)).or(is(S.LEN0)).or(is(S.LEN1)).or(is(S.ARGS)).or(is(S.LOAD_BYTES)).or(is(S.DRAIN)).and(cmd.valid.not());
  const sendingStates = is(S.REPLY_ST).or(is(S.REPLY_L0)).or(is(S.REPLY_L1)).or(is(S.SEND_BYTES)).or(is(S.READ_SEND)).or(is(S.LFSR_SEND));
  const stalled = m.wire('stalled', waitingCmd.or(sendingStates.and(canSend.not())));
  const running = m.wire('running', is(S.IDLE).not());
  m.seq('counters', ($) => {
    $.if(running.or(seqQuiet.not()), () => $.set(busyC, busyC.addWrap(1)));
    $.if(running.and(stalled), () => $.set(stallC, stallC.addWrap(1)));
  });

  // ---- host port (combinational from the state)
  const seedWrite = is(S.SEED).and(seedPh.eq(4));
  const initWrite = is(S.INIT).and(wLeft.ne(0));
  const loadWrite = is(S.LOAD_WRITE);
  // LOAD_LFSR / READ_LFSR: lane wQ of weight layer wL, the state assembled in / read into lfsrWord
  const SB = spec.lfsrBytes;
  const lfsrWord = m.reg('lfsr_word_q', uint(8 * SB), { reset: 0 });
  const lfsrWrite = is(S.LFSR_WRITE);
  const lfsrPort = m.wire('lfsr_port', seedWrite.or(lfsrWrite).or(is(S.READ_ISSUE).and(opIs(OPCODES.READ_LFSR))));
  m.assign(hostWe, initWrite.or(loadWrite).or(seedWrite).or(lfsrWrite));
  m.assign(hostRe, is(S.READ_ISSUE));
  m.assign(hostUnit, isOut);
  m.assign(hostKind, mux(lfsrPort, k(HOST_KIND.lfsr, 2), mux(atBias, k(HOST_KIND.bias, 2), k(HOST_KIND.weight, 2))));
  m.assign(hostBank, mux(lfsrPort, wQ, wG && wGB ? mux(atBias, wG.zext(qw), wGB.addWrap(wQ)) : mux(atBias, k(0, qw), wQ)));
  m.assign(hostAddr, mux(lfsrPort, wL.zext(aw), wordAddr));
  const loadWord = args.slice(63, 64 - 8 * wb);
  const loadExt = D > 8 * wb ? loadWord.asSigned().sext(D).asUnsigned() : loadWord.trunc(D);
  const lfsrIn = LW < 8 * SB ? lfsrWord.trunc(LW) : lfsrWord;
  m.assign(hostWdata, mux(initWrite, k(0, D), mux(seedWrite, seedVal.trunc(Math.min(32, LW)).zext(D), mux(lfsrWrite, lfsrIn.zext(D), loadExt))));
  const readWord = m.reg('read_word_q', uint(8 * wb), { reset: 0 });
  const rdSel = hostRdata;
  if (D > 8 * wb) m.unused(hostRdata.slice(D - 1, 8 * wb));
  const rdBytes = D >= 8 * wb ? rdSel.trunc(8 * wb) : rdSel.asSigned().sext(8 * wb).asUnsigned();
  const readWait = m.reg('read_wait_q', uint(2), { reset: 0 });
  const byteIdx = m.reg('byte_idx_q', uint(bitsFor(Math.max(wb, spec.lfsrBytes) + 1)), { reset: 0 });

  // READ_COUNTERS payload: counters in order, little-endian, the byte at sendIdx chosen as it is sent. The
  // cycle counters, which go on counting while the reply leaves, are taken at the command's dispatch; the
  // steps and saturation counts hold still meanwhile (the sequencer is idle after the command's FLUSH), so
  // they are read where they are (no shift register of all the counters: its shadow copy cost a simulator
  // some 100 instructions per cycle)
  const snapBusy = m.reg('snap_busy_q', uint(64), { reset: 0 });
  const snapStall = m.reg('snap_stall_q', uint(64), { reset: 0 });
  const cntParts: Expr[] = [steps, snapBusy, snapStall, ...sats];
  const cntBytesOf = cntParts.flatMap((e) => Array.from({ length: e.width / 8 }, (_, b) => e.slice(8 * b + 7, 8 * b)));
  if (cntBytesOf.length !== cntBytes) throw new Error(`controller: ${cntBytesOf.length} counter bytes, the protocol says ${cntBytes}`);
  // the byte sent in SEND_BYTES, formed only there (a simulator skips the byte choice in the other states): an
  // error's detail (the opcode, 0) or the counters' byte sendIdx
  const sendByte = m.wire('send_byte', uint(8));
  m.comb('send_byte', ($) => {
    $.if(state.eq(k(S.SEND_BYTES, sw)), () => {
      $.if(sendErr, () => $.set(sendByte, mux(sendIdx.eq(0), op, k(0, 8)))).else(() => {
        const arms = cntBytesOf.reduce((c, b, i) => c.case(i, () => $.set(sendByte, b)), $.switch(sendIdx));
        arms.default(() => $.set(sendByte, 0));
      });
    }).else(() => $.set(sendByte, 0));
  });

  const lrOk = args.slice(31, 0).eq(k(((lrCfg.outMul << 24) | (lrCfg.outShift << 16) | (lrCfg.hiddenMul << 8) | lrCfg.hiddenShift) >>> 0, 32));
  const nArgs = m.wire(
    'n_args',
    mux(
      opIs(OPCODES.SET_PARAMS),
      k(8, 4),
      mux(opIs(OPCODES.LOAD_WEIGHTS), k(4, 4), mux(opIs(OPCODES.READ_WEIGHTS), k(6, 4), mux(opIs(OPCODES.LOAD_LFSR), k(2, 4), mux(opIs(OPCODES.READ_LFSR), k(4, 4), k(0, 4))))),
    ),
  );

  // ---- TRAIN / INFER: records streamed to the sequencer
  const P = spec.pixels;
  const isTrain = m.wire('op_train', opIs(OPCODES.TRAIN));
  const recBytes = mux(isTrain, k(P + 1, 16), k(P, 16));
  const recLeft = m.reg('rec_records_q', uint(bitsFor(Math.floor(4096 / P) + 2)), { reset: 0 });
  const recDiv = m.reg('rec_div_q', uint(16), { reset: 0 });
  const pixLeft = m.reg('rec_bytes_q', uint(bitsFor(P + 2)), { reset: 0 });
  // INFER: records started whose answer is not yet sent (≤ 2), the sequencer's results in a two-entry queue
  // (res0 the older), and the answers of the command left to send
  const inferOwed = m.reg('infer_owed_q', uint(2), { reset: 0 });
  const resN = m.reg('res_count_q', uint(2), { reset: 0 });
  const res0 = m.reg('res0_q', uint(8), { reset: 0 });
  const res1 = m.reg('res1_q', uint(8), { reset: 0 });
  const resLeft = m.reg('res_left_q', uint(recLeft.width), { reset: 0 });
  const seqGo = m.reg('seq_go_q', uint(1), { reset: 0 });
  const seqOpQ = m.reg('seq_op_q', uint(2), { reset: 0 });
  m.assign(seqStart, seqGo);
  m.assign(seqOp, seqOpQ);
  m.assign(px.valid, is(S.REC_PIX).and(cmd.valid));
  m.assign(px.data, cmd.data);

  type Scope = Parameters<Parameters<typeof m.seq>[1]>[0];
  const startSeed = ($: Scope, seed: Expr): void => {
    $.set(seedT, k(h0, 32).xor(seed));
    $.set(seedPh, 1);
    $.set(seedTgt, 0);
    $.set(wL, 0);
    $.set(wQ, 0);
    $.set(seedLaneK, LANE_MUL);
  };
  const walkFrom = ($: Scope): void => {
    $.set(wL, layerOf);
    $.set(wRem, offArg.subWrap(baseOf));
    $.set(wJ, 0);
    $.set(wI, 0);
    $.set(wQ, 0);
    $.set(wK, 0);
    $.set(wRow, perL((y) => y.wBase, aw, layerOf));
    $.set(wBias, perL((y) => y.bBase, aw, layerOf));
    clearGroup($);
  };
  /** The next LFSR state of the lane map: the next lane, or lane 0 of the next layer. */
  const lfsrStep = ($: Scope): void => {
    $.if(wQ.eq(L - 1), () => {
      $.set(wQ, 0);
      $.set(wL, wL.addWrap(1));
    }).else(() => $.set(wQ, wQ.addWrap(1)));
  };
  // INFER's answers: a result joins the queue when the sequencer finishes an inference, the oldest leaves on
  // the reply stream whenever it can take a byte (no other reply byte is sent in these states)
  const inferRec = m.wire('infer_rec', isTrain.not().and(is(S.REC_START).or(is(S.REC_PIX)).or(is(S.REC_WAIT))));
  const resPush = m.wire('res_push', inferRec.and(seqDone));
  const resWait = m.wire('res_wait', inferRec.and(resN.ne(0)));
  const resPop = m.wire('res_pop', resWait.and(canSend));
  // the sequencer takes a record's bytes while it still runs the previous step (INFER: while at most one
  // earlier record is owed its answer)
  const recGo = m.wire('rec_go', is(S.REC_START).and(seqRecReady).and(seqGo.not()).and(isTrain.or(inferOwed.lt(2))));
  const inferGo = m.wire('infer_go', recGo.and(isTrain.not()));
  m.seq('fsm', ($) => {
    $.if(rsp.fire, () => $.set(rspValid, 0));
    $.set(seqGo, 0);
    $.if(resPush.and(resPop), () => {
      $.set(res0, mux(resN.eq(1), seqResult, res1));
      $.set(res1, seqResult);
    })
      .elseIf(resPush, () => {
        $.if(resN.eq(0), () => $.set(res0, seqResult)).else(() => $.set(res1, seqResult));
        $.set(resN, resN.addWrap(1));
      })
      .elseIf(resPop, () => {
        $.set(res0, res1);
        $.set(resN, resN.subWrap(1));
      });
    $.if(inferGo.and(resPop.not()), () => $.set(inferOwed, inferOwed.addWrap(1))).elseIf(resPop.and(inferGo.not()), () => $.set(inferOwed, inferOwed.subWrap(1)));
    const seqCommand = (o: Expr | number): void => {
      $.set(seqGo, 1);
      $.set(seqOpQ, o);
    };
    const send = (byte: Expr, last: Expr, next: () => void): void => {
      $.if(canSend, () => {
        $.set(rspValid, 1);
        $.set(rspData, byte);
        $.set(rspLast, last);
        next();
      });
    };
    const reply = (status: number, lenBytes: Expr, after: number): void => {
      $.set(rStatus, status);
      $.set(rLen, lenBytes);
      $.set(afterHdr, after);
      $.set(state, S.REPLY_ST);
    };
    $.if(resWait, () => send(res0, resLeft.eq(1), () => $.set(resLeft, resLeft.subWrap(1))));
    const replyError = (): void => {
      // error detail: opcode, 0
      $.set(sendErr, 1);
      $.set(sendIdx, 0);
      $.set(sendLeft, 2);
      reply(ERRORS.NOT_SUPPORTED, k(2, 16), S.SEND_BYTES);
    };
    $.switch(state)
      .case(S.INIT, () => {
        $.if(wLeft.ne(0), () => walkStep($)).else(() => {
          $.set(state, S.SEED);
          startSeed($, k(0, 32));
        });
      })
      .case(S.SEED, () => {
        // phase 1: t ← (t ⊕ t≫16)·C1; 2: t ← (t ⊕ t≫15)·C2; 3: mix = t ⊕ t≫15 is h1, a layer's a or a
        // lane's value (seedTgt 0, 1, 2); 4: the lane's seed is written
        $.switch(seedPh)
          .case(1, () => {
            $.set(seedT, prodA);
            $.set(seedPh, 2);
          })
          .case(2, () => {
            $.set(seedT, prodB);
            $.set(seedPh, 3);
          })
          .case(3, () => {
            $.switch(seedTgt)
              .case(0, () => {
                $.set(seedH1, mixOut);
                $.set(seedT, mixOut.xor(layerMul(wL)));
                $.set(seedTgt, 1);
                $.set(seedPh, 1);
              })
              .case(1, () => {
                $.set(seedA, mixOut);
                $.set(seedT, mixOut.xor(seedLaneK));
                $.set(seedTgt, 2);
                $.set(seedPh, 1);
              })
              .default(() => {
                $.set(seedVal, laneSeedW.zext(32));
                $.set(seedPh, 4);
              });
          })
          .default(() => {
            // 4: written this cycle; next lane, or the next layer
            $.set(seedPh, 1);
            $.if(wQ.eq(L - 1), () => {
              $.set(wQ, 0);
              $.set(seedLaneK, LANE_MUL);
              $.set(seedTgt, 1);
              $.if(wL.eq(WL - 1), () => $.set(state, S.AFTER_SEED)).else(() => {
                $.set(wL, wL.addWrap(1));
                $.set(seedT, seedH1.xor(layerMul(wL.addWrap(1))));
              });
            }).else(() => {
              $.set(wQ, wQ.addWrap(1));
              $.set(seedLaneK, seedLaneK.addWrap(LANE_MUL));
              $.set(seedT, seedA.xor(seedLaneK.addWrap(LANE_MUL)));
              $.set(seedTgt, 2);
            });
          });
      })
      .case(S.AFTER_SEED, () => {
        $.set(wL, 0);
        $.if(op.eq(OPCODES.SET_PARAMS), () => reply(0, k(0, 16), S.IDLE)).else(() => {
          seqCommand(SEQ_OP.CLEAR);
          $.set(state, S.INIT_CLEAR);
        });
      })
      .case(S.INIT_CLEAR, () => $.if(seqDone, () => $.set(state, S.IDLE)))
      .case(S.IDLE, () => {
        $.if(cmd.valid, () => {
          $.set(op, cmd.data);
          $.set(state, S.LEN0);
        });
      })
      .case(S.LEN0, () => {
        $.if(cmd.valid, () => {
          $.set(len, cat(k(0, 8), cmd.data));
          $.set(state, S.LEN1);
        });
      })
      .case(S.LEN1, () => {
        $.if(cmd.valid, () => {
          $.set(len, cat(cmd.data, len.trunc(8)));
          $.set(argc, 0);
          $.set(state, S.ARGS);
        });
      })
      .case(S.ARGS, () => {
        $.if(argc.eq(nArgs), () => $.set(state, S.PRE_FLUSH)).elseIf(cmd.valid, () => {
          $.set(args, cat(cmd.data, args.slice(63, 8)));
          $.set(argc, argc.addWrap(1));
          $.set(len, len.subWrap(1));
        });
      })
      .case(S.PRE_FLUSH, () => {
        // before any command but TRAIN the sequencer finishes the steps' background work (K_X row, modulator,
        // output layer) and applies a pending update: the weights, LFSR states and counters are then final
        $.if(isTrain, () => $.set(state, S.DISPATCH)).elseIf(seqBusy.not().and(seqGo.not()), () => {
          seqCommand(SEQ_OP.FLUSH);
          $.set(state, S.FLUSH_WAIT);
        });
      })
      .case(S.FLUSH_WAIT, () => $.if(seqDone, () => $.set(state, S.DISPATCH)))
      .case(S.EPOCH_WAIT, () => $.if(seqDone, () => reply(0, k(0, 16), S.IDLE)))
      .case(S.DISPATCH, () => {
        // args hold the header in the top bytes; bring it down to bit 0
        $.set(argc, 0);
        $.switch(op)
          .case(OPCODES.SET_PARAMS, () => {
            $.if(lrOk, () => {
              $.set(state, S.SEED);
              startSeed($, args.slice(63, 32));
            }).else(() => replyError());
          })
          .case(OPCODES.LOAD_WEIGHTS, () => {
            walkFrom($);
            $.set(wLeft, len.zext(32));
            $.set(state, S.WALK_ROW);
          })
          .case(OPCODES.READ_WEIGHTS, () => {
            walkFrom($);
            $.set(wLeft, args.slice(63, 48).zext(32));
            $.set(state, S.WALK_ROW);
          })
          .case(OPCODES.LOAD_LFSR, () => {
            // offset: args[63:48]; len: the states' bytes
            $.set(wRem, args.slice(63, 48).zext(32));
            $.set(wL, 0);
            $.set(state, S.LFSR_DIV);
          })
          .case(OPCODES.READ_LFSR, () => {
            // offset: args[47:32], count: args[63:48]
            $.set(wRem, args.slice(47, 32).zext(32));
            $.set(wLeft, args.slice(63, 48).zext(32));
            $.set(wL, 0);
            $.set(state, S.LFSR_DIV);
          })
          .case(OPCODES.NEW_EPOCH, () => {
            seqCommand(SEQ_OP.CLEAR);
            $.set(state, S.EPOCH_WAIT);
          })
          .case(OPCODES.READ_COUNTERS, () => {
            $.set(snapBusy, busyC);
            $.set(snapStall, stallC);
            $.set(sendErr, 0);
            $.set(sendIdx, 0);
            $.set(sendLeft, cntBytes);
            reply(0, k(cntBytes, 16), S.SEND_BYTES);
          })
          .case(OPCODES.INFER, () => {
            $.set(recDiv, len);
            $.set(recLeft, 0);
            $.set(state, S.REC_DIV);
          })
          .case(OPCODES.TRAIN, () => {
            $.set(recDiv, len);
            $.set(recLeft, 0);
            $.set(state, S.REC_DIV);
          })
          .default(() => $.if(len.eq(0), () => replyError()).else(() => $.set(state, S.DRAIN)));
      })
      .case(S.REC_DIV, () => {
        // records = len / record bytes by subtraction (the front end checked the length is a multiple);
        // INFER replies with its header first, TRAIN once its last record's bytes are taken
        $.if(recDiv.ge(recBytes), () => {
          $.set(recDiv, recDiv.subWrap(recBytes));
          $.set(recLeft, recLeft.addWrap(1));
        })
          .elseIf(isTrain, () => $.set(state, S.REC_START))
          .else(() => {
            $.set(resLeft, recLeft);
            reply(0, recLeft.zext(16), S.REC_START);
          });
      })
      .case(S.REC_START, () => {
        $.if(recGo, () => {
          seqCommand(mux(isTrain, k(SEQ_OP.TRAIN, 2), k(SEQ_OP.INFER, 2)));
          $.set(pixLeft, recBytes.trunc(pixLeft.width));
          $.set(state, S.REC_PIX);
        });
      })
      .case(S.REC_PIX, () => {
        $.if(px.fire, () => {
          $.set(pixLeft, pixLeft.subWrap(1));
          $.if(pixLeft.eq(1), () => {
            $.set(recLeft, recLeft.subWrap(1));
            $.if(isTrain, () => {
              $.if(recLeft.eq(1), () => reply(0, k(0, 16), S.IDLE)).else(() => $.set(state, S.REC_START));
            }).else(() => $.set(state, mux(recLeft.eq(1), k(S.REC_WAIT, sw), k(S.REC_START, sw))));
          });
        });
      })
      // INFER: every record's bytes are in; done once every answer has left
      .case(S.REC_WAIT, () => $.if(resLeft.eq(0), () => $.set(state, S.IDLE)))
      .case(S.DRAIN, () => {
        $.if(cmd.valid, () => {
          $.set(len, len.subWrap(1));
          $.if(len.eq(1), () => replyError());
        });
      })
      .case(S.WALK_ROW, () => {
        // on entry: wL chosen, wRem = offset within the layer
        $.if(wRem.ge(rowWords), () => {
          $.set(wRem, wRem.subWrap(rowWords));
          nextRow($);
        }).else(() => {
          $.set(wI, wRem.trunc(wI.width));
          $.set(state, S.WALK_CHUNK);
        });
      })
      .case(S.WALK_CHUNK, () => {
        const lanesOf = laneSel ? laneSel.zext(32) : k(L, 32);
        $.if(wRem.ge(lanesOf), () => {
          $.set(wRem, wRem.subWrap(lanesOf));
          $.set(wK, wK.addWrap(1));
        }).else(() => {
          $.set(wQ, wRem.trunc(qw));
          $.set(byteIdx, 0);
          $.if(opIs(OPCODES.LOAD_WEIGHTS), () => $.set(state, S.LOAD_BYTES)).else(() => {
            // READ: wLeft = count words
            reply(0, wLeft.trunc(16).mul(k(wb, bitsFor(wb + 1))).trunc(16), S.READ_ISSUE);
          });
        });
      })
      .case(S.LOAD_BYTES, () => {
        $.if(cmd.valid, () => {
          $.set(args, cat(cmd.data, args.slice(63, 8)));
          $.set(len, len.subWrap(1));
          $.if(byteIdx.eq(wb - 1), () => {
            $.set(byteIdx, 0);
            $.set(state, S.LOAD_WRITE);
          }).else(() => $.set(byteIdx, byteIdx.addWrap(1)));
        });
      })
      .case(S.LOAD_WRITE, () => {
        walkStep($);
        $.if(len.eq(0), () => reply(0, k(0, 16), S.IDLE)).else(() => $.set(state, S.LOAD_BYTES));
      })
      .case(S.READ_ISSUE, () => {
        $.set(readWait, 0);
        $.set(state, S.READ_WAIT);
      })
      .case(S.READ_WAIT, () => {
        $.set(readWait, readWait.addWrap(1));
        $.if(readWait.eq(1), () => {
          $.set(byteIdx, 0);
          $.set(state, mux(opIs(OPCODES.READ_LFSR), k(S.LFSR_SEND, sw), k(S.READ_SEND, sw)));
        });
      })
      .case(S.READ_SEND, () => {
        $.if(byteIdx.eq(0).and(readWait.eq(2)), () => {
          $.set(readWord, rdBytes);
          $.set(readWait, 3);
        }).else(() => {
          const lastByte = byteIdx.eq(wb - 1);
          send(readWord.trunc(8), lastByte.and(wLeft.eq(1)), () => {
            $.set(readWord, wb > 1 ? readWord.shr(8).zext(8 * wb) : readWord);
            $.if(lastByte, () => {
              walkStep($);
              $.if(wLeft.eq(1), () => $.set(state, S.IDLE)).else(() => $.set(state, S.READ_ISSUE));
            }).else(() => $.set(byteIdx, byteIdx.addWrap(1)));
          });
        });
      })
      .case(S.LFSR_DIV, () => {
        // the state's layer and lane: offset / L by subtraction
        $.if(wRem.ge(L), () => {
          $.set(wRem, wRem.subWrap(L));
          $.set(wL, wL.addWrap(1));
        }).else(() => {
          $.set(wQ, wRem.trunc(qw));
          $.set(byteIdx, 0);
          $.if(opIs(OPCODES.LOAD_LFSR), () => $.set(state, S.LFSR_BYTES)).else(() => reply(0, wLeft.trunc(16).mul(k(SB, bitsFor(SB + 1))).trunc(16), S.READ_ISSUE));
        });
      })
      .case(S.LFSR_BYTES, () => {
        $.if(cmd.valid, () => {
          $.set(lfsrWord, SB > 1 ? cat(cmd.data, lfsrWord.slice(8 * SB - 1, 8)) : cmd.data);
          $.set(len, len.subWrap(1));
          $.if(byteIdx.eq(SB - 1), () => $.set(state, S.LFSR_WRITE)).else(() => $.set(byteIdx, byteIdx.addWrap(1)));
        });
      })
      .case(S.LFSR_WRITE, () => {
        // written this cycle (host_we); the next lane
        lfsrStep($);
        $.set(byteIdx, 0);
        $.if(len.eq(0), () => reply(0, k(0, 16), S.IDLE)).else(() => $.set(state, S.LFSR_BYTES));
      })
      .case(S.LFSR_SEND, () => {
        $.if(byteIdx.eq(0).and(readWait.eq(2)), () => {
          $.set(lfsrWord, rdSel.trunc(LW).zext(8 * SB));
          $.set(readWait, 3);
        }).else(() => {
          const lastByte = byteIdx.eq(SB - 1);
          send(lfsrWord.trunc(8), lastByte.and(wLeft.eq(1)), () => {
            $.set(lfsrWord, SB > 1 ? lfsrWord.shr(8).zext(8 * SB) : lfsrWord);
            $.if(lastByte, () => {
              lfsrStep($);
              $.set(wLeft, wLeft.subWrap(1));
              $.if(wLeft.eq(1), () => $.set(state, S.IDLE)).else(() => $.set(state, S.READ_ISSUE));
            }).else(() => $.set(byteIdx, byteIdx.addWrap(1)));
          });
        });
      })
      .case(S.REPLY_ST, () => send(rStatus, k(0, 1), () => $.set(state, S.REPLY_L0)))
      .case(S.REPLY_L0, () => send(rLen.trunc(8), k(0, 1), () => $.set(state, S.REPLY_L1)))
      .case(S.REPLY_L1, () => send(rLen.slice(15, 8), rLen.eq(0), () => $.set(state, afterHdr)))
      .case(S.SEND_BYTES, () =>
        send(sendByte, sendLeft.eq(1), () => {
          $.set(sendIdx, sendIdx.addWrap(1));
          $.set(sendLeft, sendLeft.subWrap(1));
          $.if(sendLeft.eq(1), () => $.set(state, S.IDLE));
        }),
      )
      .default(() => $.set(state, S.IDLE));
  });

  // command bytes are taken in the states that read them
  m.assign(cmd.ready, is(S.REC_PIX).and(px.ready).or(is(S.LFSR_BYTES)).or(is(S.IDLE).or(is(S.LEN0)).or(is(S.LEN1)).or(is(S.ARGS).and(argc.ne(nArgs))).or(is(S.LOAD_BYTES)).or(is(S.DRAIN))));
  m.unused(cmd.last as Signal);
  m.output('busy', running);
  return m.build();
}
