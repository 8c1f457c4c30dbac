import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { build, buildModel } from '../../sim/verilator/index.js';
import { SKID } from './designs.js';

/** Start and end time from an FST file's header block (block type 0, then big-endian u64 fields). */
function fstTimes(file: string): { start: bigint; end: bigint; bytes: number } {
  const b = readFileSync(file);
  expect(b[0]).toBe(0); // FST_BL_HDR
  return { start: b.readBigUInt64BE(9), end: b.readBigUInt64BE(17), bytes: b.length };
}

describe('co-simulation: FST waveforms', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ibhebb-fst-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a trace build is a separate cache entry and writes exactly the requested window of cycles', async () => {
    const m = await buildModel({ ...SKID, trace: true });
    try {
      const plain = await build(SKID);
      expect(m.build.trace).toBe(true);
      expect(m.build.hash).not.toBe(plain.hash);

      await m.reset(2);
      await m.run({ cycles: 48 });
      const from = (await m.status()).cycle;
      expect(from).toBe(50);
      await m.traceTo(join(dir, 'a.fst'));
      await m.push('in', [1, 2, 3]);
      await m.run({ cycles: 20 });
      await m.traceStop();
      await m.run({ cycles: 30 });
      await m.traceTo(join(dir, 'sub', 'b.fst')); // creates the folder
      await m.run({ cycles: 10 });
    } finally {
      await m.close(); // completes the open b.fst
    }
    // two time units per cycle: cycle c spans [2c, 2c+1]
    const a = fstTimes(join(dir, 'a.fst'));
    expect(a.bytes).toBeGreaterThan(200);
    expect([a.start, a.end]).toEqual([100n, 139n]);
    const b = fstTimes(join(dir, 'sub', 'b.fst'));
    expect(b.bytes).toBeGreaterThan(200);
    expect([b.start, b.end]).toEqual([200n, 219n]);
  });
});
