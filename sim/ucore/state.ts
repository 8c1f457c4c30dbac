/**
 * The UP5K engine's state in the golden model's terms: what the step program (generator/ucore/program/step.ts)
 * keeps in the machine's memory and LFSRs between runs, loaded from and read back into the fixed-point engine's
 * ChipState (sim/golden/fixed/step.ts): every hidden layer's rows (weights, then the bias), the output layer's W
 * and b, the LFSR banks (layer l's lane q is machine lane l·lanes + q), and the window (count, head, labels,
 * input vectors, stored z, K_X, K_Y, R_X, R_Y). Host bookkeeping (the slot's sample index) is not on chip.
 */
import { QUANTITIES } from '../../generator/numeric.js';
import { machineFor, WIDE, wordsOf } from '../../generator/ucore/program/common.js';
import type { StepProgram } from '../../generator/ucore/program/step.js';
import type { ChipParams } from '../golden/fixed/params.js';
import type { ChipState } from '../golden/fixed/step.js';
import type { WindowMemory } from '../golden/fixed/wm.js';
import { Machine, type MachineConfig } from './iss.js';

/** What readState returns: the state's arrays as the chip holds them (LFSR states unsigned). */
export interface UcoreState {
  W: Int32Array[];
  b: Int32Array[];
  lfsr: Uint32Array[];
  wm: Omit<WindowMemory, 'slotIdx' | 'B' | 'dim'>;
}

/**
 * A machine for the program with its table ROMs in place (the rest of memory 0); `timing`: MachineConfig's;
 * `profile`: count cycles per instruction address (Machine.pcCycles).
 */
export function ucoreMachine(P: ChipParams, sp: StepProgram, timing?: MachineConfig['timing'], profile = false): Machine {
  const m = new Machine({ ...machineFor(P, sp.layout.memWords), ...(timing ? { timing } : {}), ...(profile ? { profile: sp.program.code.length } : {}) });
  for (const img of sp.images) m.mem.set(img.words, img.at);
  return m;
}

/** Every array of the state, its region and value format: [address, words per value, signed, values]. */
function regions(P: ChipParams, sp: StepProgram, s: { W: Int32Array[]; b: Int32Array[]; wm: UcoreState['wm'] }): [number, number, boolean, { length: number; [i: number]: number }][] {
  const N = P.numeric;
  const lay = sp.layout;
  const { L, B } = P;
  const gw = wordsOf(N.gram.format);
  const out: [number, number, boolean, { length: number; [i: number]: number }][] = [];
  const wm = s.wm;
  out.push([lay.at('out.W'), 1, true, s.W[L - 1]], [lay.at('out.b'), wordsOf(N.bias.format), true, s.b[L - 1]]);
  out.push([lay.at('win.label'), 1, true, wm.slotLabel], [lay.at('win.u'), 1, !sp.pixels, wm.inputs]);
  for (let l = 0; l < L - 1; l++) out.push([lay.at(`win.zw.${l}`), 1, true, wm.zw[l]]);
  out.push([lay.at('win.kx'), gw, false, wm.Kx], [lay.at('win.ky'), gw, false, wm.Ky]);
  out.push([lay.at('win.rx'), WIDE, true, wm.Rx], [lay.at('win.ry'), WIDE, true, wm.Ry]);
  if (B * B !== wm.Kx.length) throw new RangeError(`ucore state: K_X holds ${wm.Kx.length} words, the window ${B} × ${B}`);
  return out;
}

/** Row j of hidden layer l: address of word i (the bias is word nIn). */
const rowAt = (sp: StepProgram, P: ChipParams, l: number, j: number): number => sp.layout.at(`params.${l}`) + j * (P.sizes[l] + 1);

/** The machine's saturation counters ← a golden SatCounter snapshot (quantities it does not name: 0). */
export function loadCounters(m: Machine, snap: Record<string, { high: number; low: number }>): void {
  m.sat.fill(0);
  QUANTITIES.forEach((name, q) => {
    const v = snap[name];
    if (v) {
      m.sat[2 * q] = v.high;
      m.sat[2 * q + 1] = v.low;
    }
  });
}

/** Loads the golden state S into the machine (parameters, LFSR states, window). */
export function loadState(m: Machine, P: ChipParams, sp: StepProgram, S: ChipState): void {
  const lanes = P.numeric.lfsr.lanes;
  for (let l = 0; l < P.L - 1; l++) {
    const nIn = P.sizes[l];
    for (let j = 0; j < P.sizes[l + 1]; j++) {
      const r = rowAt(sp, P, l, j);
      for (let i = 0; i < nIn; i++) m.store(r + i, 1, BigInt(S.W[l][j * nIn + i]));
      m.store(r + nIn, 1, BigInt(S.b[l][j]));
    }
  }
  for (const [at, n, , vals] of regions(P, sp, S)) for (let i = 0; i < vals.length; i++) m.store(at + i * n, n, BigInt(vals[i]));
  const lay = sp.layout;
  m.store(lay.at('win.count'), 1, BigInt(S.wm.count));
  m.store(lay.at('win.head'), 1, BigInt(S.wm.head));
  S.banks.forEach((bank, l) => bank.states.forEach((s, q) => (m.lfsr[l * lanes + q] = s >>> 0)));
}

/** Reads the machine's state back in the golden model's shapes. */
export function readState(m: Machine, P: ChipParams, sp: StepProgram): UcoreState {
  const { L, B, sizes } = P;
  const lanes = P.numeric.lfsr.lanes;
  const hidden = sizes.slice(1, L);
  const s: UcoreState = {
    W: sizes.slice(0, L).map((nIn, l) => new Int32Array(nIn * sizes[l + 1])),
    b: sizes.slice(1).map((n) => new Int32Array(n)),
    lfsr: sizes.slice(0, L).map((_, l) => m.lfsr.slice(l * lanes, l * lanes + lanes)),
    wm: {
      count: Number(m.load(sp.layout.at('win.count'), 1, false)),
      head: Number(m.load(sp.layout.at('win.head'), 1, false)),
      slotLabel: new Int32Array(B),
      inputs: new Int32Array(B * sizes[0]),
      zw: hidden.map((n) => new Int32Array(B * n)),
      Kx: new Int32Array(B * B),
      Ky: new Int32Array(B * B),
      Rx: new Float64Array(B),
      Ry: new Float64Array(B),
    },
  };
  for (let l = 0; l < L - 1; l++) {
    const nIn = sizes[l];
    for (let j = 0; j < sizes[l + 1]; j++) {
      const r = rowAt(sp, P, l, j);
      for (let i = 0; i < nIn; i++) s.W[l][j * nIn + i] = Number(m.load(r + i, 1, true));
      s.b[l][j] = Number(m.load(r + nIn, 1, true));
    }
  }
  for (const [at, n, signed, vals] of regions(P, sp, s)) for (let i = 0; i < vals.length; i++) vals[i] = Number(m.load(at + i * n, n, signed));
  return s;
}

/** The golden state S ← the machine's (parameters, LFSR states, window; slotIdx is the host's and kept). */
export function storeState(S: ChipState, got: UcoreState): void {
  got.W.forEach((w, l) => S.W[l].set(w));
  got.b.forEach((b, l) => S.b[l].set(b));
  got.lfsr.forEach((st, l) => S.banks[l].states.set(Int32Array.from(st, (v) => v | 0)));
  const { wm } = S;
  wm.count = got.wm.count;
  wm.head = got.wm.head;
  wm.slotLabel.set(got.wm.slotLabel);
  wm.inputs.set(got.wm.inputs);
  got.wm.zw.forEach((z, l) => wm.zw[l].set(z));
  wm.Kx.set(got.wm.Kx);
  wm.Ky.set(got.wm.Ky);
  wm.Rx.set(got.wm.Rx);
  wm.Ry.set(got.wm.Ry);
}

/** Writes one sample where the program reads it: cur.u (pixels or input words) and cur.label. */
export function writeSample(m: Machine, sp: StepProgram, u: ArrayLike<number>, label: number): void {
  const at = sp.layout.at('cur.u');
  for (let i = 0; i < u.length; i++) m.store(at + i, 1, BigInt(u[i]));
  m.store(sp.layout.at('cur.label'), 1, BigInt(label));
}
