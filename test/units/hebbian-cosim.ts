/**
 * Co-simulation of the Hebbian-update unit (generator/units/hebbian.ts) against the fixed-point spec
 * (rank1Update of sim/golden/fixed/update.ts, with the fused forward of the next input):
 * random weights, biases, LFSR states, input vectors and δ (zeros included), random pass kinds (fused
 * update + forward, forward only, update only), random valid/ready patterns on the streams; every
 * accumulator word, weight, bias, LFSR state and saturation count compared. Used by
 * test/units/hebbian.test.ts (CI) and bench/units/hebbian.ts (≥ 1,000 cases).
 */
import { maxRawNum, minRawNum, width, SatCounter } from '../../generator/fixed/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { withNumeric, type NumericConfig } from '../../generator/numeric.js';
import { biasAddress, hebbian, hebbianLayout, weightAddress, type HebbianLayout, H_SLOTS } from '../../generator/units/hebbian.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/model.js';
import { LfsrBank } from '../../sim/golden/fixed/lfsr-bank.js';
import { satSlots } from '../../sim/golden/fixed/common.js';
import { rank1Update, updateParams } from '../../sim/golden/fixed/update.js';
import { Rng } from '../../sim/rng.js';
import { LaneHost, randRaw, type HostLayer } from './lane-host.js';

/** A unit configuration: shapes and lanes (the output width is irrelevant to the unit). */
export function unitConfig(layers: number[], lanes: number, patch: Partial<NumericConfig> = {}): ChipConfig {
  const base = withNumeric(DEFAULT_CHIP.numeric, patch);
  return { ...DEFAULT_CHIP, layers, lanes, numeric: { ...base, lfsr: { ...base.lfsr, lanes } } };
}


interface LayerState {
  W: Int32Array;
  b: Int32Array;
  bank: LfsrBank;
  /** H_SLOTS input vectors (raw in the layer's input format) */
  h: Int32Array[];
}

export interface CaseStats {
  passes: number;
  accWords: number;
  words: number;
  satW: number;
  satB: number;
  draws: number;
}

export class HebbianCosim {
  readonly lay: HebbianLayout;
  private constructor(
    readonly cfg: ChipConfig,
    readonly m: Model,
  ) {
    this.lay = hebbianLayout(cfg);
    this.host = new LaneHost(m);
  }

  /** `opts`: hebbian()'s options (the Verilator form of the lanes). */
  static async start(cfg: ChipConfig, opts: Parameters<typeof hebbian>[1] = {}): Promise<HebbianCosim> {
    return new HebbianCosim(cfg, await buildFromIr(hebbian(cfg, opts)));
  }

  async close(): Promise<void> {
    await this.m.close();
  }

  private readonly host: LaneHost;

  /** Layer l's parameters behind the host port. */
  private hostLayer(l: number): HostLayer {
    const { lay } = this;
    const y = lay.layers[l];
    return {
      rows: y.nOut,
      nIn: y.nIn,
      lanes: lay.lanes,
      ww: width(lay.N.weight.format),
      wb: width(lay.N.bias.format),
      weight: (j, i) => weightAddress(lay, l, j, i),
      bias: (j) => biasAddress(lay, l, j),
      lfsrAddr: l,
    };
  }

  async load(st: LayerState[]): Promise<void> {
    st.forEach((s, l) => this.host.writeLayer(this.hostLayer(l), s.W, s.b, s.bank.states));
    for (let l = 0; l < st.length; l++) for (let slot = 0; slot < H_SLOTS; slot++) await this.loadVector(l, slot, st[l].h[slot], 1, 0);
    await this.m.step(1);
  }

  /** Loads one input vector through the loader stream (valid probability p). */
  async loadVector(l: number, slot: number, h: Int32Array, p: number, seed: number): Promise<void> {
    const m = this.m;
    void m.poke('hl_layer', l);
    void m.poke('hl_slot', slot);
    void m.poke('hl_start', 1);
    void m.step(1);
    void m.poke('hl_start', 0);
    await m.sourcePattern('h', p, seed);
    await m.push('h', Array.from(h), 'none');
    await m.run({ untilSourcesEmpty: true, maxCycles: 100 * h.length + 100 });
    if ((await m.peek('hl_busy')) !== 0) throw new Error('loader still busy after its words');
  }

  /** Reads back every weight, bias and LFSR state into the given arrays' shapes. */
  async readBack(): Promise<{ W: Int32Array[]; b: Int32Array[]; lfsr: Uint32Array[] }> {
    const out = { W: [] as Int32Array[], b: [] as Int32Array[], lfsr: [] as Uint32Array[] };
    for (let l = 0; l < this.lay.layers.length; l++) {
      const r = await this.host.readLayer(this.hostLayer(l));
      out.W.push(r.W);
      out.b.push(r.b);
      out.lfsr.push(r.lfsr);
    }
    return out;
  }

  async satCounts(): Promise<{ wHi: number; wLo: number; bHi: number; bLo: number }> {
    const [wHi, wLo, bHi, bLo] = await Promise.all(['sat_w_hi', 'sat_w_lo', 'sat_b_hi', 'sat_b_lo'].map((p) => this.m.peek(p)));
    return { wHi, wLo, bHi, bLo };
  }

  /**
   * One pass; returns the accumulator words received (with tlast) and the cycles from start to done.
   */
  async pass(
    l: number,
    upd: boolean,
    fwd: boolean,
    cur: number,
    nxt: number,
    delta: Int32Array,
    pDelta: number,
    pAcc: number,
    seed: number,
  ): Promise<{ acc: { data: number; last: boolean }[]; cycles: number }> {
    const m = this.m;
    const y = this.lay.layers[l];
    await m.sourcePattern('delta', pDelta, seed);
    await m.sinkPattern('acc', pAcc, seed + 1);
    if (upd) await m.push('delta', Array.from(delta), 'none');
    void m.poke('cmd_layer', l);
    void m.poke('cmd_update', upd ? 1 : 0);
    void m.poke('cmd_forward', fwd ? 1 : 0);
    void m.poke('cmd_cur', cur);
    void m.poke('cmd_nxt', nxt);
    void m.poke('start', 1);
    const c0 = (await m.status()).cycle;
    await m.step(1);
    await m.poke('start', 0);
    if ((await m.peek('busy')) !== 1) throw new Error('busy is not high the cycle after start');
    if (fwd) await m.run({ untilSinkCount: { bus: 'acc', n: y.nOut }, maxCycles: 200 * (y.nOut * y.chunks + 20) });
    let busyCycles = 0;
    while ((await m.peek('busy')) === 1) {
      await m.step(1);
      if (++busyCycles > 200 * (y.nOut * y.chunks + 20)) throw new Error('pass never finished');
      if ((await m.peek('busy')) === 0 && (await m.peek('done')) !== 1) throw new Error('no done pulse in the cycle busy fell');
    }
    const c1 = (await m.status()).cycle;
    const got = fwd ? await m.drain('acc') : []; // acc.forward ≤ 53 bits (validated), exact as numbers
    const st = await m.status();
    if (upd && st.queued.delta !== 0) throw new Error(`pass left ${st.queued.delta} δ words unconsumed`);
    return { acc: got.map((w) => ({ data: w.data, last: w.last })), cycles: c1 - c0 };
  }
}

/**
 * One random case on a running model: random state loaded, `passes` random passes, every word compared.
 * Throws an Error describing the first mismatch.
 */
export async function runCase(sim: HebbianCosim, seed: number, passes: number, opts: { backPressure?: boolean } = {}): Promise<CaseStats> {
  const { lay, m } = sim;
  const N = lay.N;
  const rng = new Rng(seed);
  const bp = opts.backPressure ?? true;
  const FW = N.weight.format;
  const FB = N.bias.format;
  const FD = N.delta.format;
  const stats: CaseStats = { passes: 0, accWords: 0, words: 0, satW: 0, satB: 0, draws: 0 };
  // inputs start with random values (the runner's random start-up state): drive the controls first
  for (const port of ['start', 'hl_start', 'host_we', 'host_re']) void m.poke(port, 0);
  await m.reset(2);
  const st: LayerState[] = lay.layers.map((y) => {
    const wm = rng.int(3);
    const W = Int32Array.from({ length: y.nIn * y.nOut }, () => randRaw(rng, minRawNum(FW), maxRawNum(FW), rng.uniform() < 0.1 ? 2 : wm === 2 ? 0 : wm));
    const b = Int32Array.from({ length: y.nOut }, () => randRaw(rng, minRawNum(FB), maxRawNum(FB), rng.int(3)));
    const seeds = Array.from({ length: lay.lanes }, () => 1 + rng.int(2 ** N.lfsr.width - 1));
    const bank = new LfsrBank(N.lfsr.width, N.lfsr.rbits, N.lfsr.leap, lay.lanes, seeds);
    const F = y.inFormat;
    const h = Array.from({ length: H_SLOTS }, () => {
      const hm = rng.int(3);
      return Int32Array.from({ length: y.nIn }, () => randRaw(rng, minRawNum(F), maxRawNum(F), hm));
    });
    return { W, b, bank, h };
  });
  await sim.load(st);
  const sat = new SatCounter();
  const slots = satSlots(sat);
  const rbuf = new Int32Array(Math.max(...lay.layers.map((y) => y.nIn)) + 4);
  for (let pass = 0; pass < passes; pass++) {
    const l = rng.int(lay.layers.length);
    const y = lay.layers[l];
    const s = st[l];
    const kind = rng.uniform();
    const upd = kind < 0.8;
    const fwd = kind < 0.6 || kind >= 0.8;
    const cur = rng.int(H_SLOTS);
    const nxt = rng.int(H_SLOTS);
    const dm = rng.int(3);
    const pz = rng.uniform() * 0.6;
    const delta = Int32Array.from({ length: y.nOut }, () => (rng.uniform() < pz ? 0 : randRaw(rng, minRawNum(FD), maxRawNum(FD), dm)));
    const pD = bp ? 0.3 + 0.7 * rng.uniform() : 1;
    const pA = bp ? 0.3 + 0.7 * rng.uniform() : 1;
    const before = s.bank.states.slice();
    // the spec: a forward-only pass is the fused pass with every row skipped (δ = 0: no write, no draw)
    const p = updateParams(N, y.nIn, y.nOut, y.inFormat, FD, N.lr.hiddenMul, N.lr.hiddenShift);
    const v = Float64Array.from(delta, (d) => (upd ? d : 0));
    const acc = new Float64Array(y.nOut);
    const next = fwd ? { h: s.h[nxt], bShift: 2 ** (FW.fracBits + y.inFormat.fracBits - FB.fracBits), acc } : undefined;
    rank1Update(p, s.W, s.b, v, s.h[cur], s.bank, rbuf, slots, next);
    const want = { acc: fwd ? acc : null };
    const got = await sim.pass(l, upd, fwd, cur, nxt, delta, pD, pA, rng.int(2 ** 30));
    stats.passes++;
    for (let q = 0; q < lay.lanes; q++) if (before[q] !== s.bank.states[q]) stats.draws++;
    if (fwd) {
      const a = want.acc;
      if (!a) throw new Error('spec returned no accumulators for a forward pass');
      if (got.acc.length !== y.nOut) throw new Error(`pass ${pass} (layer ${l}): ${got.acc.length} accumulator words, expected ${y.nOut}`);
      for (let j = 0; j < y.nOut; j++) {
        if (got.acc[j].data !== a[j]) throw new Error(`pass ${pass} (layer ${l}, upd ${upd}): a[${j}] = ${got.acc[j].data}, spec ${a[j]}`);
        if (got.acc[j].last !== (j === y.nOut - 1)) throw new Error(`pass ${pass}: tlast of a[${j}] is ${got.acc[j].last}`);
      }
      stats.accWords += y.nOut;
    }
  }
  const rb = await sim.readBack();
  for (let l = 0; l < lay.layers.length; l++) {
    const y = lay.layers[l];
    for (let k = 0; k < y.nIn * y.nOut; k++) {
      if (rb.W[l][k] !== st[l].W[k]) throw new Error(`layer ${l} W[${Math.floor(k / y.nIn)}][${k % y.nIn}] = ${rb.W[l][k]}, spec ${st[l].W[k]}`);
    }
    for (let j = 0; j < y.nOut; j++) if (rb.b[l][j] !== st[l].b[j]) throw new Error(`layer ${l} b[${j}] = ${rb.b[l][j]}, spec ${st[l].b[j]}`);
    for (let q = 0; q < lay.lanes; q++) {
      if (rb.lfsr[l][q] !== st[l].bank.states[q] >>> 0) throw new Error(`layer ${l} LFSR lane ${q} = ${rb.lfsr[l][q]}, spec ${st[l].bank.states[q] >>> 0}`);
    }
    stats.words += y.nOut * (y.nIn + 1);
  }
  const sc = await sim.satCounts();
  const w = sat.slot('weight');
  const b = sat.slot('bias');
  const exp = { wHi: w.high, wLo: w.low, bHi: b.high, bLo: b.low };
  for (const k of Object.keys(exp) as (keyof typeof exp)[]) if (sc[k] !== exp[k]) throw new Error(`saturation count ${k} = ${sc[k]}, spec ${exp[k]}`);
  stats.satW = w.high + w.low;
  stats.satB = b.high + b.low;
  return stats;
}
