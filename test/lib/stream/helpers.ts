/** Shared pieces of the stream-block co-simulation tests: random framed traffic and a pass-through check. */
import { expect } from 'vitest';
import { Rng } from '../../../sim/rng.js';
import type { Model, SinkWord } from '../../../sim/verilator/index.js';

export interface Traffic {
  data: number[];
  last: boolean[];
}

/** n random words of `width` bits, cut into frames of 1..maxFrame words (tlast on each frame's final word). */
export function randomTraffic(rng: Rng, n: number, width: number, maxFrame: number): Traffic {
  const data: number[] = [];
  const last: boolean[] = [];
  let left = 0;
  for (let i = 0; i < n; i++) {
    if (left === 0) left = 1 + rng.int(maxFrame);
    data.push(rng.int(2 ** width));
    left--;
    last.push(left === 0 || i === n - 1);
  }
  return { data, last };
}

/** The valid / ready probability mixes every stream block is run with. */
export const MIXES: readonly { pValid: number; pReady: number; seed: number }[] = [
  { pValid: 1, pReady: 1, seed: 11 },
  { pValid: 0.5, pReady: 0.5, seed: 12 },
  { pValid: 0.9, pReady: 0.2, seed: 13 },
  { pValid: 0.2, pReady: 0.9, seed: 14 },
  { pValid: 1, pReady: 0.05, seed: 15 },
];

/**
 * Resets the model, sends `traffic` into s_axis_in with the given patterns (in two parts, the second
 * queued while the first is in flight) and returns what arrived on m_axis_out, after checking it is
 * the same words with the same tlast flags in the same order (a pass-through block's reference model
 * is the identity), at strictly increasing cycles, with no protocol violation and nothing left over.
 */
export async function passThrough(
  m: Model,
  traffic: Traffic,
  mix: { pValid: number; pReady: number; seed: number },
  withLast: boolean,
): Promise<SinkWord[]> {
  const n = traffic.data.length;
  await m.sourcePattern('in', mix.pValid, mix.seed);
  await m.sinkPattern('out', mix.pReady, mix.seed * 7907 + 1);
  await m.reset(2);
  const cut = Math.floor(n / 2);
  await m.push('in', traffic.data.slice(0, cut), traffic.last.slice(0, cut));
  await m.run({ cycles: 50 });
  await m.push('in', traffic.data.slice(cut), traffic.last.slice(cut));
  const r = await m.run({ untilSinkCount: { bus: 'out', n }, maxCycles: 200 * n + 1000 });
  expect(r.reason).toBe('sinkCount');
  const got = await m.drain('out');
  expect(got.length).toBe(n);
  expect(got.map((w) => w.data)).toEqual(traffic.data);
  if (withLast) expect(got.map((w) => w.last)).toEqual(traffic.last);
  else expect(got.every((w) => !w.last)).toBe(true);
  for (let i = 1; i < n; i++) expect(got[i].cycle).toBeGreaterThan(got[i - 1].cycle);
  // a few idle cycles: nothing more may come out
  await m.run({ cycles: 20 });
  const st = await m.status();
  expect(st).toMatchObject({ violations: 0, queued: { in: 0 }, buffered: { out: 0 } });
  return got;
}

/**
 * Full throughput with both sides always ready: n words from an idle, reset block arrive back to back
 * and the whole run takes exactly n + latency cycles (the first word enters at the run's first edge
 * and leaves `latency` edges later). Returns the cycles the run took.
 */
export async function fullThroughput(m: Model, rng: Rng, n: number, width: number, latency: number): Promise<number> {
  const t = randomTraffic(rng, n, width, 9);
  await m.sourcePattern('in', 1, 1);
  await m.sinkPattern('out', 1, 2);
  await m.reset(2);
  await m.push('in', t.data, t.last);
  const r = await m.run({ untilSinkCount: { bus: 'out', n }, maxCycles: 10 * n + 100 });
  const got = await m.drain('out');
  expect(got.map((w) => w.data)).toEqual(t.data);
  expect(got[n - 1].cycle - got[0].cycle).toBe(n - 1); // one transfer per cycle, no bubble
  expect(r.cycles).toBe(n + latency);
  expect(got[0].cycle - r.cycle + r.cycles).toBe(latency); // edges from the run's start to the first output
  return r.cycles;
}
