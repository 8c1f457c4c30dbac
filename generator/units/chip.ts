/**
 * CHIP TOP (module `chip`): the stream front end, the controller and the units it sequences, from one
 * ChipConfig. The host talks to it over one byte stream each way (docs/protocol.md).
 *
 * PORTS (clk, rst synchronous active high)
 *   s_axis_in_tvalid/tready/tdata[8]/tlast    request frames
 *   m_axis_out_tvalid/tready/tdata[8]/tlast   response frames
 *
 * WIRING
 *   frontend.m_axis_cmd → controller.s_axis_cmd; controller.m_axis_rsp → frontend.s_axis_rsp
 *   chip reset = rst OR frontend.chip_rst (after a RESET reply): the controller and the units restart
 *               (the controller then zeroes the weights and seeds the LFSR lanes with seed 0); the front
 *               end keeps its link state
 *   host port   the controller's host_unit selects the Hebbian unit (0) or the output layer (1); data
 *               words cross at the controller's width (hostDataWidth), truncated to each unit's port;
 *               read data sign-extended back (weights and biases are signed)
 *   forward     (INFER) the controller's pixel stream (px_mode) or the LayerNorm's z feeds the Hebbian unit's
 *               vector loader; its accumulator stream feeds the LayerNorm; the last hidden layer's z (window
 *               format) is lane-packed into zpack_mem (⌈n/L⌉ words of L lanes, block RAM), which the output
 *               layer reads through its h port (slot 0) for the logits the controller takes the argmax of
 *   saturation  per quantity of QUANTITIES, summed over the units that round it (weight, bias: the
 *               Hebbian unit and the output layer; logit, prob, err: the output layer) in training; the
 *               quantities of the training datapath not wired yet read 0
 *
 * NOT YET WIRED: the training datapath (working memory, Gram array, kernel, modulator, δ buffers, the
 * window copy of the last layer's z for the output layer's training step): the controller refuses TRAIN
 * (NOT_SUPPORTED).
 */
import { ModuleBuilder, cat, constant, mux, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import { resolveNumeric } from '../numeric.js';
import { bitsFor } from './lane.js';
import { width } from '../fixed/index.js';
import { feedStream, instanceOutStream, streamIn, streamOut, streamPortName } from '../lib/stream/bundle.js';
import { configHash, type ChipConfig } from '../config.js';
import { QUANTITIES } from '../numeric.js';
import { frontend, type FrontendOptions } from './frontend.js';
import { controller, hostDataWidth } from './controller.js';
import { hebbian } from './hebbian.js';
import { outputLayout, outputUnit } from './output.js';
import { layernorm } from './layernorm.js';

export const CHIP_MODULE = 'chip';

export function chip(cfg: ChipConfig, o: FrontendOptions = {}): Module {
  const m = new ModuleBuilder(CHIP_MODULE, { config: configHash(cfg), layers: cfg.layers.slice(), lanes: cfg.lanes, window: cfg.window });
  const { rst } = m.clock();
  const sIn = streamIn(m, 'in', uint(8), { last: true });
  const sOut = streamOut(m, 'out', uint(8), { last: true });

  const feMod = frontend(cfg, o);
  const ctlMod = controller(cfg);
  const hebMod = hebbian(cfg);
  const outMod = outputUnit(cfg);
  const lnMod = layernorm(cfg);
  const H = cfg.layers.length - 2;
  const outLay = outputLayout(cfg);
  const L = cfg.lanes;
  const D = hostDataWidth(cfg);
  const port = (mod: Module, name: string): number => {
    const p = mod.ports.find((x) => x.name === name);
    if (!p) throw new Error(`chip: module ${mod.name} has no port ${name}`);
    return p.type.width;
  };
  const fit = (e: Expr, w: number): Expr => (e.width === w ? e : e.width > w ? e.trunc(w) : e.zext(w));

  // wires the front end and the controller exchange (declared first: each feeds the other)
  const rspValid = m.wire('rsp_tvalid', uint(1));
  const rspData = m.wire('rsp_tdata', uint(8));
  const rspLast = m.wire('rsp_tlast', uint(1));
  const cmdReady = m.wire('cmd_tready', uint(1));
  const fe = m.instance('u_frontend', feMod, {
    ...feedStream('in', { valid: sIn.valid, data: sIn.data, last: sIn.last as Signal }),
    [streamPortName('out', 'out', 'tready')]: sOut.ready,
    [streamPortName('out', 'cmd', 'tready')]: cmdReady,
    ...feedStream('rsp', { valid: rspValid, data: rspData, last: rspLast }),
  });
  m.assign(sIn.ready, fe.out(streamPortName('in', 'in', 'tready')));
  const feOut = instanceOutStream(fe, 'out');
  m.assign(sOut.valid, feOut.valid);
  m.assign(sOut.data, feOut.data);
  m.assign(sOut.last as Signal, feOut.last as Signal);
  const chipRst = m.wire('chip_rst', rst.or(fe.out('chip_rst')));

  // units (their saturation counters and host read data feed the controller)
  const hebRdata = m.wire('heb_rdata', uint(D));
  const outRdata = m.wire('out_rdata', uint(D));
  const hostUnit = m.wire('host_unit', uint(1));
  const hostRe = m.wire('host_re', uint(1));
  const hostWe = m.wire('host_we', uint(1));
  const hostKind = m.wire('host_kind', uint(2));
  const hostBank = m.wire('host_bank', uint(port(ctlMod, 'host_bank')));
  const hostAddr = m.wire('host_addr', uint(port(ctlMod, 'host_addr')));
  const hostWdata = m.wire('host_wdata', uint(D));
  const hostPort = (mod: Module, unit: number): Record<string, Expr> => {
    const mine = hostUnit.eq(constant(unit, uint(1)));
    return {
      host_re: hostRe.and(mine),
      host_we: hostWe.and(mine),
      host_kind: hostKind,
      host_bank: fit(hostBank, port(mod, 'host_bank')),
      host_addr: fit(hostAddr, port(mod, 'host_addr')),
      host_wdata: fit(hostWdata, port(mod, 'host_wdata')),
    };
  };
  // forward datapath: controller → Hebbian passes → LayerNorm → (next layer's loader | lane-packed h copy)
  const hw = port(ctlMod, 'fw_layer');
  const fwLayer = m.wire('fw_layer', uint(hw));
  const hebStart = m.wire('heb_start', uint(1));
  const hlStart = m.wire('hl_start', uint(1));
  const hlLayer = m.wire('hl_layer', uint(hw));
  const lnStart = m.wire('ln_start', uint(1));
  const outStart = m.wire('out_start', uint(1));
  const pxMode = m.wire('px_mode', uint(1));
  const pxValid = m.wire('px_tvalid', uint(1));
  const pxData = m.wire('px_tdata', uint(port(ctlMod, 's_axis_px_tdata'.replace('s_axis', 'm_axis'))));
  const lnZValid = m.wire('z_tvalid', uint(1));
  const lnZData = m.wire('z_tdata', uint(port(lnMod, 'm_axis_z_tdata')));
  const lnZLast = m.wire('z_tlast', uint(1));
  const hReady = m.wire('h_tready', uint(1));
  const zLast = m.wire('z_to_output', fwLayer.eq(constant(H - 1, uint(hw))));
  const inW = port(hebMod, 's_axis_h_tdata');
  const wz = width(resolveNumeric(cfg.numeric).act.format);
  const wzw = port(outMod, 'h_rdata') / L;
  const zOnly = lnZData.trunc(wz).asSigned();
  const zWin = lnZData.slice(wz + wzw - 1, wz);
  m.unused(lnZData.slice(lnZData.width - 1, wz + wzw)); // the relu′ flag: for the modulator
  const hData = mux(pxMode, pxData, zOnly.width >= inW ? zOnly.trunc(inW).asUnsigned() : zOnly.sext(inW).asUnsigned());
  const accReady = m.wire('acc_tready', uint(1));
  const logitReady = m.wire('logit_tready', uint(1));
  const heb = m.instance('u_hebbian', hebMod, {
    rst: chipRst,
    start: hebStart,
    cmd_layer: fit(fwLayer, port(hebMod, 'cmd_layer')),
    cmd_update: 0,
    cmd_forward: 1,
    cmd_cur: 0,
    cmd_nxt: 0,
    ...feedStream('delta', { valid: 0, data: 0 }),
    [streamPortName('out', 'acc', 'tready')]: accReady,
    hl_start: hlStart,
    hl_layer: fit(hlLayer, port(hebMod, 'hl_layer')),
    hl_slot: 0,
    ...feedStream('h', { valid: mux(pxMode, pxValid, lnZValid.and(zLast.not())), data: hData.asSigned() }),
    ...hostPort(hebMod, 0),
  });
  m.assign(hReady, heb.out(streamPortName('in', 'h', 'tready')));
  const accS = instanceOutStream(heb, 'acc');
  const ln = m.instance('u_layernorm', lnMod, {
    rst: chipRst,
    start: lnStart,
    layer: fit(fwLayer, port(lnMod, 'layer')),
    ...feedStream('acc', { valid: accS.valid, data: accS.data }),
    [streamPortName('out', 'z', 'tready')]: mux(zLast, constant(1, uint(1)), pxMode.not().and(hReady)),
  });
  m.assign(accReady, ln.out(streamPortName('in', 'acc', 'tready')));
  const zS = instanceOutStream(ln, 'z');
  m.assign(lnZValid, zS.valid);
  m.assign(lnZData, zS.data);
  m.assign(lnZLast, zS.last as Signal);
  // the last hidden layer's z (window format), lane-packed: chunk k of L words at address k
  const Ch = outLay.chunks;
  const zLane = m.reg('zpack_lane_q', uint(bitsFor(L)), { reset: 0 });
  const zChunk = m.reg('zpack_chunk_q', uint(bitsFor(Ch + 1)), { reset: 0 });
  const zFire = m.wire('zpack_fire', zLast.and(lnZValid));
  const lanes = Array.from({ length: L }, (_, q) => m.reg(`zpack_${q}_q`, uint(wzw), { reset: 0 }));
  const laneNow = lanes.map((r, q) => mux(zFire.and(zLane.eq(constant(q, zLane.type))), zWin, r));
  const packed = m.wire('zpack_word', cat(...laneNow.slice().reverse()));
  const zMem = m.memory('zpack_mem', { depth: Math.max(Ch, 2), type: uint(L * wzw) });
  const zWrite = m.wire('zpack_write', zFire.and(zLane.eq(constant(L - 1, zLane.type)).or(lnZLast)));
  zMem.write(zChunk.trunc(zMem.addrType.width), packed, zWrite);
  m.seq('zpack', ($) => {
    $.if(lnStart, () => {
      $.set(zLane, 0);
      $.set(zChunk, 0);
    }).elseIf(zFire, () => {
      lanes.forEach((r, q) => $.if(zLane.eq(constant(q, zLane.type)), () => $.set(r, zWin)));
      $.if(zWrite, () => {
        $.set(zLane, 0);
        $.set(zChunk, zChunk.addWrap(1));
      }).else(() => $.set(zLane, zLane.addWrap(1)));
    });
  });
  const hAddrW = port(outMod, 'h_addr');
  const outH = m.wire('out_h_addr', uint(hAddrW));
  const outHRe = m.wire('out_h_re', uint(1));
  const hRd = zMem.readSync('zpack_rd', fit(outH, zMem.addrType.width), outHRe);
  const outU = m.instance('u_output', outMod, {
    rst: chipRst,
    start: outStart,
    cmd_train: 0,
    cmd_slot: 0,
    h_rdata: hRd,
    y_rdata: 0,
    [streamPortName('out', 'logit', 'tready')]: logitReady,
    ...hostPort(outMod, 1),
  });
  m.assign(outH, outU.out('h_addr'));
  m.assign(outHRe, outU.out('h_re'));
  if (hAddrW > zMem.addrType.width) m.unused(outH.slice(hAddrW - 1, zMem.addrType.width));
  const sext = (e: Signal): Expr => (e.width === D ? e : e.width > D ? e.trunc(D) : e.asSigned().sext(D).asUnsigned());
  m.assign(hebRdata, sext(heb.out('host_rdata')));
  m.assign(outRdata, sext(outU.out('host_rdata')));

  // saturation counts per quantity
  const sum = (sigs: Signal[]): Expr => sigs.map((s) => fit(s, 32)).reduce((a, b) => a.addWrap(b));
  const satOf: Partial<Record<(typeof QUANTITIES)[number], Signal[]>> = {
    weight: [heb.out('sat_w_hi'), heb.out('sat_w_lo'), outU.out('sat_w_hi'), outU.out('sat_w_lo')],
    bias: [heb.out('sat_b_hi'), heb.out('sat_b_lo'), outU.out('sat_b_hi'), outU.out('sat_b_lo')],
    logit: [outU.out('sat_logit_hi'), outU.out('sat_logit_lo')],
    prob: [outU.out('sat_prob_hi')],
    err: [outU.out('sat_err_hi'), outU.out('sat_err_lo')],
  };
  const sats: Record<string, Expr> = {};
  for (const q of QUANTITIES) {
    const s = satOf[q];
    sats[`sat_${q}`] = s ? sum(s) : constant(0, uint(32));
  }

  const ctl = m.instance('u_controller', ctlMod, {
    rst: chipRst,
    ...feedStream('cmd', { valid: fe.out(streamPortName('out', 'cmd', 'tvalid')), data: fe.out(streamPortName('out', 'cmd', 'tdata')), last: fe.out(streamPortName('out', 'cmd', 'tlast')) }),
    [streamPortName('out', 'rsp', 'tready')]: fe.out(streamPortName('in', 'rsp', 'tready')),
    heb_rdata: hebRdata,
    out_rdata: outRdata,
    heb_busy: heb.out('busy'),
    hl_busy: heb.out('hl_busy'),
    ln_busy: ln.out('busy'),
    out_busy: outU.out('busy'),
    [streamPortName('out', 'px', 'tready')]: pxMode.and(hReady),
    ...feedStream('logit', { ...(() => { const l = instanceOutStream(outU, 'logit'); return { valid: l.valid, data: l.data.asUnsigned(), last: l.last as Signal }; })() }),
    ...sats,
  });
  m.assign(cmdReady, ctl.out(streamPortName('in', 'cmd', 'tready')));
  const rspS = instanceOutStream(ctl, 'rsp');
  m.assign(rspValid, rspS.valid);
  m.assign(rspData, rspS.data);
  m.assign(rspLast, rspS.last as Signal);
  m.assign(hostUnit, ctl.out('host_unit'));
  m.assign(hostRe, ctl.out('host_re'));
  m.assign(hostWe, ctl.out('host_we'));
  m.assign(hostKind, ctl.out('host_kind'));
  m.assign(hostBank, ctl.out('host_bank'));
  m.assign(hostAddr, ctl.out('host_addr'));
  m.assign(hostWdata, ctl.out('host_wdata'));
  m.assign(logitReady, ctl.out(streamPortName('in', 'logit', 'tready')));
  m.assign(fwLayer, ctl.out('fw_layer'));
  m.assign(hebStart, ctl.out('heb_start'));
  m.assign(hlStart, ctl.out('hl_start'));
  m.assign(hlLayer, ctl.out('hl_layer'));
  m.assign(lnStart, ctl.out('ln_start'));
  m.assign(outStart, ctl.out('out_start'));
  m.assign(pxMode, ctl.out('px_mode'));
  const pxS = instanceOutStream(ctl, 'px');
  m.assign(pxValid, pxS.valid);
  m.assign(pxData, pxS.data);

  const unusedOut = (inst: { out(p: string): Signal; module: Module }, skip: string[]): void => {
    for (const p of inst.module.ports) {
      if (p.kind !== 'output' || skip.includes(p.name)) continue;
      m.unused(inst.out(p.name));
    }
  };
  unusedOut(ctl, ['host_unit', 'host_re', 'host_we', 'host_kind', 'host_bank', 'host_addr', 'host_wdata', 'fw_layer', 'heb_start', 'hl_start', 'hl_layer', 'ln_start', 'out_start', 'px_mode', 'm_axis_px_tvalid', 'm_axis_px_tdata', 's_axis_cmd_tready', 'm_axis_rsp_tvalid', 'm_axis_rsp_tdata', 'm_axis_rsp_tlast', 's_axis_logit_tready', 'busy']);
  unusedOut(heb, ['host_rdata', 'sat_w_hi', 'sat_w_lo', 'sat_b_hi', 'sat_b_lo', 'busy', 'hl_busy', 's_axis_h_tready', 'm_axis_acc_tvalid', 'm_axis_acc_tdata']);
  unusedOut(outU, ['host_rdata', 'busy', 'h_addr', 'h_re', 'm_axis_logit_tvalid', 'm_axis_logit_tdata', 'm_axis_logit_tlast', ...Object.values(satOf).flat().map((s) => s.name.replace(/^u_output_/, ''))]);
  unusedOut(ln, ['busy', 's_axis_acc_tready', 'm_axis_z_tvalid', 'm_axis_z_tdata', 'm_axis_z_tlast']);
  m.unused(ctl.out('busy'));
  return m.build();
}
