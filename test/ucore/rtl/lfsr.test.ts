/**
 * The LFSR bank (generator/ucore/rtl/lfsr.ts) against the ISS's draws (sim/ucore/iss.ts Machine.draw, the same
 * width, rbits, leap and lanes): random sequences of cycles — draws from random lanes, back to back and from one
 * lane twice or more in a row, sets (lfsrset), a set and a draw in one cycle (the set wins), idle cycles that read
 * a random lane — played cycle by cycle on the Verilator model. Every ρ and every read is compared with the
 * machine's, and after each sequence every lane's state (through the read port, and the block RAM's words when
 * the states are there). Configurations: the iCEBreaker's numeric lfsr with its 4 machine lanes (registers), 32
 * lanes of another width (block RAM), 12 lanes in block RAM by choice, 13 lanes of a 9-bit LFSR drawing all its
 * bits one step at a time (registers), and without the forwarding register (the core without its vector unit:
 * ρ two cycles after the request) the iCEBreaker's lanes in block RAM and 6 lanes in registers: there every
 * request is followed by two cycles without one, whose reads are not compared (they would see the lane's old
 * word). Then the tools (Verilator lint, Icarus, Yosys) and the block RAMs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QUANTITIES } from '../../../generator/numeric.js';
import { machineFor } from '../../../generator/ucore/program/common.js';
import { lfsrBankOf, lfsrLatency, REGISTER_LANES, ucoreLfsr, type LfsrBankConfig } from '../../../generator/ucore/rtl/lfsr.js';
import { Machine } from '../../../sim/ucore/iss.js';
import { buildFromIr } from '../../../sim/verilator/from-ir.js';
import type { Model } from '../../../sim/verilator/model.js';
import { expectBlockRams, expectToolsClean } from '../../generator/tool-checks.js';
import { ICE, Rand } from '../mod-helpers.js';

/** The iCEBreaker's machine: its numeric lfsr, 2 lanes × 2 weight layers. */
const ice = lfsrBankOf(machineFor(ICE().P, 16));
const CASES: { name: string; bank: LfsrBankConfig }[] = [
  { name: `iCEBreaker: width ${ice.width}, rbits ${ice.rbits}, leap ${ice.leap}, ${ice.lanes} lanes (registers)`, bank: ice },
  { name: '32 lanes, width 20, rbits 12, leap 7 (block RAM)', bank: { lanes: 32, width: 20, rbits: 12, leap: 7 } },
  { name: '12 lanes, width 24, rbits 5, leap 5 (block RAM by choice)', bank: { lanes: 12, width: 24, rbits: 5, leap: 5, storage: 'block' } },
  { name: '13 lanes, width 9, rbits 9, leap 1 (registers)', bank: { lanes: 13, width: 9, rbits: 9, leap: 1 } },
  { name: `iCEBreaker: ${ice.lanes} lanes in block RAM, no forwarding (requests three cycles apart)`, bank: { ...ice, storage: 'block', forward: false } },
  { name: '6 lanes, width 16, rbits 10, leap 3 (registers), no forwarding', bank: { lanes: 6, width: 16, rbits: 10, leap: 3, forward: false } },
];

/** One cycle's inputs. */
interface Cycle {
  d: number;
  dl: number;
  s: number;
  sl: number;
  sv: number;
  rl: number;
}

/** Without forwarding: two cycles without a request after every request (their reads are not compared). */
const spacedOut = (b: LfsrBankConfig, rnd: Rand, cs: Cycle[]): Cycle[] =>
  b.forward !== false ? cs : cs.flatMap((c) => (c.d === 1 || c.s === 1 ? [c, cycle(rnd, b, {}), cycle(rnd, b, {})] : [c]));

const isBlock = (b: LfsrBankConfig): boolean => (b.storage ?? (b.lanes <= REGISTER_LANES ? 'registers' : 'block')) === 'block';

/** Inputs the bank must ignore are random too (a lane, a state, a read lane). */
function cycle(rnd: Rand, b: LfsrBankConfig, over: Partial<Cycle>): Cycle {
  const lane = (): number => rnd.int(0, b.lanes - 1);
  return { d: 0, dl: lane(), s: 0, sl: lane(), sv: rnd.int(0, 2 ** b.width - 1), rl: lane(), ...over };
}

/** A random sequence of n cycles; lanes are reused (the previous request's lane) a third of the time. */
function sequence(rnd: Rand, b: LfsrBankConfig, n: number): Cycle[] {
  const out: Cycle[] = [];
  let last = 0;
  const lane = (): number => (rnd.int(0, 2) === 0 ? last : rnd.int(0, b.lanes - 1));
  const nonzero = (): number => rnd.int(1, 2 ** b.width - 1);
  while (out.length < n) {
    const k = rnd.int(0, 99);
    if (k < 45) {
      last = lane();
      out.push(cycle(rnd, b, { d: 1, dl: last }));
    } else if (k < 52) {
      // a burst of draws from one lane
      last = lane();
      for (let i = rnd.int(2, 6); i > 0; i--) out.push(cycle(rnd, b, { d: 1, dl: last }));
    } else if (k < 64) {
      last = lane();
      out.push(cycle(rnd, b, { s: 1, sl: last, sv: nonzero() }));
    } else if (k < 68) {
      last = lane();
      out.push(cycle(rnd, b, { d: 1, dl: rnd.int(0, 2) === 0 ? last : lane(), s: 1, sl: last, sv: nonzero() }));
    } else {
      out.push(cycle(rnd, b, {}));
    }
  }
  return out;
}

/** Every lane set (in a random order), then idle. */
function setAll(rnd: Rand, b: LfsrBankConfig): Cycle[] {
  const order = Array.from({ length: b.lanes }, (_, q) => q);
  for (let i = order.length - 1; i > 0; i--) {
    const k = rnd.int(0, i);
    [order[i], order[k]] = [order[k], order[i]];
  }
  return order.map((q) => cycle(rnd, b, { s: 1, sl: q, sv: rnd.int(1, 2 ** b.width - 1) }));
}

/** A read of every lane, then one idle cycle (the last read's sample). */
const sweep = (rnd: Rand, b: LfsrBankConfig): Cycle[] => [...Array.from({ length: b.lanes }, (_, q) => cycle(rnd, b, { rl: q })), cycle(rnd, b, {})];

describe.each(CASES)('ucore LFSR bank against the ISS: $name', ({ bank }) => {
  let m: Model;
  const rnd = new Rand(bank.lanes * 1000 + bank.width);
  beforeAll(async () => {
    m = await buildFromIr(ucoreLfsr(bank));
    await m.reset(2);
  }, 600_000);
  afterAll(async () => {
    await m?.close();
  });

  it('gives every ρ and every state the ISS gives, draws back to back and from one lane in a row', async () => {
    const iss = new Machine({ memWords: 16, lanes: bank.lanes, lfsr: { width: bank.width, rbits: bank.rbits, leap: bank.leap }, quantities: QUANTITIES.length });
    let draws = 0;
    let repeats = 0;
    let reads = 0;
    const lat = lfsrLatency(bank);
    // lanes set so far: the others hold random start-up values
    const known = new Set<number>();
    for (let t = 0; t < 24; t++) {
      const body = t === 0 ? [...setAll(rnd, bank), ...sequence(rnd, bank, 150)] : sequence(rnd, bank, rnd.int(50, 300));
      const cycles = [...spacedOut(bank, rnd, body), ...sweep(rnd, bank)];
      const col = (k: keyof Cycle): number[] => cycles.map((c) => c[k]);
      const got = await m.play({
        inputs: { d_req: col('d'), d_lane: col('dl'), s_req: col('s'), s_lane: col('sl'), s_state: col('sv'), r_lane: col('rl') },
        outputs: ['d_rho', 'r_state'],
      });
      const rho = Array.from(got.outputs.d_rho as ArrayLike<number>);
      const state = Array.from(got.outputs.r_state as ArrayLike<number>);
      // what each cycle's request shows in the next cycle's sample, by the ISS
      const want: { rho: number[]; read: number[] } = { rho: [], read: [] };
      const have: { rho: number[]; read: number[] } = { rho: [], read: [] };
      cycles.forEach((c, j) => {
        // without forwarding a read in the two cycles after a request sees the lane's old word
        const request = (k: number): boolean => k >= 0 && (cycles[k].d === 1 || cycles[k].s === 1);
        const afterRequest = request(j - 1) || request(j - 2);
        if (c.d === 0 && j + 1 < cycles.length && known.has(c.rl) && !(bank.forward === false && afterRequest)) {
          want.read.push(iss.lfsr[c.rl]);
          have.read.push(state[j + 1]);
        }
        if (c.s === 1) {
          iss.lfsr[c.sl] = c.sv;
          known.add(c.sl);
        }
        else if (c.d === 1) {
          want.rho.push(iss.draw(c.dl));
          have.rho.push(rho[j + lat]);
          // the same lane as the request before (back to back; without forwarding three cycles apart)
          const before = cycles[j - (bank.forward === false ? 3 : 1)];
          if (before !== undefined && before.d === 1 && before.s === 0 && before.dl === c.dl) repeats++;
        }
      });
      draws += want.rho.length;
      reads += want.read.length;
      expect(have.rho, `sequence ${t}: ρ of the ${want.rho.length} draws`).toEqual(want.rho);
      expect(have.read, `sequence ${t}: reads (the last ${bank.lanes}: every lane after the sequence)`).toEqual(want.read);
      expect(have.read.slice(-bank.lanes), `sequence ${t}: every lane's state`).toEqual(Array.from(iss.lfsr));
      if (isBlock(bank)) expect(await m.peekMem('ucore_lfsr.states', 0, bank.lanes), `sequence ${t}: the block RAM's words`).toEqual(Array.from(iss.lfsr));
    }
    expect(draws).toBeGreaterThan(1500);
    expect(repeats).toBeGreaterThan(200);
    expect(reads).toBeGreaterThan(1000);
  }, 600_000);

  it('is clean under Verilator lint, Icarus and Yosys, the states in block RAM only when asked', async () => {
    const mod = ucoreLfsr(bank);
    await expectToolsClean(mod);
    // iCE40: 256 × 16 per SB_RAM40_4K; Xilinx: one RAMB18E1 (512 × 36) holds every bank here
    const ice40 = isBlock(bank) ? Math.ceil(bank.width / 16) * Math.ceil(bank.lanes / 256) : 0;
    await expectBlockRams(mod, { ice40, xilinx: { RAMB18E1: isBlock(bank) ? 1 : 0, RAMB36E1: 0 } });
  }, 600_000);
});
