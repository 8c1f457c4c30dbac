/**
 * SEQUENCER (module `sequencer`): the accelerator's datapath — every unit of the training step — and the
 * schedule that runs one training step per TRAIN record and one inference per INFER record. Its spec is the
 * fixed-point golden model's composition, sim/golden/fixed/step.ts: `trainStep` (§ STEP) and `predict`;
 * the controller (controller.ts) talks to the host, this module computes.
 *
 * UNITS (one instance each): hebbian (weights of the hidden layers, fused update + forward passes),
 * layernorm, wm (the window), gram (systolic Gram array), kernel (table functions), modulator_wide (ξ, δ),
 * output_layer; and these memories of its own:
 *   delta_mem  δ of every hidden layer (layer l at Σ_{k<l} n_k): written by the modulator in step c, read by
 *              the update pass of step c + 1 (or a flush)
 *   zc_mem     {relu′, z} of the current sample per hidden layer (layernorm → modulator)
 *   zpack_mem  the last hidden layer's window z, lane-packed for the output layer's h port: slot p's chunk k
 *              (L words) at p·C_h + k; slot B holds the sample being inferred, so inference leaves the
 *              window's copy alone
 *   px_stage   the pixels of the training record coming in (P bytes), copied into the window behind the writes
 *   labels     the window's labels (registers: the output layer's y port and the K_Y words)
 *
 * PORTS (clk, rst synchronous active high)
 *   start, op   a command (op sampled at start): TRAIN, INFER (taken while rec_ready), FLUSH, CLEAR (while idle)
 *   busy, done  busy while a record or a step is in flight; done: a 1-cycle pulse at the end of each step,
 *               flush and clear
 *   rec_ready   a record may start (the intake is free); quiet: nothing in flight, background included
 *   s_axis_px   the record's bytes: TRAIN 784 u8 pixels then the label, INFER the pixels
 *   result      INFER: the predicted class (argmax of the logits, ties to the lowest), valid at done
 *   host_*      the units' host ports (host_unit 0: hebbian, 1: output layer), only while idle;
 *               host_rdata sign-extended to the controller's width (hostDataWidth)
 *   steps       training steps that updated the parameters (64-bit)
 *   sat_<q>     saturations of training per quantity (QUANTITIES order, 32-bit, wrap)
 *
 * SCHEDULE of a TRAIN record (sample c; "pending" = δ_l(c − 1) in delta_mem, h_l(c − 1) in Hebbian slot sPrev).
 * Three machines: the intake (a record's bytes), the step (passes) and the background (K_X, modulator, output).
 *   INTAKE    beside step c − 1 (rec_ready once step c − 1 has taken its record): the layer-1 loader on slot
 *             sIn (≠ sPrev, sCur), each pixel to it ((2p − 255)·2^(f_in − 8)) and to px_stage, then the label.
 *             The loader is step c − 1's too (its next-layer loads): the intake takes it first, and ends within
 *             step c − 1's layer-1 pass, unless that pass and the step's loads end before P + 1 bytes could
 *             (intakeAfterLoads, a generation-time choice): then it starts after the step's last load
 *   PX COPY   px_stage → wm's pixel bank of the next slot (px_at_head), beside the intake: pixel i once the
 *             intake has written it (px_idx_q) and step c − 1's K_X row, which reads that bank (the oldest
 *             sample's), has read element i in its last Gram pass (kx_read_q, and kx_skip_q for the
 *             ⌈count/R⌉ − 1 passes before it when B > gram rows); so the copy ends a few cycles after the
 *             record's last pixel or the row's last read, and the record's intake costs P + 1 cycles, not 2P + 1
 *   TAKE      the step begins once the copy and step c − 1's K_X row are done: sCur ← sIn, K_X requested; wm NEW
 *             (slot c = head, its label) once step c − 1's last LayerNorm call, which may still run, has written
 *             its window z (new_owed_q, ln_prev_q)
 *   PASS l    Hebbian pass of layer l (once the modulator call of δ_l(c − 1) has begun: its words are read as
 *             they are written, and its z waits for the end of that call, which reads zc_mem and the window's
 *             z of layer l): update with δ_l(c − 1) ⊗ h(sPrev) if pending,
 *             forward h(sCur) with the updated weights → layernorm → z: to the next layer's loader (slot sCur;
 *             started when the pass has delivered its accumulators), wm's z bank of c, zc_mem, and for the last
 *             hidden layer zpack_mem slot c. The layernorm takes the pass's call at its start, or (the first
 *             pass of a step) once it has finished step c − 1's last call (ln_owed_q); the z are routed by the
 *             call's own layer and flags (ln_layer_q, ln_train_q, ln_full_q). A training step's last pass ends
 *             the step without waiting for its LayerNorm tail.
 *   END       window full: the output step is owed (out_owed_q): it starts once the step's last z are in
 *             zpack_mem and the K_X row has written the step's label; pending, sPrev ← sCur
 *   background, each once what it reads is final:
 *   K_X       after the previous step's modulator chain and output step and its window NEW: gram ROW over the
 *             pixels → kernel → {K_Y, K_X} words → wm KROW
 *   MOD l     after K_X and the statistics of layer l's LayerNorm call (its stats pulse: s⁻¹ final, z words to
 *             come): gram ROW over layer l's stored z → kernel → K_Z row (word c: a filler the modulator drops)
 *             → modulator_wide with the K rows and row sums from wm (K read port), z_c from zc_mem and the
 *             window z rows from wm's vector read → δ_l(c) into delta_mem. While that LayerNorm call still
 *             writes z (z_live_q), the Gram array is held at elements not yet in the window (gram_hold) and
 *             the z_c reads wait for the zc_mem writes, so the K_Z row ends a few cycles after the tail
 *   OUT       output layer training step over the window
 * FLUSH: once the background is idle, if pending, an update-only pass per hidden layer. CLEAR: wm CLEAR.
 * INFER: intake (no window writes), forward-only passes → layernorm → zpack slot B → logits → argmax.
 * The controller has the sequencer FLUSH before every command other than TRAIN (once it is idle), so INFER
 * never sees a pending update; it answers TRAIN once the records are taken, and the chip top holds a RESET
 * until `quiet` (everything idle, background included).
 */
import { ModuleBuilder, cat, constant, mux, select, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import { feedStream, instanceOutStream, streamIn, streamPortName } from '../lib/stream/bundle.js';
import { configHash, type ChipConfig } from '../config.js';
import { QUANTITIES, resolveNumeric, type Quantity } from '../numeric.js';
import { width } from '../fixed/index.js';
import { bitsFor } from './lane.js';
import { constByLayer } from './common.js';
import { hebbian, hebbianLayout } from './hebbian.js';
import { layernorm } from './layernorm.js';
import { WM_OP, workingMemory } from './wm.js';
import { GRAM_MODE, gramArray } from './gram.js';
import { kernelCodes, kernelConstants, kernelUnit } from './kernel.js';
import { modulator } from './modulator.js';
import { outputLayout, outputUnit } from './output.js';
import { unitShapes } from './shapes.js';
import { protocolSpec } from '../protocol.js';

export const SEQUENCER_MODULE = 'sequencer';
export const SEQ_OP = { TRAIN: 0, INFER: 1, FLUSH: 2, CLEAR: 3 } as const;

/** Width of the host data bus between the controller and the units. */
export function hostDataWidth(cfg: ChipConfig): number {
  const N = resolveNumeric(cfg.numeric);
  return Math.max(8 * protocolSpec(cfg).wordBytes, N.lfsr.width, width(N.weight.format), width(N.bias.format));
}

type Scope = Parameters<Parameters<ModuleBuilder['seq']>[1]>[0];

/**
 * A stream read out of a memory with a registered read (latency 1): `start` restarts it at `base` for `n`
 * words; reads issue only while `gate` is high and the two-word queue has room, so the stream runs at one word
 * per cycle and holds its word while the sink stalls. `addr` is the address of the next read.
 */
function memStream(
  m: ModuleBuilder,
  name: string,
  aw: number,
  start: Expr,
  base: Expr,
  n: Expr,
  gate: Expr,
  ready: Expr,
  read: (re: Expr, addr: Expr) => Expr,
): { valid: Signal; data: Signal; fire: Signal; addr: Signal } {
  const left = m.reg(`${name}_left_q`, uint(n.width), { reset: 0 });
  const addr = m.reg(`${name}_addr_q`, uint(aw), { reset: 0 });
  const rv = m.reg(`${name}_rv_q`, uint(1), { reset: 0 });
  const occ = m.reg(`${name}_occ_q`, uint(2), { reset: 0 });
  const valid = m.wire(`${name}_valid`, occ.ne(0));
  const pop = m.wire(`${name}_pop`, valid.and(ready));
  const room = occ.zext(3).addWrap(rv.zext(3)).le(pop.zext(3).addWrap(1));
  const issue = m.wire(`${name}_issue`, gate.and(left.ne(0)).and(room).and(start.not()));
  const rdata = read(issue, addr);
  const e0 = m.reg(`${name}_e0_q`, uint(rdata.width), { reset: 0 });
  const e1 = m.reg(`${name}_e1_q`, uint(rdata.width), { reset: 0 });
  m.seq(`${name}_stream`, ($) => {
    $.set(rv, issue);
    $.if(start, () => {
      $.set(left, n);
      $.set(addr, base.width > aw ? base.trunc(aw) : base.zext(aw));
      $.set(occ, 0);
    }).else(() => {
      $.if(issue, () => {
        $.set(left, left.subWrap(1));
        $.set(addr, addr.addWrap(1));
      });
      $.if(rv.and(pop), () => {
        $.if(occ.eq(1), () => $.set(e0, rdata)).else(() => {
          $.set(e0, e1);
          $.set(e1, rdata);
        });
      })
        .elseIf(rv, () => {
          $.if(occ.eq(0), () => $.set(e0, rdata)).else(() => $.set(e1, rdata));
          $.set(occ, occ.addWrap(1));
        })
        .elseIf(pop, () => {
          $.set(e0, e1);
          $.set(occ, occ.subWrap(1));
        });
    });
  });
  return { valid, data: e0, fire: pop, addr };
}

/**
 * Whether a record's intake waits for the running step's next-layer loads (the Hebbian unit has one loader): when
 * the layer-1 pass and the loads up to the last hidden layer's (each layer's pass, 5 cycles of hand-off, its
 * LayerNorm tail n + 13) end before the record's P + 1 bytes could, letting the intake go first would hold the
 * step back by the rest of the intake; otherwise the intake goes first and ends within the layer-1 pass.
 */
export function intakeAfterLoads(cfg: ChipConfig): boolean {
  const layers = hebbianLayout(cfg).layers;
  if (layers.length < 2) return false;
  const first = layers[0].rounds * layers[0].chunks + 4;
  const loads = layers.slice(0, -1).reduce((a, l) => a + l.rounds * l.chunks + 5 + l.nOut + 13, 0);
  return first + loads < cfg.layers[0] + 1;
}

export function sequencer(cfg: ChipConfig): Module {
  const N = resolveNumeric(cfg.numeric);
  const sh = unitShapes(cfg);
  const heb = hebbianLayout(cfg);
  const outLay = outputLayout(cfg);
  const kc = kernelConstants(cfg, sh);
  const codes = kernelCodes(cfg, sh);
  const L = cfg.lanes;
  const B = cfg.window;
  const H = cfg.layers.length - 2;
  const P = cfg.layers[0];
  const hidden = cfg.layers.slice(1, H + 1);
  const D = hostDataWidth(cfg);
  const SB = sh.slotBits;
  const LB = sh.labelBits;
  const hw = bitsFor(H);
  const k = (v: number | bigint, w: number): Expr => constant(v, uint(w));
  const fit = (e: Expr, w: number): Expr => (e.width === w ? e : e.width > w ? e.trunc(w) : e.zext(w));

  const hebMod = hebbian(cfg);
  const lnMod = layernorm(cfg);
  const wmMod = workingMemory(cfg);
  const gramMod = gramArray(cfg);
  const kerMod = kernelUnit(cfg, { functions: 'kernel' });
  const modMod = modulator(cfg, { zwSlots: 'all' });
  const outMod = outputUnit(cfg);
  const port = (mod: Module, name: string): number => {
    const p = mod.ports.find((x) => x.name === name);
    if (!p) throw new Error(`sequencer: module ${mod.name} has no port ${name}`);
    return p.type.width;
  };

  const m = new ModuleBuilder(SEQUENCER_MODULE, { config: configHash(cfg), layers: cfg.layers.slice(), lanes: L, window: B });
  const { rst } = m.clock();

  // ---- ports
  const start = m.input('start', uint(1));
  const opIn = m.input('op', uint(2));
  const px = streamIn(m, 'px', uint(8));
  const hostUnit = m.input('host_unit', uint(1));
  const hostRe = m.input('host_re', uint(1));
  const hostWe = m.input('host_we', uint(1));
  const hostKind = m.input('host_kind', uint(2));
  const hostBankW = Math.max(port(hebMod, 'host_bank'), port(outMod, 'host_bank'));
  const hostAddrW = Math.max(port(hebMod, 'host_addr'), port(outMod, 'host_addr'));
  const hostBank = m.input('host_bank', uint(hostBankW));
  const hostAddr = m.input('host_addr', uint(hostAddrW));
  const hostWdata = m.input('host_wdata', uint(D));

  // ---- state
  const S = {
    IDLE: 0,
    PASS: 1,
    PASS_W0: 2,
    PASS_RUN: 3,
    PASS_LOAD: 4,
    PASS_WAIT: 5,
    T_END: 6,
    I_OUT: 7,
    I_LOGIT: 8,
    I_WAIT: 9,
    SYNC: 10,
    FLUSH: 11,
    FLUSH_W0: 12,
    FLUSH_WAIT: 13,
    CLEAR: 14,
    CLEAR_WAIT: 15,
    DONE: 16,
  };
  // the intake of a record: its pixels into the Hebbian unit's layer-1 slot sIn (and px_stage), its label; beside
  // the previous step
  const IS = { IDLE: 0, START: 1, PIX: 2, LABEL: 3, READY: 4 };
  // the K_X row of a step (beside its passes) and the modulator calls of a full step (beside the next passes)
  const KS = { IDLE: 0, REQ: 1, GO: 2, RUN: 3 };
  const MS = { IDLE: 0, START: 1, W0: 2, WAIT: 3 };
  const sw = bitsFor(Object.keys(S).length);
  const state = m.reg('state_q', uint(sw), { reset: S.IDLE });
  const is = (s: number): Signal => m.wire(`in_${Object.entries(S).find(([, v]) => v === s)![0].toLowerCase()}`, state.eq(k(s, sw)));
  const sIdle = is(S.IDLE);
  const istate = m.reg('intake_state_q', uint(3), { reset: IS.IDLE });
  const iIs = (v: number, name: string): Signal => m.wire(name, istate.eq(k(v, 3)));
  const sPix = iIs(IS.PIX, 'intake_pix');
  const sLabel = iIs(IS.LABEL, 'intake_label');
  const intakeStart = iIs(IS.START, 'intake_start');
  // the record's first load into the Hebbian unit starts (START → PIX): its pixels follow
  const intakeLoad = m.wire('intake_load', uint(1));
  const recTrain = m.reg('rec_train_q', uint(1), { reset: 0 });
  const kxOwed = m.reg('kx_owed_q', uint(1), { reset: 0 });
  const myLoad = m.reg('step_load_q', uint(2), { reset: 0 });
  // the loader still writes the step's own record into its layer-1 slot (the next record's load may follow)
  const ownLoad = m.reg('own_load_q', uint(1), { reset: 0 });
  const sPass = is(S.PASS);
  const sFlush = is(S.FLUSH);
  const kstate = m.reg('kx_state_q', uint(2), { reset: KS.IDLE });
  const mstate = m.reg('mod_state_q', uint(2), { reset: MS.IDLE });
  const kGo = m.wire('kx_go', kstate.eq(KS.GO));
  const mStart = m.wire('mod_go', mstate.eq(MS.START));
  const mWait = m.wire('mod_wait', mstate.eq(MS.WAIT));
  const train = m.reg('train_q', uint(1), { reset: 0 });
  const pending = m.reg('pending_q', uint(1), { reset: 0 });
  // Hebbian input slots: sPrev holds the pending update's h, sCur the step's, sIn the record coming in
  const sPrev = m.reg('slot_prev_q', uint(2), { reset: 1 });
  const sCur = m.reg('slot_cur_q', uint(2), { reset: 0 });
  const sIn = m.reg('slot_in_q', uint(2), { reset: 2 });
  const layer = m.reg('layer_q', uint(hw), { reset: 0 });
  const mLayer = m.reg('mod_layer_q', uint(hw), { reset: 0 });
  const pixLeft = m.reg('pix_left_q', uint(bitsFor(P + 1)), { reset: 0 });
  const done = m.reg('done_q', uint(1), { reset: 0 });
  // slotP: the slot of the step whose record and passes run; slotM: the step of the K_X row and the modulator
  const slotP = m.reg('slot_pass_q', uint(SB), { reset: 0 });
  const slotM = m.reg('slot_mod_q', uint(SB), { reset: 0 });
  const labelNext = m.reg('label_next_q', uint(LB), { reset: 0 });
  const labelStep = m.reg('label_step_q', uint(LB), { reset: 0 });
  const labelC = m.reg('label_c_q', uint(LB), { reset: 0 });
  const passFull = m.reg('pass_full_q', uint(1), { reset: 0 });
  const kxFull = m.reg('kx_full_q', uint(1), { reset: 0 });
  const kxReady = m.reg('kx_ready_q', uint(1), { reset: 0 });
  const lnAhead = m.reg('ln_ahead_q', uint(bitsFor(H + 1)), { reset: 0 });
  const dRdy = hidden.map((_, l) => m.reg(`delta_ready_${l}_q`, uint(1), { reset: 0 }));
  // the LayerNorm call in flight — its pass may have ended and the next step's first pass begun: its layer, whether
  // its step trains (z to the window and zc_mem) and has a full window (its δ are computed); a pass that starts
  // while the LayerNorm still normalises the previous call owes it its call (at most one is owed)
  const lnLayer = m.reg('ln_layer_q', uint(hw), { reset: 0 });
  const lnTrain = m.reg('ln_train_q', uint(1), { reset: 0 });
  const lnFull = m.reg('ln_full_q', uint(1), { reset: 0 });
  const lnOwed = m.reg('ln_owed_q', uint(1), { reset: 0 });
  // the call in flight when a training record was taken (the previous step's last layer, still writing its window z):
  // that step's window NEW waits for it
  const lnPrev = m.reg('ln_prev_q', uint(1), { reset: 0 });
  const newOwed = m.reg('new_owed_q', uint(1), { reset: 0 });
  // the output step of a full step, owed from its END until its z, its label and the output layer are there
  const outOwed = m.reg('out_owed_q', uint(1), { reset: 0 });
  const outLabel = m.reg('out_label_q', uint(1), { reset: 0 });
  const outZ = m.reg('out_z_q', uint(1), { reset: 0 });
  // the running modulator call reads the z of the LayerNorm call in flight (it started at that call's statistics):
  // its K_Z row and z_c reads follow the z words written (zCount of them)
  const zLive = m.reg('z_live_q', uint(1), { reset: 0 });
  const zCount = m.reg('z_count_q', uint(bitsFor(Math.max(...hidden) + 1)), { reset: 0 });
  const labels = Array.from({ length: B }, (_, s) => m.reg(`label_${s}_q`, uint(LB), { reset: 0 }));
  const seqIdle = m.wire('seq_idle', sIdle.and(istate.eq(IS.IDLE)));
  m.output('busy', seqIdle.not());
  m.output('done', done);
  const quiet = m.wire('all_quiet', uint(1));
  m.output('quiet', quiet);
  const lastLayer = m.wire('last_layer', layer.eq(k(H - 1, hw)));
  const lnLast = m.wire('ln_last_layer', lnLayer.eq(k(H - 1, hw)));
  const perLayer = (vals: number[], w: number, sel: Expr = layer): Expr => fit(constByLayer(sel, vals), w);
  const bases = hidden.map((_, l) => hidden.slice(0, l).reduce((a, b) => a + b, 0));
  const totalN = hidden.reduce((a, b) => a + b, 0);
  const nw = bitsFor(Math.max(...hidden) + 1);
  const baseW = bitsFor(totalN);

  // ---- the units' wires (declared first: they feed each other)
  const hebStart = m.wire('heb_start', uint(1));
  // a pass updates in a flush, and in a training step with an update pending
  const hebUpdateNow = m.wire('heb_update_now', sFlush.or(pending.and(train)));
  const hlStart = m.wire('hl_start', uint(1));
  const hlLayer = m.wire('hl_layer', uint(hw));
  const hlSlot = m.wire('hl_slot', uint(2));
  const hValid = m.wire('h_tvalid', uint(1));
  const hData = m.wire('h_tdata', uint(port(hebMod, 's_axis_h_tdata')));
  const dValid = m.wire('delta_tvalid', uint(1));
  const dData = m.wire('delta_tdata', uint(port(hebMod, 's_axis_delta_tdata')));
  const accReady = m.wire('acc_tready', uint(1));
  const lnStart = m.wire('ln_start', uint(1));
  const zReady = m.wire('z_tready', uint(1));
  const hostPort = (mod: Module, unit: number): Record<string, Expr> => {
    const mine = hostUnit.eq(k(unit, 1));
    return {
      host_re: hostRe.and(mine),
      host_we: hostWe.and(mine),
      host_kind: hostKind,
      host_bank: fit(hostBank, port(mod, 'host_bank')),
      host_addr: fit(hostAddr, port(mod, 'host_addr')),
      host_wdata: fit(hostWdata, port(mod, 'host_wdata')),
    };
  };

  // ---- Hebbian unit and layernorm
  const hebU = m.instance('u_hebbian', hebMod, {
    start: hebStart,
    cmd_layer: fit(layer, port(hebMod, 'cmd_layer')),
    cmd_update: hebUpdateNow,
    cmd_forward: sFlush.not(),
    cmd_cur: sPrev,
    cmd_nxt: sCur,
    ...feedStream('delta', { valid: dValid, data: dData.asSigned() }),
    [streamPortName('out', 'acc', 'tready')]: accReady,
    hl_start: hlStart,
    hl_layer: fit(hlLayer, port(hebMod, 'hl_layer')),
    hl_slot: hlSlot,
    ...feedStream('h', { valid: hValid, data: hData.asSigned() }),
    ...hostPort(hebMod, 0),
  });
  const hReady = hebU.out(streamPortName('in', 'h', 'tready'));
  const hebBusy = hebU.out('busy');
  const hlBusy = hebU.out('hl_busy');
  const accS = instanceOutStream(hebU, 'acc');
  const lnU = m.instance('u_layernorm', lnMod, {
    start: lnStart,
    layer: fit(layer, port(lnMod, 'layer')),
    ...feedStream('acc', { valid: accS.valid, data: accS.data }),
    [streamPortName('out', 'z', 'tready')]: zReady,
  });
  m.assign(accReady, lnU.out(streamPortName('in', 'acc', 'tready')));
  const lnBusy = lnU.out('busy');
  const zS = instanceOutStream(lnU, 'z');
  const wz = width(N.act.format);
  const wzw = width(N.windowZ.format);
  const zOnly = zS.data.trunc(wz).asSigned();
  const zWin = zS.data.slice(wz + wzw - 1, wz);
  const zPos = zS.data.bit(zS.data.width - 1);
  const inW = hData.width;
  const zAsH = zOnly.width >= inW ? zOnly.trunc(inW).asUnsigned() : zOnly.sext(inW).asUnsigned();
  const sInv = (l: number): Signal => lnU.out(`s_inv_${l}`);

  // ---- working memory
  const wmStart = m.wire('wm_start', uint(1));
  const wmOp = m.wire('wm_op', uint(2));
  const krowValid = m.wire('krow_tvalid', uint(1));
  const krowData = m.wire('krow_tdata', uint(port(wmMod, 's_axis_krow_tdata')));
  const krEn = m.wire('kr_en', uint(1));
  const krQ = m.wire('kr_q', uint(SB));
  const vrEn = m.wire('vr_en', uint(1));
  const vrKind = m.wire('vr_kind', uint(port(wmMod, 'vr_kind')));
  const vrAddr = m.wire('vr_addr', uint(port(wmMod, 'vr_addr')));
  const wmPxValid = m.wire('wm_px_tvalid', uint(1));
  const wmPxData = m.wire('wm_px_tdata', uint(8));
  const wmZValid = hidden.map((_, l) => m.wire(`wm_z${l + 1}_tvalid`, uint(1)));
  const wmU = m.instance('u_wm', wmMod, {
    start: wmStart,
    op: wmOp,
    label: labelStep,
    px_at_head: 1,
    ...feedStream('px', { valid: wmPxValid, data: wmPxData }),
    ...Object.assign({}, ...hidden.map((_, l) => feedStream(`z${l + 1}`, { valid: wmZValid[l], data: zWin }))),
    ...feedStream('krow', { valid: krowValid, data: krowData }),
    kr_en: krEn,
    kr_p: slotM,
    kr_q: krQ,
    vr_en: vrEn,
    vr_kind: vrKind,
    vr_addr: vrAddr,
  });
  const wmBusy = wmU.out('busy');
  const wmCount = wmU.out('count');
  const wmPxReady = wmU.out(streamPortName('in', 'px', 'tready'));
  const wmZReady = hidden.map((_, l) => wmU.out(streamPortName('in', `z${l + 1}`, 'tready')));
  const vrData = Array.from({ length: B }, (_, s) => wmU.out(`vr_data_${s}`));

  // ---- Gram array → kernel
  const gramStart = m.wire('gram_start', uint(1));
  const gramKinds = m.wire('gram_kinds', uint(port(gramMod, 'kinds')));
  const gramCount = m.wire('gram_count', uint(port(gramMod, 'count')));
  const gramHold = m.wire('gram_hold', uint(1));
  const kreqReady = m.wire('kreq_tready', uint(1));
  const gramU = m.instance('u_gram', gramMod, {
    start: gramStart,
    mode: GRAM_MODE.ROW,
    kinds: gramKinds,
    cur: slotM,
    count: gramCount,
    hold: gramHold,
    ...Object.fromEntries(vrData.map((d, s) => [`vr_data_${s}`, d])),
    [streamPortName('out', 'd', 'tready')]: kreqReady,
  });
  const gramBusy = gramU.out('busy');
  // a K_Z row beside the LayerNorm that writes its z reads element j once z_j is in the window
  m.assign(gramHold, zLive.and(fit(zCount, Math.max(zCount.width, port(gramMod, 'vr_addr'))).le(fit(gramU.out('vr_addr'), Math.max(zCount.width, port(gramMod, 'vr_addr'))))));
  const dS = instanceOutStream(gramU, 'd');
  const DB = sh.distBits;
  const gKind = dS.data.slice(dS.data.width - 1, dS.data.width - sh.kindBits);
  const kResReady = m.wire('krsp_tready', uint(1));
  const kerU = m.instance('u_kernel', kerMod, {
    ...feedStream('req', { valid: dS.valid, data: cat(fit(gKind, codes.fnBits), fit(dS.data.trunc(DB), codes.argBits)), last: dS.last as Signal }),
    [streamPortName('out', 'rsp', 'tready')]: kResReady,
  });
  m.assign(kreqReady, kerU.out(streamPortName('in', 'req', 'tready')));
  const kS = instanceOutStream(kerU, 'rsp');
  m.unused(kS.last as Signal);
  const YW = codes.yBits;
  const wg = width(N.gram.format);
  const kY = kS.data.trunc(YW);
  const kSatOut = kS.data.bit(YW);
  const kSatArg = kS.data.bit(YW + 1);
  if (kS.data.width > YW + 2) m.unused(kS.data.slice(kS.data.width - 1, YW + 2));
  const kWord = fit(kY, wg);
  // K_X path (kpath 0): the words of the occupied slots q ≠ c in increasing q, with their K_Y words
  const kpath = m.reg('kpath_q', uint(1), { reset: 0 });
  const kq = m.reg('k_q_q', uint(SB), { reset: 0 });
  const labelOf = (q: Expr): Expr => (B === 1 ? labels[0] : select(q, labels, labels[0]));
  const kyWord = mux(labelOf(kq).eq(labelC), k(kc.one, wg), k(kc.kyDiff, wg));
  const krowReady = wmU.out(streamPortName('in', 'krow', 'tready'));
  m.assign(krowValid, kS.valid.and(kpath.not()));
  m.assign(krowData, cat(kyWord, kWord));
  // K_Z path (kpath 1): B words p = 0 … B − 1, a filler at c
  const kzLeft = m.reg('kz_left_q', uint(bitsFor(B + 1)), { reset: 0 });
  const kzFill = m.wire('kz_fill', kpath.and(kzLeft.ne(0)).and(kq.eq(slotM)));
  const kzReady = m.wire('kz_tready', uint(1));
  const kzValid = m.wire('kz_tvalid', kpath.and(kzLeft.ne(0)).and(kzFill.or(kS.valid)));
  const kzData = mux(kzFill, k(0, wg), kWord);
  m.assign(kResReady, mux(kpath, kzReady.and(kzFill.not()), krowReady));
  const kFire = m.wire('krsp_fire', kS.valid.and(kResReady));
  const kqStep = m.wire('k_q_step', mux(kpath, kzValid.and(kzReady), kFire));
  const kqStart = m.wire('k_q_start', uint(1));

  // ---- modulator
  const modStart = m.wire('mod_start', uint(1));
  const krV = m.wire('kr_tvalid', uint(1));
  const krRdy = { kxy: m.wire('kxy_tready', uint(1)), rsum: m.wire('rsum_tready', uint(1)) };
  const zcV = m.wire('zc_tvalid', uint(1));
  const zcD = m.wire('zc_tdata', uint(port(modMod, 's_axis_zc_tdata')));
  const zwV = m.wire('zw_tvalid', uint(1));
  const zwD = m.wire('zw_tdata', uint(port(modMod, 's_axis_zw_tdata')));
  const kxyD = m.wire('kxy_tdata', uint(port(modMod, 's_axis_kxy_tdata')));
  const rsumD = m.wire('rsum_tdata', uint(port(modMod, 's_axis_rsum_tdata')));
  const deltaReady = k(1, 1);
  const modU = m.instance('u_modulator', modMod, {
    start: modStart,
    layer: fit(mLayer, port(modMod, 'layer')),
    slot: slotM,
    s_inv: H === 1 ? sInv(0) : hidden.map((_, l) => sInv(l) as Expr).reduceRight((acc, e, l) => mux(mLayer.eq(k(l, hw)), e, acc)),
    ...feedStream('kxy', { valid: krV.and(krRdy.rsum), data: kxyD }),
    ...feedStream('kz', { valid: kzValid, data: kzData }),
    ...feedStream('rsum', { valid: krV.and(krRdy.kxy), data: rsumD }),
    ...feedStream('zc', { valid: zcV, data: zcD }),
    ...feedStream('zw', { valid: zwV, data: zwD }),
    [streamPortName('out', 'delta', 'tready')]: deltaReady,
  });
  m.assign(krRdy.kxy, modU.out(streamPortName('in', 'kxy', 'tready')));
  m.assign(krRdy.rsum, modU.out(streamPortName('in', 'rsum', 'tready')));
  m.assign(kzReady, modU.out(streamPortName('in', 'kz', 'tready')));
  const zcReady = modU.out(streamPortName('in', 'zc', 'tready'));
  const zwReady = modU.out(streamPortName('in', 'zw', 'tready'));
  const modBusy = modU.out('busy');
  const deltaS = instanceOutStream(modU, 'delta');
  m.unused(deltaS.last as Signal);

  // K rows and row sums of slot c from wm's K read port (p = 0 … B − 1)
  const krS = memStream(m, 'kr', SB, modStart, k(0, SB), k(B, bitsFor(B + 1)), k(1, 1), krRdy.kxy.and(krRdy.rsum), (re, addr) => {
    m.assign(krEn, re);
    m.assign(krQ, addr);
    return cat(wmU.out('kr_ry'), wmU.out('kr_rx'), wmU.out('kr_ky'), wmU.out('kr_kx'));
  });
  m.assign(krV, krS.valid);
  const wr = port(wmMod, 'kr_rx');
  m.assign(kxyD, krS.data.trunc(2 * wg));
  m.assign(rsumD, krS.data.slice(2 * wg + 2 * wr - 1, 2 * wg));
  m.unused(wmU.out('kr_label'));

  // zc_mem: {relu′, z} of the current sample per hidden layer
  const zcMem = m.memory('zc_mem', { depth: Math.max(totalN, 2), type: uint(1 + wz), style: 'block' });
  const zcW = m.reg('zc_waddr_q', uint(zcMem.addrType.width), { reset: 0 });
  const zFire = m.wire('z_fire', zS.valid.and(zReady));
  zcMem.write(zcW, cat(zPos, zOnly.asUnsigned()), zFire.and(lnTrain));
  // (a call beside the LayerNorm that writes its z reads word j once it is written)
  const zcGate = m.wire('zc_gate', uint(1));
  const zcS = memStream(m, 'zc', zcMem.addrType.width, modStart, perLayer(bases, baseW, mLayer), perLayer(hidden, nw, mLayer), zcGate, zcReady, (re, addr) =>
    zcMem.readSync('zc_rdata', addr, re),
  );
  m.assign(zcGate, zLive.not().or(zcS.addr.lt(zcW)));
  m.assign(zcV, zcS.valid);
  m.assign(zcD, zcS.data);

  // window z rows (all B slots of element j) from wm's vector read, once the Gram array is done with it
  const zwGate = m.reg('zw_gate_q', uint(1), { reset: 0 });
  const zwVr = { en: m.wire('zw_vr_en', uint(1)), addr: m.wire('zw_vr_addr', uint(vrAddr.width)) };
  const zwS = memStream(m, 'zw', vrAddr.width, modStart, k(0, vrAddr.width), perLayer(hidden, nw, mLayer), zwGate, zwReady, (re, addr) => {
    m.assign(zwVr.en, re);
    m.assign(zwVr.addr, addr);
    return cat(...vrData.slice().reverse().map((d) => d.trunc(wzw)));
  });
  m.assign(zwV, zwS.valid);
  m.assign(zwD, zwS.data);
  m.assign(vrEn, mux(zwGate, zwVr.en, gramU.out('vr_en')));
  m.assign(vrKind, mux(zwGate, fit(mLayer.zext(hw + 1).addWrap(1), vrKind.width), gramU.out('vr_kind')));
  m.assign(vrAddr, mux(zwGate, zwVr.addr, gramU.out('vr_addr')));

  // delta_mem: δ of every hidden layer
  const dMem = m.memory('delta_mem', { depth: Math.max(totalN, 2), type: uint(dData.width), style: 'block' });
  const dW = m.reg('delta_waddr_q', uint(dMem.addrType.width), { reset: 0 });
  dMem.write(dW, fit(deltaS.data.asUnsigned(), dData.width), deltaS.valid);
  // δ_l words are read as soon as the modulator call of layer l has written them: the update pass may start while
  // that call still runs (delta_ready is set when the call starts), its reads never overtake the writes, and its
  // z leaves the LayerNorm only once the call is done (below)
  const dGate = m.wire('delta_gate', uint(1));
  const dS2 = memStream(m, 'delta', dMem.addrType.width, hebStart.and(hebUpdateNow), perLayer(bases, baseW), perLayer(hidden, nw), dGate, hebU.out(streamPortName('in', 'delta', 'tready')), (re, addr) =>
    dMem.readSync('delta_rdata', addr, re),
  );
  const modWriting = m.wire('mod_writing', mstate.eq(MS.W0).or(mWait).and(mLayer.eq(layer)));
  m.assign(dGate, modWriting.not().or(dS2.addr.lt(dW)));
  m.assign(dValid, dS2.valid);
  m.assign(dData, dS2.data);

  // ---- the last hidden layer's window z, lane-packed (slot p at p·C_h; slot B: inference)
  const Ch = outLay.chunks;
  const zpLane = m.reg('zpack_lane_q', uint(bitsFor(L)), { reset: 0 });
  const zpAddr = m.reg('zpack_addr_q', uint(bitsFor((B + 1) * Ch)), { reset: 0 });
  const zpFire = m.wire('zpack_fire', zFire.and(lnLast));
  const zpLanes = Array.from({ length: L }, (_, q) => m.reg(`zpack_${q}_q`, uint(wzw), { reset: 0 }));
  const lanesNow = zpLanes.map((r, q) => mux(zpFire.and(zpLane.eq(k(q, zpLane.width))), zWin, r));
  const zpMem = m.memory('zpack_mem', { depth: (B + 1) * Ch, type: uint(L * wzw) });
  const zpWrite = m.wire('zpack_write', zpFire.and(zpLane.eq(k(L - 1, zpLane.width)).or(zS.last as Signal)));
  zpMem.write(fit(zpAddr, zpMem.addrType.width), cat(...lanesNow.slice().reverse()), zpWrite);
  const outStart = m.wire('out_start', uint(1));
  const outH = m.wire('out_h_addr', uint(port(outMod, 'h_addr')));
  const outHRe = m.wire('out_h_re', uint(1));
  const hRd = zpMem.readSync('zpack_rd', fit(fit(outH, zpMem.addrType.width).addWrap(mux(train, k(0, zpMem.addrType.width), k(B * Ch, zpMem.addrType.width))), zpMem.addrType.width), outHRe);
  const yAddr = m.wire('out_y_addr', uint(port(outMod, 'y_addr')));
  const yRe = m.wire('out_y_re', uint(1));
  const yQ = m.reg('y_rdata_q', uint(LB), { reset: 0 });
  m.seq('y_read', ($) => $.if(yRe, () => $.set(yQ, labelOf(fit(yAddr, SB)))));
  const logitReady = m.wire('logit_tready', uint(1));
  const outU = m.instance('u_output', outMod, {
    start: outStart,
    cmd_train: train,
    cmd_slot: 0,
    h_rdata: hRd,
    y_rdata: fit(yQ, port(outMod, 'y_rdata')),
    [streamPortName('out', 'logit', 'tready')]: logitReady,
    ...hostPort(outMod, 1),
  });
  m.assign(outH, outU.out('h_addr'));
  m.assign(outHRe, outU.out('h_re'));
  m.assign(yAddr, outU.out('y_addr'));
  m.assign(yRe, outU.out('y_re'));
  const outBusy = outU.out('busy');
  const logitS = instanceOutStream(outU, 'logit');

  // ---- host read data, sign-extended to the controller's width
  const sext = (e: Signal): Expr => (e.width === D ? e : e.width > D ? e.trunc(D) : e.asSigned().sext(D).asUnsigned());
  m.output('host_rdata', mux(hostUnit, sext(outU.out('host_rdata')), sext(hebU.out('host_rdata'))));

  // ---- pixel and z routing
  const pxWord = cat(k(0, 1), px.data, k(0, 1)).asSigned().sub(constant(255, uint(9)).toSigned()).trunc(10);
  const pxShift = N.input.format.fracBits - 8;
  if (pxShift < 0) throw new RangeError(`sequencer: the input format's ${N.input.format.fracBits} fraction bits cannot hold pixels (2p − 255)·2^(f_in − 8) exactly; need ≥ 8`);
  const pxVal = pxShift > 0 ? cat(pxWord.asUnsigned(), k(0, pxShift)).asSigned() : pxWord;
  const pxH = pxVal.width >= inW ? pxVal.trunc(inW).asUnsigned() : pxVal.sext(inW).asUnsigned();
  const toWm = lnTrain; // z goes to the window only in training steps, pixels only in training records
  m.assign(px.ready, sPix.and(hReady).or(sLabel));
  const pxFire = m.wire('px_fire', sPix.and(px.valid).and(hReady));
  // px_stage: a training record's pixels as they come in; copied into the window's pixel bank of the next slot
  // (px_at_head) behind the intake's writes once the previous step's K_X row has read that bank, before the
  // record's NEW. px_idx_q counts the record's pixels written (it reaches P: the copy's gate compares with it)
  const pxStage = m.memory('px_stage', { depth: P, type: uint(8), style: 'block' });
  const pxIdx = m.reg('px_idx_q', uint(bitsFor(P + 1)), { reset: 0 });
  pxStage.write(fit(pxIdx, pxStage.addrType.width), px.data, pxFire.and(recTrain));
  const cpOwed = m.reg('px_copy_owed_q', uint(1), { reset: 0 });
  const cpLeft = m.reg('px_copy_count_q', uint(bitsFor(P + 1)), { reset: 0 });
  // The copy follows the K_X row's reads of the pixel banks: pixel i is rewritten once the row's last Gram pass has
  // read element i. The row is ⌈count/R⌉ passes over the P elements (one per group of R slots, each reading all B
  // banks); kx_read_q counts its element reads, kx_skip_q those of the passes before the last.
  const gR = cfg.gram.rows;
  const maxPasses = Math.ceil(B / gR);
  const kxRead = m.reg('kx_read_q', uint(bitsFor(maxPasses * P + 1)), { reset: 0 });
  let kxSkip: Expr = k(0, kxRead.width);
  if (maxPasses > 1) {
    const skips = Array.from({ length: B + 1 }, (_, cnt) => k(Math.max(0, Math.ceil(cnt / gR) - 1) * P, kxRead.width));
    const skipQ = m.reg('kx_skip_q', uint(kxRead.width), { reset: 0 });
    m.seq('kx_skip', ($) => $.if(kGo, () => $.set(skipQ, select(wmCount, skips, skips[0]))));
    kxSkip = skipQ;
  }
  m.seq('kx_read', ($) => $.if(kGo, () => $.set(kxRead, 0)).elseIf(kstate.eq(KS.RUN).and(gramU.out('vr_en')), () => $.set(kxRead, kxRead.addWrap(1))));
  const cpStart = m.wire('px_copy_start', cpOwed.and(cpLeft.eq(0)).and(kxOwed.not().or(kstate.eq(KS.RUN))));
  const cpGate = m.wire('px_copy_gate', uint(1));
  const cpS = memStream(m, 'px_cp', pxStage.addrType.width, cpStart, k(0, 1), k(P, bitsFor(P + 1)), cpGate, wmPxReady, (re, addr) =>
    pxStage.readSync('px_stage_rdata', addr, re),
  );
  // pixel i is read once the intake has written it (the copy runs beside the intake, one pixel behind at best)
  const cpWritten = fit(cpS.addr, pxIdx.width).lt(pxIdx);
  m.assign(cpGate, kxOwed.not().or(fit(cpS.addr, kxRead.width).addWrap(kxSkip).lt(kxRead)).and(cpWritten));
  m.assign(wmPxValid, cpS.valid);
  m.assign(wmPxData, cpS.data);
  m.seq('px_copy', ($) => {
    $.if(pxFire, () => $.set(pxIdx, pxIdx.addWrap(1))).elseIf(intakeStart, () => $.set(pxIdx, 0));
    $.if(cpStart, () => {
      $.set(cpOwed, 0);
      $.set(cpLeft, P);
    }).elseIf(intakeLoad.and(recTrain), () => $.set(cpOwed, 1));
    $.if(cpS.fire, () => $.set(cpLeft, cpLeft.subWrap(1)));
  });
  const pxCopied = m.wire('px_copied', cpOwed.not().and(cpLeft.eq(0)));
  // z of layer l: to the next layer's loader, wm's z bank (training), zc_mem (always ready), zpack
  const zToH = lnLast.not();
  let wmZR: Expr = k(1, 1);
  hidden.forEach((_, l) => {
    wmZR = mux(lnLayer.eq(k(l, hw)), wmZReady[l], wmZR);
  });
  // an update pass may run while the modulator call of its layer (the previous step's) still reads z_l: zc_mem
  // and the window's z banks (K_Z row, window z rows), which this pass's z rewrites — its z waits for the call
  // (not for a call that reads this z as it is written); and a step's z waits for its window NEW
  const zBlock = m.wire('z_block', mstate.eq(MS.W0).or(mWait).and(mLayer.eq(lnLayer)).and(zLive.not()).or(newOwed.and(lnPrev.not())));
  const zOthers = (h: boolean, w: boolean): Expr => {
    let e: Expr = zBlock.not();
    if (h) e = e.and(zToH.not().or(hReady.and(sPix.not())));
    if (w) e = e.and(toWm.not().or(wmZR));
    return e;
  };
  m.assign(zReady, zOthers(true, true));
  m.assign(hValid, mux(sPix, px.valid, zS.valid.and(zToH).and(zOthers(false, true))));
  m.assign(hData, mux(sPix, pxH, zAsH));
  hidden.forEach((_, l) => m.assign(wmZValid[l], zS.valid.and(toWm).and(lnLayer.eq(k(l, hw))).and(zOthers(true, false))));

  // ---- saturation counters (training only) and steps
  const satRegs = new Map<Quantity, Signal>();
  const satReg = (q: Quantity): Signal => {
    let r = satRegs.get(q);
    if (!r) {
      r = m.reg(`sat_${q}_q`, uint(32), { reset: 0 });
      satRegs.set(q, r);
    }
    return r;
  };
  const steps = m.reg('steps_q', uint(64), { reset: 0 });
  const lnDone = lnU.out('done');
  const modDone = modU.out('done');
  const lnSat: [Quantity, string][] = [
    ['preact', 'sat_preact'],
    ['lnVar', 'sat_var'],
    ['lnInvStd', 'sat_inv_std'],
    ['act', 'sat_act'],
    ['windowZ', 'sat_window_z'],
  ];
  const modSat: [Quantity, string][] = [
    ['coef', 'sat_coef'],
    ['xi', 'sat_xi'],
    ['delta', 'sat_delta'],
  ];
  m.seq('sat_counts', ($) => {
    $.if(lnDone.and(lnTrain), () => {
      for (const [q, p] of lnSat) $.set(satReg(q), satReg(q).addWrap(fit(lnU.out(p), 32)));
    });
    $.if(modDone, () => {
      for (const [q, p] of modSat) $.set(satReg(q), satReg(q).addWrap(fit(modU.out(p), 32)));
    });
    $.if(kFire, () => {
      $.set(satReg('kernelArg'), satReg('kernelArg').addWrap(kSatArg.zext(32)));
      $.set(satReg('gram'), satReg('gram').addWrap(kSatOut.zext(32)));
    });
  });
  const sum = (sigs: Signal[]): Expr => sigs.map((s) => fit(s, 32)).reduce((a, b) => a.addWrap(b));
  const unitSat: Partial<Record<Quantity, Signal[]>> = {
    weight: [hebU.out('sat_w_hi'), hebU.out('sat_w_lo'), outU.out('sat_w_hi'), outU.out('sat_w_lo')],
    bias: [hebU.out('sat_b_hi'), hebU.out('sat_b_lo'), outU.out('sat_b_hi'), outU.out('sat_b_lo')],
    logit: [outU.out('sat_logit_hi'), outU.out('sat_logit_lo')],
    prob: [outU.out('sat_prob_hi')],
    err: [outU.out('sat_err_hi'), outU.out('sat_err_lo')],
  };
  for (const q of QUANTITIES) {
    const u = unitSat[q];
    const r = satRegs.get(q);
    m.output(`sat_${q}`, u ? sum(u) : r ?? k(0, 32));
  }
  m.output('steps', steps);

  // ---- inference argmax
  const wo = logitS.data.width;
  const best = m.reg('best_q', uint(wo), { reset: 0 });
  const bestJ = m.reg('best_j_q', uint(8), { reset: 0 });
  const logJ = m.reg('logit_j_q', uint(8), { reset: 0 });
  m.assign(logitReady, is(S.I_LOGIT));
  m.output('result', bestJ);

  // ---- background work of the steps: the K_X row, the modulator chain, the output layer
  const bgIdle = m.wire(
    'background_idle',
    kstate
      .eq(KS.IDLE)
      .and(mstate.eq(MS.IDLE))
      .and(kxReady.not())
      .and(lnAhead.eq(0))
      .and(lnBusy.not())
      .and(lnOwed.not())
      .and(newOwed.not())
      .and(outOwed.not())
      .and(outBusy.not())
      .and(gramBusy.not())
      .and(wmBusy.not()),
  );
  m.assign(quiet, seqIdle.and(bgIdle));
  const dReadyAt = (sel: Expr): Expr => dRdy.reduceRight<Expr>((acc, r, l) => (l === H - 1 ? r : mux(sel.eq(k(l, hw)), r, acc)), k(0, 1));
  const passGo = m.wire(
    'pass_go',
    sPass
      .and(mux(layer.eq(0), ownLoad.not(), myLoad.eq(0)))
      .and(hebBusy.not())
      .and(lnOwed.not())
      .and(hebUpdateNow.not().or(dReadyAt(layer)))
      .and(lastLayer.and(train).not().or(outBusy.not().and(outOwed.not()))),
  );
  const flushGo = m.wire('flush_go', sFlush.and(pending).and(hebBusy.not()).and(dReadyAt(layer)));
  m.assign(hebStart, passGo.or(flushGo));
  // the LayerNorm takes a pass's call when it is idle: at the pass's start, or once it has normalised the previous call
  m.assign(lnStart, passGo.or(lnOwed).and(lnBusy.not()));
  // a record is taken by the step FSM once its intake is complete (training: the window's NEW follows once the
  // previous step's last z are written; and once the previous step's K_X row is done, which the pixel copy no longer
  // waits for)
  const take = m.wire('take', sIdle.and(istate.eq(IS.READY)).and(lnOwed.not()).and(recTrain.not().or(wmBusy.not().and(pxCopied).and(kxOwed.not()))));
  const newGo = m.wire('wm_new_go', newOwed.and(lnPrev.not()).and(wmBusy.not()));
  // the loader: the step's next-layer load when its pass is done (first), else a record's intake
  const sPassLoad = is(S.PASS_LOAD);
  const stepLoad = m.wire('step_load', sPassLoad.and(hlBusy.not()));
  // With a short first pass the step's next-layer loads come before the next record's intake, which would hold
  // the loader for its P + 1 bytes (and the step's end, its output step and the next K_X row behind it): the
  // intake then waits for the step's last load (intakeAfterLoads); with a long first pass the intake ends within it
  let intakeGo: Expr = intakeStart.and(hlBusy.not()).and(sPassLoad.not());
  if (intakeAfterLoads(cfg)) {
    const passing = [S.PASS, S.PASS_W0, S.PASS_RUN, S.PASS_LOAD].map((v) => state.eq(k(v, sw))).reduce((a, b) => a.or(b));
    // loads still to come: a pass of a layer before the last, or past its load with more than one layer after it
    const more = H >= 3 ? is(S.PASS_WAIT).and(layer.lt(k(H - 2, hw))) : k(0, 1);
    intakeGo = intakeGo.and(m.wire('step_loads_owed', passing.and(lastLayer.not()).or(more)).not());
  }
  m.assign(intakeLoad, intakeGo);
  m.assign(hlStart, stepLoad.or(intakeLoad));
  m.assign(hlLayer, mux(stepLoad, layer.addWrap(1), k(0, hw)));
  // the slot by the load that starts (a record's intake may be waiting in START when the step's load wins)
  m.assign(hlSlot, mux(stepLoad, sCur, sIn));
  const clearGo = m.wire('clear_go', is(S.CLEAR).and(newOwed.not()).and(lnBusy.not()).and(lnOwed.not()));
  m.assign(wmStart, newGo.or(kGo).or(clearGo));
  m.assign(wmOp, mux(newGo, k(WM_OP.NEW, 2), mux(kGo, k(WM_OP.KROW, 2), k(WM_OP.CLEAR, 2))));
  // a record may enter once the previous one is taken (its pixels are in the window's bank by then)
  const recReady = m.wire('record_ready', istate.eq(IS.IDLE));
  m.output('rec_ready', recReady);
  const slot3 = (a: Expr, b: Expr): Expr => mux(a.ne(0).and(b.ne(0)), k(0, 2), mux(a.ne(1).and(b.ne(1)), k(1, 2), k(2, 2)));
  m.assign(gramStart, kGo.or(mStart));
  m.assign(gramKinds, mux(kGo, k(1, gramKinds.width), perLayer(hidden.map((_, l) => 2 << l), gramKinds.width, mLayer)));
  m.assign(gramCount, mux(kGo, fit(wmCount, gramCount.width), k(B, gramCount.width)));
  m.assign(kqStart, kGo.or(mStart));
  m.assign(modStart, mStart);
  const tEnd = is(S.T_END);
  // the output step reads the window's labels: it waits until its step's K_X row has written the label of its
  // slot (the row waits for the previous step's modulator calls, which an update pass no longer waits for), and
  // for its step's last z in zpack_mem
  const labelIn = m.wire('label_written', kstate.ne(KS.REQ));
  m.assign(outStart, outOwed.and(outLabel).and(outZ.not()).and(outBusy.not()).or(is(S.I_OUT)));

  m.seq('k_words', ($) => {
    $.if(kqStart, () => $.set(kzLeft, B)).elseIf(kpath.and(kqStep), () => $.set(kzLeft, kzLeft.subWrap(1)));
    $.if(kqStart, () => {
      $.set(kpath, mStart);
      $.set(kq, mux(mStart.not().and(slotM.eq(0)), k(1, SB), k(0, SB)));
    }).elseIf(kqStep, () => {
      const q1 = kq.addWrap(1);
      $.set(kq, mux(kpath.not().and(q1.eq(slotM)), q1.addWrap(1), q1));
    });
  });
  m.seq('buffers', ($) => {
    $.if(lnStart, () => $.set(zcW, fit(perLayer(bases, baseW), zcW.width))).elseIf(zFire.and(lnTrain), () => $.set(zcW, zcW.addWrap(1)));
    $.if(lnStart, () => $.set(zCount, 0)).elseIf(zFire, () => $.set(zCount, zCount.addWrap(1)));
    $.if(mStart, () => $.set(dW, fit(perLayer(bases, baseW, mLayer), dW.width))).elseIf(deltaS.valid, () => $.set(dW, dW.addWrap(1)));
    // the modulator's window-z reads own the vector read port from the end of the K_Z Gram row to the call's end
    $.set(zwGate, mWait.and(zwGate.or(gramBusy.not())));
    $.if(lnStart, () => {
      $.set(zpLane, 0);
      $.set(zpAddr, mux(train, fit(slotP.zext(zpAddr.width).mul(k(Ch, zpAddr.width)), zpAddr.width), k(B * Ch, zpAddr.width)));
    }).elseIf(zpFire, () => {
      $.if(zpWrite, () => {
        $.set(zpLane, 0);
        $.set(zpAddr, zpAddr.addWrap(1));
      }).else(() => $.set(zpLane, zpLane.addWrap(1)));
    });
    // the lane registers are looked at only in the cycles a z word is packed
    $.if(zpFire, () => zpLanes.forEach((r, q) => $.if(zpLane.eq(k(q, zpLane.width)), () => $.set(r, zWin))));
  });

  // K_X row of the step in slotP, once its label is in and the previous step's modulator chain and output
  // step are done (they read the K rows, the row sums and the labels it rewrites)
  const modCallDone = m.wire('mod_call_done', mWait.and(modBusy.not()).and(gramBusy.not()));
  // (and once the window's NEW of its step and the previous step's output step have been issued)
  const kxReqGo = m.wire(
    'kx_req_go',
    kstate.eq(KS.REQ).and(mstate.eq(MS.IDLE)).and(kxReady.not()).and(newOwed.not()).and(outOwed.not()).and(outBusy.not()).and(gramBusy.not()).and(wmBusy.not()),
  );
  m.seq('kx', ($) => {
    $.switch(kstate)
      .case(KS.REQ, () => {
        $.if(kxReqGo, () => {
          $.set(slotM, slotP);
          $.set(labelC, labelStep);
          labels.forEach((r, sl) => $.if(slotP.eq(k(sl, SB)), () => $.set(r, labelStep)));
          $.set(kxFull, passFull);
          $.set(kstate, KS.GO);
        });
      })
      .case(KS.GO, () => $.set(kstate, KS.RUN))
      .case(KS.RUN, () => {
        $.if(gramBusy.not().and(wmBusy.not()), () => {
          $.set(kxReady, kxFull);
          $.set(kxOwed, 0);
          $.set(kstate, KS.IDLE);
        });
      })
      .default(() => $.if(take.and(recTrain), () => {
        $.set(kstate, KS.REQ);
        $.set(kxOwed, 1);
      }));
    // the modulator chain of a full step: layer l once the K_X row and layer l's forward are done
    $.switch(mstate)
      .case(MS.IDLE, () => {
        // (with kxReady set the K_X unit is idle or waiting for this chain: it cannot start before the chain ends)
        $.if(kxReady.and(lnAhead.ne(0)).and(gramBusy.not()).and(modBusy.not()), () => $.set(mstate, MS.START));
      })
      .case(MS.START, () => {
        dRdy.forEach((r, l) => $.if(mLayer.eq(k(l, hw)), () => $.set(r, 1)));
        // the call starts at its layer's statistics, while the LayerNorm still writes its z, or later
        $.set(zLive, lnBusy.and(lnTrain).and(lnLayer.eq(mLayer)));
        $.set(mstate, MS.W0);
      })
      .case(MS.W0, () => $.set(mstate, MS.WAIT))
      .default(() => {
        $.if(modCallDone, () => {
          $.set(mstate, MS.IDLE);
          $.if(mLayer.eq(k(H - 1, hw)), () => {
            $.set(mLayer, 0);
            $.set(kxReady, 0);
          }).else(() => $.set(mLayer, mLayer.addWrap(1)));
        });
      });
    // δ_l consumed by the update pass of layer l (a training pass or a flush)
    $.if(hebStart.and(hebUpdateNow), () => dRdy.forEach((r, l) => $.if(layer.eq(k(l, hw)), () => $.set(r, 0))));
    $.if(mStart.not().and(lnDone.or(modCallDone)), () => $.set(zLive, 0));
    // layer l's modulator call may start once its LayerNorm call has its statistics (stats: z words follow)
    const lnInc = lnU.out('stats').and(lnTrain).and(lnFull);
    const lnDec = modCallDone;
    $.if(lnInc.and(lnDec.not()), () => $.set(lnAhead, lnAhead.addWrap(1))).elseIf(lnDec.and(lnInc.not()), () => $.set(lnAhead, lnAhead.subWrap(1)));
  });

  // ---- the LayerNorm's calls, the window's NEW and the output step, which may trail their step's passes
  m.seq('trailing', ($) => {
    $.if(lnStart, () => {
      $.set(lnLayer, layer);
      $.set(lnTrain, train);
      $.set(lnFull, passFull);
      $.set(lnOwed, 0);
    }).elseIf(passGo, () => $.set(lnOwed, 1));
    $.if(take.and(recTrain), () => {
      $.set(newOwed, 1);
      $.set(lnPrev, lnBusy.and(lnTrain));
    }).else(() => {
      $.if(newGo, () => $.set(newOwed, 0));
      $.if(lnDone, () => $.set(lnPrev, 0));
    });
    $.if(tEnd.and(passFull), () => {
      $.set(outOwed, 1);
      $.set(outLabel, labelIn.or(kxReqGo));
      $.set(outZ, lnBusy);
    }).else(() => {
      $.if(outStart, () => $.set(outOwed, 0));
      $.if(kxReqGo, () => $.set(outLabel, 1));
      $.if(lnDone, () => $.set(outZ, 0));
    });
  });

  // ---- the intake of a record
  m.seq('intake', ($: Scope) => {
    $.switch(istate)
      .case(IS.IDLE, () => {
        $.if(start.and(recReady).and(opIn.eq(SEQ_OP.TRAIN).or(opIn.eq(SEQ_OP.INFER))), () => {
          $.set(recTrain, opIn.eq(SEQ_OP.TRAIN));
          $.set(sIn, slot3(sPrev, sCur));
          $.set(istate, IS.START);
        });
      })
      .case(IS.START, () => {
        $.if(intakeLoad, () => {
          $.set(pixLeft, P);
          $.set(istate, IS.PIX);
        });
      })
      .case(IS.PIX, () => {
        $.if(pxFire, () => {
          $.set(pixLeft, pixLeft.subWrap(1));
          $.if(pixLeft.eq(1), () => $.set(istate, mux(recTrain, k(IS.LABEL, 3), k(IS.READY, 3))));
        });
      })
      .case(IS.LABEL, () => {
        $.if(px.valid, () => {
          $.set(labelNext, fit(px.data, LB));
          $.set(istate, IS.READY);
        });
      })
      .default(() => $.if(take, () => $.set(istate, IS.IDLE)));
    $.if(take, () => $.set(ownLoad, hlBusy)).elseIf(hlBusy.not(), () => $.set(ownLoad, 0));
    // the step's own next-layer load: done when the loader goes idle after it started
    $.if(stepLoad, () => $.set(myLoad, 2))
      .elseIf(myLoad.eq(2), () => $.set(myLoad, 1))
      .elseIf(myLoad.eq(1).and(hlBusy.not()), () => $.set(myLoad, 0));
  });

  // ---- the schedule of a step (TRAIN or INFER record), a flush or the epoch clear
  m.seq('fsm', ($: Scope) => {
    $.set(done, 0);
    const finish = (): void => {
      $.set(state, S.DONE);
    };
    $.switch(state)
      .case(S.IDLE, () => {
        $.if(take, () => {
          $.set(layer, 0);
          $.set(train, recTrain);
          $.set(sCur, sIn);
          $.if(recTrain, () => {
            $.set(slotP, fit(wmU.out('head'), SB));
            $.set(passFull, wmCount.ge(B - 1));
            $.set(labelStep, labelNext);
          });
          $.set(state, S.PASS);
        }).elseIf(start.and(istate.eq(IS.IDLE)).and(opIn.eq(SEQ_OP.FLUSH)), () => {
          $.set(layer, 0);
          $.set(state, S.SYNC);
        }).elseIf(start.and(istate.eq(IS.IDLE)).and(opIn.eq(SEQ_OP.CLEAR)), () => $.set(state, S.CLEAR));
      })
      .case(S.PASS, () => $.if(passGo, () => $.set(state, S.PASS_W0)))
      .case(S.PASS_W0, () => $.set(state, S.PASS_RUN))
      .case(S.PASS_RUN, () => {
        // the pass has delivered its accumulators: the next layer's input load may start
        $.if(hebBusy.not(), () => $.set(state, mux(lastLayer, k(S.PASS_WAIT, sw), k(S.PASS_LOAD, sw))));
      })
      .case(S.PASS_LOAD, () => $.if(stepLoad, () => $.set(state, S.PASS_WAIT)))
      .case(S.PASS_WAIT, () => {
        // (a training step's last LayerNorm call may run on beside the next step's first pass)
        const lnOk = lnOwed.not().and(lastLayer.and(train).or(lnBusy.not()));
        $.if(hebBusy.not().and(lnOk).and(myLoad.eq(0)).and(stepLoad.not()), () => {
          $.if(lastLayer, () => {
            $.set(layer, 0);
            $.set(state, mux(train, k(S.T_END, sw), k(S.I_OUT, sw)));
          }).else(() => {
            $.set(layer, layer.addWrap(1));
            $.set(state, S.PASS);
          });
        });
      })
      .case(S.T_END, () => {
        // a full step: its output-layer step starts, its δ become the pending update
        // (its output step is owed: it starts once the step's last z, its label and the output layer are there)
        $.if(passFull.not(), () => finish()).else(() => {
          $.set(pending, 1);
          $.set(sPrev, sCur);
          $.set(steps, steps.addWrap(1));
          finish();
        });
      })
      .case(S.I_OUT, () => {
        $.set(logJ, 0);
        $.set(state, S.I_LOGIT);
      })
      .case(S.I_LOGIT, () => {
        $.if(logitS.valid, () => {
          $.set(logJ, logJ.addWrap(1));
          $.if(logJ.eq(0).or(logitS.data.asSigned().gt(best.asSigned())), () => {
            $.set(best, logitS.data.asUnsigned());
            $.set(bestJ, logJ);
          });
          $.if(logitS.last as Signal, () => $.set(state, S.I_WAIT));
        });
      })
      .case(S.I_WAIT, () => $.if(outBusy.not(), () => finish()))
      .case(S.SYNC, () => $.if(bgIdle, () => $.set(state, S.FLUSH)))
      .case(S.FLUSH, () => {
        $.if(pending.not(), () => finish()).elseIf(flushGo, () => $.set(state, S.FLUSH_W0));
      })
      .case(S.FLUSH_W0, () => $.set(state, S.FLUSH_WAIT))
      .case(S.FLUSH_WAIT, () => {
        $.if(hebBusy.not(), () => {
          $.if(lastLayer, () => {
            $.set(pending, 0);
            $.set(layer, 0);
            finish();
          }).else(() => {
            $.set(layer, layer.addWrap(1));
            $.set(state, S.FLUSH);
          });
        });
      })
      .case(S.CLEAR, () => $.if(clearGo, () => $.set(state, S.CLEAR_WAIT)))
      .case(S.CLEAR_WAIT, () => $.if(wmBusy.not(), () => finish()))
      .case(S.DONE, () => {
        $.set(done, 1);
        $.set(state, S.IDLE);
      })
      .default(() => $.set(state, S.IDLE));
  });
  m.unused(rst, hebU.out('done'), accS.last as Signal, wmU.out('done'), wmU.out('cur'), gramU.out('done'), outU.out('done'));
  m.unused(dS.data.slice(dS.data.width - sh.kindBits - 1, DB));

  return m.build();
}
