import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../generator/emit/index.js';
import { lintVerilator, parseIcarus, synthYosys } from '../../generator/tools/index.js';
import { EXAMPLES, ramSync } from './examples.js';
import { expectToolsClean } from './tool-checks.js';

describe('every example module passes the tools', () => {
  for (const [name, make] of Object.entries(EXAMPLES)) {
    it(`${name}: verilator -Wall clean, yosys without error or latch, iverilog -g2005`, async () => {
      await expectToolsClean(make());
    });
  }
});

/** Hand-written Verilog the generator would refuse to produce, to show the runners do report problems. */
const LATCHY = `\`default_nettype none
module latchy (
  input  wire       en,
  input  wire [3:0] d,
  output reg  [3:0] q
);
  always @* begin
    if (en) q = d;
  end
endmodule
\`default_nettype wire
`;

const NARROW = `\`default_nettype none
module narrow (
  input  wire [7:0] a,
  input  wire [3:0] b,
  output wire [8:0] y
);
  assign y = a + b;
endmodule
\`default_nettype wire
`;

describe('the runners report what they find', () => {
  it('yosys reports an inferred latch', async () => {
    const r = await synthYosys([{ name: 'latchy.v', content: LATCHY }], 'latchy');
    expect(r.errors).toEqual([]);
    expect(r.latches.length).toBeGreaterThan(0);
    expect(r.latches.some((c) => /DLATCH/i.test(c))).toBe(true);
  });

  it('verilator reports width warnings with code, file and line', async () => {
    const r = await lintVerilator([{ name: 'narrow.v', content: NARROW }], 'narrow');
    expect(r.ok).toBe(false);
    expect(r.warnings.length).toBeGreaterThan(0);
    expect(r.warnings[0]).toMatchObject({ severity: 'warning', code: 'WIDTH', file: 'narrow.v', line: 7 });
  });

  it('icarus and yosys report syntax errors', async () => {
    const bad = [{ name: 'bad.v', content: 'module bad (input wire a);\n  assign = a;\nendmodule\n' }];
    const p = await parseIcarus(bad, 'bad');
    expect(p.ok).toBe(false);
    expect(p.errors[0]).toMatchObject({ file: 'bad.v', line: 2 });
    const s = await synthYosys(bad, 'bad');
    expect(s.ok).toBe(false);
    expect(s.errors.length).toBeGreaterThan(0);
  });
});

describe('memories map to block RAM', () => {
  it('a 256 x 16 synchronous-read RAM becomes one iCE40 SB_RAM40_4K and one Xilinx RAMB18E1', async () => {
    const files = emitDesign(ramSync(16, 256)).files;
    const [ice, xil] = await Promise.all([synthYosys(files, 'ram_w16_d256', 'ice40'), synthYosys(files, 'ram_w16_d256', 'xilinx')]);
    expect(ice.errors).toEqual([]);
    expect(ice.cells.SB_RAM40_4K).toBe(1);
    expect(xil.errors).toEqual([]);
    expect(xil.cells.RAMB18E1).toBe(1);
    expect(ice.latches).toEqual([]);
  });
});
