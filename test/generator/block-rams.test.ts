/**
 * Every memory shape the chip uses maps to exactly the block RAMs it should, on iCE40 (synth_ice40:
 * SB_RAM40_4K, 256 × 16 each) and Xilinx 7-series (synth_xilinx: RAMB18E1 = 1024 × 18, RAMB36E1 =
 * 2048 × 18), with no LUT RAM where block RAM was asked for.
 *
 * Why a memory written by a state machine became 16 LUT RAMs on Xilinx: the state machine reads and
 * writes through one counter, so Yosys sees a single-port 256 × 16 memory, and its cost model prices
 * 16 RAM256X1S (64 LUTs) below one RAMB18E1. `(* ram_style = "block" *)` (style: 'block') makes the
 * choice explicit; the first test below is that state machine.
 */
import { describe, it } from 'vitest';
import { ModuleBuilder, uint, type Module } from '../../generator/ir/index.js';
import { bramBanked, bramDualPort, bramSinglePort, fifo } from '../../generator/lib/stream/index.js';
import { tableLookup } from '../../generator/lib/arith/index.js';
import { chipTables, resolveNumeric } from '../../generator/numeric.js';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { expectBlockRams } from './tool-checks.js';

/**
 * A 256 × 16 memory filled by a state machine (IDLE → FILL: word i = data at cycle i) and read back through
 * the same counter (DUMP), the pattern that used to become LUT RAM.
 */
function stateMachineRam(): Module {
  const m = new ModuleBuilder('fsm_ram_w16_d256', {});
  m.clock();
  const start = m.input('start', uint(1));
  const din = m.input('din', uint(16));
  const mem = m.memory('mem', { depth: 256, type: uint(16), style: 'block' });
  const state = m.reg('state_q', uint(2), { reset: 0 });
  const cnt = m.reg('cnt_q', uint(8), { reset: 0 });
  const fill = m.wire('fill', state.eq(1));
  const dump = m.wire('dump', state.eq(2));
  m.seq('fsm', ($) => {
    $.switch(state)
      .case(0, () => $.if(start, () => $.set(state, 1)))
      .case([1, 2], () => {
        $.set(cnt, cnt.addWrap(1));
        $.if(cnt.eq(255), () => $.set(state, state.eq(1).and(1).zext(2).addWrap(1).trunc(2)));
      })
      .default(() => $.set(state, 0));
  });
  mem.write(cnt, din, fill);
  m.output('dout', mem.readSync('dout_q', cnt, dump));
  return m.build();
}

/** Words of one weight lane: Σ over layers of ⌈in·out / lanes⌉ (word i of a layer in lane i mod lanes). */
function weightWordsPerLane(layers: readonly number[], lanes: number): number {
  let n = 0;
  for (let l = 0; l + 1 < layers.length; l++) n += Math.ceil((layers[l] * layers[l + 1]) / lanes);
  return n;
}

const N = resolveNumeric(DEFAULT_CHIP.numeric);
const T = chipTables(N, DEFAULT_CHIP.layers[DEFAULT_CHIP.layers.length - 1]);
const WEIGHT_DEPTH = weightWordsPerLane(DEFAULT_CHIP.layers, DEFAULT_CHIP.lanes); // 1568 + 128 + 10 = 1706

describe('block RAMs per memory shape (yosys synth_ice40 / synth_xilinx)', () => {
  it('256 × 16 written and read by a state machine through one counter: one block RAM, no LUT RAM', async () => {
    await expectBlockRams(stateMachineRam(), { ice40: 1, xilinx: { RAMB18E1: 1, RAMB36E1: 0 } });
  });

  it('256 × 16 simple dual port and single port: one block RAM each', async () => {
    await expectBlockRams(bramDualPort(16, 256), { ice40: 1, xilinx: { RAMB18E1: 1, RAMB36E1: 0 } });
    await expectBlockRams(bramSinglePort(16, 256), { ice40: 1, xilinx: { RAMB18E1: 1, RAMB36E1: 0 } });
  });

  it(`weight lane of the default chip (${WEIGHT_DEPTH} × 16): 7 SB_RAM40_4K (256 words each), one RAMB36E1`, async () => {
    await expectBlockRams(bramDualPort(16, WEIGHT_DEPTH), { ice40: 7, xilinx: { RAMB18E1: 0, RAMB36E1: 1 } });
  });

  it('weights as banks: 4 lanes × 256 × 16 are 4 block RAMs, one per bank', async () => {
    await expectBlockRams(bramBanked(16, 256, 4), { ice40: 4, xilinx: { RAMB18E1: 4, RAMB36E1: 0 } });
  });

  it(`working-memory pixels, B = ${DEFAULT_CHIP.window} banks × 784 × u8: 2 SB_RAM40_4K (512 × 8) or one RAMB18E1 per bank`, async () => {
    const B = DEFAULT_CHIP.window;
    await expectBlockRams(bramBanked(8, DEFAULT_CHIP.layers[0], B), { ice40: 2 * B, xilinx: { RAMB18E1: B, RAMB36E1: 0 } });
  });

  it('block-RAM FIFO 256 × 16: one block RAM', async () => {
    await expectBlockRams(fifo(16, 256, { storage: 'bram' }), { ice40: 1, xilinx: { RAMB18E1: 1, RAMB36E1: 0 } });
  });

  for (const fn of [T.expNeg, T.exp, T.recip, T.rsqrt]) {
    it(`table ROMs of ${fn.name} (base wider than 16 bits: 2 SB_RAM40_4K; slope: 1): 3 SB_RAM40_4K, 2 RAMB18E1`, async () => {
      await expectBlockRams(tableLookup(fn), { ice40: 3, xilinx: { RAMB18E1: 2, RAMB36E1: 0 } });
    });
  }

  it('write-first, lane enables and the output register keep one block RAM', async () => {
    await expectBlockRams(bramDualPort(16, 256, { mode: 'write-first', lanes: 2, outputRegister: true }), { ice40: 1, xilinx: { RAMB18E1: 1, RAMB36E1: 0 } });
  });
});
