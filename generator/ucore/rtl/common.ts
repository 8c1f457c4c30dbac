/**
 * Wide arithmetic of the UP5K engine's units cut into 16-bit chunks. On the iCE40 UP5K a carry chain costs about
 * 0.3 ns a bit, so one 64-bit chain alone (~23 ns) is longer than a 48 MHz cycle (20.8 ns): the units never form
 * one. A carry into a chunk is found by a tree of LUTs over the lower bits instead (an increment carries into
 * chunk c when every bit below it is one), and a comparison combines per-chunk comparisons, so no chain is longer
 * than 16 bits.
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

/** −x when neg, else x, modulo 2^w (x unsigned; the two's complement ~x + 1 through chunkedIncrement). */
export function negateIf(x: Expr, neg: Expr): Expr {
  return chunkedIncrement(x.xor(neg.repeat(x.width)), neg);
}

/** a > b and a < b for two signed values of one width (a multiple of CHUNK), from per-chunk comparisons. */
export function chunkedCompare(a: Expr, b: Expr): { gt: Expr; lt: Expr } {
  const n = a.width / CHUNK;
  let gt: Expr = constant(0, uint(1));
  let lt: Expr = constant(0, uint(1));
  for (let c = 0; c < n; c++) {
    const hi = CHUNK * c + CHUNK - 1;
    const lo = CHUNK * c;
    // the top chunk holds the sign: compared signed, the others unsigned
    const x = c === n - 1 ? a.slice(hi, lo).asSigned() : a.slice(hi, lo);
    const y = c === n - 1 ? b.slice(hi, lo).asSigned() : b.slice(hi, lo);
    const eq = x.eq(y);
    gt = x.gt(y).or(eq.and(gt));
    lt = x.lt(y).or(eq.and(lt));
  }
  return { gt, lt };
}
