/**
 * Co-simulation of the output-layer unit (generator/units/output.ts) against outputStep / outputLogits of
 * sim/golden/fixed/output.ts. The unit reads the window through a memory port, so it runs inside a small
 * test bench module holding that memory (one word per slot and chunk: L lanes of windowZ) and the labels,
 * both filled through the runner's memory backdoor. Random weights, biases, LFSR states, windows, labels;
 * training steps and inference commands; every logit, weight, bias, LFSR state and saturation count compared.
 */
import { maxRawNum, minRawNum, width, SatCounter } from '../../generator/fixed/index.js';
import { ModuleBuilder, uint, type Module } from '../../generator/ir/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { outputLayout, outputUnit, outputWeightAddress, type OutputLayout } from '../../generator/units/output.js';
import { bitsFor } from '../../generator/units/lane.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/model.js';
import { LfsrBank } from '../../sim/golden/fixed/lfsr-bank.js';
import { satSlots } from '../../sim/golden/fixed/common.js';
import { outputLogits, outputParams, outputScratch, outputStep, type OutputParams } from '../../sim/golden/fixed/output.js';
import { Rng } from '../../sim/rng.js';
import { LaneHost, randRaw, ux, type HostLayer } from './lane-host.js';

/** The unit with the window and label memories it reads (read latency 1, as the working memory's). */
export function outputBench(cfg: ChipConfig): Module {
  const unit = outputUnit(cfg);
  const lay = outputLayout(cfg);
  const wz = width(lay.N.windowZ.format);
  const m = new ModuleBuilder(`${unit.name}_tb`, {});
  m.clock();
  const win = m.memory('win', { depth: lay.B * lay.chunks, type: uint(lay.lanes * wz) });
  // labels as words of at least 2 bits (Verilator packs a memory of 1-bit words into one vector)
  const lw = bitsFor(lay.C);
  const lbl = m.memory('lbl', { depth: lay.B, type: uint(Math.max(2, lw)) });
  // written only through the backdoor; a write port keeps the memories ordinary RAMs
  const we = m.input('tb_we', uint(1));
  win.write(m.input('tb_win_addr', win.addrType), m.input('tb_win_data', uint(lay.lanes * wz)), we);
  lbl.write(m.input('tb_lbl_addr', lbl.addrType), m.input('tb_lbl_data', uint(Math.max(2, lw))), we);
  const hr = m.wire('h_rdata', uint(lay.lanes * wz));
  const yr = m.wire('y_rdata', uint(bitsFor(lay.C)));
  const conn: Record<string, ReturnType<typeof m.input>> = {};
  for (const p of unit.ports) {
    if (p.kind !== 'input' || p.name === 'clk' || p.name === 'rst' || p.name === 'h_rdata' || p.name === 'y_rdata') continue;
    conn[p.name] = m.input(p.name, p.type);
  }
  const inst = m.instance('dut', unit, { ...conn, h_rdata: hr, y_rdata: yr });
  const hAddr = inst.out('h_addr');
  m.assign(hr, win.readSync('win_rd', hAddr.width === win.addrType.width ? hAddr : hAddr.trunc(win.addrType.width), inst.out('h_re')));
  const yAddr = inst.out('y_addr');
  const lr = lbl.readSync('lbl_rd', yAddr.width === lbl.addrType.width ? yAddr : yAddr.trunc(lbl.addrType.width), inst.out('y_re'));
  m.assign(yr, lr.width === lw ? lr : lr.trunc(lw));
  if (lr.width > lw) m.unused(lr.slice(lr.width - 1, lw));
  for (const p of unit.ports) {
    if (p.kind !== 'output' || ['h_addr', 'h_re', 'y_addr', 'y_re'].includes(p.name)) continue;
    m.output(p.name, inst.out(p.name));
  }
  return m.build();
}


const SAT_PORTS = ['sat_w_hi', 'sat_w_lo', 'sat_b_hi', 'sat_b_lo', 'sat_logit_hi', 'sat_logit_lo', 'sat_prob_hi', 'sat_err_hi', 'sat_err_lo'] as const;

export class OutputCosim {
  readonly lay: OutputLayout;
  readonly p: OutputParams;
  private constructor(
    readonly cfg: ChipConfig,
    readonly m: Model,
    readonly name: string,
  ) {
    this.lay = outputLayout(cfg);
    const l = this.lay;
    this.p = outputParams(l.N, l.nIn, l.C, l.B, l.tables.exp, l.tables.recip);
    this.host = new LaneHost(m);
  }

  static async start(cfg: ChipConfig): Promise<OutputCosim> {
    const tb = outputBench(cfg);
    // random start-up values of the registers without a reset (Verilator's +verilator+rand+reset)
    return new OutputCosim(cfg, await buildFromIr(tb, { seed: 1 + cfg.window }), tb.name);
  }

  async close(): Promise<void> {
    await this.m.close();
  }

  private readonly host: LaneHost;

  /** The layer's parameters behind the host port. */
  private hostLayer(): HostLayer {
    const { lay } = this;
    return {
      rows: lay.C,
      nIn: lay.nIn,
      lanes: lay.lanes,
      ww: width(lay.N.weight.format),
      wb: width(lay.N.bias.format),
      weight: (j, i) => outputWeightAddress(lay, j, i),
      bias: (j) => ({ bank: 0, addr: j }),
      lfsrAddr: 0,
    };
  }

  async loadParams(W: Int32Array, b: Int32Array, bank: LfsrBank): Promise<void> {
    this.host.writeLayer(this.hostLayer(), W, b, bank.states);
    await this.m.step(1);
  }

  /** The window (B × nIn windowZ raw) and labels into the bench memories. */
  async loadWindow(H: Int32Array, labels: Int32Array): Promise<void> {
    const { lay } = this;
    const wz = width(lay.N.windowZ.format);
    const words: bigint[] = [];
    for (let p = 0; p < lay.B; p++) {
      for (let k = 0; k < lay.chunks; k++) {
        let w = 0n;
        for (let q = 0; q < lay.lanes; q++) {
          const i = k * lay.lanes + q;
          if (i < lay.nIn) w |= BigInt(ux(H[p * lay.nIn + i], wz)) << BigInt(q * wz);
        }
        words.push(w);
      }
    }
    await this.m.pokeMem(`${this.name}.win`, 0, words);
    await this.m.pokeMem(`${this.name}.lbl`, 0, Array.from(labels));
  }

  async readBack(): Promise<{ W: Int32Array; b: Int32Array; lfsr: Uint32Array }> {
    return this.host.readLayer(this.hostLayer());
  }

  async satCounts(): Promise<Record<(typeof SAT_PORTS)[number], number>> {
    const v = await Promise.all(SAT_PORTS.map((p) => this.m.peek(p)));
    return Object.fromEntries(SAT_PORTS.map((p, i) => [p, v[i]])) as Record<(typeof SAT_PORTS)[number], number>;
  }

  /** One command; returns the logits streamed (inference) and the cycles from start to done. */
  async command(train: boolean, slot: number, pReady: number, seed: number): Promise<{ logits: { data: number; last: boolean }[]; cycles: number }> {
    const m = this.m;
    await m.sinkPattern('logit', pReady, seed);
    void m.poke('cmd_train', train ? 1 : 0);
    void m.poke('cmd_slot', slot);
    void m.poke('start', 1);
    const c0 = (await m.status()).cycle;
    await m.step(1);
    await m.poke('start', 0);
    if ((await m.peek('busy')) !== 1) throw new Error('busy is not high the cycle after start');
    const limit = 100 * (this.lay.B * this.lay.C * this.lay.chunks * 4 + 100);
    if (!train) await m.run({ untilSinkCount: { bus: 'logit', n: this.lay.C }, maxCycles: limit });
    let n = 0;
    while ((await m.peek('busy')) === 1) {
      await m.step(1);
      if (++n > limit) throw new Error('command never finished');
      if ((await m.peek('busy')) === 0 && (await m.peek('done')) !== 1) throw new Error('no done pulse in the cycle busy fell');
    }
    const c1 = (await m.status()).cycle;
    const got = train ? [] : await m.drain('logit');
    return { logits: got.map((w) => ({ data: w.data, last: w.last })), cycles: c1 - c0 };
  }
}

export interface OutputCaseStats {
  steps: number;
  logits: number;
  sat: number;
  cycles: number[];
}

/** One random case: parameters loaded, a few windows each trained on (and inferred from), all compared. */
export async function runOutputCase(sim: OutputCosim, seed: number, steps: number, opts: { backPressure?: boolean } = {}): Promise<OutputCaseStats> {
  const { lay, m, p } = sim;
  const N = lay.N;
  const rng = new Rng(seed);
  const bp = opts.backPressure ?? true;
  const FW = N.weight.format;
  const FB = N.bias.format;
  const FZ = N.windowZ.format;
  for (const port of ['start', 'host_we', 'host_re', 'tb_we']) void m.poke(port, 0);
  await m.reset(2);
  const wm = rng.int(3);
  const W = Int32Array.from({ length: lay.nIn * lay.C }, () => randRaw(rng, minRawNum(FW), maxRawNum(FW), rng.uniform() < 0.05 ? 2 : wm));
  const b = Int32Array.from({ length: lay.C }, () => randRaw(rng, minRawNum(FB), maxRawNum(FB), rng.int(3)));
  const seeds = Array.from({ length: lay.lanes }, () => 1 + rng.int(2 ** N.lfsr.width - 1));
  const bank = new LfsrBank(N.lfsr.width, N.lfsr.rbits, N.lfsr.leap, lay.lanes, seeds);
  await sim.loadParams(W, b, bank);
  const sat = new SatCounter();
  const slots = satSlots(sat);
  const x = outputScratch(p);
  const stats: OutputCaseStats = { steps: 0, logits: 0, sat: 0, cycles: [] };
  const tmp = new Float64Array(lay.C);
  for (let s = 0; s < steps; s++) {
    const hm = rng.int(3);
    const H = Int32Array.from({ length: lay.B * lay.nIn }, () => randRaw(rng, minRawNum(FZ), maxRawNum(FZ), hm));
    const labels = Int32Array.from({ length: lay.B }, () => rng.int(lay.C));
    await sim.loadWindow(H, labels);
    // inference of a random slot with the current weights
    const slot = rng.int(lay.B);
    const inf = await sim.command(false, slot, bp ? 0.2 + 0.8 * rng.uniform() : 1, rng.int(2 ** 30));
    outputLogits(p, W, b, H, slot * lay.nIn, tmp, 0);
    if (inf.logits.length !== lay.C) throw new Error(`step ${s}: ${inf.logits.length} logits streamed, expected ${lay.C}`);
    for (let j = 0; j < lay.C; j++) {
      if (inf.logits[j].data !== tmp[j]) throw new Error(`step ${s}: inference logit ${j} of slot ${slot} = ${inf.logits[j].data}, spec ${tmp[j]}`);
      if (inf.logits[j].last !== (j === lay.C - 1)) throw new Error(`step ${s}: tlast of logit ${j} is ${inf.logits[j].last}`);
    }
    stats.logits += lay.C;
    // training step
    outputStep(p, W, b, H, labels, bank, x, slots);
    const tr = await sim.command(true, 0, 1, 0);
    stats.cycles.push(tr.cycles);
    stats.steps++;
  }
  const rb = await sim.readBack();
  for (let k = 0; k < W.length; k++) if (rb.W[k] !== W[k]) throw new Error(`W[${Math.floor(k / lay.nIn)}][${k % lay.nIn}] = ${rb.W[k]}, spec ${W[k]}`);
  for (let j = 0; j < lay.C; j++) if (rb.b[j] !== b[j]) throw new Error(`b[${j}] = ${rb.b[j]}, spec ${b[j]}`);
  for (let q = 0; q < lay.lanes; q++) if (rb.lfsr[q] !== bank.states[q] >>> 0) throw new Error(`LFSR lane ${q} = ${rb.lfsr[q]}, spec ${bank.states[q] >>> 0}`);
  const sc = await sim.satCounts();
  const want: Record<string, number> = {
    sat_w_hi: slots.weight.high,
    sat_w_lo: slots.weight.low,
    sat_b_hi: slots.bias.high,
    sat_b_lo: slots.bias.low,
    sat_logit_hi: slots.logit.high,
    sat_logit_lo: slots.logit.low,
    sat_prob_hi: slots.prob.high,
    sat_err_hi: slots.err.high,
    sat_err_lo: slots.err.low,
  };
  for (const [k, v] of Object.entries(want)) if (sc[k as keyof typeof sc] !== v) throw new Error(`${k} = ${sc[k as keyof typeof sc]}, spec ${v}`);
  stats.sat = Object.values(want).reduce((a, c) => a + c, 0);
  return stats;
}
