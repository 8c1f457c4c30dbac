import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeCheckpoint, encodeCheckpoint, loadCheckpoint, saveCheckpoint, writeFileAtomic } from '../../host/checkpoint.js';
import type { EngineState } from '../../sim/engine.js';

function sample(): EngineState {
  const f = new Float64Array(1001);
  for (let i = 0; i < f.length; i++) f[i] = Math.sin(i) * 1e-3 + i;
  f[3] = -0;
  f[4] = Number.MIN_VALUE;
  return {
    meta: { step: 17, name: 'x', nested: { a: [1, 2, 3] } },
    arrays: {
      weights: f,
      counts: Int32Array.from([1, -2, 3, 2 ** 31 - 1]),
      raw: Int16Array.from([-32768, 32767, 5]),
      bytes: Uint8Array.from([1, 2, 3]),
      state: Uint32Array.from([0xdeadbeef, 7]),
      f32: Float32Array.from([1.5, -2.25]),
    },
  };
}

describe('checkpoint files', () => {
  it('an output file in a folder that does not exist yet: the folder is made, the file written whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-out-'));
    const file = join(dir, 'new', 'deeper', 'weights.bin');
    writeFileAtomic(file, Buffer.from([1, 2, 3]));
    expect([...readFileSync(file)]).toEqual([1, 2, 3]);
    expect(readdirSync(join(dir, 'new', 'deeper'))).toEqual(['weights.bin']);
  });

  it('round-trip every array word and the meta exactly', () => {
    const s = sample();
    const back = decodeCheckpoint(encodeCheckpoint(s));
    expect(back.meta).toEqual(s.meta);
    expect(Object.keys(back.arrays).sort()).toEqual(Object.keys(s.arrays).sort());
    for (const [name, a] of Object.entries(s.arrays)) {
      const b = back.arrays[name];
      expect(b.constructor).toBe(a.constructor);
      expect(b.length).toBe(a.length);
      // compare bit patterns, so -0 and denormals count
      expect(Buffer.from(b.buffer, b.byteOffset, b.byteLength).equals(Buffer.from(a.buffer, a.byteOffset, a.byteLength))).toBe(true);
    }
  });

  it('reject a truncated, corrupted or foreign file with a message naming it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ibhebb-ck-'));
    const file = join(dir, 'run.ckpt');
    saveCheckpoint(file, sample());
    expect(readdirSync(dir)).toEqual(['run.ckpt']); // no temp file left behind
    const good = readFileSync(file);

    writeFileSync(file, good.subarray(0, good.length - 100));
    expect(() => loadCheckpoint(file)).toThrow(`${file}: corrupt or truncated (CRC-32 mismatch)`);

    const flipped = Buffer.from(good);
    flipped[200] ^= 0x10;
    writeFileSync(file, flipped);
    expect(() => loadCheckpoint(file)).toThrow(/CRC-32 mismatch/);

    writeFileSync(file, Buffer.from('{"not":"a checkpoint"} padding padding'));
    expect(() => loadCheckpoint(file)).toThrow(`${file}: not an ibhebb checkpoint (bad magic)`);

    writeFileSync(file, Buffer.alloc(3));
    expect(() => loadCheckpoint(file)).toThrow(/too short/);

    expect(() => loadCheckpoint(join(dir, 'missing.ckpt'))).toThrow(/missing\.ckpt: cannot read \(ENOENT\)/);
    expect(existsSync(join(dir, 'missing.ckpt'))).toBe(false);
  });
});
