/**
 * Memory style 'huge': single-port RAM that Yosys maps to the iCE40 UltraPlus SB_SPRAM256KA (16K × 16).
 * bramSinglePort(…, { style: 'huge' }) is counted in SPRAM cells after synth_ice40 (with and without
 * -spram), runs in Icarus as RTL against a model of its documented behaviour (every defined word: rdata
 * after a read, until the next write), and its gate-level netlist (SB_SPRAM256KA with Yosys' cell model)
 * prints the same words;
 * Xilinx 7-series takes it as block RAM. The IR refuses port sets SPRAM does not have, and the fit check
 * counts SPRAM for these memories on the iCEBreaker.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../generator/emit/index.js';
import { ModuleBuilder, uint, type Module } from '../../generator/ir/index.js';
import { bramDualPort, bramSinglePort } from '../../generator/lib/stream/index.js';
import { simulateIcarus, synthNetlist, synthYosys, yosysDatdir, type ToolFile } from '../../generator/tools/index.js';
import { parseYosysStat } from '../../host/boards/build.js';
import { loadBoard } from '../../host/boards/board.js';
import { blocksFor, fitReport, inventory } from '../../host/boards/fit.js';
import { loadChipConfig } from '../../generator/config.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean } from './tool-checks.js';

/** Cells after `synth_ice40 [extra] -flatten` (Yosys run directly, to pass options the tools module does not). */
async function ice40Cells(mod: Module, extra: string): Promise<Record<string, number>> {
  const files = emitDesign(mod).files.filter((f) => f.name.endsWith('.v'));
  const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(join(tmpdir(), 'ibhebb-spram-'));
  try {
    for (const f of files) await writeFile(join(dir, f.name), f.content);
    const r = await execa('yosys', ['-p', `read_verilog ${files.map((f) => f.name).join(' ')}; synth_ice40 ${extra} -flatten -top ${mod.name}; stat`], { cwd: dir, all: true });
    return parseYosysStat(r.all ?? '');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe("memory style 'huge' (iCE40 SB_SPRAM256KA)", () => {
  const one = bramSinglePort(16, 12544, { style: 'huge' }); // a weight bank of boards/icebreaker/chip.json
  const four = bramSinglePort(32, 20000, { style: 'huge' }); // 2 wide × 2 deep

  it('emits ram_style "huge" and is lint-clean, latch-free and parses in Icarus', async () => {
    expect(one.name).toBe('bram_sp_w16_d12544_huge');
    expect(emitDesign(one).files.find((f) => f.name === `${one.name}.v`)?.content).toMatch(/\(\* ram_style = "huge" \*\) reg\s+\[15:0\] mem \[0:12543\];/);
    // (the latch check is the iCE40 synthesis below: a generic synthesis makes 200 k flip-flops of it)
    await expectToolsClean(one, { synth: false });
  });

  it('maps to SB_SPRAM256KA cells on iCE40 (1 for 12,544 × 16, 4 for 20,000 × 32), with or without -spram, and no EBR', async () => {
    for (const extra of ['-spram', '']) {
      const a = await ice40Cells(one, extra);
      expect(a.SB_SPRAM256KA, `12544 × 16, synth_ice40 ${extra}`).toBe(1);
      expect(a.SB_RAM40_4K ?? 0).toBe(0);
      const b = await ice40Cells(four, extra);
      expect(b.SB_SPRAM256KA, `20000 × 32, synth_ice40 ${extra}`).toBe(4);
      expect(b.SB_RAM40_4K ?? 0).toBe(0);
    }
  }, 300_000);

  it('Xilinx 7-series (no single-port huge RAM) takes it as block RAM', async () => {
    const x = await synthYosys(emitDesign(one).files, one.name, 'xilinx');
    expect(x.errors).toEqual([]);
    expect(x.ok).toBe(true);
    expect((x.cells.RAMB36E1 ?? 0) * 2 + (x.cells.RAMB18E1 ?? 0)).toBeGreaterThanOrEqual(12);
  }, 300_000);

  describe('behaviour: RTL against the model, the gate-level SPRAM netlist against the RTL', () => {
    const W = 16;
    const D = 12544;
    const CYCLES = 1200;
    const rng = new Rng(77);
    // a few addresses (so reads hit written words), the last and the first word; en, we, data random
    const addrs = [0, 1, 2, 3, 4095, 4096, 8191, 12543];
    const steps = Array.from({ length: CYCLES }, (_, c) => {
      const fill = c < addrs.length;
      return { en: fill ? 1 : rng.int(5) === 0 ? 0 : 1, we: fill ? 1 : rng.int(3) === 0 ? 1 : 0, addr: fill ? addrs[c] : addrs[rng.int(addrs.length)], wdata: rng.int(2 ** W) };
    });
    // the model of the documented behaviour: a read cycle loads mem[addr], a write cycle leaves rdata
    // undefined (null) until the next read
    const expected: (number | null)[] = [];
    const mem = new Map<number, number>();
    let rdata: number | null = null;
    for (const s of steps) {
      if (s.en && s.we) {
        mem.set(s.addr, s.wdata);
        rdata = null;
      } else if (s.en) rdata = mem.get(s.addr) ?? null;
      expected.push(rdata);
    }
    const defined = expected.map((v, i) => [i, v] as const).filter((p): p is readonly [number, number] => p[1] !== null);
    const tb = [
      '`timescale 1ns/1ps',
      'module tb;',
      `  reg clk = 0; reg rst = 1; reg en = 0; reg we = 0; reg [13:0] addr = 0; reg [${W - 1}:0] wdata = 0;`,
      `  wire [${W - 1}:0] rdata;`,
      `  ${one.name} dut (.clk(clk), .rst(rst), .en(en), .we(we), .addr(addr), .wdata(wdata), .rdata(rdata));`,
      '  always #5 clk = ~clk;',
      '  initial begin',
      '    @(negedge clk); @(negedge clk); rst = 0;',
      ...steps.map((s) => `    en = ${s.en}; we = ${s.we}; addr = ${s.addr}; wdata = ${s.wdata}; @(negedge clk); $display("%h", rdata);`),
      '    $finish;',
      '  end',
      'endmodule',
    ].join('\n');
    const run = async (files: readonly ToolFile[], generation: '2005' | '2012'): Promise<string[]> => {
      const r = await simulateIcarus([...files, { name: 'tb.v', content: tb }], 'tb', { generation, defines: ['NO_ICE40_DEFAULT_ASSIGNMENTS'] });
      expect(r.compile.errors).toEqual([]);
      expect(r.ok).toBe(true);
      return r.stdout.trim().split('\n');
    };

    it('RTL: the word the model says in every cycle it defines one (reads load mem[addr])', async () => {
      const rtl = await run(emitDesign(one).files, '2005');
      expect(rtl.length).toBe(CYCLES);
      // reads right after a write, and reads of a word just written
      expect(steps.filter((s, i) => i > 0 && s.en && !s.we && steps[i - 1].en && steps[i - 1].we).length).toBeGreaterThan(100);
      expect(defined.length).toBeGreaterThan(CYCLES / 3);
      for (const [i, v] of defined) expect(parseInt(rtl[i], 16), `cycle ${i}`).toBe(v);
    }, 120_000);

    it('gate level: the SB_SPRAM256KA netlist prints the same words', async () => {
      const netlist = await synthNetlist(emitDesign(one).files, one.name, 'ice40');
      expect(netlist).toContain('SB_SPRAM256KA');
      expect(netlist).not.toContain('SB_RAM40_4K');
      const cells = await readFile(join(await yosysDatdir(), 'ice40', 'cells_sim.v'), 'utf8');
      const gates = await run([{ name: 'netlist.v', content: netlist }, { name: 'cells_sim.v', content: cells }], '2012');
      expect(gates.length).toBe(CYCLES);
      for (const [i, v] of defined) expect(parseInt(gates[i], 16), `cycle ${i}: ${gates[i]}`).toBe(v);
    }, 300_000);
  });

  it('refuses what SPRAM cannot do, naming the way out', () => {
    expect(() => bramDualPort(16, 1024, { style: 'huge' })).toThrow(/single port; use bramSinglePort/);
    expect(() => bramSinglePort(16, 1024, { style: 'huge', mode: 'write-first' })).toThrow(/no write-first mode/);
    expect(() => bramSinglePort(16, 1024, { style: 'huge', init: [1, 2] })).toThrow(/no initial contents/);
    // by hand: a read address apart from the write address
    const m = new ModuleBuilder('two_addr');
    m.clock();
    const mem = m.memory('mem', { depth: 1024, type: uint(16), style: 'huge' });
    const wa = m.input('waddr', uint(10));
    const ra = m.input('raddr', uint(10));
    mem.write(wa, m.input('wdata', uint(16)), m.input('we', uint(1)));
    m.output('rdata', mem.readSync('rdata_q', ra, { en: m.input('re', uint(1)) }));
    expect(() => m.build()).toThrow(/one address for its write and its registered read.*bramSinglePort/);
  });

  it('the fit check counts SB_SPRAM256KA for them on the iCEBreaker and block RAM on the Arty', () => {
    const top = new ModuleBuilder('two_banks');
    top.clock();
    const wire = (bank: Module, i: number) =>
      top.instance(`u_bank${i}`, bank, { en: top.input(`en${i}`, uint(1)), we: top.input(`we${i}`, uint(1)), addr: top.input(`addr${i}`, uint(14)), wdata: top.input(`wdata${i}`, uint(16)) });
    top.output('rdata', wire(one, 0).out('rdata').xor(wire(one, 1).out('rdata')));
    const t = top.build();
    const ice = inventory([t], loadBoard('icebreaker'));
    expect(ice.memories.map((x) => [x.path, x.kind, x.sprams, x.blocks])).toEqual([
      ['two_banks.u_bank0.mem', 'spram', 1, 0],
      ['two_banks.u_bank1.mem', 'spram', 1, 0],
    ]);
    const cfg = loadChipConfig(new URL('../../boards/icebreaker/chip.json', import.meta.url).pathname);
    const line = fitReport(cfg, loadBoard('icebreaker'), [t]).lines.find((l) => l.resource === 'single-port RAM (SB_SPRAM256KA)');
    expect(line).toMatchObject({ needed: 2, available: 4, ok: true });
    const artyBoard = loadBoard('arty-a7-100t');
    const arty = inventory([t], artyBoard);
    const blocks = blocksFor(artyBoard, 16, 12544);
    expect(blocks).toBeGreaterThan(0);
    expect(arty.memories.map((x) => [x.kind, x.sprams, x.blocks])).toEqual([
      ['block', 0, blocks],
      ['block', 0, blocks],
    ]);
    expect(fitReport(cfg, artyBoard, [t]).lines.some((l) => /SPRAM/.test(l.resource))).toBe(false);
  });
});
