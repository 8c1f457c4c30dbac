/** The first samples of MNIST's training and test splits (the chip co-simulations' data). */
import { loadMnist } from '../../host/data/mnist.js';
import type { Dataset, Split } from '../../sim/data.js';

function head(s: Split, n: number): Split {
  const d = s.dim;
  return { n, dim: d, x: s.x.slice(0, n * d), y: s.y.slice(0, n), ...(s.pixels ? { pixels: s.pixels.slice(0, n * d) } : {}) };
}

let cached: Dataset | undefined;

export function loadMnistSubset(train: number, test: number): Dataset {
  cached ??= loadMnist();
  return { ...cached, train: head(cached.train, train), test: head(cached.test, test) };
}
