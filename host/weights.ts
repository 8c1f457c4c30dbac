/**
 * Weight files. Float engines write JSON whose numbers round-trip exactly (JSON.stringify of a float64 is the
 * shortest exact decimal). Layout: W[j * nIn + i] is the weight from input i to output j.
 */
import type { Engine } from '../sim/engine.js';

export function weightsJson(engine: Engine, run: unknown): string {
  return `${JSON.stringify({
    format: 'ibhebb-weights',
    version: 1,
    layout: 'W[j*nIn+i]: input i -> output j',
    run,
    layers: engine.weights().map((l) => ({ nIn: l.nIn, nOut: l.nOut, W: Array.from(l.W), b: Array.from(l.b) })),
  })}\n`;
}
