/**
 * The stream front end (generator/units/frontend.ts) co-simulated with Verilator against the reference
 * of the framing (host/protocol/frontend-model.ts), every byte of both output streams compared, with
 * seeded random valid/ready on all four streams and random start-up values of every register and memory.
 * The malformed-input stream also checks each piece of input against the answer docs/protocol.md
 * promises (test/units/frontend-cases.ts), independently of the reference. bench/frontend.ts runs the same fuzz with ≥ 10,000 frames.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import type { Model } from '../../sim/verilator/index.js';
import { DEFAULT_CHIP, configHash } from '../../generator/config.js';
import { frontend } from '../../generator/units/frontend.js';
import { identifyBlock } from '../../generator/protocol.js';
import { FrontEndModel } from '../../host/protocol/frontend-model.js';
import { FrameParser, encodeFrame } from '../../host/protocol/frame.js';
import { DEFAULT_SPEC, ERRORS, OPCODES } from '../../host/protocol/spec.js';
import { decodeError, decodeIdentify, decodeLinkStatus } from '../../host/protocol/commands.js';
import { expectToolsClean } from '../generator/tool-checks.js';
import { answerMismatch, fakeController, makeStream, type Item } from './frontend-cases.js';
import { runFrontend } from './frontend-run.js';

const TIMEOUT = 2000;
const spec = DEFAULT_SPEC;
const identify = identifyBlock(DEFAULT_CHIP, TIMEOUT);

describe('stream front end', () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(frontend(DEFAULT_CHIP, { timeoutCycles: TIMEOUT }), { seed: 4242 }); // random start-up values
  });
  afterAll(async () => {
    await m?.close();
  });

  it('answers IDENTIFY from its ROM with the generator version and the config hash', async () => {
    const r = await runFrontend(m, [{ kind: 'good', bytes: [...encodeFrame(OPCODES.IDENTIFY, 7)], last: new Array<boolean>(9).fill(false), expect: null }], { seed: 1, identify });
    const frames = new FrameParser().push(r.out);
    expect(frames.map((f) => [f.op, f.tag])).toEqual([[OPCODES.IDENTIFY | 0x80, 7]]);
    const id = decodeIdentify(frames[0].payload);
    expect(id.configHash).toBe(configHash(DEFAULT_CHIP));
    expect(id.layers).toEqual(DEFAULT_CHIP.layers);
    expect(id.timeoutCycles).toBe(TIMEOUT);
    expect(id.weightWords).toBe(spec.weightWords);
  });

  const mixes: [name: string, seed: number, pIn: number, pOut: number][] = [
    ['full rate', 11, 1, 1],
    ['slow host, fast sinks', 12, 0.2, 1],
    ['fast host, stalling sinks', 13, 1, 0.15],
    ['random both ways', 14, 0.5, 0.5],
  ];
  for (const [name, seed, pIn, pOut] of mixes) {
    it(`well-formed and malformed frames, ${name}: every byte as the reference, every answer as the protocol says`, async () => {
      const items = makeStream(spec, 750, seed);
      const r = await runFrontend(m, items, { seed, pIn, pOut, identify });
      expect(r.out).toEqual(r.ref.out);
      expect(r.cmd).toEqual(r.ref.cmd);
      expect(r.cmdLast).toEqual(r.ref.cmdLast);
      expect(answerMismatch(r.out, r.outLast, items)).toBeNull();
    });
  }

  it('random bytes with sync pairs: same bytes as the reference, nothing hangs', async () => {
    const rngItems: Item[] = [];
    let x = 12345;
    for (let i = 0; i < 300; i++) {
      const n = 1 + (i % 40);
      const bytes: number[] = [];
      for (let j = 0; j < n; j++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        const b = (x >>> 16) & 0xff;
        bytes.push(j % 9 === 0 ? 0xa5 : j % 9 === 1 ? 0x5a : b);
      }
      rngItems.push({ kind: 'garbage', bytes, last: bytes.map((_, j) => ((x >>> j) & 31) === 0), expect: null });
    }
    const items = [...rngItems, ...makeStream(spec, 50, 77)];
    const r = await runFrontend(m, items, { seed: 21, pIn: 0.7, pOut: 0.7, identify });
    expect(r.out).toEqual(r.ref.out);
    expect(r.cmd).toEqual(r.ref.cmd);
  });

  it('cuts a frame that stops arriving after the idle timeout (TRUNCATED, detail = bytes received)', async () => {
    const f = [...encodeFrame(OPCODES.ECHO, 9, [1, 2, 3, 4, 5])];
    await m.reset(2);
    await m.push('in', f.slice(0, 8), 'none');
    await m.run({ cycles: TIMEOUT + 50 });
    await m.push('in', [...encodeFrame(OPCODES.ECHO, 10, [6])], 'none');
    await m.run({ untilSinkCount: { bus: 'out', n: 13 + 10 }, maxCycles: 100_000 });
    const frames = new FrameParser().push((await m.drain('out')).map((w) => w.data));
    expect(frames.map((f) => [f.op, f.tag])).toEqual([
      [spec.errorOpcode, 9],
      [OPCODES.ECHO | 0x80, 10],
    ]);
    expect(decodeError(frames[0].payload)).toMatchObject({ code: ERRORS.TRUNCATED, op: OPCODES.ECHO, detail: 6 });
    expect([...frames[1].payload]).toEqual([6]);
  });

  it('a frame cut by reset is dropped; the link counters restart and the next frame is answered', async () => {
    const ref = new FrontEndModel(spec, identify, fakeController);
    await m.reset(2);
    await m.sourcePattern('in', 0.6, 5);
    const cut = [...encodeFrame(OPCODES.ECHO, 1, Array.from({ length: 60 }, (_, i) => (i * 37) & 0x7f))];
    const before = [...encodeFrame(OPCODES.ECHO, 2, [1]), 0x00, 0x13];
    for (const b of before) ref.feed(b);
    await m.push('in', [...before, ...cut.slice(0, 30)], 'none');
    for (const b of cut.slice(0, 30)) ref.feed(b);
    await m.run({ untilSourcesEmpty: true, maxCycles: 100_000 });
    await m.run({ untilSinkCount: { bus: 'out', n: ref.out.length }, maxCycles: 100_000 });
    await m.reset(3);
    ref.reset();
    const after = [...cut.slice(30), ...encodeFrame(OPCODES.LINK_STATUS, 3)];
    for (const b of after) ref.feed(b);
    await m.push('in', after, 'none');
    await m.run({ untilSinkCount: { bus: 'out', n: ref.out.length }, maxCycles: 100_000 });
    await m.run({ cycles: 200 });
    const out = (await m.drain('out')).map((w) => w.data);
    expect(out).toEqual(ref.out);
    const frames = new FrameParser().push(out);
    expect(frames.map((f) => f.tag)).toEqual([2, 3]);
    const st = decodeLinkStatus(frames[1].payload);
    expect(st).toEqual({ accepted: 1, rejected: 0, dropped: cut.length - 30 });
    await m.sourcePattern('in', 1, 1);
  });

  it('RESET answers, then pulses chip_rst once', async () => {
    await m.reset(2);
    await m.push('in', [...encodeFrame(OPCODES.RESET, 4)], 'none');
    let pulses = 0;
    for (let i = 0; i < 80; i++) {
      await m.step();
      pulses += await m.peek('chip_rst');
    }
    expect(pulses).toBe(1);
    const frames = new FrameParser().push((await m.drain('out')).map((w) => w.data));
    expect(frames.map((f) => [f.op, f.tag, f.payload.length])).toEqual([[OPCODES.RESET | 0x80, 4, 0]]);
  });

  it('is lint-clean and parses in Icarus (Yosys synthesis of the default design: test/gen/rtl.test.ts)', async () => {
    await expectToolsClean(frontend(DEFAULT_CHIP, { timeoutCycles: TIMEOUT }), { synth: false });
  });
});
