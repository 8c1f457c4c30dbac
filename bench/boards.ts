/**
 * Board figures: the fit check of the default and the shipped iCEBreaker configuration against both
 * boards (the chip top as built, and the finished design with every datapath unit), with its CPU time.
 * With --build it also runs `ibhebb build` for each board (slow: minutes of Yosys / nextpnr).
 *
 *   node bin/run-ts.js bench/boards.ts [--build]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CHIP, loadChipConfig, type ChipConfig } from '../generator/config.js';
import { chipCore, coreTop } from '../generator/boards/core.js';
import { loadBoard } from '../host/boards/board.js';
import { buildBoard } from '../host/boards/build.js';
import { fitReport, weightBitsOf } from '../host/boards/fit.js';
import { wmBits } from '../generator/units/wm.js';

const configs: [string, ChipConfig][] = [
  ['default', DEFAULT_CHIP],
  ['boards/icebreaker/chip.json', loadChipConfig(new URL('../boards/icebreaker/chip.json', import.meta.url).pathname)],
];
for (const [name, cfg] of configs) {
  console.log(`${name}: weights ${weightBitsOf(cfg)} bits, working memory ${wmBits(cfg).total} bits, lanes ${cfg.lanes}`);
  for (const b of ['icebreaker', 'arty-a7-100t']) {
    const board = loadBoard(b);
    for (const [what, top] of [
      ['chip top as built', () => [coreTop(cfg)]],
      ['finished design', () => chipCore(cfg)],
    ] as const) {
      const t0 = process.cpuUsage();
      const r = fitReport(cfg, board, top());
      const cpu = process.cpuUsage(t0);
      const lines = r.lines.map((l) => `${l.resource} ${l.needed}/${l.available}`).join(', ');
      console.log(`  ${b.padEnd(13)} ${what.padEnd(18)} ${r.fits ? 'fits   ' : 'REFUSED'} ${lines} (${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU)`);
    }
  }
}
if (process.argv.includes('--build')) {
  for (const b of ['icebreaker', 'arty-a7-100t']) {
    const out = mkdtempSync(join(tmpdir(), `ibhebb-bench-${b}-`));
    const t = Date.now();
    try {
      const r = await buildBoard({ board: loadBoard(b), cfg: DEFAULT_CHIP, configFile: null, out });
      console.log(b, JSON.stringify({ fmaxMHz: r.fmaxMHz, utilization: r.utilization, samples: r.projectedSamplesPerSecond }), `${((Date.now() - t) / 1000).toFixed(0)} s`);
    } catch (e) {
      console.log(b, `refused or failed: ${(e as Error).message.split('\n')[0]}`);
    }
  }
}
