/**
 * The chip's pixel scaling, the one definition every engine uses (the float and fixed-point golden models
 * and the hardware): a u8 pixel p is the network input x = (2p − 255)/256 ∈ [−255/256, 255/256]. It is
 * exact in any fixed-point format with ≥ 8 fraction bits (raw = (2p − 255)·2^(f − PIXEL_SHIFT)) and a
 * shift in hardware. (The paper divides by 255; 256 makes the input exact at a 0.4% change of scale.)
 */
export const PIXEL_SHIFT = 8;

/** x = (2p − 255)/2^PIXEL_SHIFT of a u8 pixel p (exact in float64). */
export function pixelToInput(p: number): number {
  return (2 * p - 255) / 2 ** PIXEL_SHIFT;
}

/**
 * The shape of a dataset as every engine sees it. Loaders live in host/data; the golden models and the
 * simulated chip only read these typed arrays.
 */
export interface Split {
  /** Number of samples. */
  readonly n: number;
  /** Features per sample. */
  readonly dim: number;
  /** n × dim, row-major; image sets hold pixelToInput(p) = (2p − 255)/256 of each pixel. */
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
