/** Shared pieces of the ucore section tests: the configs and a machine with table ROMs. */
import { DEFAULT_NUMERIC, type NumericConfig } from '../../generator/numeric.js';
import { chipParams, CHIP_TRAIN, type ChipParams } from '../../sim/golden/fixed/index.js';

/** The iCEBreaker's 784-32-10 (window 4, 2 lanes) and a small net [24,16,8,5] (window 6, 3 lanes), plus a variant with other formats. */
export function configs(): { name: string; P: ChipParams }[] {
  const lanes = (n: number, base: NumericConfig = DEFAULT_NUMERIC): NumericConfig => ({ ...base, lfsr: { ...base.lfsr, lanes: n } });
  const odd: NumericConfig = {
    ...lanes(3),
    act: { format: 'Q2.11', rounding: 'nearest', overflow: 'saturate' },
    windowZ: { format: 'Q1.9', rounding: 'nearest-even', overflow: 'saturate' },
    lnVar: { format: 'UQ6.16', rounding: 'nearest', overflow: 'saturate' },
    logit: { format: 'Q3.9', rounding: 'floor', overflow: 'saturate' },
    lnInvStd: { format: 'UQ3.13', rounding: 'nearest', overflow: 'saturate' },
  };
  return [
    { name: 'iCEBreaker 784-32-10 B4', P: chipParams({ ...CHIP_TRAIN, layers: [784, 32, 10], window: 4 }, lanes(2)) },
    { name: 'small 24-16-8-5 B6', P: chipParams({ ...CHIP_TRAIN, layers: [24, 16, 8, 5], window: 6 }, lanes(3)) },
    { name: 'odd formats 20-8-12-3 B5', P: chipParams({ ...CHIP_TRAIN, layers: [20, 8, 12, 3], window: 5, lr: 0.375, lrOut: 3 * 2 ** -6 }, odd) },
  ];
}

/** The sections release every register they take: exactly `free` registers are left to allocate. */
export function expectFree(a: import('../../generator/ucore/asm.js').Asm, free: number): void {
  const rs = a.regs(free);
  let more = true;
  try {
    a.reg();
  } catch {
    more = false;
  }
  if (more) throw new Error(`more than ${free} registers free: the test's count is wrong`);
  a.release(...rs);
}
