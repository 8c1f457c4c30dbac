/** Softmax cross-entropy of the output layer (learning-rule.md §1.6c). */

/**
 * e[eOff + j] = scale · (softmax(o)_j − 1[j = label]) for the C logits o[oOff ..]; returns the loss
 * −log softmax(o)_label (unscaled).
 */
export function softmaxCrossEntropyGrad(
  o: Float64Array,
  oOff: number,
  C: number,
  label: number,
  scale: number,
  e: Float64Array,
  eOff: number,
): number {
  let mx = -Infinity;
  for (let j = 0; j < C; j++) if (o[oOff + j] > mx) mx = o[oOff + j];
  let sum = 0;
  for (let j = 0; j < C; j++) {
    const t = Math.exp(o[oOff + j] - mx);
    e[eOff + j] = t;
    sum += t;
  }
  const inv = 1 / sum;
  for (let j = 0; j < C; j++) e[eOff + j] = scale * (e[eOff + j] * inv - (j === label ? 1 : 0));
  return Math.log(sum) - (o[oOff + label] - mx);
}

/** Index of the largest of the C values o[oOff ..] (the first on ties). */
export function argmax(o: Float64Array, oOff: number, C: number): number {
  let best = 0;
  for (let j = 1; j < C; j++) if (o[oOff + j] > o[oOff + best]) best = j;
  return best;
}
