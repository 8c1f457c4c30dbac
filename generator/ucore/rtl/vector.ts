/**
 * The vector unit of the UP5K engine's core (module `ucore_vector`): the instructions vdot, vdist and vupd of
 * generator/ucore/isa.ts, exactly as the ISS (sim/ucore/iss.ts) computes them, one element a cycle, on memory
 * ports with back-pressure. test/ucore/rtl/vector.test.ts co-simulates it against the ISS under random grants.
 *
 * PORTS (clk, rst: synchronous, active high)
 *   start      in   a cycle with start high while busy is low begins an instruction on the inputs below (read in
 *                   that cycle only)
 *   op         in   uint(2)   0 vdot, 1 vdist, 2 vupd
 *   a_base     in   uint(17)  vdot's A, vdist's A, vupd's W (word addresses)
 *   b_base     in   uint(17)  vdot's Bv, vdist's Bv, vupd's H
 *   sa, sb     in   sint(17)  vdot's strides (any value, 0 and negative too; vdist and vupd step by 1)
 *   n          in   uint(16)  the element count (0 allowed)
 *   fa, fb     in   uint(1)   vdot's word formats (1: signed);  f: vdist's
 *   acc        in   sint(64)  vdot's rd before the instruction
 *   x          in   sint(64)  vupd's multiplier. THE UNIT TAKES −2^31 ≤ x < 2^31 ONLY: any other x ends the
 *                             instruction at once with `fault` (no memory access, no draw)
 *   k          in   sint(7)   vupd's shift (−64 … 63; k ≤ 0: a left shift by −k, no rounding)
 *   rounding   in   uint(3)   vupd's rounding, generator/fixed ROUNDINGS order (0 floor, 1 truncate, 2 nearest,
 *                             3 nearest-even, 4 stochastic)
 *   w          in   uint(5)   vupd's saturation width, 1 … 16 (a word is 16 bits)
 *   lane0, g   in   uint(5), uint(6)   vupd's first LFSR lane and lane count (g ≥ 1)
 *   busy       out  from the cycle after start to the cycle before done
 *   done       out  one cycle: result and fault are valid (start may rise in this cycle)
 *   result     out  sint(64)  vdot: acc + Σ a·b, vdist: Σ (a − b)², both modulo 2^64 (held until the next start)
 *   fault      out  the instruction was refused (vupd with x outside sint32); held until the next start
 *   sat_hi, sat_lo  out  one-cycle pulses, one per vupd word clamped high / low (the core adds them to the
 *                   descriptor's counter)
 * Memory (word addresses, 16-bit words):
 *   a_req, a_addr (17)  out  read request on port A; a_gnt in: taken this cycle; a_rvalid, a_rdata in: the
 *                       word, the cycle after the grant. Port B the same (b_…). vdot and vdist read A and Bv
 *                       through A and B, vupd reads W through A and H through B.
 *   w_req, w_addr, w_data  out  vupd's write of a word of W (held until w_gnt)
 *   A request is never withdrawn or changed before its grant is seen; any grant pattern gives the same results.
 * Draws (vupd with stochastic rounding and k > 0, one per word in element order, as the ISS draws):
 *   d_req, d_lane (uint(7): lane0 + (i mod g)) out, d_rho (uint(rbits)) in: the draw, the cycle after d_req
 *   (read in that cycle only: the unit keeps it while its element waits). A word's draw is requested as it moves
 *   from P4 to P5, so ρ travels through one stage only (P6, where it is added).
 *
 * TIMING. With every grant given at once an instruction of n ≥ 1 elements takes n + FIXED[op] cycles from the
 * start cycle to the done cycle (vectorCycles): one element a cycle, FIXED = 13 for vdot and vdist, 19 for vupd;
 * n = 0 takes 5, a refused vupd 2 (measured by the co-simulation, which checks the formula). FIXED is the start
 * cycle, SETUP, the first request, its word, the pop, P0, PD, P1 … P4 (vupd: … P10 and the write register), the last
 * element's retirement seen and two cycles folding the sum's carries. Under back-pressure an element goes when
 * both of its words have arrived (and, for vupd, the skid register is empty): a withheld grant delays the
 * elements behind it, and a port that fell behind catches up while the other runs up to three words ahead.
 * COST (rbits 16, synth_ice40 -dsp): 1,689 LUT4, 533 SB_CARRY, 1,421 flip-flops, 2 SB_MAC16, 2,467 logic cells
 * packed alone (nextpnr-ice40 --pack-only; 2,492 with FIFOs of four words). With FIFOs of four, in the harness of
 * bench/ucore-vector.ts: 2,997 logic cells, Fmax 49.3–50.6 MHz over three placements (target 48 MHz).
 *
 * ORGANISATION. Each read port runs ahead on its own: an address, the words left to request and a FIFO of three
 * words (a request goes out while fewer than three of its words are granted and not yet used: a word's grant, its
 * data and its pop are three cycles, so three keep one element a cycle; two would halve it). An element is
 * taken (popped) when both FIFOs hold a word and the pipeline advances; the pipeline advances unless a vupd
 * word waits in the skid register behind the write register's (whose write was not granted): the stall and the
 * requests come from registers only, no output depends on an input in the same cycle. Stages from the pop:
 *   P0  the two words
 *   PD  vdist's differences a − b and b − a (17 bits)
 *   P1  the multiplier operands: vdot the words (signedness aside), vdist |a − b| twice, vupd h and x's low
 *       half; the W word travels along
 *   P2  the products: one 16 × 16 unsigned (vdot, vdist, vupd's h·x_lo) and one more for vupd (h·x_hi), each
 *       from registered operands into a registered product (SB_MAC16); the signedness corrections chosen
 *   P3  the high 32 bits of the unsigned product and the sum of the corrections
 *   P4  the exact product p, 48 bits: for vdot a·b = u_a·u_b − 2^16(s_a·u_b + s_b·u_a) + 2^32·s_a·s_b; for
 *       vupd h·x = u_h·u_x − 2^16·s_h·u_x − 2^32·s_x·u_h (mod 2^48: |h·x| ≤ 2^46)
 *   vdot, vdist: p accumulated into a 64-bit sum held in three chunks of 22, 21 and 21 bits, a chunk's carry
 *       waiting a cycle in a bit (two cycles after the last element carry them through)
 *   vupd: d = round(p / 2^k) is ⌊p / 2^k⌋ + c, c ∈ {0, 1} by the rounding. ⌊p/2^k⌋ (or p·2^(−k)) and the rbits
 *       bits of p below bit k come from one arithmetic shift G of p by k − rbits (P5: by a multiple of 16, P6:
 *       the rest); whether a bit of p shifted out below G is set, and whether ⌊p/2^k⌋ fits 19 bits, come from
 *       masks formed once per instruction (in SETUP, thermometer codes of k from two small tables of its bits, no
 *       comparator chains) and applied in P5. P7 the quotient saturated to 19 bits and the carry (stochastic: the
 *       rbits bits plus ρ, drawn as the word left P4, carry out; the others from bits k − 1 and k of p and whether
 *       a bit below k − 1 is set), P8 t = W + quotient, P9 t + c and the comparisons of t with the bounds (adders of
 *       the negated bounds), P10 the word clamped, the clamp pulses and the write request.
 *   vupd reads W ahead of its writes: H must not be a word of W written earlier in the row (H ≥ W or
 *   H + n ≤ W), which the programs keep.
 * No carry chain is longer than 32 bits (the product's high half); the sum's chains are 23 bits.
 */
import { cat, constant, HdlError, ModuleBuilder, mux, select, sint, uint, type Expr, type Module, type Signal } from '../../ir/index.js';
import { ROUNDINGS } from '../../fixed/index.js';

export type VectorOp = 'vdot' | 'vdist' | 'vupd';
export const VECTOR_OPS: readonly VectorOp[] = ['vdot', 'vdist', 'vupd'];

/** Cycles from the start cycle to the done cycle beside the n elements, every grant given at once. */
export const VECTOR_FIXED: Record<VectorOp, number> = { vdot: 13, vdist: 13, vupd: 19 };
/** Cycles from the start cycle to the done cycle of an instruction of no element (or a refused vupd: 2). */
export const VECTOR_EMPTY = 5;

/** Cycles of a vector instruction of n elements with its ports always granted (the core's cycle model). */
export function vectorCycles(op: VectorOp, n: number): number {
  return n === 0 ? VECTOR_EMPTY : n + VECTOR_FIXED[op];
}

/** The accumulator's chunks [hi, lo]: no carry chain longer than 23 bits. */
const ACC_CHUNKS: readonly [number, number][] = [
  [21, 0],
  [42, 22],
  [63, 43],
];
/** Words a read port keeps granted and not yet used (its FIFO). */
const DEPTH = 3;
/** Bits of vupd's quotient kept (saturated): a word plus a clamp is decided within them. */
const QB = 19;

const rcode = (r: (typeof ROUNDINGS)[number]): number => ROUNDINGS.indexOf(r);

/** One read port: its address, the words left to request, the words in flight, a FIFO of DEPTH words. */
function readPort(m: ModuleBuilder, p: 'a' | 'b', c: { running: Expr; pop: Expr; go: Expr; base: Expr; stride: Expr; setup: Expr; count: Expr }) {
  const { running, pop } = c;
  const gnt = m.input(`${p}_gnt`, uint(1));
  const rvalid = m.input(`${p}_rvalid`, uint(1));
  const rdata = m.input(`${p}_rdata`, uint(16));
  const addr = m.reg(`${p}_addr_q`, uint(17), { reset: null });
  const stride = m.reg(`${p}_stride_q`, uint(17), { reset: null });
  const left = m.reg(`${p}_left_q`, uint(16), { reset: 0 });
  const used = m.reg(`${p}_used_q`, uint(3), { reset: 0 });
  const count = m.reg(`${p}_count_q`, uint(3), { reset: 0 });
  const ready = m.reg(`${p}_ready_q`, uint(1), { reset: 0 }); // count ≠ 0
  const wp = m.reg(`${p}_wp_q`, uint(2), { reset: 0 });
  const rp = m.reg(`${p}_rp_q`, uint(2), { reset: 0 });
  const slots = Array.from({ length: DEPTH }, (_, i) => m.reg(`${p}_fifo${i}_q`, uint(16), { reset: null }));
  const more = m.reg(`${p}_more_q`, uint(1), { reset: 0 }); // left ≠ 0
  // the FIFO's pointers count modulo DEPTH
  const step = (q: Expr): Expr => mux(q.eq(DEPTH - 1), constant(0, uint(2)), q.addWrap(1));
  const req = m.wire(`${p}_req_w`, running.and(more).and(used.lt(DEPTH)));
  const take = m.wire(`${p}_take`, req.and(gnt));
  m.seq(`${p}_port`, ($) => {
    $.set(used, used.addWrap(take.zext(3)).subWrap(pop.zext(3)));
    const next = count.addWrap(rvalid.zext(3)).subWrap(pop.zext(3));
    $.set(count, next);
    $.set(ready, next.ne(0));
    $.if(take, () => {
      $.set(addr, addr.addWrap(stride));
      $.set(left, left.subWrap(1));
      $.set(more, left.ne(1));
    });
    $.if(c.go, () => {
      $.set(addr, c.base);
      $.set(stride, c.stride);
    });
    $.if(c.setup, () => {
      $.set(left, c.count);
      $.set(more, c.count.ne(0));
    });
    $.if(rvalid, () => {
      $.set(wp, step(wp));
      slots.forEach((s, i) => $.if(wp.eq(i), () => $.set(s, rdata)));
    });
    $.if(pop, () => $.set(rp, step(rp)));
  });
  m.output(`${p}_req`, req);
  m.output(`${p}_addr`, addr);
  return { addr, head: select(rp, slots, slots[0]), ready };
}

/** Module `ucore_vector`; rbits: the bits of an LFSR draw (1 … 32). Ports and timing in the file comment. */
export function vectorUnit(rbits: number): Module {
  if (!Number.isInteger(rbits) || rbits < 1 || rbits > 32) throw new HdlError(`ucore vector unit: rbits ${rbits} not in 1 … 32`);
  const m = new ModuleBuilder('ucore_vector', { rbits, fifo: DEPTH, fixed: JSON.stringify(VECTOR_FIXED) });
  m.clock();
  const start = m.input('start', uint(1));
  const opIn = m.input('op', uint(2));
  const aBase = m.input('a_base', uint(17));
  const bBase = m.input('b_base', uint(17));
  const saIn = m.input('sa', sint(17));
  const sbIn = m.input('sb', sint(17));
  const nIn = m.input('n', uint(16));
  const faIn = m.input('fa', uint(1));
  const fbIn = m.input('fb', uint(1));
  const fIn = m.input('f', uint(1));
  const accIn = m.input('acc', sint(64));
  const xIn = m.input('x', sint(64));
  const kIn = m.input('k', sint(7));
  const rndIn = m.input('rounding', uint(3));
  const wIn = m.input('w', uint(5));
  const lane0In = m.input('lane0', uint(5));
  const gIn = m.input('g', uint(6));
  const wGnt = m.input('w_gnt', uint(1));
  const dRho = m.input('d_rho', uint(rbits));

  const S = m.enum('vstate', ['IDLE', 'SETUP', 'RUN', 'FOLD', 'FOLD2']);
  const st = S.reg('vstate_q', 'IDLE');
  const idle = S.is(st, 'IDLE');
  const running = m.wire('running', S.is(st, 'RUN'));
  const go = m.wire('go', start.and(idle));

  // ---- the instruction, latched at start
  const opQ = m.reg('op_q', uint(2), { reset: null });
  const nQ = m.reg('n_q', uint(16), { reset: null });
  const faQ = m.reg('fa_q', uint(1), { reset: null });
  const fbQ = m.reg('fb_q', uint(1), { reset: null });
  const fQ = m.reg('f_q', uint(1), { reset: null });
  const xQ = m.reg('x_q', uint(64), { reset: null });
  const kQ = m.reg('k_q', sint(7), { reset: null });
  const rndQ = m.reg('rounding_q', uint(3), { reset: null });
  const halfW = m.reg('w_half_q', uint(20), { reset: null }); // 2^(w − 1)
  const lane0Q = m.reg('lane0_q', uint(5), { reset: null });
  const gQ = m.reg('g_q', uint(6), { reset: null });
  const isDot = opQ.eq(0);
  const isDist = opQ.eq(1);
  const isUpd = opQ.eq(2);

  // ---- per instruction, formed in SETUP
  const upd = m.reg('upd_q', uint(1), { reset: null });
  const dist = m.reg('dist_q', uint(1), { reset: null });
  const xl = m.reg('x_lo_q', uint(16), { reset: null });
  const xh = m.reg('x_hi_q', uint(16), { reset: null }); // 0 unless vupd: the second product is then 0
  const xu = m.reg('x_u_q', uint(32), { reset: null });
  const x31 = m.reg('x_neg_q', uint(1), { reset: null });
  const shAmt = m.reg('shift_q', uint(7), { reset: null }); // max(k + 19, 0): p·2^(19 + rbits) >> shAmt
  const mSticky = m.reg('mask_sticky_q', uint(48), { reset: null }); // bits below k − rbits: shifted out below G
  const hm = m.reg('mask_high_q', uint(48), { reset: null }); // bits ≥ k + 18: those of p beyond a 19-bit quotient
  const jneg = m.reg('quot_tiny_q', uint(1), { reset: null }); // k + 18 < 0: only p = 0 fits
  const mode = m.reg('mode_q', uint(3), { reset: null }); // the rounding; floor (no carry) for k ≤ 0
  const drawOn = m.reg('draw_on_q', uint(1), { reset: null });
  const hiW = m.reg('w_hi_q', uint(16), { reset: null }); // the clamp's words
  const loW = m.reg('w_lo_q', uint(16), { reset: null });
  // the bounds negated for the comparisons (21 bits): −hi, −2^(w − 1), −lo, 1 − lo
  const [negHi, negHalf, negLo, negLo1] = ['hi', 'half', 'lo', 'lo1'].map((b) => m.reg(`neg_${b}_q`, uint(21), { reset: null }));
  const fault = m.reg('fault_q', uint(1), { reset: 0 });
  const done = m.reg('done_q', uint(1), { reset: 0 });

  // ---- the write port and the pipeline's advance
  const wv = m.reg('w_valid_q', uint(1), { reset: 0 });
  const wAddr = m.reg('w_addr_q', uint(17), { reset: null });
  const wData = m.reg('w_data_q', uint(16), { reset: null });
  const wTake = m.wire('w_take', wv.and(wGnt));
  // a second word waits in the skid register while the write register's word is not taken; the pipeline
  // advances while the skid register is empty (a register: the stall does not depend on w_gnt)
  const sv = m.reg('skid_valid_q', uint(1), { reset: 0 });
  const sData = m.reg('skid_data_q', uint(16), { reset: null });
  const advance = m.wire('advance', sv.not());
  const pop = m.wire('pop', uint(1));
  const setup = S.is(st, 'SETUP');
  const bad = m.reg('x_bad_q', uint(1), { reset: null }); // vupd with x outside sint32
  const count = mux(bad, constant(0, uint(16)), nQ);
  const unit = constant(1, uint(17));
  const A = readPort(m, 'a', { running, pop, go, base: aBase, stride: mux(opIn.eq(0), saIn.asUnsigned(), unit), setup, count });
  const B = readPort(m, 'b', { running, pop, go, base: bBase, stride: mux(opIn.eq(0), sbIn.asUnsigned(), unit), setup, count });
  m.assign(pop, running.and(A.ready).and(B.ready).and(advance));

  // ---- draws: requested as the element moves from P4 to P5, ρ the cycle after, registered with it into P6 (kept
  // while the pipeline waits)
  const laneQ = m.reg('lane_q', uint(7), { reset: null });
  const jQ = m.reg('lane_j_q', uint(6), { reset: null });
  const dReq = m.wire('d_req_w', uint(1));
  const dPend = m.pipe('d_pend_q', dReq, { reset: 0 });
  const rhoHold = m.reg('rho_hold_q', uint(rbits), { reset: null });
  const rhoNow = m.wire('rho_now', mux(dPend, dRho, rhoHold));
  m.seq('draws', ($) => {
    $.set(rhoHold, rhoNow);
    $.if(S.is(st, 'SETUP'), () => {
      $.set(laneQ, lane0Q.zext(7));
      $.set(jQ, 0);
    }).elseIf(dReq, () => {
      const wrap = jQ.eq(gQ.subWrap(1));
      $.set(jQ, mux(wrap, constant(0, uint(6)), jQ.addWrap(1)));
      $.set(laneQ, mux(wrap, lane0Q.zext(7), laneQ.addWrap(1)));
    });
  });

  // ---- the pipeline (every stage enabled by advance)
  const stage = (name: string, value: Expr, valid = false): Signal => m.pipe(name, value, { reset: valid ? 0 : null, enable: advance });
  const ext17 = (x: Expr, signed: Expr): Expr => cat(signed.and(x.msb()), x);
  const v0 = stage('v0_q', pop, true);
  const a0 = stage('a0_q', A.head);
  const b0 = stage('b0_q', B.head);

  // PD: vdist's differences a − b and b − a; ρ taken in
  const vd = stage('vd_q', v0, true);
  const ad = stage('ad_q', a0);
  const bd = stage('bd_q', b0);
  const dAB = stage('d_ab_q', ext17(a0, fQ).subWrap(ext17(b0, fQ)));
  const dBA = stage('d_ba_q', ext17(b0, fQ).subWrap(ext17(a0, fQ)));

  // P1: the operands
  const absD = mux(dAB.msb(), dBA, dAB).trunc(16);
  const v1 = stage('v1_q', vd, true);
  const ua = stage('ua_q', mux(upd, bd, mux(dist, absD, ad)));
  const ub = stage('ub_q', mux(upd, xl, mux(dist, absD, bd)));
  const sA = stage('sa_q', mux(upd, bd.msb(), faQ.and(isDot).and(ad.msb())));
  const sB = stage('sb_q', fbQ.and(isDot).and(bd.msb()));
  const w1 = stage('w1_q', ad);

  // P2: the products and the corrections
  const v2 = stage('v2_q', v1, true);
  const m1 = stage('m1_q', ua.mul(ub));
  const m2 = stage('m2_q', ua.mul(xh));
  const zero32 = constant(0, uint(32));
  const c1 = stage('c1_q', mux(sA, mux(upd, xu, ub.zext(32)), zero32));
  const c2 = stage('c2_q', mux(upd, mux(x31, cat(ua, constant(0, uint(16))), zero32), mux(sB, ua.zext(32), zero32)));
  const ss = stage('ss_q', sA.and(sB));
  const w2 = stage('w2_q', w1);

  // P3: the high bits of the unsigned product, the corrections summed
  const v3 = stage('v3_q', v2, true);
  const hi3 = stage('hi3_q', m2.addWrap(cat(constant(0, uint(15)), ss, m1.slice(31, 16))));
  const corr3 = stage('corr3_q', c1.addWrap(c2));
  const lo3 = stage('lo3_q', m1.slice(15, 0));
  const w3 = stage('w3_q', w2);

  // P4: the exact product (48 bits)
  const v4 = stage('v4_q', v3, true);
  // 0 behind the last element: the sum's fold cycles add p4 without a multiplexer on their chains
  const p4 = stage('p4_q', mux(v3, cat(hi3.subWrap(corr3), lo3), constant(0, uint(48))));
  const w4 = stage('w4_q', w3);

  // ---- vdot, vdist: the sum, 64 bits in two halves with the low half's carry a cycle late
  // three chunks (22, 21, 21 bits), each with its own carry chain; a chunk's carry waits a cycle in a bit and
  // enters the next chunk with the next element, or in FOLD (two cycles carry it through; p4 is 0 then)
  const pS = p4.asSigned().sext(64).asUnsigned();
  const acc = ACC_CHUNKS.map(([hi, lo], c) => ({ hi, lo, q: m.reg(`acc${c}_q`, uint(hi - lo + 1), { reset: null }) }));
  const carries = [0, 1].map((c) => m.reg(`acc_c${c}_q`, uint(1), { reset: null }));
  const foldAny = m.wire('folding', uint(1));
  // a chunk + its addend + the carry below as one chain: {a, 1} + {b, c} carries c into bit 1
  const sums = acc.map(({ hi, lo, q }, c) => {
    const addend = pS.slice(hi, lo);
    const cin = c === 0 ? constant(0, uint(1)) : carries[c - 1];
    return m.wire(`acc_sum${c}`, cat(constant(0, uint(1)), q, constant(1, uint(1))).addWrap(cat(constant(0, uint(1)), addend, cin)).slice(hi - lo + 2, 1));
  });
  m.unused(sums[2].msb()); // the top chunk's carry: the sum wraps to 64 bits
  const accumulate = m.wire('accumulate', v4.and(upd.not()));

  // ---- vupd: P5 the coarse shift and p's flags
  const sign = p4.msb();
  const X = cat(p4, constant(0, uint(QB + rbits))).asSigned(); // p·2^(19 + rbits)
  const gW = rbits + QB; // G = (X >> shAmt), its low gW bits: the quotient above the rbits bits below bit k
  const fineW = gW + 15;
  const Xe = X.sext(fineW + 16 * 5);
  const coarse = select(
    shAmt.slice(6, 4),
    Array.from({ length: 6 }, (_, c) => Xe.slice(16 * c + fineW - 1, 16 * c).asUnsigned()),
    Xe.slice(fineW - 1, 0).asUnsigned(),
  );
  const v5 = stage('v5_q', v4.and(upd), true);
  m.assign(dReq, v4.and(upd).and(advance).and(drawOn));
  const xa5 = stage('xa5_q', coarse);
  const sticky5 = stage('sticky5_q', p4.and(mSticky).orReduce());
  const sign5 = stage('sign5_q', sign);
  const fits5 = stage('fits5_q', mux(jneg, p4.eq(0), p4.xor(sign.repeat(48)).and(hm).orReduce().not()));
  const w5 = stage('w5_q', w4);

  // P6: the fine shift
  const v6 = stage('v6_q', v5, true);
  const g6 = stage('g6_q', xa5.asSigned().shrBy(shAmt.slice(3, 0)).asUnsigned().trunc(gW));
  const sticky6 = stage('sticky6_q', sticky5);
  const fits6 = stage('fits6_q', fits5);
  const sign6 = stage('sign6_q', sign5);
  const w6 = stage('w6_q', w5);
  const rho6 = stage('rho6_q', rhoNow);

  // P7: the quotient saturated to QB bits, the carry
  const qMax = constant((1 << (QB - 1)) - 1, uint(QB));
  const qMin = constant(1 << (QB - 1), uint(QB));
  const stoch = mode.eq(rcode('stochastic'));
  const sCarry = g6.trunc(rbits).add(rho6).msb();
  // the other roundings from bit k − 1 (G's bit rbits − 1), bit k (G's bit rbits) and whether any bit below k − 1
  // is set (G's bits below rbits − 1, or one shifted out below G)
  const bK1 = g6.bit(rbits - 1);
  const bK = g6.bit(rbits);
  const lowNz = rbits >= 2 ? g6.slice(rbits - 2, 0).orReduce().or(sticky6) : sticky6;
  const det = select(mode, [constant(0, uint(1)), sign6.and(lowNz.or(bK1)), bK1, bK1.and(lowNz.or(bK))], constant(0, uint(1)));
  const v7 = stage('v7_q', v6, true);
  const q7 = stage('q7_q', mux(fits6, g6.slice(gW - 1, rbits), mux(sign6, qMin, qMax)));
  const cy7 = stage('cy7_q', mux(stoch, sCarry, det));
  const w7 = stage('w7_q', w6);

  // P8: t = W + quotient (20 bits)
  const v8 = stage('v8_q', v7, true);
  const t8 = stage('t8_q', w7.asSigned().sext(20).asUnsigned().addWrap(q7.asSigned().sext(20).asUnsigned()));
  const cy8 = stage('cy8_q', cy7);

  // P9: t + c and the comparisons of t with the bounds; P10: the word clamped, the clamp pulses
  const t = t8.asSigned();
  const v9 = stage('v9_q', v8, true);
  const cy9 = stage('cy9_q', cy8);
  // t < b as the sign of t + (−b): an adder from registers, no inverter in front of its chain
  const below = (negB: Expr): Expr => t.sext(21).asUnsigned().addWrap(negB).msb();
  const geHi = stage('ge_hi9_q', below(negHi).not());
  const geHalf = stage('ge_half9_q', below(negHalf).not()); // hi + 1 = 2^(w − 1)
  const ltLo = stage('lt_lo9_q', below(negLo));
  const ltLo1 = stage('lt_lo1_9_q', below(negLo1));
  const word9 = stage('word9_q', t8.trunc(16).addWrap(cy8.zext(16)));
  const over9 = mux(cy9, geHi, geHalf); // t + c > hi
  const under9 = over9.not().and(mux(cy9, ltLo1, ltLo)); // t + c < lo
  const word = mux(over9, hiW, mux(under9, loW, word9));
  const satHi = m.reg('sat_hi_q', uint(1), { reset: 0 });
  const satLo = m.reg('sat_lo_q', uint(1), { reset: 0 });
  const left = m.reg('out_left_q', uint(16), { reset: 0 }); // elements not yet summed / written

  m.seq('pipeline_out', ($) => {
    $.set(satHi, 0);
    $.set(satLo, 0);
    $.if(advance, () => {
      $.set(satHi, v9.and(over9));
      $.set(satLo, v9.and(under9));
      $.if(wv.and(wGnt.not()), () => {
        $.set(sv, v9);
        $.set(sData, word);
      }).else(() => {
        $.set(wv, v9);
        $.set(wData, word);
      });
    }).elseIf(wGnt, () => {
      $.set(wData, sData);
      $.set(sv, 0);
    });
    $.if(wTake, () => $.set(wAddr, wAddr.addWrap(1)));
    $.if(setup, () => $.set(wAddr, A.addr));
    $.if(accumulate.or(foldAny), () => {
      acc.forEach(({ q }, c) => $.set(q, sums[c].trunc(q.width)));
      carries.forEach((k, c) => $.set(k, sums[c].msb()));
    });
    $.if(accumulate.or(wTake), () => $.set(left, left.subWrap(1)));
    $.if(setup, () => {
      // the latched acc (vdot) lies in x_q until SETUP
      acc.forEach(({ hi, lo, q }) => $.set(q, mux(isDot, xQ.slice(hi, lo), constant(0, uint(hi - lo + 1)))));
      carries.forEach((k) => $.set(k, 0));
      $.set(left, nQ);
    });
  });

  // ---- control
  const kS = kQ.asSigned();
  const bitsWhere = (f: (i: number) => Expr): Expr => cat(...Array.from({ length: 48 }, (_, j) => f(47 - j)));
  // k ≥ c for the masks' constants c without a comparator's carry chain each: u = k + 64 (7 bits) in a high part
  // of 3 bits and a low one of 4, [u ≥ C] = [u_hi > C_hi] ∨ ([u_hi = C_hi] ∧ [u_lo ≥ C_lo]), each part a table
  const u7 = cat(kQ.asUnsigned().bit(6).not(), kQ.asUnsigned().slice(5, 0));
  const tables = new Map<string, Expr>();
  /** the table `name` of x (made once, when first used) */
  const table = (name: string, x: Expr, f: (v: number) => boolean): Expr => {
    let t = tables.get(name);
    if (t === undefined) tables.set(name, (t = m.wire(name, select(x, Array.from({ length: 2 ** x.width }, (_, v) => constant(f(v) ? 1 : 0, uint(1)))))));
    return t;
  };
  const kAtLeast = (c: number): Expr => {
    const C = c + 64;
    if (C <= 0) return constant(1, uint(1));
    if (C >= 128) return constant(0, uint(1));
    const [h, l] = [C >> 4, C & 15];
    const gt = table(`k_hi_gt${h}`, u7.slice(6, 4), (v) => v > h);
    const eq = table(`k_hi_eq${h}`, u7.slice(6, 4), (v) => v === h);
    return l === 0 ? gt.or(eq) : gt.or(eq.and(table(`k_lo_ge${l}`, u7.slice(3, 0), (v) => v >= l)));
  };
  m.seq('control', ($) => {
    $.set(done, 0);
    $.switch(st)
      .case(S.v.IDLE, () => {
        $.if(go, () => {
          $.set(st, S.v.SETUP);
          $.set(fault, 0);
          $.set(opQ, opIn);
          $.set(bad, opIn.eq(2).and(xIn.asUnsigned().slice(63, 31).andReduce().or(xIn.asUnsigned().slice(63, 31).orReduce().not()).not()));
          $.set(nQ, nIn);
          $.set(faQ, faIn);
          $.set(fbQ, fbIn);
          $.set(fQ, fIn);
          $.set(xQ, mux(opIn.eq(0), accIn, xIn).asUnsigned());
          $.set(kQ, kIn);
          $.set(rndQ, rndIn);
          $.set(halfW, constant(1, uint(21)).shlBy(wIn).slice(20, 1));
          $.set(lane0Q, lane0In);
          $.set(gQ, gIn);
        });
      })
      .case(S.v.SETUP, () => {
        $.set(upd, isUpd);
        $.set(dist, isDist);
        $.set(xl, xQ.trunc(16));
        $.set(xh, mux(isUpd, xQ.slice(31, 16), constant(0, uint(16))));
        $.set(xu, xQ.trunc(32));
        $.set(x31, isUpd.and(xQ.bit(31)));
        $.set(shAmt, mux(kS.lt(-19), constant(0, uint(7)), kS.add(19).asUnsigned().trunc(7)));
        $.set(mSticky, bitsWhere((i) => kAtLeast(i + rbits + 1))); // k > i + rbits
        $.set(hm, bitsWhere((i) => kAtLeast(i - 17).not())); // k ≤ i − 18
        $.set(jneg, kS.lt(-18));
        $.set(mode, mux(kS.gt(0), rndQ, constant(rcode('floor'), uint(3))));
        $.set(drawOn, isUpd.and(kS.gt(0)).and(rndQ.eq(rcode('stochastic'))));
        const one = halfW;
        $.set(hiW, one.subWrap(1).trunc(16));
        $.set(loW, one.not().addWrap(1).trunc(16));
        const h21 = one.zext(21);
        $.set(negHi, constant(1, uint(21)).subWrap(h21));
        $.set(negHalf, h21.not().addWrap(1));
        $.set(negLo, h21);
        $.set(negLo1, h21.addWrap(1));
        $.if(bad, () => {
          $.set(fault, 1);
          $.set(done, 1);
          $.set(st, S.v.IDLE);
        }).else(() => $.set(st, S.v.RUN));
      })
      .case(S.v.RUN, () => {
        $.if(left.eq(0), () => $.set(st, S.v.FOLD));
      })
      .case(S.v.FOLD, () => $.set(st, S.v.FOLD2))
      .case(S.v.FOLD2, () => {
        $.set(done, 1);
        $.set(st, S.v.IDLE);
      })
      .default(() => $.set(st, S.v.IDLE));
  });

  m.output('busy', idle.not());
  m.output('done', done);
  m.assign(foldAny, S.is(st, 'FOLD').or(S.is(st, 'FOLD2')));
  m.output('result', cat(...acc.map(({ q }) => q).reverse()).asSigned());
  m.output('fault', fault);
  m.output('sat_hi', satHi);
  m.output('sat_lo', satLo);
  m.output('w_req', wv);
  m.output('w_addr', wAddr);
  m.output('w_data', wData);
  m.output('d_req', dReq);
  m.output('d_lane', laneQ);
  return m.build();
}
