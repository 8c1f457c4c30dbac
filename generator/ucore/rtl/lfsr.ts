/**
 * The UP5K engine's LFSR bank in RTL (module `ucore_lfsr`): one Galois LFSR per machine lane (lane q of weight
 * layer l is lane l·lanes + q, isa.ts), the states that `draw`, `lfsrset` and the stochastic roundings of srnd
 * and vupd use. Its specification is the ISS (sim/ucore/iss.ts Machine.draw): a draw advances the lane by `leap`
 * steps of the Galois LFSR of width W with tap mask DEFAULT_TAPS[W] (generator/fixed/lfsr.ts) and gives the low
 * rbits bits of the new state; lfsrset replaces the state. The `leap` steps are linear over GF(2): each bit of
 * the new state is the XOR of a fixed set of bits of the old one (`leapMatrix`; for width 32, leap 16 up to 12
 * bits, two LUT levels), whatever the leap. test/ucore/rtl/lfsr.test.ts co-simulates the bank against the ISS.
 *
 * GENERATOR PARAMETERS: lanes L (machine lanes: the numeric lanes × the weight layers, 4 for the iCEBreaker),
 * width W (2 … 32), rbits (1 … W), leap (≥ 1), and where the states are (`storage`):
 *   registers  (default for L ≤ 16) L W-bit registers, read through an L:1 multiplexer into a register;
 *   block      (default for L > 16) an L × W block RAM (one read and one write port: SB_RAM40_4K on the
 *              iCE40, 256 × 16 each, so ⌈W/16⌉ of them up to 256 lanes).
 * Both work as a read-modify-write of one lane a cycle in two stages: the request cycle reads the lane (into the
 * RAM's read register, or the register after the multiplexer); the next cycle steps it (or takes the set's
 * value) and writes it back. A read of the lane that the previous request is writing back in the same cycle
 * would see the old word: it takes the written word from a forwarding register instead (draws or sets back to
 * back on one lane). The step is computed from both registers, the forwarding register's and the read one's, and
 * the choice made after it: register → XOR (two LUT levels up to 16 bits) → two levels of choice → register,
 * whatever L. The lanes' multiplexer of register storage has a cycle of its own (for L ≤ 16 three levels with the
 * choice of the read port's lane). `forward` false leaves the forwarding register out for a user whose requests
 * are three cycles apart, and adds a third stage: the step is registered, and d_rho and the write-back (of the
 * step or the set's value) come from that register a cycle later (block RAM's output is late: RAM → XOR →
 * register).
 *
 * PORTS (clk; rst cancels a pending write-back and leaves the states as they are: block RAM cannot be cleared,
 * and the program sets every lane with lfsrset before it draws from it, as the step program does)
 *   d_req, d_lane   a draw from lane d_lane (< L): the lane advances by `leap` steps
 *   d_rho           the draw's ρ (rbits bits: the low rbits of the new state), valid in the cycle after d_req:
 *                   LATENCY 1. It is the step of the registered lane, combinational (three LUT levels from
 *                   registers): the consumer registers it or adds little logic before a register. One draw a
 *                   cycle, any lanes, the same lane twice in a row included. Without forwarding LATENCY 2
 *                   (`lfsrLatency`), from a register.
 *   s_req, s_lane, s_state   lfsrset: lane s_lane ← s_state (W bits, nonzero as the ISS demands), seen by a draw
 *                   in the next cycle (without forwarding: three cycles later). At most one of d_req and s_req a cycle (the core issues one instruction at
 *                   a time); with both high the set is done and the draw is not (d_rho then means nothing).
 *   r_lane, r_state the read port (tests, checkpoints): with d_req low, r_state in the next cycle is the state
 *                   of lane r_lane at the start of the cycle r_lane was given (every earlier draw and set
 *                   included). It shares the draw's read path, so a cycle with a draw reads nothing.
 */
import { cat, constant, HdlError, ModuleBuilder, mux, select, uint, type Expr, type Module } from '../../ir/index.js';
import { DEFAULT_TAPS } from '../../fixed/index.js';

export type LfsrStorage = 'registers' | 'block';

export interface LfsrBankConfig {
  /** machine lanes (1 … 4096) */
  lanes: number;
  width: number;
  rbits: number;
  leap: number;
  /** where the states are; default registers for up to 16 lanes, block RAM above */
  storage?: LfsrStorage;
  /**
   * the forwarding register (default true). false: none, for a user whose requests (draws, sets) are at least three
   * cycles apart and that reads no lane in the two cycles after a request (the core without its vector unit: one
   * request an instruction); such a request or read would see the lane's old word. The step is then registered
   * (LATENCY 2, lfsrLatency)
   */
  forward?: boolean;
}

/**
 * Cycles from a draw's request to its ρ on d_rho: 1 with the forwarding register, 2 without (the step registered
 * before d_rho and the write-back). The read port's r_state is one cycle after r_lane either way.
 */
export const lfsrLatency = (cfg: LfsrBankConfig): 1 | 2 => ((cfg.forward ?? true) ? 1 : 2);

/** Lanes up to which the states are registers by default. */
export const REGISTER_LANES = 16;

/**
 * The leap as a GF(2) matrix: row j is the mask of the old state's bits whose XOR is bit j of the state `leap`
 * steps later. Built by stepping the rows symbolically: after a step bit j is bit j + 1 (0 above the top) XOR,
 * where tap j is set, bit 0.
 */
export function leapMatrix(width: number, leap: number): bigint[] {
  const taps = DEFAULT_TAPS[width];
  if (taps === undefined) throw new HdlError(`ucore lfsr: no tap mask for width ${width}`);
  let rows = Array.from({ length: width }, (_, j) => 1n << BigInt(j));
  for (let s = 0; s < leap; s++) {
    const out = rows[0];
    rows = rows.map((_, j) => (j + 1 < width ? rows[j + 1] : 0n) ^ ((taps >>> j) & 1 ? out : 0n));
  }
  return rows;
}

/** The bank for a machine configuration (its lanes and lfsr). */
export function lfsrBankOf(cfg: { lanes: number; lfsr: { width: number; rbits: number; leap: number } }, storage?: LfsrStorage, forward?: boolean): LfsrBankConfig {
  return { lanes: cfg.lanes, ...cfg.lfsr, storage, forward };
}

const int = (name: string, v: number, lo: number, hi: number): void => {
  if (!Number.isInteger(v) || v < lo || v > hi) throw new HdlError(`ucore lfsr: ${name} ${v} not in ${lo} … ${hi}`);
};

export function ucoreLfsr(cfg: LfsrBankConfig): Module {
  const { lanes: L, width: W, rbits, leap } = cfg;
  int('lanes', L, 1, 4096);
  int('width', W, 2, 32);
  int('rbits', rbits, 1, W);
  int('leap', leap, 1, 1 << 16);
  const storage = cfg.storage ?? (L <= REGISTER_LANES ? 'registers' : 'block');
  const rows = leapMatrix(W, leap);
  const forward = cfg.forward ?? true;
  const m = new ModuleBuilder('ucore_lfsr', { lanes: L, width: W, rbits, leap, storage, forward: String(forward) });
  m.clock();
  const LB = Math.max(1, Math.ceil(Math.log2(L)));
  const dReq = m.input('d_req', uint(1));
  const dLane = m.input('d_lane', uint(LB));
  const sReq = m.input('s_req', uint(1));
  const sLane = m.input('s_lane', uint(LB));
  const sState = m.input('s_state', uint(W));
  const rLane = m.input('r_lane', uint(LB));
  const draw = dReq.and(sReq.not());
  // the one read path: the draw's lane, or the read port's when there is no draw
  const readLane = m.wire('read_lane', mux(dReq, dLane, rLane));
  const step = (s: Expr): Expr =>
    cat(
      ...rows
        .map((mask) => {
          const bits = Array.from({ length: W }, (_, i) => i).filter((i) => (mask >> BigInt(i)) & 1n);
          return bits.length === 0 ? constant(0, uint(1)) : cat(...bits.map((i) => s.bit(i))).xorReduce();
        })
        .reverse(),
    );

  // stage 1: the request read in the previous cycle, stepped (or replaced by the set's value) and written back
  const p1Draw = m.pipe('p1_draw_q', draw, { reset: 0 });
  const p1Set = m.pipe('p1_set_q', sReq, { reset: 0 });
  const p1Lane = m.pipe('p1_lane_q', mux(sReq, sLane, dLane), { reset: null });
  // the set's value, held until the next set (the write-back without forwarding takes it two cycles later)
  const p1State = m.pipe('p1_state_q', sState, { reset: null, enable: sReq });
  const p1Write = p1Draw.or(p1Set);
  const wData = m.wire('write_data', uint(W));
  // the write-back: in stage 1 with forwarding, in stage 2 without (from the registered step)
  const write = forward ? p1Write : m.pipe('p2_write_q', p1Write, { reset: 0 });
  const writeLane = forward ? p1Lane : m.pipe('p2_lane_q', p1Lane, { reset: null });
  let readQ: Expr;
  if (storage === 'registers') {
    const states = Array.from({ length: L }, (_, q) => m.reg(`state${q}_q`, uint(W), { reset: null }));
    readQ = m.pipe('state_read_q', L === 1 ? states[0] : select(readLane, states, states[0]), { reset: null });
    m.seq('states', ($) => states.forEach((r, q) => $.if(write.and(writeLane.eq(q)), () => $.set(r, wData))));
  } else {
    // a read of the lane written in the same cycle is never used (forwarding replaces it; without forwarding the
    // user reads no lane then): no collision logic after the RAM's output
    const mem = m.memory('states', { depth: L, type: uint(W), style: 'block', noCollision: true });
    readQ = mem.readSync('state_read_q', readLane);
    mem.write(writeLane, wData, write);
  }
  let cur: Expr = readQ;
  if (forward) {
    const fwdHit = m.reg('fwd_hit_q', uint(1), { reset: 0 });
    const fwd = m.reg('fwd_q', uint(W), { reset: null });
    cur = m.wire('state_cur', mux(fwdHit, fwd, readQ));
    // step(cur), with the choice after the XOR trees: the forwarding choice, which drives every bit, is off their path
    const next = m.wire('state_next', mux(fwdHit, step(fwd), step(readQ)));
    // the read of a lane written in the same cycle took the old word: the written word replaces it
    m.seq('forward', ($) => {
      $.set(fwdHit, p1Write.and(p1Lane.eq(readLane)));
      $.set(fwd, wData);
    });
    m.assign(wData, mux(p1Set, p1State, next));
    m.output('d_rho', next.trunc(rbits));
  } else {
    // the step registered, written back (or the set's value) a cycle later: from the RAM's output only the XOR
    // trees before a register, d_rho straight from flip-flops
    const nextQ = m.pipe('state_next_q', step(readQ), { reset: null });
    m.assign(wData, mux(m.pipe('p2_set_q', p1Set, { reset: null }), p1State, nextQ));
    m.output('d_rho', nextQ.trunc(rbits));
  }
  m.output('r_state', cur);
  return m.build();
}
