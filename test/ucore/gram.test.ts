/**
 * § GRAM as a ucore program (generator/ucore/program/gram.ts) against the golden gramRow: every distance of the
 * occupied slots (WIDE words), d_c = 0, nothing written for q ≥ count; u8 pixels (unsigned), signed input words
 * and stored z (signed windowZ words at the extremes of their range).
 */
import { describe, expect, it } from 'vitest';
import { maxRawNum, minRawNum } from '../../generator/fixed/index.js';
import { WIDE } from '../../generator/ucore/program/common.js';
import { emitGramRow, gramOfInputs, gramOfZ, type GramRowParams } from '../../generator/ucore/program/gram.js';
import { gramRow } from '../../sim/golden/fixed/index.js';
import { get, ICE, put, Rand, runSection, SMALL, type Cfg } from './mod-helpers.js';

const rnd = new Rand(5);
const SENTINEL = 0x5a5a;

function check(C: Cfg, g: GramRowParams, lo: number, hi: number, c: number, count: number, given?: Int32Array): number {
  const { B } = C.P;
  const vecs = given ?? Int32Array.from({ length: B * g.dim }, () => rnd.edgy(lo, hi, true));
  const at = { c: 0, count: 1, vecs: 2, d: 2 + B * g.dim + 1 };
  const mem = at.d + B * WIDE + 2;
  const m = runSection(C.P, mem, (a) => emitGramRow(a, g, at), (m) => {
    m.mem.fill(SENTINEL);
    put(m, at.c, 1, c);
    put(m, at.count, 1, count);
    vecs.forEach((v, i) => put(m, at.vecs + i, 1, v));
  });
  const d = new Float64Array(B).fill(-1);
  gramRow(vecs, g.dim, c, count, d);
  const what = `${C.name} dim ${g.dim} ${g.f} c ${c} count ${count}`;
  expect(get(m, at.d, count, WIDE, true), `${what}: distances`).toEqual(Array.from(d.subarray(0, count)));
  expect(Array.from(m.mem.subarray(at.d + count * WIDE, mem)), `${what}: words after the occupied slots`).toEqual(new Array(mem - at.d - count * WIDE).fill(SENTINEL));
  expect(Array.from(m.mem.subarray(at.vecs, at.vecs + B * g.dim)), `${what}: vectors unchanged`).toEqual(Array.from(vecs, (v) => v & 0xffff));
  return m.cycles;
}

describe('ucore § GRAM (squared distances by vdist)', () => {
  it('the iCEBreaker config: K_X from u8 pixels and K_Z of the hidden layer; cycles', () => {
    const C = ICE();
    const N = C.P.numeric;
    const fz = N.windowZ.format;
    let cx = 0;
    let cz = 0;
    for (let c = 0; c < 4; c++) {
      cx = check(C, gramOfInputs(784, true), 0, 255, c, 4);
      cz = check(C, gramOfZ(32), minRawNum(fz), maxRawNum(fz), c, 4);
    }
    // a window still filling: count = c + 1
    for (let c = 0; c < 4; c++) check(C, gramOfInputs(784, true), 0, 255, c, c + 1);
    console.log(`[ucore gram] ${C.name}: K_X row (784 pixels, B = 4) ${cx} cycles; K_Z row (n = 32) ${cz} cycles`);
  });

  it('small config: input words (signed), z of both hidden layers, partly filled windows, count 0', () => {
    const C = SMALL();
    const N = C.P.numeric;
    const fi = N.input.format;
    const fz = N.windowZ.format;
    for (let t = 0; t < 12; t++) {
      const count = 1 + (t % 6);
      const c = rnd.int(0, count - 1);
      check(C, gramOfInputs(24, false), minRawNum(fi), maxRawNum(fi), c, count);
      check(C, gramOfZ(16), minRawNum(fz), maxRawNum(fz), c, 6);
      check(C, gramOfZ(8), minRawNum(fz), maxRawNum(fz), c, count);
    }
    check(C, gramOfZ(16), minRawNum(fz), maxRawNum(fz), 0, 0);
  });

  it('extreme z words: distances beyond 32 bits (16 · 65535²) are exact, and unsigned pixels 0 vs 255', () => {
    const C = SMALL();
    const fz = C.P.numeric.windowZ.format;
    const z = Int32Array.from({ length: 6 * 16 }, (_, i) => (Math.floor(i / 16) % 2 === 0 ? minRawNum(fz) : maxRawNum(fz)));
    check(C, gramOfZ(16), 0, 0, 0, 6, z);
    expect(16 * 65535 ** 2).toBeGreaterThan(2 ** 32);
    const px = Int32Array.from({ length: 6 * 24 }, (_, i) => (Math.floor(i / 24) === 2 ? 255 : 0));
    check(C, gramOfInputs(24, true), 0, 0, 2, 6, px);
  });
});
