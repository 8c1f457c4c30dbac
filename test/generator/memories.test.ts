/**
 * Memories: style attributes, port sets rejected for block RAM, read modes, lane enables, the output
 * register and `$readmemh` images — IR checks, the emitted Verilog, tool-clean runs and an Icarus run
 * that reads an image back.
 */
import { describe, expect, it } from 'vitest';
import { emitDesign, emitModule } from '../../generator/emit/index.js';
import { ModuleBuilder, uint, type Module } from '../../generator/ir/index.js';
import { bramBanked, bramDualPort, bramSinglePort } from '../../generator/lib/stream/index.js';
import { generateFiles } from '../../generator/gen.js';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { simulateIcarus, synthYosys } from '../../generator/tools/index.js';
import { expectToolsClean, icarusBothForms } from './tool-checks.js';

/** A module with one 16 × 8 memory and the ports `body` adds. */
function memModule(style: 'block' | 'distributed' | undefined, body: (m: ModuleBuilder, mem: ReturnType<ModuleBuilder['memory']>) => void): Module {
  const m = new ModuleBuilder('memt', {});
  m.clock();
  const mem = m.memory('mem', { depth: 16, type: uint(16), ...(style ? { style } : {}) });
  body(m, mem);
  return m.build();
}

describe('memory style', () => {
  it('is emitted as a ram_style attribute on the array, and not at all when omitted', () => {
    const v = (s: 'block' | 'distributed' | undefined) =>
      emitModule(
        memModule(s, (m, mem) => {
          mem.write(m.input('wa', mem.addrType), m.input('wd', uint(16)));
          m.output('q', mem.readSync('q_q', m.input('ra', mem.addrType)));
        }),
      ).verilog;
    expect(v('block')).toMatch(/^ {2}\(\* ram_style = "block" \*\) reg {2}\[15:0\] mem \[0:15\];$/m);
    expect(v('distributed')).toContain('(* ram_style = "distributed" *) reg');
    expect(v(undefined)).not.toContain('ram_style');
    expect(() => new ModuleBuilder('x').memory('m', { depth: 4, type: uint(4), style: 'lut' as never })).toThrow(/style must be 'block', 'distributed' or 'huge'/);
  });

  it('noCollision adds no_rw_check: Yosys maps the RAM with no logic after its output (the old word on a collision needs some)', async () => {
    const mod = (noCollision: boolean): Module => {
      const m = new ModuleBuilder(noCollision ? 'memt_nc' : 'memt_rf', {});
      m.clock();
      const mem = m.memory('mem', { depth: 256, type: uint(16), style: 'block', noCollision });
      mem.write(m.input('wa', mem.addrType), m.input('wd', uint(16)), m.input('we', uint(1)));
      m.output('q', mem.readSync('q_q', m.input('ra', mem.addrType)));
      return m.build();
    };
    expect(emitModule(mod(true)).verilog).toContain('(* ram_style = "block", no_rw_check *) reg');
    expect(emitModule(mod(false)).verilog).not.toContain('no_rw_check');
    const logic = async (noCollision: boolean): Promise<number> => {
      const { cells, errors } = await synthYosys(emitDesign(mod(noCollision)).files, mod(noCollision).name, 'ice40');
      expect(errors).toEqual([]);
      expect(cells.SB_RAM40_4K).toBe(1);
      return Object.entries(cells).reduce((n, [k, c]) => n + (k === 'SB_LUT4' || k.startsWith('SB_DFF') ? c : 0), 0);
    };
    // read-first: a multiplexer per output bit after the RAM and registers of the written word; none of them here
    const [nc, rf] = [await logic(true), await logic(false)];
    expect(nc).toBeLessThanOrEqual(1);
    expect(rf - nc).toBeGreaterThanOrEqual(2 * 16);
  }, 120_000);

  it('noCollision: the Verilator form returns the old word complemented on a collision, so a design that uses such a read fails its co-simulation', async () => {
    const m = new ModuleBuilder('memt_ncsim', {});
    m.clock();
    const mem = m.memory('mem', { depth: 16, type: uint(8), style: 'block', noCollision: true });
    mem.write(m.input('wa', mem.addrType), m.input('wd', uint(8)), m.input('we', uint(1)));
    m.output('q', mem.readSync('q_q', m.input('ra', mem.addrType)));
    const mod = m.build();
    // write 0x5a at 3, then 0x33 at 3 while reading 3 (a collision), then 0x44 at 4 while reading 3 (none)
    const tb = [
      'module tb;',
      '  reg clk = 0; reg rst = 1; reg [3:0] wa = 0; reg [7:0] wd = 0; reg we = 0; reg [3:0] ra = 0; wire [7:0] q;',
      '  memt_ncsim dut (.clk(clk), .rst(rst), .wa(wa), .wd(wd), .we(we), .ra(ra), .q(q));',
      '  task tick; begin #5 clk = 1; #5 clk = 0; end endtask',
      '  initial begin',
      '    tick; rst = 0;',
      '    we = 1; wa = 3; wd = 8\'h5a; tick;',
      '    wd = 8\'h33; ra = 3; tick; $display("collide %h", q);',
      '    wa = 4; wd = 8\'h44; tick; $display("apart %h", q);',
      '    $finish;',
      '  end',
      'endmodule',
    ].join('\n');
    const { verilator, unrolled } = await icarusBothForms(mod, tb);
    expect(verilator).toContain('collide a5\napart 33');
    expect(unrolled).toContain('collide 5a\napart 33');
  }, 60_000);

  it('block RAM: port sets no target has are rejected at build() with the way out', () => {
    const addr = (m: ModuleBuilder, n: string) => m.input(n, uint(4));
    expect(() =>
      memModule('block', (m, mem) => {
        mem.write(addr(m, 'a0'), m.input('d0', uint(16)));
        mem.write(addr(m, 'a1'), m.input('d1', uint(16)));
        m.output('q', mem.readSync('q_q', addr(m, 'r')));
      }),
    ).toThrow(/memory 'mem' \(style 'block'\) has 2 write ports; .*one write port.*split the memory into banks/);
    expect(() =>
      memModule('block', (m, mem) => {
        mem.write(addr(m, 'a0'), m.input('d0', uint(16)));
        m.output('q', mem.readSync('q_q', addr(m, 'r0')));
        m.output('p', mem.readSync('p_q', addr(m, 'r1')));
      }),
    ).toThrow(/has 2 read ports; .*Duplicate the memory/);
    expect(() =>
      memModule('block', (m, mem) => {
        mem.write(addr(m, 'a0'), m.input('d0', uint(16)));
        m.output('q', mem.readAsync(addr(m, 'r0')));
      }),
    ).toThrow(/is read asynchronously; block RAM reads are registered: use mem.readSync/);
    expect(() =>
      memModule('block', (m, mem) => {
        mem.write(addr(m, 'a0'), m.input('d0', uint(16)), undefined, { lanes: m.input('l', uint(4)) });
        m.output('q', mem.readSync('q_q', addr(m, 'r0')));
      }),
    ).toThrow(/lanes of 4 bits; .*8·k bits wide/);
    expect(() =>
      memModule('distributed', (m, mem) => {
        mem.write(addr(m, 'a0'), m.input('d0', uint(16)));
        mem.write(addr(m, 'a1'), m.input('d1', uint(16)));
        m.output('q', mem.readAsync(addr(m, 'r0')));
      }),
    ).toThrow(/\(style 'distributed'\) has 2 write ports/);
    // without a style the same port sets are the tool's business
    expect(() =>
      memModule(undefined, (m, mem) => {
        mem.write(addr(m, 'a0'), m.input('d0', uint(16)));
        mem.write(addr(m, 'a1'), m.input('d1', uint(16)));
        m.output('q', mem.readAsync(addr(m, 'r0')));
      }),
    ).not.toThrow();
  });

  it('lane enables must divide the word and be unsigned', () => {
    expect(() =>
      memModule(undefined, (m, mem) => mem.write(m.input('a', uint(4)), m.input('d', uint(16)), undefined, { lanes: m.input('l', uint(3)) })),
    ).toThrow(/3 lane enables do not divide the 16-bit word/);
    expect(() => bramDualPort(16, 64, { lanes: 3 })).toThrow(/lanes must be 0 \(whole words\) or a number of lanes dividing the width 16, got 3/);
  });
});

describe('read ports', () => {
  it('read-first reads the array; write-first also takes the written word, lane by lane, on an address match', () => {
    const rf = emitModule(bramDualPort(16, 64)).verilog;
    expect(rf).toMatch(/if \(re\) begin\n\s+rdata_q <= mem\[raddr\];\n\s+end/);
    const wf = emitModule(bramDualPort(16, 64, { mode: 'write-first', lanes: 2 })).verilog;
    expect(wf).toContain('if (wlanes[0]) mem[waddr][7:0] <= wdata[7:0];');
    expect(wf).toContain('if (wlanes[1]) mem[waddr][15:8] <= wdata[15:8];');
    expect(wf).toContain("if (we && (waddr == raddr) && wlanes[1]) rdata_q[15:8] <= wdata[15:8];");
    // single port: the read and write share the address expression, so no comparison is emitted
    const sp = emitModule(bramSinglePort(16, 64, { mode: 'write-first' })).verilog;
    expect(sp).toMatch(/if \(en\) begin\n\s+rdata_q <= mem\[addr\];\n\s+if \(en & we\) rdata_q <= wdata;/);
  });

  it('the output register is the returned signal, after <name>_raw, and gives the module its own name', () => {
    const mod = bramDualPort(16, 64, { outputRegister: true });
    expect(mod.name).toBe('bram_sdp_w16_d64_or');
    const v = emitModule(mod).verilog;
    expect(v).toContain('rdata_q_raw <= mem[raddr];');
    expect(v).toMatch(/^ {4}rdata_q <= rdata_q_raw;$/m);
    expect(v).toContain('assign rdata = rdata_q;');
    expect(bramDualPort(16, 64, { mode: 'write-first', lanes: 2, style: 'distributed' }).name).toBe('bram_sdp_w16_d64_wf_l2_dist');
    expect(() => memModule(undefined, (m, mem) => m.output('q', mem.readSync('q', m.input('a', uint(4)), { mode: 'new' as never })))).toThrow(
      /mode must be 'read-first' or 'write-first'/,
    );
  });

  const variants = [
    bramDualPort(16, 64, { mode: 'write-first', lanes: 2, outputRegister: true }),
    bramSinglePort(32, 128, { mode: 'write-first', lanes: 4 }),
    bramSinglePort(8, 32, { outputRegister: true }),
    bramDualPort(16, 64, { style: 'distributed' }),
    bramBanked(16, 64, 4),
  ];
  for (const mod of variants) {
    it(`${mod.name}: verilator -Wall, iverilog and yosys clean`, async () => {
      await expectToolsClean(mod);
    });
  }
});

describe('lane writes', () => {
  /** 8 words of 16 lanes × 4 bits, written by lane enables, read registered (the blocking Verilator form). */
  const laneMem = (): Module => {
    const m = new ModuleBuilder('lanemem', {});
    m.clock();
    const mem = m.memory('mem', { depth: 8, type: uint(64) });
    mem.write(m.input('wa', uint(3)), m.input('wd', uint(64)), m.input('we', uint(1)), { lanes: m.input('wl', uint(16)) });
    m.output('q', mem.readSync('q_q', m.input('ra', uint(3)), m.input('re', uint(1))));
    return m.build();
  };

  it('for Verilator the lanes are nested in halves, each lane still testing its own enable', () => {
    const v = emitModule(laneMem()).verilog;
    const [vl, other] = v.split('`else');
    expect(vl).toContain('if (|wl[15:8]) begin');
    expect(vl).toContain('if (|wl[3:0]) begin');
    expect(vl).toMatch(/if \(wl\[13\]\) mem\[wa\]\[55:52\] = wd\[55:52\];/);
    expect(other).not.toContain('if (|wl');
    expect(other).toContain('if (wl[13]) mem[wa][55:52] <= wd[55:52];');
  });

  it('both forms write the same words for any enables (Icarus, random enables with several lanes set)', async () => {
    const tb = [
      '`timescale 1ns/1ps',
      'module tb;',
      '  reg clk = 0; reg rst = 1; reg [2:0] wa = 0, ra = 0; reg [63:0] wd = 0; reg [15:0] wl = 0; reg we = 0, re = 0;',
      '  wire [63:0] q; integer i, seed;',
      '  lanemem dut (.clk(clk), .rst(rst), .wa(wa), .wd(wd), .we(we), .wl(wl), .ra(ra), .re(re), .q(q));',
      '  always #5 clk = ~clk;',
      '  initial begin',
      '    seed = 7;',
      '    for (i = 0; i < 8; i = i + 1) begin wa = i; wd = 0; wl = 16\'hffff; we = 1; @(posedge clk); #1; end',
      '    for (i = 0; i < 600; i = i + 1) begin',
      '      wa = $random(seed); ra = $random(seed); wd = {$random(seed), $random(seed)}; we = $random(seed); re = 1;',
      '      wl = (i % 3 == 0) ? (16\'d1 << ($random(seed) & 15)) : $random(seed);',
      '      @(posedge clk); #1 $display("%0d %h", i, q);',
      '    end',
      '    $finish;',
      '  end',
      'endmodule',
    ].join('\n');
    const files = [...emitDesign(laneMem()).files, { name: 'tb.v', content: tb }];
    const plain = await simulateIcarus(files, 'tb');
    const vform = await simulateIcarus(files, 'tb', { defines: ['VERILATOR'] });
    expect(plain.compile.errors).toEqual([]);
    expect(vform.compile.errors).toEqual([]);
    const lines = plain.stdout.trim().split('\n');
    expect(lines.length).toBe(600);
    expect(new Set(lines.map((l) => l.split(' ')[1])).size).toBeGreaterThan(100);
    expect(vform.stdout).toBe(plain.stdout);
  });

  it('is clean in every tool', async () => {
    await expectToolsClean(laneMem());
  });
});

describe('$readmemh images', () => {
  const rom = (depth: number, initFile?: boolean) => {
    const m = new ModuleBuilder(`rom_d${depth}`, {});
    m.clock();
    const init = Array.from({ length: depth - 3 }, (_, i) => (i * 40503 + 7) % 65536);
    const mem = m.memory('tab', { depth, type: uint(16), init, style: 'block', ...(initFile === undefined ? {} : { initFile }) });
    m.output('q', mem.readSync('q_q', m.input('a', mem.addrType)));
    return { mod: m.build(), init };
  };

  it('large images go to <module>_<memory>.hex next to the Verilog (every word, hex); small ones stay inline', () => {
    const { mod, init } = rom(1000);
    const e = emitModule(mod);
    expect(e.verilog).toContain('$readmemh("rom_d1000_tab.hex", tab);');
    expect(e.dataFiles.map((f) => f.name)).toEqual(['rom_d1000_tab.hex']);
    const words = e.dataFiles[0].content.trimEnd().split('\n');
    expect(words.length).toBe(1000);
    expect(words.map((w) => parseInt(w, 16))).toEqual([...init, 0, 0, 0]);
    expect(words.every((w) => /^[0-9a-f]{4}$/.test(w))).toBe(true);
    expect(emitDesign(mod).files.map((f) => f.name)).toEqual(['rom_d1000.v', 'rom_d1000.names.json', 'rom_d1000_tab.hex']);
    const small = emitModule(rom(64).mod);
    expect(small.dataFiles).toEqual([]);
    expect(small.verilog).toContain('tab[0] = 16\'d7;');
    expect(emitModule(rom(64, true).mod).dataFiles.length).toBe(1);
    expect(emitModule(rom(1000, false).mod).verilog).not.toContain('$readmemh');
  });

  it('signed words are written in two\'s complement', () => {
    const m = new ModuleBuilder('srom', {});
    m.clock();
    const mem = m.memory('t', { depth: 4, type: { signed: true, width: 10 }, init: [-1, -512, 511, 0], initFile: true });
    m.output('q', mem.readSync('q_q', m.input('a', mem.addrType)));
    expect(emitModule(m.build()).dataFiles[0].content).toBe('3ff\n200\n1ff\n000\n');
  });

  it('the manifest lists the images; `gen` writes them', () => {
    const files = generateFiles(DEFAULT_CHIP, [rom(1000).mod]);
    expect(files.map((f) => f.name)).toContain('rom_d1000_tab.hex');
    const manifest = JSON.parse(files.find((f) => f.name === 'manifest.json')!.content) as { files: string[] };
    expect(manifest.files).toContain('rom_d1000_tab.hex');
  });

  it('Icarus reads the image: every word comes back through the registered read', async () => {
    const { mod, init } = rom(1000);
    const tb = [
      '`timescale 1ns/1ps',
      'module tb;',
      '  reg clk = 0; reg rst = 1; reg [9:0] a = 0; wire [15:0] q; integer i;',
      '  rom_d1000 dut (.clk(clk), .rst(rst), .a(a), .q(q));',
      '  always #5 clk = ~clk;',
      '  initial begin',
      '    for (i = 0; i < 1000; i = i + 1) begin a = i; @(posedge clk); #1 $display("%0d %0d", i, q); end',
      '    $finish;',
      '  end',
      'endmodule',
    ].join('\n');
    const r = await simulateIcarus([...emitDesign(mod).files, { name: 'tb.v', content: tb }], 'tb');
    expect(r.compile.errors).toEqual([]);
    const got = r.stdout.trim().split('\n').map((l) => Number(l.split(' ')[1]));
    expect(got).toEqual([...init, 0, 0, 0]);
  });

  it('a large ROM is clean in every tool (Yosys reads the image while synthesizing)', async () => {
    await expectToolsClean(rom(1000).mod);
  });
});
