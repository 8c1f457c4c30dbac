/**
 * A module's Verilator form (VerilatorForm, under `ifdef VERILATOR: lane arrays updated in loops, and the LFSR
 * leaps as table lookups) against its items, the hardware: the same emitted file simulated by Icarus twice,
 * with and without -DVERILATOR (tool-checks.ts icarusBothForms), from the same random stimulus — every output port
 * compared in every cycle. And both forms lint clean (Verilator reads the Verilator form, Icarus and Yosys the
 * unrolled one).
 */
import { describe, expect, it } from 'vitest';
import { hebbian, hebbianLayout, H_SLOTS } from '../../generator/units/hebbian.js';
import type { Module } from '../../generator/ir/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { HebbianCosim, runCase, unitConfig } from '../units/hebbian-cosim.js';
import { expectToolsClean, icarusBothForms } from './tool-checks.js';

/**
 * A testbench for the Hebbian unit: reset; every weight word, bias and LFSR lane written by the host port;
 * every input slot of every layer loaded; then `cycles` cycles of random commands, streams, loader and host
 * traffic (each input drawn from a seeded generator at the falling edge). Prints every output at each rising
 * edge of the random phase.
 */
function testbench(mod: Module, cfg: ChipConfig, seed: number, cycles: number): string {
  const lay = hebbianLayout(cfg);
  const H = lay.layers.length;
  const ins = mod.ports.filter((p) => p.kind === 'input' && p.name !== 'clk' && p.name !== 'rst');
  const outs = mod.ports.filter((p) => p.kind === 'output');
  const w = (n: number): string => (n === 1 ? '' : `[${n - 1}:0] `);
  const v = [
    '`timescale 1ns/1ps',
    'module tb;',
    '  reg clk = 0;',
    '  reg rst = 1;',
    ...ins.map((p) => `  reg ${w(p.width)}${p.name} = 0;`),
    ...outs.map((p) => `  wire ${w(p.width)}${p.name};`),
    `  reg [31:0] s = 32'd${seed};`,
    '  integer i, j, l;',
    `  ${mod.name} dut (.clk(clk), .rst(rst), ${[...ins, ...outs].map((p) => `.${p.name}(${p.name})`).join(', ')});`,
    '  always #5 clk = ~clk;',
    // xorshift32
    '  task rnd; begin s = s ^ (s << 13); s = s ^ (s >> 17); s = s ^ (s << 5); end endtask',
    '  task tick; begin @(posedge clk); #1; end endtask',
    '  reg go = 0;',
    `  always @(posedge clk) if (go) $display("%0t ${outs.map((p) => `${p.name}=%h`).join(' ')}", $time, ${outs.map((p) => p.name).join(', ')});`,
    '  initial begin',
    '    tick; tick; rst = 0;',
    // host writes: weights (kind 0), biases (1), LFSR states (2, nonzero)
    `    for (i = 0; i < ${lay.lanes}; i = i + 1) for (j = 0; j < ${lay.depth}; j = j + 1) begin`,
    '      rnd; host_we = 1; host_kind = 0; host_bank = i; host_addr = j; host_wdata = s; tick;',
    '    end',
    `    for (j = 0; j < ${lay.biasDepth}; j = j + 1) begin rnd; host_we = 1; host_kind = 1; host_addr = j; host_wdata = s; tick; end`,
    `    for (i = 0; i < ${lay.lanes}; i = i + 1) for (l = 0; l < ${H}; l = l + 1) begin`,
    '      rnd; host_we = 1; host_kind = 2; host_bank = i; host_addr = l; host_wdata = s | 1; tick;',
    '    end',
    '    host_we = 0;',
    // every slot of every layer: the loader takes nIn words
    `    for (l = 0; l < ${H}; l = l + 1) for (j = 0; j < ${H_SLOTS}; j = j + 1) begin`,
    '      hl_start = 1; hl_layer = l; hl_slot = j; tick; hl_start = 0;',
    '      while (hl_busy) begin rnd; s_axis_h_tvalid = 1; s_axis_h_tdata = s; tick; end',
    '      s_axis_h_tvalid = 0;',
    '    end',
    '    go = 1;',
    `    for (i = 0; i < ${cycles}; i = i + 1) begin`,
    '      @(negedge clk);',
    `      rnd; start = s[3:0] == 0; cmd_layer = s[8:4] % ${H}; cmd_update = s[9] | s[10]; cmd_forward = s[11] | s[12]; cmd_cur = s[14:13] % 3; cmd_nxt = s[16:15] % 3;`,
    '      hl_start = s[23:17] == 0; hl_layer = s[28:24] % ' + H + '; hl_slot = s[31:29] % 3;',
    '      rnd; s_axis_delta_tvalid = s[0] | s[1]; s_axis_delta_tdata = s[31:16] & (s[2] ? 16\'hffff : 16\'h0); m_axis_acc_tready = s[3] | s[4];',
    '      s_axis_h_tvalid = s[5]; s_axis_h_tdata = s[31:12];',
    `      rnd; host_re = s[2:0] == 0; host_we = s[5:3] == 0; host_kind = s[7:6] % 3; host_bank = s[15:8] % ${lay.lanes}; host_addr = s[31:16] % (host_kind == 0 ? ${lay.depth} : host_kind == 1 ? ${lay.biasDepth} : ${H});`,
    '      rnd; host_wdata = s | 1;',
    '    end',
    '    $finish;',
    '  end',
    'endmodule',
    '',
  ];
  return v.join('\n');
}

describe('Verilator form of the Hebbian unit: loops over lane arrays, the leaps as tables', () => {
  // 5 lanes: LFSR lanes packed in pairs and one alone, last chunks with idle lanes (22 = 4·5 + 2, 13 = 2·5 + 3),
  // host banks beyond the lanes; 4 lanes: full last chunks in the second layer
  for (const [layers, lanes] of [
    [[22, 13, 7, 3], 5],
    [[16, 8, 6, 2], 4],
  ] as [number[], number][]) {
    for (const simLoops of [true, false]) {
      it(`equals the unrolled form under Icarus, every output every cycle (${layers.join('-')}, ${lanes} lanes${simLoops ? ', lane loops' : ', leap tables only'})`, async () => {
        const cfg = unitConfig(layers, lanes);
        const mod = hebbian(cfg, { simLoops });
        const blocks = mod.verilator?.blocks.map((b) => b.name) ?? [];
        expect(blocks).toContain('leap_tables');
        expect(blocks.filter((b) => b.startsWith('lfsr_next')).length, 'leaps in table form').toBeGreaterThan(0);
        expect(blocks.filter((b) => b.startsWith('lane_'))).toEqual(simLoops ? ['lane_update', 'lane_regs'] : []);
        const { verilator: loops, unrolled } = await icarusBothForms(mod, testbench(mod, cfg, 12345, 3000));
        const a = loops.split('\n');
        const b = unrolled.split('\n');
        expect(b.length).toBeGreaterThan(2900);
        // no unknown value where it counts (the queue's data is unknown only while it is empty)
        expect(b.filter((l) => /m_axis_acc_tvalid=1 m_axis_acc_tdata=[0-9a-f]*[xz]/.test(l) || /host_rdata=[0-9a-f]*[xz]/.test(l) || /sat_\w+=[0-9a-f]*[xz]/.test(l))).toEqual([]);
        // outputs move: the passes run (done pulses, accumulators leave)
        expect(b.filter((l) => / done=1\b/.test(l)).length).toBeGreaterThan(20);
        expect(b.filter((l) => /m_axis_acc_tvalid=1\b/.test(l)).length).toBeGreaterThan(20);
        // the update words saturate at both rails (the counters count)
        expect(b.filter((l) => l !== '').at(-1)).toMatch(/sat_w_hi=(?!00000000)[0-9a-f]{8} sat_w_lo=(?!00000000)[0-9a-f]{8}/);
        for (let i = 0; i < b.length; i++) if (a[i] !== b[i]) expect(a[i], `line ${i}`).toBe(b[i]);
        expect(a.length).toBe(b.length);
      }, 300_000);
    }
  }

  it('simulated by Verilator, equals the spec word for word (22-13-7-3, 5 lanes; 66 lanes)', async () => {
    for (const [layers, lanes, cases] of [
      [[22, 13, 7, 3], 5, 40],
      [[150, 70, 10], 66, 8],
    ] as [number[], number, number][]) {
      const sim = await HebbianCosim.start(unitConfig(layers, lanes), { simLoops: true });
      try {
        let sat = 0;
        let acc = 0;
        for (let c = 0; c < cases; c++) {
          const st = await runCase(sim, 77 * lanes + c, 6);
          sat += st.satW;
          acc += st.accWords;
        }
        expect(sat, 'weight saturations seen').toBeGreaterThan(0);
        expect(acc, 'accumulator words compared').toBeGreaterThan(0);
      } finally {
        await sim.close();
      }
    }
  }, 600_000);

  it('is lint clean in both forms (Verilator -Wall reads the loops, Icarus and Yosys the items)', async () => {
    await expectToolsClean(hebbian(unitConfig([22, 13, 7, 3], 5), { simLoops: true }));
  }, 300_000);
});
