/**
 * The iCE40 fit check against Yosys on a whole board core: synth_ice40 -dsp (flattened, as `ibhebb build`
 * runs it) of the board core of a configuration (UART, receive FIFO, chip top), its SB_MAC16 / SB_RAM40_4K /
 * SB_SPRAM256KA cells beside the fit check's counts, the logic (SB_LUT4, flip-flops, SB_CARRY) against the
 * board's logic cells, and the largest memories and multipliers of the fit check. Minutes of Yosys.
 *
 *   node bin/run-ts.js bench/ice40-fit.ts [config.json]      (default boards/icebreaker/chip.json)
 */
import { rmSync } from 'node:fs';
import { loadChipConfig } from '../generator/config.js';
import { boardCore } from '../generator/boards/top.js';
import { uartDivisor } from '../generator/boards/uart.js';
import { loadBoard } from '../host/boards/board.js';
import { synthIce40 } from './ice40-synth.js';
import { fitReport } from '../host/boards/fit.js';

const file = process.argv[2] ?? new URL('../boards/icebreaker/chip.json', import.meta.url).pathname;
const cfg = loadChipConfig(file);
const board = loadBoard('icebreaker');
const bc = boardCore(cfg, { clocksPerBit: uartDivisor(48e6, board.uart.defaultBaud), fifoDepth: board.uart.rxFifoBytes });
const fit = fitReport(cfg, board, [bc]);
const { dir, cells, seconds } = await synthIce40(bc, 'ice40-fit');
rmSync(dir, { recursive: true, force: true });
const sum = (re: RegExp) => Object.entries(cells).reduce((a, [k, v]) => a + (re.test(k) ? v : 0), 0);
const need = (res: RegExp) => fit.lines.find((l) => res.test(l.resource))?.needed ?? 0;
console.log(`${file} → ${board.name}: board core synthesized in ${seconds.toFixed(0)} s (wall)`);
console.log('| cell | Yosys synth_ice40 -dsp | fit check | board |');
console.log('|---|---|---|---|');
console.log(`| SB_MAC16 | ${cells.SB_MAC16 ?? 0} | ${need(/^DSP/)} | ${board.resources.dsp.count} |`);
console.log(`| SB_RAM40_4K | ${cells.SB_RAM40_4K ?? 0} | ${need(/^block RAM/)} | ${board.resources.bram.count} |`);
console.log(`| SB_SPRAM256KA | ${cells.SB_SPRAM256KA ?? 0} | ${need(/^single-port/)} | ${board.resources.spram?.count ?? 0} |`);
console.log(`| SB_LUT4 | ${cells.SB_LUT4 ?? 0} | – | ${board.resources.logic.count} LC |`);
console.log(`| flip-flops (SB_DFF*) | ${sum(/^SB_DFF/)} | ${need(/^flip-flops/)} | ${board.resources.ff} |`);
console.log(`| SB_CARRY | ${cells.SB_CARRY ?? 0} | – | (in the LCs) |`);
const byUnit = (xs: { path: string; n: number }[]) => {
  const m = new Map<string, number>();
  for (const x of xs) {
    const unit = x.path.split('.').slice(0, 4).join('.');
    m.set(unit, (m.get(unit) ?? 0) + x.n);
  }
  return [...m].filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).map(([u, n]) => `${u} ${n}`).join(', ');
};
console.log(`fit check, SB_MAC16 by unit: ${byUnit(fit.multipliers.map((x) => ({ path: x.path, n: x.tiles })))}`);
console.log(`fit check, SB_RAM40_4K by unit: ${byUnit(fit.memories.map((x) => ({ path: x.path, n: x.blocks })))}`);
