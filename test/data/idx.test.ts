import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DatasetError, readIdxImages, readIdxLabels, readIdxPair } from '../../host/data/idx.js';
import { idxHeader, imageFile, labelFile, MNIST_DIR, pixelAt, realPrefix, tempDir } from './fixtures.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

/** Runs f, expects a DatasetError, and returns its message. */
function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    expect((e as Error).name).toBe('DatasetError');
    return (e as Error).message;
  }
  throw new Error('expected a DatasetError, but nothing was thrown');
}

const LABELS5 = [3, 0, 9, 4, 7];

describe('valid IDX files', () => {
  it('reads a small synthetic image/label pair exactly', () => {
    const img = tmp.write('ok-images-idx3-ubyte', imageFile(5));
    const lab = tmp.write('ok-labels-idx1-ubyte', labelFile(LABELS5));
    const { images, labels } = readIdxPair(img, lab);
    expect([images.n, images.rows, images.cols]).toEqual([5, 28, 28]);
    expect(images.pixels).toBeInstanceOf(Uint8Array);
    expect(images.pixels.length).toBe(5 * 784);
    for (let i = 0; i < 5; i++) for (let j = 0; j < 784; j += 97) expect(images.pixels[i * 784 + j]).toBe(pixelAt(i, j));
    expect(Array.from(labels.labels)).toEqual(LABELS5);
  });

  it('honours a non-MNIST image size and class count when asked for them', () => {
    const img = tmp.write('small-images', imageFile(2, 4, 3));
    expect(readIdxImages(img, { rows: 4, cols: 3 }).pixels.length).toBe(24);
    const lab = tmp.write('two-class-labels', labelFile([0, 1, 1]));
    expect(Array.from(readIdxLabels(lab, { classes: 2 }).labels)).toEqual([0, 1, 1]);
  });

  it('reads a prefix of the real training files and matches the original bytes', () => {
    const img = tmp.write('train100-images-idx3-ubyte', realPrefix('train-images-idx3-ubyte', 100));
    const lab = tmp.write('train100-labels-idx1-ubyte', realPrefix('train-labels-idx1-ubyte', 100));
    const { images, labels } = readIdxPair(img, lab);
    const raw = readFileSync(join(MNIST_DIR, 'train-images-idx3-ubyte'));
    expect(Buffer.from(images.pixels).equals(raw.subarray(16, 16 + 100 * 784))).toBe(true);
    expect(Array.from(labels.labels.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
  });
});

describe('corrupt IDX files are rejected with a message naming the file and the problem', () => {
  it('a truncated image file', () => {
    const full = imageFile(5);
    const p = tmp.write('cut-images-idx3-ubyte', full.subarray(0, full.length - 100));
    expect(errorOf(() => readIdxImages(p))).toBe(
      `${p}: truncated: header says 5 images of 28×28 (3936 bytes) but the file has 3836 bytes`,
    );
  });

  it('a truncated slice of the real training images', () => {
    const raw = readFileSync(join(MNIST_DIR, 'train-images-idx3-ubyte'));
    const p = tmp.write('train-images-idx3-ubyte', raw.subarray(0, 47039000));
    expect(errorOf(() => readIdxImages(p))).toBe(
      `${p}: truncated: header says 60000 images of 28×28 (47040016 bytes) but the file has 47039000 bytes`,
    );
  });

  it('a truncated label file (a slice of the real test labels)', () => {
    const raw = readFileSync(join(MNIST_DIR, 't10k-labels-idx1-ubyte'));
    const p = tmp.write('t10k-labels-idx1-ubyte', raw.subarray(0, 5008));
    expect(errorOf(() => readIdxLabels(p))).toBe(
      `${p}: truncated: header says 10000 labels (10008 bytes) but the file has 5008 bytes`,
    );
  });

  it('a file shorter than its header', () => {
    const p = tmp.write('stub-images', imageFile(5).subarray(0, 10));
    expect(errorOf(() => readIdxImages(p))).toBe(
      `${p}: truncated: 10 bytes is shorter than the 16-byte header of idx3 u8 images`,
    );
    const q = tmp.write('stub2', Buffer.from([0, 0]));
    expect(errorOf(() => readIdxLabels(q))).toMatch(/stub2: truncated: 2 bytes is too short for the 4-byte IDX magic number$/);
  });

  it('a header that claims more images than the file holds', () => {
    const img = imageFile(5);
    img.writeUInt32BE(10, 4);
    const p = tmp.write('overclaim-images-idx3-ubyte', img);
    expect(errorOf(() => readIdxImages(p))).toBe(
      `${p}: truncated: header says 10 images of 28×28 (7856 bytes) but the file has 3936 bytes`,
    );
  });

  it('a header that claims more labels than the file holds (real labels, count patched)', () => {
    const lab = realPrefix('train-labels-idx1-ubyte', 100);
    lab.writeUInt32BE(60000, 4);
    const p = tmp.write('overclaim-labels-idx1-ubyte', lab);
    expect(errorOf(() => readIdxLabels(p))).toBe(
      `${p}: truncated: header says 60000 labels (60008 bytes) but the file has 108 bytes`,
    );
  });

  it('trailing bytes after the data', () => {
    const p = tmp.write('long-labels', Buffer.concat([labelFile(LABELS5), Buffer.from([1, 2, 3])]));
    expect(errorOf(() => readIdxLabels(p))).toBe(
      `${p}: 3 trailing bytes: header says 5 labels (13 bytes) but the file has 16 bytes`,
    );
  });

  it('a wrong magic number', () => {
    const img = imageFile(5);
    img.writeUInt16BE(0x1234, 0);
    const p = tmp.write('magic-images-idx3-ubyte', img);
    expect(errorOf(() => readIdxImages(p))).toBe(
      `${p}: bad magic 0x12340803, expected 0x00000803 (idx3 u8 images): not an IDX file (the first two bytes must be zero)`,
    );
  });

  it('a wrong dimension count (label file read as images, images as labels, and a 4-d header)', () => {
    const lab = tmp.write('swapped-labels-idx1-ubyte', labelFile(LABELS5));
    expect(errorOf(() => readIdxImages(lab))).toBe(
      `${lab}: bad magic 0x00000801, expected 0x00000803 (idx3 u8 images): 1 dimension, expected 3`,
    );
    const img = tmp.write('swapped-images-idx3-ubyte', imageFile(5));
    expect(errorOf(() => readIdxLabels(img))).toBe(
      `${img}: bad magic 0x00000803, expected 0x00000801 (idx1 u8 labels): 3 dimensions, expected 1`,
    );
    const four = tmp.write('four-d', Buffer.concat([idxHeader([5, 28, 28, 1]), Buffer.alloc(5 * 784)]));
    expect(errorOf(() => readIdxImages(four))).toMatch(/four-d: bad magic 0x00000804, .*: 4 dimensions, expected 3$/);
  });

  it('a wrong data type byte', () => {
    const img = imageFile(5);
    img[2] = 0x0d;
    const p = tmp.write('float-images-idx3-ubyte', img);
    expect(errorOf(() => readIdxImages(p))).toBe(
      `${p}: bad magic 0x00000d03, expected 0x00000803 (idx3 u8 images): data type 0x0d (f32) is not u8 (0x08)`,
    );
    const lab = labelFile(LABELS5);
    lab[2] = 0x42;
    const q = tmp.write('odd-labels', lab);
    expect(errorOf(() => readIdxLabels(q))).toMatch(/odd-labels: bad magic 0x00004201, .*data type 0x42 \(unknown\) is not u8/);
  });

  it('images that are not 28×28', () => {
    const p = tmp.write('big-images-idx3-ubyte', imageFile(2, 32, 32));
    expect(errorOf(() => readIdxImages(p))).toBe(`${p}: images are 32×32, expected 28×28`);
  });

  it('a header with zero items', () => {
    const p = tmp.write('none-labels', labelFile([]));
    expect(errorOf(() => readIdxLabels(p))).toBe(`${p}: header says 0 labels`);
  });

  it('an images/labels count mismatch (synthetic pair)', () => {
    const img = tmp.write('five-images-idx3-ubyte', imageFile(5));
    const lab = tmp.write('four-labels-idx1-ubyte', labelFile([1, 2, 3, 4]));
    expect(errorOf(() => readIdxPair(img, lab))).toBe(`${lab}: 4 labels but 5 images in ${img}`);
  });

  it('an images/labels count mismatch (100 real training images with the 10000 real test labels)', () => {
    const img = tmp.write('train100-images-idx3-ubyte', realPrefix('train-images-idx3-ubyte', 100));
    const lab = join(MNIST_DIR, 't10k-labels-idx1-ubyte');
    expect(errorOf(() => readIdxPair(img, lab))).toBe(`${lab}: 10000 labels but 100 images in ${img}`);
  });

  it('an empty file', () => {
    const p = tmp.write('empty-images-idx3-ubyte', Buffer.alloc(0));
    expect(errorOf(() => readIdxImages(p))).toBe(`${p}: empty file (0 bytes)`);
    expect(errorOf(() => readIdxLabels(p))).toBe(`${p}: empty file (0 bytes)`);
  });

  it('a missing file, and a directory in place of a file', () => {
    const p = join(tmp.dir, 'no-such-labels-idx1-ubyte');
    expect(errorOf(() => readIdxLabels(p))).toBe(`${p}: not found`);
    const d = join(tmp.dir, 'a-folder');
    mkdirSync(d);
    expect(errorOf(() => readIdxImages(d))).toBe(`${d}: is a directory, expected an IDX file`);
  });

  it('a label of 12', () => {
    const p = tmp.write('bad-labels-idx1-ubyte', labelFile([3, 0, 12, 4, 7]));
    expect(errorOf(() => readIdxLabels(p))).toBe(`${p}: label 12 at index 2 is outside 0..9`);
    const q = tmp.write('worse-labels-idx1-ubyte', labelFile([255, 0, 12, 4, 10]));
    expect(errorOf(() => readIdxLabels(q))).toBe(`${q}: label 255 at index 0 is outside 0..9 (3 labels out of range in all)`);
    // the same label is fine when more classes are allowed
    expect(readIdxLabels(p, { classes: 13 }).labels[2]).toBe(12);
  });
});
