/**
 * Reader for the IDX files MNIST ships in (http://yann.lecun.com/exdb/mnist/ describes the format).
 *
 * An IDX file is a big-endian header followed by the raw data:
 *
 *   bytes 0–1   zero
 *   byte  2     data type (0x08 = unsigned byte; the only one MNIST uses)
 *   byte  3     number of dimensions d
 *   4·d bytes   the d dimension sizes, u32 big-endian, slowest-varying first
 *   …           the data, row-major, exactly the product of the dimensions (× element size) bytes
 *
 * So an MNIST image file starts with the magic number 0x00000803 (u8, 3 dims: count × rows × cols) and a
 * label file with 0x00000801 (u8, 1 dim: count). Everything that can be checked is checked, and every
 * problem throws a DatasetError whose message starts with the file's path and says what is wrong: a file
 * that is not what it claims to be must never train a network silently.
 */
import { readFileSync } from 'node:fs';

/** Any problem with a dataset: a missing, truncated or malformed file, an unknown dataset name, … */
export class DatasetError extends Error {
  constructor(message: string) {
    super(message);
    // The CLI recognises user-facing errors by name (host/cli/main.ts).
    this.name = 'DatasetError';
  }
}

/** IDX data type codes (byte 2 of the magic number), for readable messages. Only u8 is accepted. */
const IDX_TYPES: Record<number, string> = {
  0x08: 'u8',
  0x09: 's8',
  0x0b: 's16',
  0x0c: 's32',
  0x0d: 'f32',
  0x0e: 'f64',
};
const U8 = 0x08;

export const IMAGES_MAGIC = 0x00000803;
export const LABELS_MAGIC = 0x00000801;

/** Raw u8 images, n × rows × cols, row-major (the layout of the file's data section). */
export interface IdxImages {
  readonly path: string;
  readonly n: number;
  readonly rows: number;
  readonly cols: number;
  readonly pixels: Uint8Array;
}

export interface IdxLabels {
  readonly path: string;
  readonly n: number;
  readonly labels: Uint8Array;
}

export interface ImageOptions {
  /** Required image height; default 28 (MNIST). */
  rows?: number;
  /** Required image width; default 28 (MNIST). */
  cols?: number;
}

export interface LabelOptions {
  /** Labels must lie in [0, classes); default 10 (MNIST). */
  classes?: number;
}

const hex8 = (v: number) => `0x${(v >>> 0).toString(16).padStart(8, '0')}`;
const hex2 = (v: number) => `0x${v.toString(16).padStart(2, '0')}`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Reads a whole file, mapping the usual failures to DatasetErrors that name the path. */
function readWhole(path: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DatasetError(`${path}: not found`);
    if (code === 'EISDIR') throw new DatasetError(`${path}: is a directory, expected an IDX file`);
    throw new DatasetError(`${path}: cannot read: ${(e as Error).message}`);
  }
  if (buf.length === 0) throw new DatasetError(`${path}: empty file (0 bytes)`);
  return buf;
}

/**
 * Validates the header of a u8 IDX file against the expected number of dimensions and returns the
 * dimension sizes. `what` describes the expected content for messages, e.g. 'idx3 u8 images'.
 */
function readHeader(buf: Buffer, path: string, ndim: number, what: string): number[] {
  const expected = (U8 << 8) | ndim;
  // The magic number alone needs 4 bytes; check its parts before trusting the dimension count.
  if (buf.length < 4) {
    throw new DatasetError(`${path}: truncated: ${plural(buf.length, 'byte')} is too short for the 4-byte IDX magic number`);
  }
  const magic = buf.readUInt32BE(0);
  if (magic !== expected) {
    const bad = `${path}: bad magic ${hex8(magic)}, expected ${hex8(expected)} (${what})`;
    if (buf[0] !== 0 || buf[1] !== 0) throw new DatasetError(`${bad}: not an IDX file (the first two bytes must be zero)`);
    if (buf[2] !== U8) {
      const name = IDX_TYPES[buf[2]];
      throw new DatasetError(`${bad}: data type ${hex2(buf[2])} (${name ?? 'unknown'}) is not u8 (0x08)`);
    }
    throw new DatasetError(`${bad}: ${plural(buf[3], 'dimension')}, expected ${ndim}`);
  }
  const headerBytes = 4 + 4 * ndim;
  if (buf.length < headerBytes) {
    throw new DatasetError(
      `${path}: truncated: ${plural(buf.length, 'byte')} is shorter than the ${headerBytes}-byte header of ${what}`,
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < ndim; i++) dims.push(buf.readUInt32BE(4 + 4 * i));
  return dims;
}

/**
 * Checks that the file is exactly header + data bytes long. `claim` describes what the header says, e.g.
 * '60000 images of 28×28'; it is used in both the truncated and the too-long message.
 */
function checkSize(buf: Buffer, path: string, headerBytes: number, dataBytes: number, claim: string): void {
  const want = headerBytes + dataBytes;
  if (buf.length < want) {
    throw new DatasetError(`${path}: truncated: header says ${claim} (${want} bytes) but the file has ${buf.length} bytes`);
  }
  if (buf.length > want) {
    throw new DatasetError(
      `${path}: ${buf.length - want} trailing bytes: header says ${claim} (${want} bytes) but the file has ${buf.length} bytes`,
    );
  }
}

/**
 * Reads an idx3 u8 image file (magic 0x00000803) and checks the image size and the exact file length.
 * The pixels are copied once into a fresh Uint8Array (no per-sample allocation, and no view that keeps
 * the file buffer or Node's buffer pool alive).
 */
export function readIdxImages(path: string, opts: ImageOptions = {}): IdxImages {
  const rows = opts.rows ?? 28;
  const cols = opts.cols ?? 28;
  const buf = readWhole(path);
  const [n, r, c] = readHeader(buf, path, 3, 'idx3 u8 images');
  if (r !== rows || c !== cols) {
    throw new DatasetError(`${path}: images are ${r}×${c}, expected ${rows}×${cols}`);
  }
  const headerBytes = 16;
  // n·r·c ≤ 2^32·784 stays well inside the exact range of a double.
  checkSize(buf, path, headerBytes, n * r * c, `${plural(n, 'image')} of ${r}×${c}`);
  if (n === 0) throw new DatasetError(`${path}: header says 0 images`);
  return { path, n, rows: r, cols: c, pixels: new Uint8Array(buf.subarray(headerBytes)) };
}

/** Reads an idx1 u8 label file (magic 0x00000801), checks its exact length and that every label is < classes. */
export function readIdxLabels(path: string, opts: LabelOptions = {}): IdxLabels {
  const classes = opts.classes ?? 10;
  const buf = readWhole(path);
  const [n] = readHeader(buf, path, 1, 'idx1 u8 labels');
  const headerBytes = 8;
  checkSize(buf, path, headerBytes, n, plural(n, 'label'));
  if (n === 0) throw new DatasetError(`${path}: header says 0 labels`);
  const labels = new Uint8Array(buf.subarray(headerBytes));
  let bad = 0;
  let first = -1;
  for (let i = 0; i < n; i++) {
    if (labels[i] >= classes) {
      if (first < 0) first = i;
      bad++;
    }
  }
  if (bad > 0) {
    const more = bad > 1 ? ` (${bad} labels out of range in all)` : '';
    throw new DatasetError(`${path}: label ${labels[first]} at index ${first} is outside 0..${classes - 1}${more}`);
  }
  return { path, n, labels };
}

/** Reads an image file and its label file and checks that they hold the same number of samples. */
export function readIdxPair(
  imagesPath: string,
  labelsPath: string,
  opts: ImageOptions & LabelOptions = {},
): { images: IdxImages; labels: IdxLabels } {
  const images = readIdxImages(imagesPath, opts);
  const labels = readIdxLabels(labelsPath, opts);
  if (labels.n !== images.n) {
    throw new DatasetError(
      `${labelsPath}: ${plural(labels.n, 'label')} but ${plural(images.n, 'image')} in ${imagesPath}`,
    );
  }
  return { images, labels };
}
