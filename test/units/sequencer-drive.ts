/**
 * The sequencer alone (generator/units/sequencer.ts) fed TRAIN records at full rate: after a CLEAR, the records
 * (784 pixels, label) wait on s_axis_px and each TRAIN command is given as soon as rec_ready is high, so the
 * period is the sequencer's own (its intake, steps and background work), without the front end and the
 * controller. Used by test/units/sequencer-intake.test.ts and bench/sequencer.ts.
 */
import type { ChipConfig } from '../../generator/config.js';
import { SEQ_OP, sequencer } from '../../generator/units/sequencer.js';
import { buildFromIr } from '../../sim/verilator/from-ir.js';
import { LEAN_BUILD } from '../../host/transport/sim.js';

export interface SequencerPeriods {
  /** Cycles from record `warmup`'s TRAIN to the last record's, per record. */
  steady: number;
  /** Cycles from the first record's TRAIN until the sequencer is quiet, per record. */
  run: number;
}

/**
 * Runs `labels.length` records (`pixels`: P bytes each, P = cfg.layers[0]); `trace` writes an FST waveform of
 * records `warmup` to `warmup` + 4 (a separate build with tracing).
 */
export async function sequencerPeriods(cfg: ChipConfig, pixels: Uint8Array, labels: ArrayLike<number>, warmup: number, trace?: string): Promise<SequencerPeriods> {
  const P = cfg.layers[0];
  const n = labels.length;
  if (pixels.length < n * P) throw new RangeError(`sequencerPeriods: ${n} records need ${n * P} pixels, got ${pixels.length}`);
  if (!(warmup >= 0 && warmup < n - 1)) throw new RangeError('sequencerPeriods: warmup must be below the records − 1');
  const m = await buildFromIr(sequencer(cfg), { ...LEAN_BUILD, trace: trace !== undefined });
  try {
    for (const p of ['start', 'op', 'host_unit', 'host_re', 'host_we', 'host_kind', 'host_bank', 'host_addr', 'host_wdata']) await m.poke(p, 0);
    await m.reset(4);
    // the epoch's CLEAR
    await m.poke('op', SEQ_OP.CLEAR);
    await m.poke('start', 1);
    await m.step();
    await m.poke('start', 0);
    await m.run({ untilPort: { port: 'busy', equals: 0 }, maxCycles: 100_000 });
    const bytes = new Uint8Array(n * (P + 1));
    for (let k = 0; k < n; k++) {
      bytes.set(pixels.subarray(k * P, (k + 1) * P), k * (P + 1));
      bytes[k * (P + 1) + P] = labels[k];
    }
    await m.push('px', bytes, 'none');
    await m.poke('op', SEQ_OP.TRAIN);
    const starts: number[] = [];
    for (let k = 0; k < n; k++) {
      if (trace && k === warmup) await m.traceTo(trace);
      if (trace && k === warmup + 5) await m.traceStop();
      starts.push((await m.run({ untilPort: { port: 'rec_ready', equals: 1 }, maxCycles: 1_000_000 })).cycle);
      await m.poke('start', 1);
      await m.step();
      await m.poke('start', 0);
    }
    await m.run({ untilPort: { port: 'quiet', equals: 1 }, maxCycles: 1_000_000 });
    const end = (await m.status()).cycle;
    return { steady: (starts[n - 1] - starts[warmup]) / (n - 1 - warmup), run: (end - starts[0]) / n };
  } finally {
    await m.close();
  }
}
