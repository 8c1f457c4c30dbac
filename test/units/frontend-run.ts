/**
 * Runs a stream of request items through a verilated front end and through the reference, with the
 * stand-in controller's replies queued on the reply stream, and returns both sides' output streams.
 */
import type { Model } from '../../sim/verilator/index.js';
import { FrontEndModel, type ControllerReply } from '../../host/protocol/frontend-model.js';
import { DEFAULT_SPEC } from '../../host/protocol/spec.js';
import { fakeController, flatten, replyBytes, type Item } from './frontend-cases.js';

export interface RunOptions {
  seed: number;
  identify: readonly number[];
  /** valid probability of the request and reply streams (default 1) */
  pIn?: number;
  /** ready probability of the response and command streams (default 1) */
  pOut?: number;
}

export interface RunOutcome {
  out: number[];
  outLast: boolean[];
  cmd: number[];
  cmdLast: boolean[];
  ref: FrontEndModel;
  cycles: number;
  bytesIn: number;
}

export async function runFrontend(m: Model, items: readonly Item[], o: RunOptions): Promise<RunOutcome> {
  const replies: ControllerReply[] = [];
  const ref = new FrontEndModel(DEFAULT_SPEC, o.identify, (op, p) => {
    const r = fakeController(op, p);
    replies.push(r);
    return r;
  });
  const { bytes, last } = flatten(items);
  ref.feedAll(bytes, last);
  ref.timeout();
  const pIn = o.pIn ?? 1;
  const pOut = o.pOut ?? 1;
  await m.reset(2);
  await m.sourcePattern('in', pIn, o.seed);
  await m.sourcePattern('rsp', pIn, o.seed + 1);
  await m.sinkPattern('out', pOut, o.seed + 2);
  await m.sinkPattern('cmd', pOut, o.seed + 3);
  const rsp = replies.flatMap(replyBytes);
  if (rsp.length) await m.push('rsp', rsp, 'none');
  if (bytes.length) await m.push('in', bytes, last);
  const start = (await m.status()).cycle;
  const maxCycles = 1_000_000 + Math.ceil((bytes.length + ref.out.length + ref.cmd.length) * 4 / Math.min(pIn, pOut));
  if (ref.out.length) await m.run({ untilSinkCount: { bus: 'out', n: ref.out.length }, maxCycles });
  if (ref.cmd.length) await m.run({ untilSinkCount: { bus: 'cmd', n: ref.cmd.length }, maxCycles });
  await m.run({ cycles: 300 });
  const cycles = (await m.status()).cycle - start;
  const outW = await m.drain('out');
  const cmdW = await m.drain('cmd');
  return {
    out: outW.map((w) => w.data),
    outLast: outW.map((w) => w.last),
    cmd: cmdW.map((w) => w.data),
    cmdLast: cmdW.map((w) => w.last),
    ref,
    cycles,
    bytesIn: bytes.length,
  };
}
