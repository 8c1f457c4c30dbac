/**
 * What the weight lanes cost and buy, per lane count (default chip otherwise: 784-128-64-10, B = 8):
 *
 *   node bin/run-ts.js bench/lanes.ts [--lanes 16,32,64] [--sweep DIR] [--plot FILE.svg] [--no-synth]
 *
 * Resources: the `hebbian` unit (the lanes' weight banks and multipliers) synthesised alone by Yosys
 * `synth_xilinx -flatten` (DSP48E1, RAMB36E1 / RAMB18E1, LUTs, LUT RAM, flip-flops) beside the fit check's
 * counts for that unit and for the whole chip on the Arty A7-100T (host/boards/fit.ts: RAMB18E1 and DSP tiles).
 * Cycles: with --sweep, the chip points of an `ibhebb sweep` folder that swept --lanes with `--engine sim`
 * (bench/sweeps/chip-lanes.json): cycles per training sample against the bound ⌈weight words / lanes⌉, as a
 * table and, with --plot, a Vega-Lite SVG of both against the lane count.
 */
import { DEFAULT_CHIP, validateChip, type ChipConfig } from '../generator/config.js';
import { hebbian } from '../generator/units/hebbian.js';
import { emitDesign } from '../generator/emit/index.js';
import { synthYosys } from '../generator/tools/index.js';
import { protocolSpec } from '../generator/protocol.js';
import { fitReport, inventory } from '../host/boards/fit.js';
import { loadBoard } from '../host/boards/board.js';
import { collect } from '../host/sweep/collect.js';
import { readManifest } from '../host/sweep/spec.js';
import { writeSvg, PLOT_CONFIG } from '../host/plot/render.js';

const flag = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const lanesList = (flag('lanes') ?? '16,32,64').split(',').map(Number);
const sweepDir = flag('sweep');
const plotFile = flag('plot');
const synth = !process.argv.includes('--no-synth');
const arty = loadBoard('arty-a7-100t');

function withLanes(lanes: number): ChipConfig {
  const n = DEFAULT_CHIP.numeric;
  return validateChip({ ...DEFAULT_CHIP, lanes, numeric: { ...n, lfsr: { ...n.lfsr, lanes } } }, `lanes ${lanes}`);
}

const sum = (c: Readonly<Record<string, number>>, re: RegExp): number => Object.entries(c).reduce((s, [k, v]) => (re.test(k) ? s + v : s), 0);
const n = (x: number) => Math.round(x).toLocaleString('en-US');
const bound = (cfg: ChipConfig) => Math.ceil(protocolSpec(cfg).weightWords / cfg.lanes);

console.log(`Resources per lane count (default chip ${DEFAULT_CHIP.layers.join('-')}, B = ${DEFAULT_CHIP.window}; Arty A7-100T: 240 DSP48E1, 270 RAMB18E1, 63,400 LUTs)`);
console.log('');
console.log('| lanes | bound (cycles) | fit check, hebbian: RAMB18E1 / DSP | fit check, chip: RAMB18E1 / DSP / FF | Yosys hebbian: DSP48E1 | RAMB36E1 / RAMB18E1 | LUT | LUT RAM (RAM64M etc.) | FF | Yosys wall s |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const lanes of lanesList) {
  const cfg = withLanes(lanes);
  const mod = hebbian(cfg);
  const unit = inventory([mod], arty);
  const unitBlocks = unit.memories.reduce((a, m) => a + m.blocks, 0);
  const unitTiles = unit.multipliers.reduce((a, m) => a + m.tiles, 0);
  const chipFit = fitReport(cfg, arty);
  const need = (re: RegExp) => chipFit.lines.find((l) => re.test(l.resource))?.needed ?? '—';
  const [bram, dsp, ff] = [need(/^block RAM/), need(/^DSP/), need(/^flip-flops/)];
  let y = '| — | — | — | — | — | — |';
  if (synth) {
    const t0 = performance.now();
    const r = await synthYosys(emitDesign(mod).files, mod.name, 'xilinx');
    if (!r.ok) throw new Error(`yosys synth_xilinx of ${mod.name} at ${lanes} lanes: ${r.errors.join('; ')}`);
    const c = r.cells;
    y = `| ${c.DSP48E1 ?? 0} | ${c.RAMB36E1 ?? 0} / ${c.RAMB18E1 ?? 0} | ${n(sum(c, /^LUT[1-6]$/))} | ${n(sum(c, /^RAM(32|64|128|256)(M|X1[SD])$/))} | ${n(sum(c, /^FD[CPRS]E$/))} | ${((performance.now() - t0) / 1000).toFixed(0)} |`;
  }
  console.log(`| ${lanes} | ${n(bound(cfg))} | ${unitBlocks} / ${unitTiles} | ${bram} / ${dsp} / ${typeof ff === 'number' ? n(ff) : ff} ${y}`);
}

if (sweepDir) {
  const rows = collect(readManifest(sweepDir)).rows.filter((r) => r.chip && r.train.config.chip);
  if (rows.length === 0) throw new Error(`${sweepDir}: no chip points (run a sweep with --engine sim)`);
  const data = rows
    .map((r) => {
      const cfg = r.train.config.chip!;
      const cycles = r.chip!.cyclesPerSample;
      if (cycles === null) throw new Error(`${r.id}: the engine counted no cycles (use --engine sim)`);
      const b = r.chip!.boundCyclesPerSample ?? bound(cfg);
      const e = r.train.epochs[0];
      return { lanes: cfg.lanes, window: cfg.window, samples: e.trainSamples, cycles, bound: b, ratio: cycles / b, simCyclesPerSecond: (e as { simCyclesPerSecond?: number }).simCyclesPerSecond ?? null };
    })
    .sort((p, q) => p.lanes - q.lanes);
  console.log('');
  console.log(`Cycles per training sample on the simulated chip (${sweepDir})`);
  console.log('');
  console.log('| lanes | B | samples | cycles / sample | bound ⌈weights / lanes⌉ | × bound | cycles above the bound | sim cycles/s |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const d of data) {
    console.log(`| ${d.lanes} | ${d.window} | ${d.samples} | ${n(d.cycles)} | ${n(d.bound)} | ${d.ratio.toFixed(2)} | ${n(d.cycles - d.bound)} | ${d.simCyclesPerSecond === null ? '—' : `${(d.simCyclesPerSecond / 1e3).toFixed(0)} k`} |`);
  }
  if (plotFile) {
    const MEASURED = 'measured (co-simulated chip)';
    const BOUND = 'bound ⌈weights / lanes⌉';
    const values = data.flatMap((d) => [
      { lanes: d.lanes, what: MEASURED, cycles: d.cycles, label: `${n(d.cycles)} (${d.ratio.toFixed(2)}×)` },
      { lanes: d.lanes, what: BOUND, cycles: d.bound, label: n(d.bound) },
    ]);
    const x = { field: 'lanes', type: 'quantitative' as const, title: 'weight lanes', scale: { type: 'log' as const, base: 2, nice: false, padding: 32 }, axis: { values: data.map((d) => d.lanes) } };
    const y = { field: 'cycles', type: 'quantitative' as const, title: 'cycles per training sample', scale: { type: 'log' as const, base: 2, zero: false, nice: false, padding: 24 } };
    const color = { field: 'what', type: 'nominal' as const, title: null, scale: { domain: [MEASURED, BOUND] }, legend: { orient: 'bottom' as const, direction: 'vertical' as const, symbolType: 'stroke' } };
    const label = (what: string, dy: number) => ({
      transform: [{ filter: { field: 'what', equal: what } }],
      mark: { type: 'text' as const, dy, fontSize: 10 },
      encoding: { x, y, text: { field: 'label', type: 'nominal' as const }, color: { ...color, legend: null } },
    });
    await writeSvg(plotFile, {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      title: {
        text: 'Cycles per training sample against the weight lanes',
        subtitle: [`simulated chip ${DEFAULT_CHIP.layers.join('-')}, B = ${data[0].window}, first ${data[0].samples} MNIST training images (labels: cycles, × the bound)`, 'bound: every weight word read and written once per sample, one word per lane per cycle'],
      },
      width: 520,
      height: 320,
      config: PLOT_CONFIG,
      data: { values },
      layer: [
        { mark: { type: 'line', point: { size: 60 } }, encoding: { x, y, color, strokeDash: { field: 'what', type: 'nominal', scale: { domain: [MEASURED, BOUND], range: [[1, 0], [6, 4]] }, legend: null } } },
        label(MEASURED, -12),
        label(BOUND, 16),
      ],
    } as Parameters<typeof writeSvg>[1]);
    console.log(`\nplot written to ${plotFile}`);
  }
}
