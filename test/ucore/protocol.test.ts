/**
 * The host protocol as a ucore program (generator/ucore/program/protocol.ts) on the ISS behind the `ucore-link`
 * transport: the host driver trains MNIST on the iCEBreaker chip through it, and the weights (READ_WEIGHTS),
 * LFSR states (READ_LFSR), saturation counters and steps (READ_COUNTERS) and the predicted classes are the fixed
 * golden model's and the controller reference's, bit for bit; and a stream of good and malformed frames is
 * answered byte for byte as by the front end's reference with the controller's reference behind it
 * (host/protocol/frontend-model.ts, host/chip/model.ts), including the error frames, the link counters and
 * a frame cut by the idle line.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CHIP, validateChip, type ChipConfig } from '../../generator/config.js';
import { withNumeric } from '../../generator/numeric.js';
import { loadChip, chipTrainConfig } from '../../host/chip/config.js';
import { ChipEngine } from '../../host/chip/engine.js';
import { ChipModel } from '../../host/chip/model.js';
import { openChip } from '../../host/chip/open.js';
import { decode, encode } from '../../generator/ucore/encode.js';
import { Client } from '../../host/protocol/client.js';
import { crc8 } from '../../host/protocol/crc.js';
import { encodeFrame } from '../../host/protocol/frame.js';
import { FrontEndModel } from '../../host/protocol/frontend-model.js';
import { MockTransport } from '../../host/transport/mock.js';
import { UcoreTransport } from '../../host/transport/ucore.js';
import { runTraining } from '../../host/train.js';
import { DEFAULT_TIMEOUT_CYCLES, ERRORS, identifyBlock, MAX_PAYLOAD, OPCODES } from '../../generator/protocol.js';
import { QUANTITIES } from '../../generator/numeric.js';
import { FixedPointEngine } from '../../sim/golden/fixed/index.js';
import { loadMnistSubset } from '../units/mnist-subset.js';
import { Rand } from './mod-helpers.js';

/**
 * One exchange with the serving program and the references: the bytes to both, the line's idle timeout if asked
 * (a RESET the front-end reference answered resets the controller reference); what the references answered
 * (want) and what the program sent (got).
 */
async function exchange(fe: FrontEndModel, model: ChipModel, link: UcoreTransport, bytes: Uint8Array | undefined, idle: boolean): Promise<{ want: number[]; got: number[] }> {
  const before = fe.out.length;
  if (bytes) {
    fe.feedAll(bytes);
    await link.write(bytes);
  }
  if (idle) {
    fe.timeout();
    link.idle();
  }
  if (fe.resets > 0) {
    fe.resets = 0;
    model.reset();
  }
  return { want: fe.out.slice(before), got: Array.from(await link.read(1, 0)) };
}

const ICE = (): ChipConfig => loadChip('boards/icebreaker/chip.json');
/** two hidden layers, another window and lane count, LFSRs of 16 bits (the lane seeds' modulo 2^16 − 1 folded) */
const TWO_HIDDEN = (): ChipConfig =>
  validateChip({
    ...DEFAULT_CHIP,
    layers: [784, 16, 8, 10],
    window: 6,
    lanes: 3,
    numeric: withNumeric(DEFAULT_CHIP.numeric, { lfsr: { ...DEFAULT_CHIP.numeric.lfsr, lanes: 3, width: 16, rbits: 12 } }),
  });

describe('the host protocol as a ucore program (ucore-link)', () => {
  it.each([
    { name: 'the iCEBreaker', cfg: ICE, epochs: 2, n: 30 },
    { name: '784-16-8-10, window 6, 3 lanes of 16-bit LFSRs', cfg: TWO_HIDDEN, epochs: 1, n: 20 },
  ])('trains $epochs × $n MNIST samples on $name bit-exactly: weights, LFSR states, counters, steps and classes', async ({ cfg: config, epochs, n }) => {
    const cfg = config();
    const seed = 11;
    const data = loadMnistSubset(n, 20);
    const engine = await openChip('ucore-link', cfg, seed);
    const link = engine.transport as UcoreTransport;
    expect(link).toBeInstanceOf(UcoreTransport);
    const model = new ChipModel(cfg);
    const ref = await ChipEngine.open(cfg, new MockTransport({ config: cfg, controller: (op, p) => model.command(op, p) }), seed);
    const golden = new FixedPointEngine(chipTrainConfig(cfg, seed), cfg.numeric);
    const opts = { epochs, trainLimit: n, testLimit: 20, shuffleSeed: seed, progressEvery: 13 };
    const [a, r, g] = [await runTraining(engine, data, opts), await runTraining(ref, data, opts), await runTraining(golden, data, opts)];
    expect(a.epochs.map((e) => e.testAccuracy)).toEqual(g.epochs.map((e) => e.testAccuracy));
    expect(r.epochs.map((e) => e.testAccuracy)).toEqual(g.epochs.map((e) => e.testAccuracy));
    // weights and biases over READ_WEIGHTS, every word
    const mine = await engine.readLayers();
    const want = golden.rawWeights().layers;
    const W0 = new FixedPointEngine(chipTrainConfig(cfg, seed), cfg.numeric).rawWeights().layers;
    want.forEach((w, l) => {
      expect(Array.from(mine[l].W), `W of layer ${l + 1}`).toEqual(Array.from(w.W));
      expect(Array.from(mine[l].b), `b of layer ${l + 1}`).toEqual(Array.from(w.b));
      expect(Array.from(w.W), `layer ${l + 1} learned`).not.toEqual(Array.from(W0[l].W));
    });
    expect(Buffer.compare(await engine.encodeWeights(), golden.encodeWeights())).toBe(0);
    // the LFSR states over READ_LFSR: the golden banks, layer-major
    const lanes = await engine.client.readLfsr(0, engine.spec.lfsrStates);
    expect(lanes).toEqual(golden.state.banks.flatMap((b) => Array.from(b.states, (s) => s >>> 0)));
    // READ_COUNTERS: steps and saturations as the controller's reference counts them
    const [cu, cr] = [await engine.counters(), await ref.counters()];
    expect(cu.steps).toBe(BigInt(epochs * (n - cfg.window + 1)));
    expect(cu).toEqual(cr);
    expect(cu.saturations.length).toBe(QUANTITIES.length);
    // the predicted classes of INFER frames
    const classes = await engine.inferAll(data.test, 20);
    expect(classes).toEqual(Array.from({ length: 20 }, (_, i) => golden.predict(data.test, i)));
    console.log(`[ucore-link] ${cfg.layers.join('-')}: ${epochs * n} TRAIN samples, ${epochs * 20} + 20 INFER: ${link.cycles} core cycles (ISS plan), ${link.serving.program.code.length} instructions; saturations ${cu.saturations.join(' ')}`);
  }, 120_000);

  it('a checkpoint over the link: epoch 1 on one board, its state (READ_WEIGHTS, READ_LFSR) loaded into another for epoch 2 ends as the golden model', async () => {
    const cfg = ICE();
    const seed = 4;
    const data = loadMnistSubset(24, 10);
    const opts = { epochs: 2, trainLimit: 24, testLimit: 10, shuffleSeed: seed, progressEvery: 24 };
    const first = await openChip('ucore-link', cfg, seed);
    await runTraining(first, data, { ...opts, epochs: 1 });
    const state = await first.exportChipState();
    const second = await openChip('ucore-link', cfg, 99);
    await second.importChipState(state);
    await runTraining(second, data, { ...opts, start: { epoch: 2, offset: 0 } });
    const golden = new FixedPointEngine(chipTrainConfig(cfg, seed), cfg.numeric);
    await runTraining(golden, data, opts);
    const mine = await second.readLayers();
    golden.rawWeights().layers.forEach((w, l) => {
      expect(Array.from(mine[l].W), `W of layer ${l + 1}`).toEqual(Array.from(w.W));
      expect(Array.from(mine[l].b), `b of layer ${l + 1}`).toEqual(Array.from(w.b));
    });
    expect(await second.client.readLfsr(0, second.spec.lfsrStates)).toEqual(golden.state.banks.flatMap((b) => Array.from(b.states, (v) => v >>> 0)));
  }, 120_000);

  it.each(['split', 'bitwise', 'table'] as const)('answers good and malformed frames byte for byte as the front end and controller references, and loses nothing after (CRCs %s)', async (crc) => {
    const cfg = ICE();
    const link = new UcoreTransport(cfg, { crc });
    const model = new ChipModel(cfg);
    const fe = new FrontEndModel(link.serving.spec, identifyBlock(cfg, DEFAULT_TIMEOUT_CYCLES), (op, p) => model.command(op, p));
    const spec = link.serving.spec;
    const rnd = new Rand(77);
    let tag = 0;
    const frame = (op: number, payload: ArrayLike<number> = []): Uint8Array => encodeFrame(op, tag++ & 0xff, payload);
    const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, i) => Math.floor(v / 2 ** (8 * i)) & 0xff);
    const pixels = (): number[] => Array.from({ length: spec.pixels }, () => rnd.int(0, 255));
    const record = (label: number): number[] => [...pixels(), label];
    const damage = (f: Uint8Array, at: number): Uint8Array => Uint8Array.from(f, (x, i) => (i === at ? x ^ 0x10 : x));
    const lr = cfg.numeric.lr;
    const maxRecords = (name: string): number => (spec.commands.find((c) => c.name === name) as { maxRecords: number }).maxRecords;
    const tooLong = [OPCODES.ECHO, 200, (MAX_PAYLOAD + 1) & 0xff, (MAX_PAYLOAD + 1) >> 8];
    const steps: { what: string; bytes?: Uint8Array; idle?: true; error?: number }[] = [
      { what: 'IDENTIFY', bytes: frame(OPCODES.IDENTIFY) },
      { what: 'garbage and A5 A5 5A before ECHO', bytes: Uint8Array.from([0x00, 0xa5, 0x13, 0xa5, 0xa5, ...frame(OPCODES.ECHO, [9, 8, 7])]) },
      { what: 'header CRC-8', bytes: damage(frame(OPCODES.ECHO, [1, 2, 3, 4]), 6), error: ERRORS.HEADER_CRC },
      { what: 'frame CRC-16', bytes: damage(frame(OPCODES.ECHO, [1, 2, 3, 4]), 8), error: ERRORS.BAD_CRC },
      { what: 'unknown opcode', bytes: frame(0x55, [1]), error: ERRORS.UNKNOWN_OPCODE },
      { what: 'length of no command', bytes: frame(OPCODES.TRAIN, record(3).slice(1)), error: ERRORS.BAD_LENGTH },
      { what: 'length above MAX_PAYLOAD', bytes: Uint8Array.from([0xa5, 0x5a, ...tooLong, crc8(tooLong)]), error: ERRORS.BAD_LENGTH },
      { what: 'label out of range in record 2', bytes: frame(OPCODES.TRAIN, [...record(1), ...record(spec.classes)]), error: ERRORS.OUT_OF_RANGE },
      { what: 'weight span past the map', bytes: frame(OPCODES.READ_WEIGHTS, [...le(spec.weightWords - 3, 4), ...le(4, 2)]), error: ERRORS.OUT_OF_RANGE },
      { what: 'count 0', bytes: frame(OPCODES.READ_LFSR, [...le(0, 2), ...le(0, 2)]), error: ERRORS.OUT_OF_RANGE },
      { what: 'learning rates not compiled in', bytes: frame(OPCODES.SET_PARAMS, [lr.hiddenShift + 1, lr.hiddenMul, lr.outShift, lr.outMul, ...le(5, 4)]), error: ERRORS.NOT_SUPPORTED },
      { what: 'SET_PARAMS seed 0x1bb', bytes: frame(OPCODES.SET_PARAMS, [lr.hiddenShift, lr.hiddenMul, lr.outShift, lr.outMul, ...le(0x1bb, 4)]) },
      { what: 'weights into the output layer and its biases', bytes: frame(OPCODES.LOAD_WEIGHTS, [...le(spec.layers[1].base - 2, 4), ...Array.from({ length: 2 * 40 }, () => rnd.int(0, 255))]) },
      { what: 'TRAIN 3 records', bytes: frame(OPCODES.TRAIN, [...record(1), ...record(7), ...record(0)]) },
      { what: 'TRAIN 2 records', bytes: frame(OPCODES.TRAIN, [...record(9), ...record(2)]) },
      { what: 'TRAIN of the most records', bytes: frame(OPCODES.TRAIN, Array.from({ length: maxRecords('TRAIN') }, (_, r) => record(r % spec.classes)).flat()) },
      { what: 'INFER of the most records', bytes: frame(OPCODES.INFER, Array.from({ length: maxRecords('INFER') }, () => pixels()).flat()) },
      { what: 'ECHO of the longest payload', bytes: frame(OPCODES.ECHO, Array.from({ length: MAX_PAYLOAD }, () => rnd.int(0, 255))) },
      { what: 'a frame cut by the idle line', bytes: frame(OPCODES.TRAIN, record(4)).slice(0, 300), idle: true, error: ERRORS.TRUNCATED },
      { what: 'idle while hunting', idle: true },
      { what: 'INFER 3 records', bytes: frame(OPCODES.INFER, [...pixels(), ...pixels(), ...pixels()]) },
      { what: 'READ_WEIGHTS across layers', bytes: frame(OPCODES.READ_WEIGHTS, [...le(spec.layers[1].base - 5, 4), ...le(60, 2)]) },
      { what: 'READ_LFSR', bytes: frame(OPCODES.READ_LFSR, [...le(0, 2), ...le(spec.lfsrStates, 2)]) },
      { what: 'LOAD_LFSR', bytes: frame(OPCODES.LOAD_LFSR, [...le(1, 2), ...le(0x12345678, 4), ...le(0xfffffffe, 4)]) },
      { what: 'READ_COUNTERS', bytes: frame(OPCODES.READ_COUNTERS) },
      { what: 'NEW_EPOCH', bytes: frame(OPCODES.NEW_EPOCH) },
      { what: 'TRAIN after the epoch boundary', bytes: frame(OPCODES.TRAIN, record(5)) },
      { what: 'READ_LFSR after', bytes: frame(OPCODES.READ_LFSR, [...le(0, 2), ...le(spec.lfsrStates, 2)]) },
      { what: 'LINK_STATUS', bytes: frame(OPCODES.LINK_STATUS) },
      { what: 'RESET', bytes: frame(OPCODES.RESET) },
      { what: 'READ_WEIGHTS after RESET', bytes: frame(OPCODES.READ_WEIGHTS, [...le(spec.layers[1].base - 5, 4), ...le(60, 2)]) },
      { what: 'READ_COUNTERS after RESET', bytes: frame(OPCODES.READ_COUNTERS) },
      { what: 'LINK_STATUS after RESET', bytes: frame(OPCODES.LINK_STATUS) },
    ];
    const errorsSeen = new Set<number>();
    for (const s of steps) {
      const { want, got } = await exchange(fe, model, link, s.bytes, s.idle === true);
      expect(got, s.what).toEqual(want);
      if (s.error !== undefined) {
        expect(want[2], `${s.what}: an error frame`).toBe(0xff);
        expect(want[7], `${s.what}: its code`).toBe(s.error);
        errorsSeen.add(want[7]);
      } else if (s.bytes) expect(want[2] & 0x80, `${s.what}: a response`).toBe(0x80);
      if (s.bytes) expect(want.length, `${s.what}: answered`).toBeGreaterThan(0);
    }
    expect(errorsSeen.size).toBe(7);
  }, 120_000);

  it.each([
    { name: 'iCEBreaker', cfg: ICE, crc: 'split' },
    { name: 'iCEBreaker', cfg: ICE, crc: 'bitwise' },
    { name: 'iCEBreaker', cfg: ICE, crc: 'table' },
    { name: '784-16-8-10, window 6, 3 lanes of 16-bit LFSRs', cfg: TWO_HIDDEN, crc: 'split' },
  ] as const)('a random stream of 160 frames, a third of them damaged, cut or behind garbage: answered byte for byte as the references ($name, CRCs $crc)', async ({ cfg: config, crc }) => {
    const cfg = config();
    const link = new UcoreTransport(cfg, { crc });
    const model = new ChipModel(cfg);
    const spec = link.serving.spec;
    const fe = new FrontEndModel(spec, identifyBlock(cfg, DEFAULT_TIMEOUT_CYCLES), (op, p) => model.command(op, p));
    const rnd = new Rand(2027);
    const bytes = (n: number): number[] => Array.from({ length: n }, () => rnd.int(0, 255));
    const le = (v: number, n: number): number[] => Array.from({ length: n }, (_, i) => Math.floor(v / 2 ** (8 * i)) & 0xff);
    /** a payload of cs: mostly valid (fields in range), else of a random length or with a field anywhere */
    const payload = (c: (typeof spec.commands)[number]): number[] => {
      const valid = rnd.int(0, 9) < 7;
      if (!valid && rnd.int(0, 1) === 0) return bytes(rnd.int(0, Math.min(40, spec.maxPayload)));
      const k = c.record === 0 ? 0 : rnd.int(c.minRecords, Math.min(c.maxRecords, c.record > 100 ? 2 : 12));
      const p = bytes(c.header + k * c.record);
      for (const f of c.fields) {
        const v = valid ? rnd.int(f.min, Math.min(f.max, f.name === 'offset' || f.name === 'count' ? 30 : f.max)) : rnd.int(0, 2 ** (8 * f.bytes) - 1);
        if (f.in === 'header') p.splice(f.offset, f.bytes, ...le(v, f.bytes));
        else for (let r = c.header; r < p.length; r += c.record) p[r + f.offset] = valid ? rnd.int(f.min, f.max) : v & 0xff;
      }
      if (c.name === 'SET_PARAMS' && valid) p.splice(0, 4, cfg.numeric.lr.hiddenShift, cfg.numeric.lr.hiddenMul, cfg.numeric.lr.outShift, cfg.numeric.lr.outMul);
      // LFSR states nonzero (a zero state is where the core and the reference differ: the test below)
      if (c.name === 'LOAD_LFSR') for (let r = c.header; r < p.length; r += c.record) p[r] |= 1;
      return p;
    };
    const kinds = new Map<string, number>();
    for (let i = 0; i < 160; i++) {
      const c = rnd.int(0, 19) === 0 ? undefined : spec.commands[rnd.int(0, spec.commands.length - 1)];
      let f = Array.from(encodeFrame(c?.code ?? rnd.int(0x41, 0x7f), i & 0xff, c ? payload(c) : bytes(rnd.int(0, 6))));
      const m = rnd.int(0, 11);
      let idle = false;
      if (m === 0) f[rnd.int(0, f.length - 1)] ^= 1 << rnd.int(0, 7);
      else if (m === 1) {
        f = f.slice(0, rnd.int(1, f.length - 1));
        idle = true;
      } else if (m === 2) f = [...bytes(rnd.int(1, 5)), 0xa5, ...f];
      else if (m === 3) idle = true;
      const { want, got } = await exchange(fe, model, link, Uint8Array.from(f), idle);
      expect(got, `frame ${i} (${c?.name ?? 'unknown'}, mutation ${m})`).toEqual(want);
      const kind = want.length === 0 ? 'none' : want[2] === 0xff ? `error ${want[7]}` : 'response';
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
    }
    // the stream reached every error the front end gives and many responses
    for (const code of [ERRORS.HEADER_CRC, ERRORS.UNKNOWN_OPCODE, ERRORS.BAD_LENGTH, ERRORS.BAD_CRC, ERRORS.TRUNCATED, ERRORS.OUT_OF_RANGE]) expect(kinds.get(`error ${code}`), `error ${code}`).toBeGreaterThan(0);
    expect(kinds.get('response')).toBeGreaterThan(60);
    console.log(`[ucore-link] random stream: ${JSON.stringify(Object.fromEntries(kinds))}`);
  }, 120_000);

  it('the serving program in its binary form: decode(encode) is the code, and it fits the ROM of 4,096 addresses', () => {
    const { program } = new UcoreTransport(ICE()).serving;
    expect(decode(encode(program))).toEqual(program.code);
    expect(program.code.length).toBeLessThan(4096);
  });

  it('refuses an LFSR state of zero bits before writing any lane (the core takes nonzero states only)', async () => {
    const cfg = ICE();
    const link = new UcoreTransport(cfg);
    const c = new Client(link, { spec: link.serving.spec });
    const before = await c.readLfsr(0, 4);
    // states 5 and 0 from lane 0: OUT_OF_RANGE at the byte offset of the zero state (6), lane 0 unchanged
    const [ans] = await c.batch([{ op: OPCODES.LOAD_LFSR, payload: [0, 0, 5, 0, 0, 0, 0, 0, 0, 0] }]);
    expect(ans.ok).toBe(false);
    if (!ans.ok) expect([ans.error.info.code, ans.error.info.op, ans.error.info.detail]).toEqual([ERRORS.OUT_OF_RANGE, OPCODES.LOAD_LFSR, 6]);
    expect(await c.readLfsr(0, 4)).toEqual(before);
    // the next good frame is answered
    await c.loadLfsr(0, [5]);
    expect(await c.readLfsr(0, 4)).toEqual([5, ...before.slice(1)]);
  });
});
