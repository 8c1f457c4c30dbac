import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bramDualPort, bramSinglePort } from '../../../generator/lib/stream/index.js';
import { Rng } from '../../../sim/rng.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/index.js';

const WIDTH = 16;
const DEPTH = 256;

/** TS model of a read-first BRAM with a registered read port: contents plus the read register. */
class MemModel {
  readonly mem: (number | undefined)[] = new Array<number | undefined>(DEPTH).fill(undefined);
  rdata: number | undefined = undefined;
  /** One clock edge: reads see the contents before this edge's write (read-first). */
  edge(read: { addr: number } | null, write: { addr: number; data: number } | null): void {
    if (read) this.rdata = this.mem[read.addr];
    if (write) this.mem[write.addr] = write.data;
  }
}

/** Random address, often from a small hot set so reads hit recent writes and collide with them. */
function addr(rng: Rng, hot: readonly number[]): number {
  return rng.int(3) === 0 ? rng.int(DEPTH) : hot[rng.int(hot.length)];
}

describe(`single-port BRAM ${WIDTH} x ${DEPTH} (random cycle-by-cycle reads/writes vs a TS memory)`, () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(bramSinglePort(WIDTH, DEPTH));
  });
  afterAll(async () => {
    await m?.close();
  });

  it('every read word matches, read-during-write returns the old word, rdata holds while en is low', async () => {
    const rng = new Rng(77);
    const ref = new MemModel();
    const hot = Array.from({ length: 6 }, () => rng.int(DEPTH));
    await m.reset(1);
    let compared = 0;
    let rwSame = 0;
    for (let c = 0; c < 2500; c++) {
      // the first DEPTH cycles write every word once (so no read is of undefined contents later)
      const init = c < DEPTH;
      const en = init ? 1 : rng.int(5) !== 0 ? 1 : 0;
      const we = init ? 1 : rng.int(2);
      const a = init ? c : addr(rng, hot);
      const d = rng.int(2 ** WIDTH);
      // one pipelined batch per cycle: pokes, one edge, then the registered read data
      const got = Promise.all([m.poke('en', en), m.poke('we', we), m.poke('addr', a), m.poke('wdata', d), m.step(1), m.peek('rdata')]);
      if (en && we && ref.mem[a] !== undefined) rwSame++;
      ref.edge(en ? { addr: a } : null, en && we ? { addr: a, data: d } : null);
      const v = (await got)[5];
      if (ref.rdata !== undefined) {
        expect(v, `cycle ${c}: en=${en} we=${we} addr=${a}`).toBe(ref.rdata);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2000);
    expect(rwSame).toBeGreaterThan(500);
  });
});

describe(`simple dual-port BRAM ${WIDTH} x ${DEPTH} (random cycle-by-cycle reads/writes vs a TS memory)`, () => {
  let m: Model;
  beforeAll(async () => {
    m = await buildFromIr(bramDualPort(WIDTH, DEPTH));
  });
  afterAll(async () => {
    await m?.close();
  });

  it('every read word matches, same-address read during write returns the old word', async () => {
    const rng = new Rng(78);
    const ref = new MemModel();
    const hot = Array.from({ length: 5 }, () => rng.int(DEPTH));
    await m.reset(1);
    let compared = 0;
    let collisions = 0;
    for (let c = 0; c < 2500; c++) {
      const init = c < DEPTH;
      const we = init ? 1 : rng.int(2);
      const waddr = init ? c : addr(rng, hot);
      const wdata = rng.int(2 ** WIDTH);
      const re = init ? (c > 0 ? 1 : 0) : rng.int(5) !== 0 ? 1 : 0;
      // during the initial fill, read the word written one cycle earlier; later, often the one being written
      const raddr = init ? Math.max(0, c - 1) : rng.int(3) === 0 ? waddr : addr(rng, hot);
      const got = Promise.all([
        m.poke('we', we),
        m.poke('waddr', waddr),
        m.poke('wdata', wdata),
        m.poke('re', re),
        m.poke('raddr', raddr),
        m.step(1),
        m.peek('rdata'),
      ]);
      if (re && we && raddr === waddr && ref.mem[raddr] !== undefined) collisions++;
      ref.edge(re ? { addr: raddr } : null, we ? { addr: waddr, data: wdata } : null);
      const v = (await got)[6];
      if (ref.rdata !== undefined) {
        expect(v, `cycle ${c}: we=${we} waddr=${waddr} re=${re} raddr=${raddr}`).toBe(ref.rdata);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(2000);
    expect(collisions).toBeGreaterThan(200);
  });
});

/**
 * TS model of a block RAM with the options of BramOptions: read-first / write-first, lane write enables,
 * the output register, initial contents.
 */
class OptionModel {
  readonly mem: (number | undefined)[];
  rdata: number | undefined = undefined;
  out: number | undefined = undefined;
  constructor(
    readonly width: number,
    readonly depth: number,
    readonly opts: { mode: 'read-first' | 'write-first'; lanes: number; outputRegister: boolean; init?: number[] },
  ) {
    this.mem = Array.from({ length: depth }, (_, i) => (opts.init ? (opts.init[i] ?? 0) : undefined));
  }
  /** The word after writing `data` into `old` through the lane mask. */
  merge(old: number | undefined, data: number, lanes: number): number | undefined {
    if (this.opts.lanes === 0) return data;
    const lw = this.width / this.opts.lanes;
    let v = 0;
    for (let i = 0; i < this.opts.lanes; i++) {
      const src = (lanes >> i) & 1 ? data : old;
      if (src === undefined) return undefined;
      v += (Math.floor(src / 2 ** (i * lw)) % 2 ** lw) * 2 ** (i * lw);
    }
    return v;
  }
  edge(read: { addr: number } | null, write: { addr: number; data: number; lanes: number } | null): void {
    this.out = this.rdata;
    if (read) {
      this.rdata = this.mem[read.addr];
      if (this.opts.mode === 'write-first' && write && write.addr === read.addr) this.rdata = this.merge(this.rdata, write.data, write.lanes);
    }
    if (write) this.mem[write.addr] = this.merge(this.mem[write.addr], write.data, write.lanes);
  }
  get visible(): number | undefined {
    return this.opts.outputRegister ? this.out : this.rdata;
  }
}

describe('block RAM options in co-simulation: write-first, lane enables, output register, $readmemh image', () => {
  const W = 16;
  const D = 512; // > 256 words: the initial image is a .hex file the harness reads at start
  const init = Array.from({ length: D }, (_, i) => (i * 7919 + 13) % 2 ** W);
  const cases = [
    { name: 'simple dual port, write-first, 2 lanes, output register', sp: false, mode: 'write-first' as const, lanes: 2, outputRegister: true },
    { name: 'single port, read-first, 2 lanes', sp: true, mode: 'read-first' as const, lanes: 2, outputRegister: false },
  ];
  for (const c of cases) {
    describe(c.name, () => {
      const opts = { mode: c.mode, lanes: c.lanes, outputRegister: c.outputRegister, init };
      const mod = c.sp ? bramSinglePort(W, D, opts) : bramDualPort(W, D, opts);
      let m: Model;
      beforeAll(async () => {
        m = await buildFromIr(mod);
      });
      afterAll(async () => {
        await m?.close();
      });

      it('every read word matches the TS model, starting from the image', async () => {
        const rng = new Rng(c.sp ? 91 : 92);
        const ref = new OptionModel(W, D, opts);
        const hot = Array.from({ length: 4 }, () => rng.int(D));
        await m.reset(1);
        let compared = 0;
        let collisions = 0;
        for (let cyc = 0; cyc < 2000; cyc++) {
          const waddr = rng.int(3) === 0 ? rng.int(D) : hot[rng.int(hot.length)];
          const raddr = c.sp ? waddr : rng.int(2) === 0 ? waddr : rng.int(D);
          const we = rng.int(2);
          const en = rng.int(6) !== 0 ? 1 : 0;
          const lanes = rng.int(4);
          const data = rng.int(2 ** W);
          const pokes = c.sp
            ? [m.poke('en', en), m.poke('we', we), m.poke('addr', waddr)]
            : [m.poke('we', we), m.poke('waddr', waddr), m.poke('re', en), m.poke('raddr', raddr)];
          const got = Promise.all([...pokes, m.poke('wdata', data), m.poke('wlanes', lanes), m.step(1), m.peek('rdata')]);
          const writes = c.sp ? en && we : we;
          if (en && writes && raddr === waddr) collisions++;
          ref.edge(en ? { addr: raddr } : null, writes ? { addr: waddr, data, lanes } : null);
          const r = await got;
          const v = r[r.length - 1];
          if (ref.visible !== undefined) {
            expect(v, `cycle ${cyc}: addr ${waddr}/${raddr} we=${we} en=${en} lanes=${lanes}`).toBe(ref.visible);
            compared++;
          }
        }
        expect(compared).toBeGreaterThan(1900);
        expect(collisions).toBeGreaterThan(300);
      });
    });
  }
});
