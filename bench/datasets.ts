/**
 * Dataset loading time: node bin/run-ts.js bench/datasets.ts
 * Loads the full MNIST (60k + 10k, validated, preprocessed to float64) a few times and prints the times.
 */
import { loadMnist } from '../host/data/mnist.js';

const runs: number[] = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  const d = loadMnist();
  runs.push(performance.now() - t);
  if (d.train.n + d.test.n !== 70_000) throw new Error('unexpected MNIST size');
}
runs.sort((a, b) => a - b);
console.log(`MNIST load (70,000 samples, validated, x as float64): min ${runs[0].toFixed(0)} ms, median ${runs[2].toFixed(0)} ms, max ${runs[4].toFixed(0)} ms`);
