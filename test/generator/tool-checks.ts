/**
 * The assertions the tests make on the HDL tool runners' results, and the one check every emitted
 * module must pass: verilator -Wall clean, iverilog -g2005 clean and, unless told otherwise, yosys
 * synthesis without error, `check` problem or latch.
 */
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
