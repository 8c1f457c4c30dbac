/**
 * The assertions the tests make on the HDL tool runners' results, and the one check every emitted
 * module must pass: verilator -Wall clean, iverilog -g2005 clean and, unless told otherwise, yosys
 * synthesis without error, `check` problem or latch.
 */
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { emitDesign } from '../../generator/emit/index.js';
import type { Module } from '../../generator/ir/index.js';
import { lintVerilator, parseIcarus, synthYosys, type LintResult, type ParseResult, type SynthResult } from '../../generator/tools/index.js';

/** `verilator --lint-only -Wall` found no warning and no error. */
export function expectLintClean(lint: LintResult): void {
  expect(lint.warnings).toEqual([]);
  expect(lint.errors).toEqual([]);
  expect(lint.ok).toBe(true);
}

/** Yosys synthesized without error, `check` found no problem, no latch was inferred and some cells came out. */
export function expectSynthClean(synth: SynthResult): void {
  expect(synth.errors).toEqual([]);
  expect(synth.checkProblems).toBe(0);
  expect(synth.latches).toEqual([]);
  expect(synth.totalCells).toBeGreaterThan(0);
  expect(synth.ok).toBe(true);
}

/** `iverilog -g2005 -Wall` found no error and no warning. */
export function expectParseClean(parse: ParseResult): void {
  expect(parse.errors).toEqual([]);
  expect(parse.warnings).toEqual([]);
  expect(parse.ok).toBe(true);
}

/**
 * Emits `mod` with its submodules and runs verilator, iverilog and (unless `synth` is false) yosys
 * on it in parallel, `mod` as the top, asserting each is clean.
 */
export async function expectToolsClean(mod: Module, { synth = true }: { synth?: boolean } = {}): Promise<void> {
  const { files } = emitDesign(mod);
  const [lint, parse, syn] = await Promise.all([
    lintVerilator(files, mod.name),
    parseIcarus(files, mod.name),
    synth ? synthYosys(files, mod.name) : null,
  ]);
  expectLintClean(lint);
  if (syn) expectSynthClean(syn);
  expectParseClean(parse);
}

/** Block RAM cells a module must map to: iCE40 SB_RAM40_4K, Xilinx RAMB18E1 / RAMB36E1. */
export interface BlockRamCounts {
  readonly ice40: number;
  readonly xilinx: { readonly RAMB18E1: number; readonly RAMB36E1: number };
}

/** Xilinx LUT-RAM primitives (RAM32X1D, RAM64X1S, RAM256X1D, RAM32M, RAM64M, …). */
const LUT_RAM = /^RAM\d+X\d+[SDQ]?$|^RAM\d+M$/;

/**
 * Synthesizes `mod` (with its submodules) with `synth_ice40` and `synth_xilinx` and asserts the EXACT
 * number of block RAM cells on each, and that no LUT-RAM cell came out on Xilinx (a memory asked to be
 * block RAM never silently becomes distributed RAM). Returns both synthesis results for further checks.
 */
export async function expectBlockRams(mod: Module, want: BlockRamCounts): Promise<{ ice40: SynthResult; xilinx: SynthResult }> {
  const { files } = emitDesign(mod);
  const [ice40, xilinx] = await Promise.all([synthYosys(files, mod.name, 'ice40'), synthYosys(files, mod.name, 'xilinx')]);
  for (const s of [ice40, xilinx]) {
    expect(s.errors).toEqual([]);
    expect(s.latches).toEqual([]);
    expect(s.ok).toBe(true);
  }
  const xil = (c: string): number => xilinx.cells[c] ?? 0;
  expect({ ice40: ice40.cells.SB_RAM40_4K ?? 0, xilinx: { RAMB18E1: xil('RAMB18E1'), RAMB36E1: xil('RAMB36E1') } }, `block RAMs of ${mod.name}`).toEqual(want);
  expect(Object.keys(xilinx.cells).filter((c) => LUT_RAM.test(c)), `LUT RAM cells of ${mod.name} on Xilinx`).toEqual([]);
  return { ice40, xilinx };
}

/**
 * A module's two forms under Icarus (iverilog -g2005, vvp): `mod` emitted with its submodules beside the testbench
 * `tb` (Verilog text of a top module `tb`), simulated with -DVERILATOR (the Verilator form of a VerilatorForm
 * module) and without (the items, what synthesis reads). The two runs' standard output.
 */
export async function icarusBothForms(mod: Module, tb: string): Promise<{ verilator: string; unrolled: string }> {
  const dir = await mkdtemp(join(tmpdir(), `ibhebb-${mod.name}-`));
  try {
    const files: string[] = [];
    for (const f of emitDesign(mod).files) {
      await writeFile(join(dir, f.name), f.content);
      if (f.name.endsWith('.v')) files.push(join(dir, f.name));
    }
    await writeFile(join(dir, 'tb.v'), tb);
    files.push(join(dir, 'tb.v'));
    const run = async (defines: string[]): Promise<string> => {
      const out = join(dir, `sim${defines.length}.vvp`);
      await execa('iverilog', ['-g2005', '-o', out, '-s', 'tb', ...defines, ...files]);
      return (await execa('vvp', ['-n', out])).stdout;
    };
    const [verilator, unrolled] = await Promise.all([run(['-DVERILATOR']), run([])]);
    return { verilator, unrolled };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
