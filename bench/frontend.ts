/**
 * Stream front end: the fuzz (≥ 10,000 frames of every kind (--frames counts frames, not garbage runs), malformed and well-formed, through the
 * verilated front end with random back-pressure, every byte compared with the reference and every answer
 * with what docs/protocol.md promises) and the host link's speed (frames/s through the sim transport in
 * pipelined batches, and through the uart transport over the pseudo-terminal).
 *
 *   node bin/run-ts.js bench/frontend.ts [--frames 10000] [--seed 1] [--skip-fuzz] [--skip-pty]
 */
import { performance } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHIP } from '../generator/config.js';
import { identifyBlock } from '../generator/protocol.js';
import { frontend } from '../generator/units/frontend.js';
import { buildFromIr } from '../sim/verilator/from-ir.js';
import { Client, type Request } from '../host/protocol/client.js';
import { DEFAULT_SPEC, OPCODES } from '../host/protocol/spec.js';
import { SimTransport } from '../host/transport/sim.js';
import { UartTransport } from '../host/transport/uart.js';
import { PtyBridge } from '../host/transport/pty.js';
import { KINDS, answerMismatch, makeStream } from '../test/units/frontend-cases.js';
import { runFrontend } from '../test/units/frontend-run.js';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const FRAMES = arg('frames', 10_000);
const SEED = arg('seed', 1);
const TIMEOUT = 2000;

async function fuzz(): Promise<void> {
  const t0 = performance.now();
  const m = await buildFromIr(frontend(DEFAULT_CHIP, { timeoutCycles: TIMEOUT }));
  const built = performance.now();
  const identify = identifyBlock(DEFAULT_CHIP, TIMEOUT);
  const perKind = Object.fromEntries(KINDS.map((k) => [k, 0]));
  let frames = 0;
  let pieces = 0;
  let cycles = 0;
  let bytes = 0;
  let failures = 0;
  const chunk = 1000;
  for (let part = 0; frames < FRAMES; part++) {
    const items = makeStream(DEFAULT_SPEC, chunk, SEED * 1000 + part);
    const p = [1, 0.5, 0.2, 0.8][part % 4];
    const q = [1, 0.3, 0.9, 0.5][part % 4];
    const r = await runFrontend(m, items, { seed: SEED * 7 + part, pIn: p, pOut: q, identify });
    const same = JSON.stringify(r.out) === JSON.stringify(r.ref.out) && JSON.stringify(r.cmd) === JSON.stringify(r.ref.cmd) && JSON.stringify(r.cmdLast) === JSON.stringify(r.ref.cmdLast);
    const wrong = answerMismatch(r.out, r.outLast, items);
    if (!same || wrong) {
      failures++;
      console.log(`part ${part}: ${same ? '' : 'differs from the reference; '}${wrong ?? ''}`);
    }
    for (const it of items) perKind[it.kind]++;
    frames += items.filter((it) => it.kind !== 'garbage').length;
    pieces += items.length;
    cycles += r.cycles;
    bytes += r.bytesIn;
  }
  await m.close();
  const s = (performance.now() - built) / 1000;
  console.log(`fuzz: ${frames} frames and ${pieces - frames} runs of garbage (${JSON.stringify(perKind)}), ${bytes} bytes, ${cycles} cycles`);
  console.log(`fuzz: ${failures === 0 ? 'every answer as the reference and as the protocol promises, nothing hung' : `${failures} parts FAILED`}`);
  console.log(`fuzz: build ${((built - t0) / 1000).toFixed(1)} s, run ${s.toFixed(1)} s (${(frames / s).toFixed(0)} frames/s, ${(cycles / s / 1e6).toFixed(2)} M cycles/s)`);
  if (failures) process.exitCode = 1;
}

/** Frames/s of pipelined ECHO batches (and single round trips) through a transport. */
async function throughput(label: string, c: Client, n: number, payload: number, cyclesOf?: () => number): Promise<void> {
  const p = Uint8Array.from({ length: payload }, (_, i) => i & 0xff);
  const reqs: Request[] = Array.from({ length: n }, () => ({ op: OPCODES.ECHO, payload: p }));
  await c.batch(reqs.slice(0, 10));
  const c0 = cyclesOf?.() ?? 0;
  const t0 = performance.now();
  const answers = await c.batch(reqs);
  const s = (performance.now() - t0) / 1000;
  if (!answers.every((a) => a.ok && a.frame.payload.length === payload)) throw new Error(`${label}: wrong answers`);
  const cyc = cyclesOf ? ` ${((cyclesOf() - c0) / n).toFixed(1)} cycles/frame,` : '';
  const t1 = performance.now();
  const single = Math.min(200, n);
  for (let i = 0; i < single; i++) await c.echo(p);
  const rt = (performance.now() - t1) / single;
  console.log(
    `${label}: ECHO ${payload} B, batch of ${n}: ${(n / s).toFixed(0)} frames/s (${((n * (payload + 9) * 2) / s / 1e6).toFixed(2)} MB/s both ways),${cyc} one at a time ${rt.toFixed(2)} ms/round trip`,
  );
}

async function links(): Promise<void> {
  const sim = await SimTransport.start(frontend(DEFAULT_CHIP));
  const c = new Client(sim);
  for (const payload of [0, 16, 785]) await throughput('sim transport', c, 20_000, payload, () => sim.cycles);
  await sim.close();
  if (process.argv.includes('--skip-pty')) return;
  const model = await buildFromIr(frontend(DEFAULT_CHIP));
  await model.reset(4);
  const link = join(tmpdir(), `ibhebb-bench-tty-${process.pid}`);
  const bridge = await PtyBridge.start(model, { link });
  const u = await UartTransport.open({ path: link });
  const cu = new Client(u, { window: 64 * 1024 });
  for (const payload of [16, 785]) await throughput('uart over pty', cu, 2_000, payload);
  await u.close();
  await bridge.close();
  await model.close();
}

if (!process.argv.includes('--skip-fuzz')) await fuzz();
await links();
