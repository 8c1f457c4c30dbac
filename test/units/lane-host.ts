/**
 * The host port of the lane units (generator/units/lane.ts: writes at the edge, reads with latency 2 into
 * host_rdata), shared by the Hebbian-update and output-layer co-simulations: loading and reading back a
 * layer's weights, biases and LFSR states, and the raw-word helpers both use.
 */
import { HOST_KIND } from '../../generator/units/lane.js';
import type { Model } from '../../sim/verilator/model.js';
import type { Rng } from '../../sim/rng.js';

/** Signed value of the low `w` bits of v. */
export const sx = (v: number, w: number): number => {
  const r = v % 2 ** w;
  return r >= 2 ** (w - 1) ? r - 2 ** w : r;
};
/** The `w`-bit two's-complement pattern of v. */
export const ux = (v: number, w: number): number => (v < 0 ? v + 2 ** w : v);

/** Random raw word of a format: full range, or small values, or extremes. */
export function randRaw(rng: Rng, lo: number, hi: number, mode: number): number {
  if (mode === 0) return lo + rng.int(hi - lo + 1);
  if (mode === 1) {
    const span = Math.max(1, Math.floor((hi - lo) / 64));
    return rng.int(2 * span + 1) - span;
  }
  return rng.uniform() < 0.5 ? hi - rng.int(4) : lo + rng.int(4);
}

/** Where one layer's parameters live behind the host port. */
export interface HostLayer {
  rows: number;
  nIn: number;
  lanes: number;
  /** weight and bias widths */
  ww: number;
  wb: number;
  weight(j: number, i: number): { bank: number; addr: number };
  bias(j: number): { bank: number; addr: number };
  /** host_addr of this layer's LFSR states (lane = host_bank) */
  lfsrAddr: number;
}

export class LaneHost {
  constructor(readonly m: Model) {}

  private address(kind: number, bank: number, addr: number): void {
    void this.m.poke('host_kind', kind);
    void this.m.poke('host_bank', bank);
    void this.m.poke('host_addr', addr);
  }

  write(kind: number, bank: number, addr: number, data: number): void {
    const m = this.m;
    this.address(kind, bank, addr);
    void m.poke('host_wdata', data);
    void m.poke('host_we', 1);
    void m.step(1);
    void m.poke('host_we', 0);
  }

  read(kind: number, bank: number, addr: number): Promise<number> {
    const m = this.m;
    this.address(kind, bank, addr);
    void m.poke('host_re', 1);
    void m.step(1);
    void m.poke('host_re', 0);
    void m.step(1);
    return m.peek('host_rdata');
  }

  /** Writes a layer's weights (row-major rows × nIn), biases and LFSR states (queued: the model runs them in order). */
  writeLayer(y: HostLayer, W: Int32Array, b: Int32Array, lfsr: ArrayLike<number>): void {
    for (let j = 0; j < y.rows; j++) {
      for (let i = 0; i < y.nIn; i++) {
        const a = y.weight(j, i);
        this.write(HOST_KIND.weight, a.bank, a.addr, ux(W[j * y.nIn + i], y.ww));
      }
      this.write(HOST_KIND.bias, y.bias(j).bank, y.bias(j).addr, ux(b[j], y.wb));
    }
    for (let q = 0; q < y.lanes; q++) this.write(HOST_KIND.lfsr, q, y.lfsrAddr, lfsr[q] >>> 0);
  }

  /** Reads a layer's weights, biases and LFSR states back. */
  async readLayer(y: HostLayer): Promise<{ W: Int32Array; b: Int32Array; lfsr: Uint32Array }> {
    const wp: Promise<number>[] = [];
    const bp: Promise<number>[] = [];
    const lp: Promise<number>[] = [];
    for (let j = 0; j < y.rows; j++) {
      for (let i = 0; i < y.nIn; i++) {
        const a = y.weight(j, i);
        wp.push(this.read(HOST_KIND.weight, a.bank, a.addr));
      }
      bp.push(this.read(HOST_KIND.bias, y.bias(j).bank, y.bias(j).addr));
    }
    for (let q = 0; q < y.lanes; q++) lp.push(this.read(HOST_KIND.lfsr, q, y.lfsrAddr));
    return {
      W: Int32Array.from(await Promise.all(wp), (v) => sx(v, y.ww)),
      b: Int32Array.from(await Promise.all(bp), (v) => sx(v, y.wb)),
      lfsr: Uint32Array.from(await Promise.all(lp)),
    };
  }
}
