/**
 * The shape of a dataset as every engine sees it. Loaders live in host/data; the golden models and the
 * simulated chip only read these typed arrays.
 */
export interface Split {
  /** Number of samples. */
  readonly n: number;
  /** Features per sample. */
  readonly dim: number;
  /** n × dim, row-major, preprocessed as in the paper (MNIST: (p/255 − 0.5)/0.5 ∈ [−1, 1]). */
  readonly x: Float64Array;
  /** n labels in [0, classes). */
  readonly y: Uint8Array;
  /** n × dim raw u8 pixels, when the source is an image set (the chip's input format). */
  readonly pixels?: Uint8Array;
}

export interface Dataset {
  /** 'mnist', 'linear', 'xor', … */
  readonly name: string;
  readonly dim: number;
  readonly classes: number;
  readonly train: Split;
  readonly test: Split;
}
