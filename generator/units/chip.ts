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
 *   chip reset = rst OR a RESET request: frontend.chip_rst (after a RESET reply) is held in chip_rst_req_q
 *               until the datapath is quiet (the controller idle, the sequencer's steps and background work
 *               done: TRAIN is answered once its records are taken, so the steps of answered TRAIN frames
 *               always finish), and the commands behind it wait meanwhile; then the controller and the
 *               sequencer restart (the controller zeroes the weights and seeds the LFSR lanes with seed 0);
 *               the front end keeps its link state
 *   controller → sequencer   commands (TRAIN, INFER, FLUSH, CLEAR), the records' bytes, the host port of
 *               the weight memories; back: busy, done, rec_ready, quiet, the predicted class, the step and saturation
 *               counters (sequencer.ts holds every datapath unit and the training schedule)
 */
import { ModuleBuilder, uint, type Expr, type Module, type Signal } from '../ir/index.js';
import { feedStream, instanceOutStream, streamIn, streamOut, streamPortName } from '../lib/stream/bundle.js';
import { configHash, type ChipConfig } from '../config.js';
import { QUANTITIES } from '../numeric.js';
import { frontend, type FrontendOptions } from './frontend.js';
import { controller } from './controller.js';
import { hostDataWidth, sequencer } from './sequencer.js';

export const CHIP_MODULE = 'chip';

export function chip(cfg: ChipConfig, o: FrontendOptions = {}): Module {
  const m = new ModuleBuilder(CHIP_MODULE, { config: configHash(cfg), layers: cfg.layers.slice(), lanes: cfg.lanes, window: cfg.window });
  const { rst } = m.clock();
  const sIn = streamIn(m, 'in', uint(8), { last: true });
  const sOut = streamOut(m, 'out', uint(8), { last: true });

  const feMod = frontend(cfg, o);
  const ctlMod = controller(cfg);
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
  const rstReq = m.reg('chip_rst_req_q', uint(1), { reset: 0 });
  const fe = m.instance('u_frontend', feMod, {
    ...feedStream('in', { valid: sIn.valid, data: sIn.data, last: sIn.last as Signal }),
    [streamPortName('out', 'out', 'tready')]: sOut.ready,
    [streamPortName('out', 'cmd', 'tready')]: cmdReady.and(rstReq.not()),
    ...feedStream('rsp', { valid: rspValid, data: rspData, last: rspLast }),
  });
  m.assign(sIn.ready, fe.out(streamPortName('in', 'in', 'tready')));
  const feOut = instanceOutStream(fe, 'out');
  m.assign(sOut.valid, feOut.valid);
  m.assign(sOut.data, feOut.data);
  m.assign(sOut.last as Signal, feOut.last as Signal);
  const coreQuiet = m.wire('core_quiet', uint(1));
  const rstNow = m.wire('chip_rst_now', rstReq.or(fe.out('chip_rst')).and(coreQuiet));
  m.seq('chip_rst_req', ($) => $.set(rstReq, fe.out('chip_rst').or(rstReq).and(rstNow.not())));
  const chipRst = m.wire('chip_rst', rst.or(rstNow));

  // the sequencer (the datapath and its schedule) behind the controller
  const seqMod = sequencer(cfg);
  const hostUnit = m.wire('host_unit', uint(1));
  const hostRe = m.wire('host_re', uint(1));
  const hostWe = m.wire('host_we', uint(1));
  const hostKind = m.wire('host_kind', uint(2));
  const hostBank = m.wire('host_bank', uint(port(ctlMod, 'host_bank')));
  const hostAddr = m.wire('host_addr', uint(port(ctlMod, 'host_addr')));
  const hostWdata = m.wire('host_wdata', uint(D));
  const seqStart = m.wire('seq_start', uint(1));
  const seqOp = m.wire('seq_op', uint(2));
  const pxValid = m.wire('px_tvalid', uint(1));
  const pxData = m.wire('px_tdata', uint(8));
  const seq = m.instance('u_sequencer', seqMod, {
    rst: chipRst,
    start: seqStart,
    op: seqOp,
    ...feedStream('px', { valid: pxValid, data: pxData }),
    host_unit: hostUnit,
    host_re: hostRe,
    host_we: hostWe,
    host_kind: hostKind,
    host_bank: fit(hostBank, port(seqMod, 'host_bank')),
    host_addr: fit(hostAddr, port(seqMod, 'host_addr')),
    host_wdata: hostWdata,
  });
  const sats: Record<string, Expr> = {};
  for (const q of QUANTITIES) sats[`sat_${q}`] = seq.out(`sat_${q}`);
  const ctl = m.instance('u_controller', ctlMod, {
    rst: chipRst,
    ...feedStream('cmd', { valid: fe.out(streamPortName('out', 'cmd', 'tvalid')).and(rstReq.not()), data: fe.out(streamPortName('out', 'cmd', 'tdata')), last: fe.out(streamPortName('out', 'cmd', 'tlast')) }),
    [streamPortName('out', 'rsp', 'tready')]: fe.out(streamPortName('in', 'rsp', 'tready')),
    host_rdata: seq.out('host_rdata'),
    seq_busy: seq.out('busy'),
    seq_done: seq.out('done'),
    seq_result: seq.out('result'),
    seq_rec_ready: seq.out('rec_ready'),
    seq_quiet: seq.out('quiet'),
    steps: seq.out('steps'),
    [streamPortName('out', 'px', 'tready')]: seq.out(streamPortName('in', 'px', 'tready')),
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
  m.assign(seqStart, ctl.out('seq_start'));
  m.assign(seqOp, ctl.out('seq_op'));
  const pxS = instanceOutStream(ctl, 'px');
  m.assign(pxValid, pxS.valid);
  m.assign(pxData, pxS.data);
  m.assign(coreQuiet, ctl.out('busy').not().and(seq.out('quiet')));
  return m.build();
}
