/**
 * The stochastic-rounding LFSR of generator/fixed/lfsr.ts as hardware.
 *
 * Ports:   clk, rst (sync, active high)
 *          en  in  uint(1)      consume the current draw: the register advances by LEAP steps at this edge
 *          r   out uint(RBITS)  the current draw, state[RBITS−1:0] (straight from the register)
 * Latency: none — `r` is the draw a consumer uses in the cycle it raises `en`. The register holds
 *          state_j of the spec (state_0 = SEED, state_j = step^LEAP(state_{j−1})) and resets to state_1 =
 *          step^LEAP(SEED), so the j-th enabled cycle after reset sees exactly the j-th `Lfsr.draw()`.
 *
 * The LEAP-fold step is linear over GF(2), so it is emitted as one XOR of state bits per next-state bit,
 * the masks found by running the TypeScript Lfsr from each unit vector (any LEAP costs one XOR level).
 */
import { Lfsr, type LfsrOptions } from '../../fixed/index.js';
import { ModuleBuilder, cat, constant, uint, type Expr, type Module } from '../../ir/index.js';

export interface LfsrSpec extends LfsrOptions {}

/** The parameters an `Lfsr` resolves `spec` to (defaults filled in), and the reset state of the block. */
export function lfsrParams(spec: LfsrSpec = {}): { width: number; taps: number; seed: number; rbits: number; leap: number; resetState: number } {
  const l = new Lfsr(spec); // validates the spec exactly as the golden model does
  const seed = l.state;
  l.draw();
  return { width: l.width, taps: l.taps, seed, rbits: l.rbits, leap: l.leap, resetState: l.state };
}

/** Module `lfsr_w<W>_t<taps hex>_s<seed hex>_r<RBITS>_l<LEAP>`; see the file comment for ports and timing. */
export function lfsr(spec: LfsrSpec = {}): Module {
  const p = lfsrParams(spec);
  const W = p.width;
  const name = `lfsr_w${W}_t${p.taps.toString(16)}_s${p.seed.toString(16)}_r${p.rbits}_l${p.leap}`;
  const m = new ModuleBuilder(name, {
    width: W,
    taps: p.taps,
    seed: p.seed,
    rbits: p.rbits,
    leap: p.leap,
    latency: 0,
  });
  m.clock();
  const en = m.input('en', uint(1));
  const state = m.reg('state_q', uint(W), { reset: p.resetState });
  // column i of the LEAP-step matrix: the state reached from the unit vector e_i
  const cols: number[] = [];
  for (let i = 0; i < W; i++) {
    const l = new Lfsr({ width: W, taps: p.taps, seed: 2 ** i, rbits: 1, leap: p.leap });
    l.draw();
    cols.push(l.state);
  }
  const bits: Expr[] = [];
  for (let j = W - 1; j >= 0; j--) {
    let mask = 0n;
    for (let i = 0; i < W; i++) if ((Math.floor(cols[i] / 2 ** j) & 1) === 1) mask |= 1n << BigInt(i);
    bits.push(mask === 0n ? constant(0, uint(1)) : state.and(constant(mask, uint(W))).xorReduce());
  }
  const next = m.wire('state_next', cat(...bits));
  m.seq('advance', ($) => {
    $.if(en, () => $.set(state, next));
  });
  m.output('r', p.rbits === W ? state : state.trunc(p.rbits));
  return m.build();
}
