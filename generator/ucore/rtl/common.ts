/**
 * Wide arithmetic of the UP5K engine's units cut into 16-bit chunks. On the iCE40 UP5K a carry chain costs about
 * 0.3 ns a bit, so one 64-bit chain alone (~23 ns) is longer than a 48 MHz cycle (20.8 ns): the units never form
 * one. A carry into a chunk is found by a tree of LUTs over the lower bits instead (an increment carries into
 * chunk c when every bit below it is one), so no chain is longer than 16 bits. And carry chains whose carry out
 * goes straight into a flip-flop (carryOut, sumCarry, allOnes), for the core and the saturation unit.
 */
import { cat, constant, uint, type Expr } from '../../ir/index.js';

export const CHUNK = 16;

/**
 * Bit c − 1 of the result (c = 1 … w/CHUNK − 1): every bit of x below chunk c is one, i.e. an increment carries
 * into chunk c. uint(w/CHUNK − 1); a unit may register it a cycle ahead of the increment.
 */
export function lowOnes(x: Expr): Expr {
  const n = x.width / CHUNK;
  return cat(...Array.from({ length: n - 1 }, (_, i) => x.slice(CHUNK * (n - 1 - i) - 1, 0).andReduce()));
}

/**
 * x + inc modulo 2^w (x unsigned, w a multiple of CHUNK, inc uint(1)), chunk by chunk; `ones` is lowOnes(x)
 * when the unit formed it earlier.
 */
export function chunkedIncrement(x: Expr, inc: Expr, ones: Expr = lowOnes(x)): Expr {
  const n = x.width / CHUNK;
  const parts: Expr[] = [];
  for (let c = n - 1; c >= 0; c--) {
    const chunk = x.slice(CHUNK * c + CHUNK - 1, CHUNK * c);
    const carry = c === 0 ? inc : inc.and(ones.bit(c - 1));
    parts.push(chunk.add(carry.zext(CHUNK)).trunc(CHUNK));
  }
  return cat(...parts);
}

/**
 * The carry out of x + y + cin (x, y uint(w), cin uint(1)), correct while `valid` is 1: bit w of
 * {valid, x} + {1, y} + cin, i.e. valid xor 1 xor the carry. Meant for a carry that goes straight into a flip-flop
 * and is read only while `valid` holds. With constant top bits (x.zext + y.zext) Yosys removes bit w's LUT and
 * takes the chain's carry out itself, which on the iCE40 leaves the chain only through a cell nextpnr adds, the
 * flip-flop then a net and a LUT further on (~4 ns routed, the core's slowest paths at 48 MHz); with a signal in
 * bit w the sum's LUT stays at the chain's top, carry in at its I3, and the flip-flop packs with it. Two different
 * nets are needed: the same one on both operands' top bits leaves nextpnr 0.4's router unable to finish.
 */
export function carryOut(x: Expr, y: Expr, cin: Expr, valid: Expr): Expr {
  return sumCarry(x, y, cin, valid).bit(x.width);
}

/** x + y + cin as uint(w + 1): the w-bit sum, and in bit w its carry out while `valid` is 1 (as carryOut). */
export function sumCarry(x: Expr, y: Expr, cin: Expr, valid: Expr): Expr {
  return cat(valid, x).addWrap(cat(constant(1, uint(1)), y)).addWrap(cin.zext(x.width + 1));
}

/** Every bit of x is 1, while `valid` is 1: x + 1's carry out as carryOut, a chain step a bit ANDing it with the carry below. */
export const allOnes = (x: Expr, valid: Expr): Expr => carryOut(x, constant(0, uint(x.width)), constant(1, uint(1)), valid);
