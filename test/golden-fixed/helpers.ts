/** Shared fixtures of the fixed-point golden model tests. */
import { pixelToInput, type Split } from '../../sim/data.js';
import { PAPER_MNIST, type TrainConfig } from '../../sim/engine.js';
import { Rng } from '../../sim/rng.js';

/** The chip's setting (mode S, SGD, ε = 1e-2) on the MNIST network. */
export const CHIP_MNIST: TrainConfig = {
  ...PAPER_MNIST,
  variant: 'J',
  memory: 'stored',
  optimizer: 'sgd',
  lr: 0.5,
  lrOut: 2 ** -7,
  lnEps: 1e-2,
};

/** A random image-like split: u8 pixels (blobs of ink on a background) and labels, x as the MNIST loader maps it. */
export function randomPixelSplit(n: number, dim: number, classes: number, seed: number): Split {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(n * dim);
  const y = new Uint8Array(n);
  const x = new Float64Array(n * dim);
  for (let s = 0; s < n; s++) {
    y[s] = rng.int(classes);
    for (let i = 0; i < dim; i++) {
      // class-dependent ink so that the kernels see structure
      const ink = (i + y[s]) % classes === 0 ? 200 : 0;
      const p = Math.min(255, ink + rng.int(56));
      pixels[s * dim + i] = p;
      x[s * dim + i] = pixelToInput(p);
    }
  }
  return { n, dim, x, y, pixels };
}
