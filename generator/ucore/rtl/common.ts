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

/**
 * The comparisons of two signed values of one width (a multiple of CHUNK) chunk by chunk: bit c of gt and lt
 * compares chunk c of a with chunk c of b (the top chunk signed, the others unsigned), bit c − 1 of eq says
 * chunk c (≥ 1) of a equals that of b (the lowest chunk's equality decides nothing). `byChunks` then gives
 * a > b from (gt, eq) and a < b from (lt, eq); a unit may register the chunk bits between the two.
 */
export function chunkCompares(a: Expr, b: Expr): { gt: Expr; lt: Expr; eq: Expr } {
  const n = a.width / CHUNK;
  const gt: Expr[] = [];
  const lt: Expr[] = [];
  const eq: Expr[] = [];
  for (let c = n - 1; c >= 0; c--) {
    const hi = CHUNK * c + CHUNK - 1;
    const lo = CHUNK * c;
    const x = c === n - 1 ? a.slice(hi, lo).asSigned() : a.slice(hi, lo);
    const y = c === n - 1 ? b.slice(hi, lo).asSigned() : b.slice(hi, lo);
    gt.push(x.gt(y));
    lt.push(x.lt(y));
    if (c > 0) eq.push(x.eq(y));
  }
  return { gt: cat(...gt), lt: cat(...lt), eq: cat(...eq) };
}

/** The verdict of the top chunk that differs: OR over c of first_c and every chunk above c equal. */
export function byChunks(first: Expr, eq: Expr): Expr {
  const n = first.width;
  let v: Expr = constant(0, uint(1));
  for (let c = 0; c < n; c++) {
    const above = c === n - 1 ? first.bit(c) : first.bit(c).and(eq.slice(n - 2, c).andReduce());
    v = v.or(above);
  }
  return v;
}
