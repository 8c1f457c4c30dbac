/**
 * Wide arithmetic of the UP5K engine's units cut into 16-bit chunks. On the iCE40 UP5K a carry chain costs about
 * 0.3 ns a bit, so one 64-bit chain alone (~23 ns) is longer than a 48 MHz cycle (20.8 ns): the units never form
 * one. A carry into a chunk is found by a tree of LUTs over the lower bits instead (an increment carries into
 * chunk c when every bit below it is one), so no chain is longer than 16 bits.
 */
import { cat, type Expr } from '../../ir/index.js';

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
