/**
 * The chip top (generator/units/chip.ts) driven by the host driver over the sim transport: the
 * controller's answers equal the reference model's (host/chip/model.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CHIP, type ChipConfig } from '../../generator/config.js';
import { chip } from '../../generator/units/chip.js';
import { controller } from '../../generator/units/controller.js';
import { SEQ_OP } from '../../generator/units/sequencer.js';
import { SimTransport } from '../../host/transport/sim.js';
import { Client } from '../../host/protocol/client.js';
import { ChipEngine } from '../../host/chip/engine.js';
import { ChipModel } from '../../host/chip/model.js';
import { layersToWords } from '../../host/chip/config.js';
import { protocolSpec, ERRORS, OPCODES } from '../../generator/protocol.js';
import { Rng } from '../../sim/rng.js';
import { decodeCounters } from '../../host/protocol/commands.js';
import { QUANTITIES } from '../../generator/numeric.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { chipLaneSeed } from '../../host/chip/model.js';
import { loadMnistSubset } from './mnist-subset.js';

/** A small chip: 784-16-8-10, window 4, 8 lanes. */
export function smallChip(layers = [784, 16, 8, 10], window = 4, lanes = 8): ChipConfig {
  return { ...DEFAULT_CHIP, layers, window, lanes, numeric: { ...DEFAULT_CHIP.numeric, lfsr: { ...DEFAULT_CHIP.numeric.lfsr, lanes } } };
}

// the first runs its 8 lanes as 2 row groups (numeric.lfsr.rowGroups: rows in pairs, 4 lanes each); the second
// keeps its Hebbian weights in single-port RAMs (weightMemory 'spram': two per lane by address parity), and its
// hidden widths are not powers of two (the LayerNorm's 1/n and 1/n² by their mantissas)
const grouped = (c: ChipConfig, rowGroups: number): ChipConfig => ({ ...c, numeric: { ...c.numeric, lfsr: { ...c.numeric.lfsr, rowGroups } } });
const CFGS: ChipConfig[] = [grouped(smallChip(), 2), { ...smallChip([784, 12, 6, 10], 8, 5), weightMemory: 'spram' }];

describe.each(CFGS.map((c) => [`${c.layers.join("-")} B=${c.window} L=${c.lanes}${c.numeric.lfsr.rowGroups ? ` in ${c.numeric.lfsr.rowGroups} row groups` : ''}${c.weightMemory ? ` weights in ${c.weightMemory}` : ""}`, c] as const))('chip %s', (_, cfg) => {
  let t: SimTransport;
  beforeAll(async () => {
    t = await SimTransport.start(chip(cfg));
  }, 600_000);
  afterAll(async () => {
    await t?.close();
  });

  it('loads and reads back every weight word (random offsets and spans), answers as the reference model', async () => {
    const spec = protocolSpec(cfg);
    const model = new ChipModel(cfg);
    const client = new Client(t, { spec });
    await client.reset();
    const rng = new Rng(7);
    const wbits = 8 * spec.wordBytes;
    // after RESET every word reads 0
    const zeros = await client.readWeights(0, Math.min(spec.weightWords, 2000));
    expect(zeros.every((w) => w === 0)).toBe(true);
    const engine = await ChipEngine.open(cfg, t, 3);
    const want = layersToWords(cfg, engine.golden.rawWeights().layers);
    model.command(OPCODES.LOAD_WEIGHTS, encodeLoad(spec.wordBytes, 0, want));
    const all = await engine.readLayers();
    expect(Array.from(layersToWords(cfg, all))).toEqual(Array.from(want));
    // INFER: the predicted class of each record equals the reference model's (the golden initial weights)
    const inferCheck = async (records: number, what: string) => {
      const samples = Array.from({ length: records }, () => Uint8Array.from({ length: spec.pixels }, () => (rng.int(3) === 0 ? rng.int(256) : 0)));
      const got = await client.infer(samples);
      const flat = new Uint8Array(records * spec.pixels);
      samples.forEach((x, i) => flat.set(x, i * spec.pixels));
      const r = model.command(OPCODES.INFER, flat);
      expect(got, what).toEqual(Array.from(r.payload));
      return got;
    };
    const classes = new Set<number>();
    for (let n = 0; n < 6; n++) for (const c of await inferCheck(1 + rng.int(5), `infer batch ${n}`)) classes.add(c);
    expect(classes.size, 'predictions vary').toBeGreaterThan(1);
    // random spans loaded with random words, read back at other random spans
    for (let n = 0; n < 12; n++) {
      const off = rng.int(spec.weightWords);
      const cnt = 1 + rng.int(Math.min(300, spec.weightWords - off));
      const words = Array.from({ length: cnt }, () => rng.int(2 ** wbits) - 2 ** (wbits - 1));
      await client.loadWeights(off, words);
      model.command(OPCODES.LOAD_WEIGHTS, encodeLoad(spec.wordBytes, off, Int32Array.from(words)));
      const roff = rng.int(spec.weightWords);
      const rcnt = 1 + rng.int(Math.min(500, spec.weightWords - roff));
      const got = await client.readWeights(roff, rcnt);
      expect(got, `read ${roff}+${rcnt}`).toEqual(Array.from(model.words().subarray(roff, roff + rcnt)));
      await inferCheck(2, `infer after load ${n}`);
    }
    // READ_COUNTERS: no training steps, no saturations (inference does not count them); the busy cycles
    // cover at least every command's bytes, the stalled ones are a part of them
    const c = await client.readCounters();
    const m = decodeCounters(Uint8Array.from(model.command(OPCODES.READ_COUNTERS, new Uint8Array(0)).payload), QUANTITIES.length);
    expect(c.steps).toBe(m.steps);
    expect(c.saturations).toEqual(m.saturations);
    expect(c.busyCycles > 2000n && c.stalledCycles <= c.busyCycles).toBe(true);
  }, 300_000);

  it('reads and loads the LFSR lane states of every weight layer (random spans), answers as the reference model', async () => {
    const spec = protocolSpec(cfg);
    const model = new ChipModel(cfg);
    const client = new Client(t, { spec });
    const rng = new Rng(11);
    const n = spec.lfsrStates;
    await client.reset();
    // after RESET: laneSeed of seed 0 in every lane of every layer, as the model
    expect(await client.readLfsr(0, n)).toEqual(model.lfsrStates());
    const lr = cfg.numeric.lr;
    for (const seed of [5, 0xfedcba98]) {
      await client.setParams({ ...lr, seed });
      model.command(OPCODES.SET_PARAMS, Uint8Array.from([lr.hiddenShift, lr.hiddenMul, lr.outShift, lr.outMul, seed & 0xff, (seed >>> 8) & 0xff, (seed >>> 16) & 0xff, seed >>> 24]));
      const got = await client.readLfsr(0, n);
      expect(got).toEqual(model.lfsrStates());
      expect(got.slice(0, 3)).toEqual([0, 1, 2].map((q) => chipLaneSeed(cfg, seed, 0, q)));
    }
    const max = 2 ** spec.lfsrWidth;
    for (let r = 0; r < 16; r++) {
      const off = rng.int(n);
      const cnt = 1 + rng.int(n - off);
      const states = Array.from({ length: cnt }, () => 1 + rng.int(max - 1));
      await client.loadLfsr(off, states);
      model.command(OPCODES.LOAD_LFSR, Uint8Array.from([off & 0xff, off >> 8, ...states.flatMap((v) => [0, 1, 2, 3].slice(0, spec.lfsrBytes).map((k) => Math.floor(v / 2 ** (8 * k)) & 0xff))]));
      const roff = rng.int(n);
      const rcnt = 1 + rng.int(n - roff);
      expect(await client.readLfsr(roff, rcnt), `read ${roff}+${rcnt} after load ${off}+${cnt}`).toEqual(model.lfsrStates().slice(roff, roff + rcnt));
    }
    // the weights are untouched by LFSR traffic; out-of-range spans are refused by the front end
    expect(await client.readLfsr(0, n)).toEqual(model.lfsrStates());
    await expect(client.readLfsr(n - 1, 2)).rejects.toThrow(/OUT_OF_RANGE/);
    await expect(client.loadLfsr(n, [1])).rejects.toThrow(/OUT_OF_RANGE/);
    expect(await client.readLfsr(0, n)).toEqual(model.lfsrStates());
  }, 300_000);

  it("a checkpoint state read from the chip (weights, LFSR states) loads back into a reset chip exactly", async () => {
    const a = await ChipEngine.open(cfg, t, 21);
    const rng = new Rng(5);
    const spec = protocolSpec(cfg);
    await a.client.loadLfsr(0, Array.from({ length: spec.lfsrStates }, () => 1 + rng.int(2 ** spec.lfsrWidth - 1)));
    const saved = await a.exportChipState();
    expect(Array.from(saved.arrays.lfsr0)).toEqual((await a.client.readLfsr(0, cfg.lanes)).map((v) => v | 0));
    // another run's chip (reset, other seed and weights), then the state loaded
    const b = await ChipEngine.open(cfg, t, 22);
    expect(Array.from((await b.exportChipState()).arrays.W0)).not.toEqual(Array.from(saved.arrays.W0));
    await b.importChipState(saved);
    const back = await b.exportChipState();
    expect(back.meta).toEqual(saved.meta);
    for (const [name, arr] of Object.entries(saved.arrays)) expect(Array.from(back.arrays[name]), name).toEqual(Array.from(arr));
  }, 300_000);

  it('trains MNIST bit-exactly: weights, step and saturation counters, predictions equal the fixed golden model', async () => {
    const mnist = loadMnistSubset(240, 40);
    const e = await ChipEngine.open(cfg, t, 11, { check: 50 });
    const golden = e.golden;
    e.beginEpoch();
    for (let i = 0; i < mnist.train.n; i++) {
      e.trainSample(mnist.train, i);
      // TRAIN frames of 1 … 5 records, pipelined; an epoch boundary in the middle (the window cleared)
      if (i % 7 === 6) await e.flush();
      if (i === 150) e.beginEpoch();
    }
    await e.flush();
    await e.compare(); // every word of every layer (flushes the pending update first)
    const c = await e.client.readCounters();
    expect(c.steps).toBe(BigInt(mnist.train.n - 2 * (cfg.window - 1)));
    const snap = golden.sat.snapshot();
    expect(c.saturations).toEqual(QUANTITIES.map((q) => (snap[q] ? snap[q].high + snap[q].low : 0)));
    const got = await e.inferAll(mnist.test);
    expect(got).toEqual(Array.from({ length: mnist.test.n }, (_, i) => golden.predict(mnist.test, i)));
    // training continues after INFER and READ_WEIGHTS (both flush) exactly as the model does
    for (let i = 0; i < 30; i++) e.trainSample(mnist.train, i);
    await e.flush();
    await e.compare();
  }, 600_000);
});

function encodeLoad(wb: number, off: number, words: Int32Array): Uint8Array {
  const p = new Uint8Array(4 + wb * words.length);
  for (let k = 0; k < 4; k++) p[k] = (off >>> (8 * k)) & 0xff;
  words.forEach((w, i) => {
    for (let k = 0; k < wb; k++) p[4 + i * wb + k] = Math.floor(w / 2 ** (8 * k)) & 0xff;
  });
  return p;
}

/** The controller alone: every host-port write it makes after reset and for SET_PARAMS. */
describe('controller', () => {
  const cfg = smallChip([784, 16, 8, 10], 4, 5);
  const spec = protocolSpec(cfg);
  let model: Model;
  beforeAll(async () => {
    model = await buildFromIr(controller(cfg));
    // the sequencer is absent: it finishes every command at once (the controller flushes it before SET_PARAMS)
    await model.poke('seq_done', 1);
    await model.reset(2);
  }, 600_000);
  afterAll(async () => {
    await model?.close();
  });
  const writes = async (cycles: number) => {
    const r = await model.play({ inputs: {}, cycles, outputs: ['host_unit', 'host_kind', 'host_bank', 'host_addr', 'host_wdata'], when: { port: 'host_we', equals: 1 } });
    const o = r.outputs;
    return Array.from({ length: o.host_unit.length }, (_, i) => ({
      unit: Number(o.host_unit[i]),
      kind: Number(o.host_kind[i]),
      bank: Number(o.host_bank[i]),
      addr: Number(o.host_addr[i]),
      data: Number(o.host_wdata[i]),
    }));
  };
  const seedsOf = (seed: number) => {
    const out: { unit: number; kind: number; bank: number; addr: number; data: number }[] = [];
    const H = cfg.layers.length - 2;
    for (let l = 0; l <= H; l++) {
      for (let q = 0; q < cfg.lanes; q++) out.push({ unit: l === H ? 1 : 0, kind: 2, bank: q, addr: l, data: chipLaneSeed(cfg, seed, l, q) });
    }
    return out;
  };
  const command = async (op: number, payload: number[]) => {
    await model.push('cmd', [op, payload.length & 0xff, payload.length >> 8, ...payload]);
  };

  it('zeroes every weight word once after reset, seeds every LFSR lane with laneSeed(seed 0), then empties the window', async () => {
    const w = await writes(spec.weightWords + 2000);
    const zero = w.slice(0, spec.weightWords);
    expect(zero.every((x) => x.data === 0 && x.kind !== 2)).toBe(true);
    const keys = new Set(zero.map((x) => `${x.unit}:${x.kind}:${x.bank}:${x.addr}`));
    expect(keys.size).toBe(spec.weightWords);
    expect(w.slice(spec.weightWords)).toEqual(seedsOf(0));
    // then the sequencer was asked for CLEAR (its memories keep their contents through a reset), and it is idle
    expect(await model.peek('seq_op')).toBe(SEQ_OP.CLEAR);
    expect(await model.peek('busy')).toBe(0);
  });

  it('SET_PARAMS seeds the lanes of every weight layer with laneSeed(numeric.lfsr.seed, seed, layer, lane) and answers ok', async () => {
    const lr = cfg.numeric.lr;
    for (const seed of [1, 7, 0xdeadbeef, 2 ** 32 - 1, 123456]) {
      await command(OPCODES.SET_PARAMS, [lr.hiddenShift, lr.hiddenMul, lr.outShift, lr.outMul, seed & 0xff, (seed >>> 8) & 0xff, (seed >>> 16) & 0xff, seed >>> 24]);
      expect(await writes(2000)).toEqual(seedsOf(seed));
      expect(Array.from((await model.drainColumns('rsp')).data as ArrayLike<number>)).toEqual([0, 0, 0]);
    }
  });

  it('refuses learning rates other than the generated ones (NOT_SUPPORTED, nothing written)', async () => {
    const lr = cfg.numeric.lr;
    await command(OPCODES.SET_PARAMS, [lr.hiddenShift + 1, lr.hiddenMul, lr.outShift, lr.outMul, 1, 0, 0, 0]);
    expect(await writes(500)).toEqual([]);
    expect(Array.from((await model.drainColumns('rsp')).data as ArrayLike<number>)).toEqual([ERRORS.NOT_SUPPORTED, 2, 0, OPCODES.SET_PARAMS, 0]);
  });

  it('is lint clean', async () => {
    await expectToolsClean(controller(cfg));
  }, 300_000);
});

describe('chip top', () => {
  it('is lint clean', async () => {
    await expectToolsClean(chip(smallChip()), { synth: false });
  }, 300_000);
});
