/**
 * How Verilator's speed depends on lanes written out one by one or as arrays updated in a loop (the
 * question behind the chip model's instruction-fetch bound, bench/RESULTS.md "Whole chip: the lane count,
 * Verilator's passes and instruction fetch"):
 *
 *   node bin/run-ts.js bench/lane-loops.ts [--units 8] [--lanes 64] [--cycles 200000]
 *
 * Builds two versions of the same synthetic datapath — `units` × `lanes` lanes, each an LFSR, a weight
 * stepped by its draw and a 32-bit accumulator of weight × input — (1) unrolled: every lane its own
 * registers and always block, as the generator writes lanes today; (2) looped: the lanes of a unit as
 * arrays updated by one `for` loop (blocking writes, each lane reading only its own old values; Verilator
 * 5.006 does not take non-blocking writes to arrays in a loop it keeps, and keeps loops longer than
 * --unroll-count). Both run the same random inputs; the checksum of the accumulators must agree. Prints
 * simulated cycles per second, instructions are not counted (the question is wall time) and the text size.
 */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg } from './units/common.js';

const U = arg('units', 8);
const L = arg('lanes', 64);
const N = arg('cycles', 200000);
const seed = (u: number, q: number) => ((u * L + q) % 65535) + 1;
const lfsrNext = (x: string) => `{${x}[14:0], ${x}[15] ^ ${x}[13] ^ ${x}[12] ^ ${x}[10]}`;
const step = (x: string) => `$signed({8'd0, ${x}[7:0]}) - 16'sd128`;

function unrolled(): string {
  const v = ['module top(input clk, input [15:0] h, output reg [31:0] o);'];
  const acc: string[] = [];
  for (let u = 0; u < U; u++)
    for (let q = 0; q < L; q++) {
      const n = `${u}_${q}`;
      acc.push(`a_${n}`);
      v.push(`  reg [15:0] lf_${n} = 16'd${seed(u, q)};`, `  reg signed [15:0] w_${n} = 0;`, `  reg signed [31:0] a_${n} = 0;`);
      v.push(`  always @(posedge clk) begin`, `    lf_${n} <= ${lfsrNext(`lf_${n}`)};`, `    w_${n} <= w_${n} + ${step(`lf_${n}`)};`, `    a_${n} <= a_${n} + w_${n} * $signed(h);`, `  end`);
    }
  v.push(`  always @(posedge clk) o <= ${acc.join(' ^ ')};`, 'endmodule', '');
  return v.join('\n');
}

function looped(): string {
  const v = ['module top(input clk, input [15:0] h, output reg [31:0] o);', '  integer k;', '  reg [31:0] x;'];
  for (let u = 0; u < U; u++) {
    v.push(`  reg [15:0] lf_${u} [0:${L - 1}];`, `  reg signed [15:0] w_${u} [0:${L - 1}];`, `  reg signed [31:0] a_${u} [0:${L - 1}];`);
    v.push(`  initial for (k = 0; k < ${L}; k = k + 1) begin lf_${u}[k] = 16'd${seed(u, 0)} + k[15:0]; w_${u}[k] = 0; a_${u}[k] = 0; end`);
  }
  v.push('  // verilator lint_off BLKSEQ', '  always @(posedge clk) begin', '    x = 0;');
  for (let u = 0; u < U; u++) v.push(`    for (k = 0; k < ${L}; k = k + 1) x = x ^ a_${u}[k];`);
  v.push('    o <= x;');
  for (let u = 0; u < U; u++) {
    v.push(`    for (k = 0; k < ${L}; k = k + 1) begin`);
    v.push(`      a_${u}[k] = a_${u}[k] + w_${u}[k] * $signed(h);`, `      w_${u}[k] = w_${u}[k] + ${step(`lf_${u}[k]`)};`, `      lf_${u}[k] = ${lfsrNext(`lf_${u}[k]`)};`, '    end');
  }
  v.push('  end', '  // verilator lint_on BLKSEQ', 'endmodule', '');
  return v.join('\n');
}

const MAIN = `#include "Vtop.h"
#include "verilated.h"
#include <chrono>
#include <cstdio>
int main(int argc, char** argv) {
  Verilated::commandArgs(argc, argv);
  Vtop* t = new Vtop;
  const long n = ${N};
  unsigned s = 1;
  auto t0 = std::chrono::steady_clock::now();
  for (long i = 0; i < n; i++) { t->clk = 0; s = s * 1103515245u + 12345u; t->h = s >> 16; t->eval(); t->clk = 1; t->eval(); }
  double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%08x %.0f\\n", t->o, n / dt);
  delete t;
}
`;

const dir = join(tmpdir(), `ibhebb-lane-loops-${U}x${L}`);
const rows: string[] = [];
for (const [name, verilog] of [['unrolled', unrolled()], ['looped', looped()]] as const) {
  const d = join(dir, name);
  await mkdir(d, { recursive: true });
  await writeFile(join(d, 'top.v'), verilog);
  await writeFile(join(d, 'main.cpp'), MAIN);
  await execa('verilator', ['--cc', '--exe', '-O3', '-Wno-WIDTH', '--unroll-count', '4', '--top-module', 'top', '-Mdir', join(d, 'obj'), join(d, 'top.v'), join(d, 'main.cpp')]);
  await execa('make', ['-s', '-C', join(d, 'obj'), '-f', 'Vtop.mk', 'OPT_FAST=-O2']);
  const runs = [];
  for (let r = 0; r < 3; r++) runs.push((await execa(join(d, 'obj', 'Vtop'))).stdout.trim().split(/\s+/));
  const text = (await execa('size', [join(d, 'obj', 'Vtop')])).stdout.split('\n')[1].trim().split(/\s+/)[0];
  const best = Math.max(...runs.map((r) => Number(r[1])));
  rows.push(`| ${name} | ${runs[0][0]} | ${(best / 1e6).toFixed(2)} M | ${Number(text).toLocaleString('en')} |`);
}
console.log(`${U} units × ${L} lanes, ${N} cycles, best of 3\n| lanes written | checksum | cycles/s | text bytes |\n|---|---|---|---|\n${rows.join('\n')}`);
