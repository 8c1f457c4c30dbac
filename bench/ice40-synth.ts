/**
 * Shared by the iCE40 benches: a module's Verilog in a fresh folder, Yosys synth_ice40 -dsp (flattened, as
 * `ibhebb build` runs it) with its JSON netlist there (top.json, for nextpnr), and the cells of its `stat`.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { emitDesign } from '../generator/emit/index.js';
import type { Module } from '../generator/ir/index.js';
import { parseYosysStat } from '../host/boards/build.js';

export async function synthIce40(top: Module, prefix: string): Promise<{ dir: string; cells: Record<string, number>; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), `ibhebb-${prefix}-`));
  const vfiles: string[] = [];
  for (const f of emitDesign(top).files) {
    writeFileSync(join(dir, f.name), f.content);
    if (f.name.endsWith('.v')) vfiles.push(f.name);
  }
  const t0 = Date.now();
  const r = await execa('nice', ['-n', '10', 'yosys', '-q', '-p', `read_verilog ${vfiles.join(' ')}; synth_ice40 -dsp -top ${top.name} -json top.json; tee -o stat.txt stat`], { cwd: dir, all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`yosys failed:\n${(r.all ?? '').split('\n').slice(-10).join('\n')}`);
  return { dir, cells: parseYosysStat(readFileSync(join(dir, 'stat.txt'), 'utf8')), seconds: (Date.now() - t0) / 1000 };
}
