import { describe, expect, it } from 'vitest';
import { DEFAULT_CHIP, loadChipConfig, validateChip, type ChipConfig } from '../../generator/config.js';
import { withNumeric } from '../../generator/numeric.js';
import { boardNames, loadBoard } from '../../host/boards/board.js';
import { FitError, blocksFor, checkFit, fitReport, weightBitsOf } from '../../host/boards/fit.js';

function small(layers: number[], lanes: number, window = 4): ChipConfig {
  return validateChip({
    ...DEFAULT_CHIP,
    layers,
    window,
    lanes,
    gram: { rows: 1, cols: 1 },
    numeric: withNumeric(DEFAULT_CHIP.numeric, { lfsr: { ...DEFAULT_CHIP.numeric.lfsr, lanes } }),
  });
}

describe('board definitions', () => {
  it('lists both boards and reads their data', () => {
    expect(boardNames()).toEqual(expect.arrayContaining(['arty-a7-100t', 'icebreaker']));
    const ice = loadBoard('icebreaker');
    expect([ice.part, ice.package, ice.resources.bram.count, ice.resources.dsp.count, ice.clock.pin, ice.uart.rx.pin, ice.uart.tx.pin]).toEqual(['up5k', 'sg48', 30, 8, '35', '6', '9']);
    const arty = loadBoard('arty-a7-100t');
    expect([arty.part, arty.resources.bram.count, arty.resources.dsp.count, arty.clock.pin, arty.uart.rx.pin, arty.uart.tx.pin]).toEqual(['xc7a100tcsg324-1', 270, 240, 'E3', 'A9', 'D10']);
  });

  it('refuses an unknown board by name, listing the boards', () => {
    expect(() => loadBoard('de10-nano')).toThrow(/unknown board 'de10-nano' \(boards: arty-a7-100t, icebreaker/);
  });
});

describe('fit check', () => {
  it('counts the default weights: 1.68 Mbit of hidden banks plus biases and the output layer', () => {
    // 66 banks × (128·⌈784/66⌉ + 64·⌈128/66⌉) words × 16 bits, 192 biases; the output layer's 22 banks of
    // 10·⌈64/22⌉ words (the 64 inputs in three sub-chunks), 10 biases
    expect(weightBitsOf(DEFAULT_CHIP)).toBe(66 * (128 * 12 + 64 * 2) * 16 + 192 * 16 + 22 * 10 * 3 * 16 + 10 * 16);
  });

  it('maps memory shapes onto each family’s block RAM modes', () => {
    const ice = loadBoard('icebreaker');
    const arty = loadBoard('arty-a7-100t');
    expect(blocksFor(ice, 8, 784)).toBe(2); // 512×8
    expect(blocksFor(ice, 16, 25088)).toBe(98); // 256×16
    expect(blocksFor(ice, 9, 100)).toBe(1);
    expect(blocksFor(arty, 16, 1792)).toBe(2); // 1024×18
    expect(blocksFor(arty, 8, 4096)).toBe(2); // 2048×9
  });

  // how fast the refusal comes is a figure of bench/boards.ts, not a test
  it('refuses the default design on the iCEBreaker before any tool runs, naming resource, need, capacity and a change', () => {
    const ice = loadBoard('icebreaker');
    let err: unknown;
    try {
      checkFit(DEFAULT_CHIP, ice);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FitError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/block RAM \(SB_RAM40_4K\): needs \d+, icebreaker has 30/);
    expect(msg).toMatch(/weights 1\.69 Mbit/);
    expect(msg).toMatch(/DSP \(SB_MAC16 16x16\): needs \d+, icebreaker has 8/);
    expect(msg).toMatch(/most tiles: \S+u_hebbian 132, /); // 66 lanes × (17 × 9 update + 16 × 9 forward): 1 tile each
    expect(msg).toMatch(/Fewer hidden units/);
    expect(msg).toMatch(/SB_SPRAM256KA/);
  });

  it('counts more block RAM and DSPs for more lanes', () => {
    const arty = loadBoard('arty-a7-100t');
    const a = fitReport(small([64, 16, 4], 2), arty);
    const b = fitReport(small([64, 16, 4], 8), arty);
    expect(b.lines[1].needed).toBeGreaterThan(a.lines[1].needed);
    expect(b.memories.filter((m) => /hebbian\.wbank_\d+$/.test(m.path)).length).toBe(8);
    expect(a.fits).toBe(true);
  });

  it('the shipped iCEBreaker config loads and is checked against the UP5K', () => {
    const cfg = loadChipConfig(new URL('../../boards/icebreaker/chip.json', import.meta.url).pathname);
    expect(cfg.lanes).toBe(2);
    const r = fitReport(cfg, loadBoard('icebreaker'));
    // weights fit the UP5K's SPRAM (4 × 256 kbit) once the banks can live there
    expect(r.weightBits).toBeLessThanOrEqual(4 * 262144);
  });

  it('the shipped Arty config fits the finished design with ≤ 80 % of block RAM and DSPs', () => {
    const cfg = loadChipConfig(new URL('../../boards/arty-a7-100t/chip.json', import.meta.url).pathname);
    const r = fitReport(cfg, loadBoard('arty-a7-100t'));
    expect(r.fits).toBe(true);
    for (const l of r.lines) expect(l.needed / l.available).toBeLessThanOrEqual(0.8);
  });
});
