/**
 * Whole-chip fuzz, for its co-simulation test and its benchmark: streams of malformed input of every kind
 * (random bytes, cut frames, bad CRCs, wrong lengths, unknown opcodes, fields out of range: the front
 * end's cases of frontend-cases.ts), well-formed commands that leave the learning state alone (IDENTIFY,
 * ECHO, LINK_STATUS, READ_WEIGHTS, READ_LFSR, READ_COUNTERS, NEW_EPOCH, INFER, SET_PARAMS with rates the
 * chip refuses), frames cut by the idle timeout, frames cut by the chip's reset and RESET commands, into
 * the verilated chip top with seeded random valid/ready.
 *
 * Every answer is checked twice: against what docs/protocol.md promises for its input (answerMismatch:
 * an error frame of the right code for each malformed frame, nothing for dropped bytes, a response for
 * each well-formed command), and frame by frame against the reference (FrontEndModel with ChipModel as
 * its controller; READ_COUNTERS' cycle counts excepted, which the model does not count). The weights and
 * LFSR states loaded at the start (and reloaded after each reset) must read back unchanged at the end.
 */
import { Rng } from '../../sim/rng.js';
import type { Model } from '../../sim/verilator/index.js';
import { DEFAULT_CHIP, validateChip, type ChipConfig } from '../../generator/config.js';
import { withNumeric } from '../../generator/numeric.js';
import { identifyBlock, protocolSpec, type ProtocolSpec } from '../../generator/protocol.js';
import { FrameParser, encodeFrame, type Frame } from '../../host/protocol/frame.js';
import { decodeStates, decodeWords, encodePayload, encodeStates, encodeWords } from '../../host/protocol/commands.js';
import { ERRORS, OPCODES, commandSpec } from '../../host/protocol/spec.js';
import { FrontEndModel } from '../../host/protocol/frontend-model.js';
import { ChipModel } from '../../host/chip/model.js';
import { answerMismatch, makeItem, validPayload, type Item, type Kind } from './frontend-cases.js';

/** The malformed kinds of the front end's cases. */
const FAULTS: readonly Kind[] = ['badCrc', 'badHeader', 'unknownOp', 'badLength', 'tooLong', 'outOfRange', 'truncated', 'garbage'];
/** Well-formed commands that do not change the weights, the LFSR states or the parameters. */
const READS = ['IDENTIFY', 'ECHO', 'LINK_STATUS', 'READ_WEIGHTS', 'READ_LFSR', 'READ_COUNTERS', 'NEW_EPOCH', 'INFER'] as const;

/** The fuzz's chip: 8-8-4-3, window 4, 4 lanes (short frames, a quick build), with a short idle timeout. */
export function fuzzConfig(): ChipConfig {
  const lanes = 4;
  return validateChip({ ...DEFAULT_CHIP, layers: [8, 8, 4, 3], window: 4, lanes, numeric: withNumeric(DEFAULT_CHIP.numeric, { lfsr: { ...DEFAULT_CHIP.numeric.lfsr, lanes } }) });
}
export const FUZZ_TIMEOUT_CYCLES = 3000;

export type FuzzKind = Kind | 'read' | 'train' | 'refusedParams' | 'timeout' | 'rst' | 'resetCommand' | 'reload';

export interface FuzzOptions {
  /** Frames to send (fuzz items that start with a sync pair; random-byte runs come on top). */
  frames: number;
  seed: number;
  /** The idle timeout the chip was generated with (chip(cfg, { timeoutCycles })). */
  timeoutCycles: number;
  /** valid probability of the request stream, ready probability of the answer stream (default 0.8, 0.7). */
  pIn?: number;
  pOut?: number;
  /** Items per batch between checks (default 150). */
  batch?: number;
  /**
   * Well-formed TRAIN frames too (about 1 in 25 items): the learning state then changes, and what must
   * read back at the end is the reference model's state (default false: nothing trains, and the state
   * loaded at the start must read back).
   */
  train?: boolean;
  /** Records per TRAIN frame: 1 … this many (default 1). */
  trainRecords?: number;
  /** Read the whole state back after every batch (finds the batch where chip and reference part). */
  probe?: boolean;
}

export interface FuzzOutcome {
  frames: number;
  garbageRuns: number;
  bytesIn: number;
  bytesOut: number;
  cycles: number;
  perKind: Record<string, number>;
  /** Errors found: empty when the chip behaved. */
  problems: string[];
}

interface FuzzItem extends Item {
  fuzz: FuzzKind;
}

export async function fuzzChip(m: Model, cfg: ChipConfig, o: FuzzOptions): Promise<FuzzOutcome> {
  const spec = protocolSpec(cfg);
  const rng = new Rng(o.seed);
  const model = new ChipModel(cfg);
  const fe = new FrontEndModel(spec, identifyBlock(cfg, o.timeoutCycles), (op, p) => model.command(op, p));
  const pIn = o.pIn ?? 0.8;
  const pOut = o.pOut ?? 0.7;
  const batchSize = o.batch ?? 150;
  const problems: string[] = [];
  const perKind: Record<string, number> = {};
  const res: FuzzOutcome = { frames: 0, garbageRuns: 0, bytesIn: 0, bytesOut: 0, cycles: 0, perKind, problems };
  let tag = 0;
  const nextTag = () => (tag = (tag + 1) & 0xff);

  await m.reset(4);
  await m.sourcePattern('in', pIn, o.seed);
  await m.sinkPattern('out', pOut, o.seed + 1);
  const start = (await m.status()).cycle;

  // the learning state the fuzz must not touch: random weights and LFSR states, loaded after every reset
  const wbits = 8 * spec.wordBytes;
  const words = Array.from({ length: spec.weightWords }, () => rng.int(2 ** wbits) - 2 ** (wbits - 1));
  const states = Array.from({ length: spec.lfsrStates }, () => 1 + rng.int(2 ** spec.lfsrWidth - 1));
  const reload = (): FuzzItem[] => {
    const out: FuzzItem[] = [];
    const lw = commandSpec(spec, 'LOAD_WEIGHTS');
    const recs = encodeWords(words, spec.wordBytes);
    for (let i = 0; i < recs.length; i += lw.maxRecords) out.push(good('reload', OPCODES.LOAD_WEIGHTS, encodePayload(spec, 'LOAD_WEIGHTS', { offset: i }, recs.slice(i, i + lw.maxRecords))));
    const ll = commandSpec(spec, 'LOAD_LFSR');
    const srec = encodeStates(states, spec.lfsrBytes, spec.lfsrWidth);
    for (let i = 0; i < srec.length; i += ll.maxRecords) out.push(good('reload', OPCODES.LOAD_LFSR, encodePayload(spec, 'LOAD_LFSR', { offset: i }, srec.slice(i, i + ll.maxRecords))));
    return out;
  };
  const good = (fuzz: FuzzKind, op: number, payload: ArrayLike<number>, status = 0): FuzzItem => {
    const t = nextTag();
    const bytes = Array.from(encodeFrame(op, t, payload));
    const expect = status === 0 ? { op: op | spec.responseBit, tag: t } : { op: spec.errorOpcode, tag: t, code: status, reqOp: op };
    return { kind: 'good', fuzz, bytes, last: bytes.map((_, i) => i === bytes.length - 1 && rng.int(2) === 0), expect };
  };
  /** The first n bytes of a well-formed frame, no tlast: cut by what follows (timeout or reset). */
  const partial = (fuzz: FuzzKind, minBytes: number): FuzzItem => {
    const c = spec.commands[rng.int(spec.commands.length)];
    const t = nextTag();
    const f = Array.from(encodeFrame(c.code, t, validPayload(spec, c, rng, 3)));
    const n = minBytes + rng.int(f.length - minBytes);
    const bytes = f.slice(0, n);
    // the idle timeout reports the bytes after the sync; opcode and tag as far as received
    const expect = fuzz === 'timeout' ? { op: spec.errorOpcode, tag: n >= 4 ? t : 0, code: ERRORS.TRUNCATED, reqOp: n >= 3 ? c.code : 0 } : null;
    return { kind: 'truncated', fuzz, bytes, last: bytes.map(() => false), expect };
  };
  const read = (): FuzzItem => {
    const name = READS[rng.int(READS.length)];
    const c = commandSpec(spec, name);
    const p = name === 'ECHO' ? Array.from({ length: rng.int(40) }, () => rng.int(256)) : validPayload(spec, c, rng, 3);
    return good('read', c.code, p);
  };
  const refusedParams = (): FuzzItem => {
    const lr = cfg.numeric.lr;
    const p = [lr.hiddenShift, lr.hiddenMul, lr.outShift, lr.outMul];
    const at = rng.int(4);
    const lim = at % 2 === 0 ? [0, 40] : [1, 255];
    let v = p[at];
    while (v === p[at]) v = lim[0] + rng.int(lim[1] - lim[0] + 1);
    p[at] = v;
    const seed = rng.int(2 ** 32);
    return good('refusedParams', OPCODES.SET_PARAMS, [...p, seed & 0xff, (seed >>> 8) & 0xff, (seed >>> 16) & 0xff, seed >>> 24], ERRORS.NOT_SUPPORTED);
  };
  const fault = (): FuzzItem => {
    const kind = FAULTS[rng.int(FAULTS.length)];
    const it = makeItem(spec, kind, nextTag(), rng);
    return { ...it, fuzz: kind };
  };

  /** Reads every weight and LFSR state from the chip and the reference; what differs, or null. */
  const stateMismatch = async (): Promise<string | null> => {
    const t = nextTag();
    const rw = commandSpec(spec, 'READ_WEIGHTS');
    const maxRead = (rw.fields.find((f) => f.name === 'count') as { max: number }).max;
    const reads: number[] = [];
    for (let i = 0; i < spec.weightWords; i += maxRead) reads.push(...encodeFrame(OPCODES.READ_WEIGHTS, t, encodePayload(spec, 'READ_WEIGHTS', { offset: i, count: Math.min(maxRead, spec.weightWords - i) })));
    reads.push(...encodeFrame(OPCODES.READ_LFSR, t, encodePayload(spec, 'READ_LFSR', { offset: 0, count: spec.lfsrStates })));
    await m.push('in', reads, 'none');
    fe.feedAll(reads);
    await m.run({ untilSinkCount: { bus: 'out', n: fe.out.length }, maxCycles: 200_000 + 40 * fe.out.length });
    fe.out.length = 0;
    fe.cmd.length = 0;
    fe.cmdLast.length = 0;
    const tail = new FrameParser().push(Array.from((await m.drainColumns('out')).data as ArrayLike<number>));
    const want = Array.from(model.words());
    const got = tail.slice(0, -1).flatMap((f) => decodeWords(f.payload, spec.wordBytes));
    const bad = want.findIndex((w, i) => got[i] !== w);
    if (bad >= 0) return `weight word ${bad}: the chip holds ${got[bad]}, the reference model ${want[bad]}`;
    const gotS = tail.length ? decodeStates(tail[tail.length - 1].payload, spec.lfsrBytes) : [];
    const wantS = model.lfsrStates();
    const badS = wantS.findIndex((v, i) => gotS[i] !== v);
    if (badS >= 0) return `LFSR state ${badS}: the chip holds ${gotS[badS]}, the reference model ${wantS[badS]}`;
    return null;
  };

  let pending: FuzzItem[] = reload();
  let sent = 0;
  while (sent < o.frames || pending.length) {
    // a batch: items up to the batch size, ended early by an event (timeout, chip reset)
    let event: 'timeout' | 'rst' | null = null;
    while (pending.length < batchSize && sent < o.frames) {
      const r = rng.int(1000);
      let it: FuzzItem;
      if (r < 3) {
        it = partial('timeout', 2);
        event = 'timeout';
      } else if (r < 8) {
        it = partial('rst', 1);
        event = 'rst';
      } else if (r < 13) it = good('resetCommand', OPCODES.RESET, []);
      else if (o.train && r < 53) it = good('train', OPCODES.TRAIN, validPayload(spec, commandSpec(spec, 'TRAIN'), rng, o.trainRecords ?? 1));
      else if (r < 250) it = read();
      else if (r < 280) it = refusedParams();
      else it = fault();
      pending.push(it);
      if (it.bytes[0] === spec.sync[0] && it.bytes[1] === spec.sync[1]) sent++;
      // a RESET command zeroes the weights and reseeds the lanes: the state is loaded again after it
      if (it.fuzz === 'resetCommand') pending.push(...reload());
      if (event) break;
    }
    const items = pending;
    pending = [];
    // the reference, item by item (a RESET command resets the controller model once answered)
    for (const it of items) {
      fe.feedAll(it.bytes, it.last);
      if (fe.resets > 0) {
        fe.resets = 0;
        model.reset();
      }
      perKind[it.fuzz] = (perKind[it.fuzz] ?? 0) + 1;
      if (it.bytes[0] === spec.sync[0] && it.bytes[1] === spec.sync[1]) res.frames++;
      else res.garbageRuns++;
    }
    if (event === 'timeout') fe.timeout();
    const bytes = items.flatMap((it) => it.bytes);
    const last = items.flatMap((it) => it.last);
    res.bytesIn += bytes.length;
    await m.push('in', bytes, last);
    const maxCycles = 200_000 + 40 * bytes.length + 40 * fe.out.length;
    try {
      await m.run({ untilSourcesEmpty: true, maxCycles });
      if (event === 'timeout') await m.run({ cycles: o.timeoutCycles + 50 });
      if (fe.out.length) await m.run({ untilSinkCount: { bus: 'out', n: fe.out.length }, maxCycles });
    } catch (e) {
      // a hang: name the batch's items (kind and opcode) and stop, the chip's state being unknown
      const what = items.map((it) => `${it.fuzz}${it.bytes.length > 2 ? `:${it.bytes[2].toString(16)}` : ''}`).join(' ');
      problems.push(`the batch ending at frame ${res.frames} hung (${(e as Error).message}); its items: ${what}`);
      return res;
    }
    await m.run({ cycles: 200 }); // nothing more may come out
    const got = await m.drainColumns('out');
    const out = Array.from(got.data as ArrayLike<number>);
    const outLast = Array.from(got.last, (l) => l === 1);
    res.bytesOut += out.length;
    const bad = answerMismatch(out, outLast, items) ?? framesMismatch(spec, out, fe.out);
    if (bad) problems.push(`batch ending at frame ${res.frames}: ${bad}`);
    fe.out.length = 0;
    fe.cmd.length = 0;
    fe.cmdLast.length = 0;
    if (o.probe && !bad && event !== 'rst') {
      const diff = await stateMismatch();
      if (diff) problems.push(`after the batch ending at frame ${res.frames} (${items.map((it) => it.fuzz).join(' ')}): ${diff}`);
    }
    if (event === 'rst') {
      await m.reset(4);
      fe.reset();
      model.reset();
      pending = reload();
    }
    if (problems.length >= 5) break;
  }

  // the chip's state reads back as the reference's, which is the state loaded unless TRAIN frames were sent
  const final = await stateMismatch();
  if (final) problems.push(final);
  if (!o.train && (Array.from(model.words()).join() !== words.join() || model.lfsrStates().join() !== states.join())) problems.push('the state loaded at the start changed');
  res.cycles = (await m.status()).cycle - start;
  return res;
}

/**
 * The chip's answers against the reference's, frame by frame: opcode, tag and payload; READ_COUNTERS'
 * busy and stalled cycles (bytes 8 … 23) excepted, which the reference does not count (stalled ≤ busy
 * is checked instead). Null when they agree.
 */
export function framesMismatch(spec: ProtocolSpec, out: readonly number[], ref: readonly number[]): string | null {
  const a = new FrameParser().push(out);
  const b = new FrameParser().push(ref);
  if (a.length !== b.length) return `${a.length} answers, the reference gives ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const diff = frameDiff(a[i], b[i], spec.responseBit | OPCODES.READ_COUNTERS);
    if (diff) return `answer ${i}: ${diff}`;
  }
  return null;
}

function frameDiff(a: Frame, b: Frame, countersOp: number): string | null {
  if (a.op !== b.op || a.tag !== b.tag) return `op ${a.op} tag ${a.tag}, the reference op ${b.op} tag ${b.tag}`;
  let pa = [...a.payload];
  let pb = [...b.payload];
  if (a.op === countersOp && pa.length === pb.length && pa.length >= 24) {
    const u64 = (p: number[], at: number) => p.slice(at, at + 8).reduceRight((v, x) => v * 256n + BigInt(x), 0n);
    if (u64(pa, 16) > u64(pa, 8)) return 'READ_COUNTERS: more stalled than busy cycles';
    pa = [...pa.slice(0, 8), ...pa.slice(24)];
    pb = [...pb.slice(0, 8), ...pb.slice(24)];
  }
  if (pa.join() !== pb.join()) return `op ${a.op} payload [${pa.slice(0, 24).join(' ')}…] differs from the reference's [${pb.slice(0, 24).join(' ')}…]`;
  return null;
}
