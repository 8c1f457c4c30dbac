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
 *   saturation  per quantity of QUANTITIES, summed over the units that round it (weight, bias: the
 *               Hebbian unit and the output layer; logit, prob, err: the output layer); the quantities
 *               of units not in this top yet (LayerNorm, working memory, modulator, kernel) read 0
 *
 * The datapath units that TRAIN and INFER need besides these (LayerNorm, working memory, Gram array,
 * kernel, modulator) are not wired here yet; the controller refuses TRAIN and INFER (NOT_SUPPORTED).
 */
import { ModuleBuilder, constant, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import { feedStream, instanceOutStream, streamIn, streamOut, streamPortName } from '../lib/stream/bundle.js';
import { configHash, type ChipConfig } from '../config.js';
import { QUANTITIES } from '../numeric.js';
import { frontend, type FrontendOptions } from './frontend.js';
import { controller, hostDataWidth } from './controller.js';
import { hebbian } from './hebbian.js';
import { outputUnit } from './output.js';

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
  const heb = m.instance('u_hebbian', hebMod, {
    rst: chipRst,
    start: 0,
    cmd_layer: 0,
    cmd_update: 0,
    cmd_forward: 0,
    cmd_cur: 0,
    cmd_nxt: 0,
    ...feedStream('delta', { valid: 0, data: 0 }),
    [streamPortName('out', 'acc', 'tready')]: 1,
    hl_start: 0,
    hl_layer: 0,
    hl_slot: 0,
    ...feedStream('h', { valid: 0, data: 0 }),
    ...hostPort(hebMod, 0),
  });
  const outU = m.instance('u_output', outMod, {
    rst: chipRst,
    start: 0,
    cmd_train: 0,
    cmd_slot: 0,
    h_rdata: 0,
    y_rdata: 0,
    [streamPortName('out', 'logit', 'tready')]: 1,
    ...hostPort(outMod, 1),
  });
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

  const unusedOut = (inst: { out(p: string): Signal; module: Module }, skip: string[]): void => {
    for (const p of inst.module.ports) {
      if (p.kind !== 'output' || skip.includes(p.name)) continue;
      m.unused(inst.out(p.name));
    }
  };
  unusedOut(heb, ['host_rdata', 'sat_w_hi', 'sat_w_lo', 'sat_b_hi', 'sat_b_lo']);
  unusedOut(outU, ['host_rdata', ...Object.values(satOf).flat().map((s) => s.name.replace(/^u_output_/, ''))]);
  m.unused(ctl.out('busy'));
  return m.build();
}
