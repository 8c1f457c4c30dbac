/** Clocked behaviour of emitted modules in Icarus: synchronous reset, enables, read-first RAM. */
import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../generator/emit/index.js';
import { simulateIcarus } from '../../generator/tools/index.js';
import { counter, mac, ramSync } from './examples.js';

const CLOCK = ['  reg clk = 1\'b0;', '  always #5 clk = ~clk;', '  task tick; begin @(posedge clk); #1; end endtask'];

async function run(files: readonly { name: string; content: string }[], tb: string[]): Promise<string[]> {
  const sim = await simulateIcarus([...files, { name: 'tb.v', content: ['module tb;', ...CLOCK, ...tb, 'endmodule', ''].join('\n') }], 'tb');
  expect(sim.compile.errors).toEqual([]);
  expect(sim.ok).toBe(true);
  return sim.stdout.split('\n').filter((l) => l.startsWith('@'));
}

describe('sequential semantics', () => {
  it('counter: synchronous reset, enable, wrap flag', async () => {
    const out = await run(emitDesign(counter(8)).files, [
      '  reg rst, en; wire [7:0] count; wire wrap; integer i;',
      '  counter_w8 dut (.clk(clk), .rst(rst), .en(en), .count(count), .wrap(wrap));',
      '  initial begin',
      '    rst = 1; en = 1; tick; $display("@%0d", count);',
      '    rst = 0; for (i = 0; i < 255; i = i + 1) tick; $display("@%0d %0d", count, wrap);',
      '    tick; $display("@%0d %0d", count, wrap);',
      '    en = 0; tick; tick; $display("@%0d", count);',
      '    rst = 1; tick; $display("@%0d", count); $finish;',
      '  end',
    ]);
    expect(out).toEqual(['@0', '@255 1', '@0 0', '@0', '@0']);
  });

  it('RAM: synchronous write, registered read, read-first on a same-address write, read enable holds', async () => {
    const out = await run(emitDesign(ramSync(8, 16)).files, [
      '  reg rst = 0, we = 0, re = 0; reg [3:0] waddr = 0, raddr = 0; reg [7:0] wdata = 0; wire [7:0] rdata;',
      '  ram_w8_d16 dut (.clk(clk), .rst(rst), .we(we), .waddr(waddr), .wdata(wdata), .re(re), .raddr(raddr), .rdata(rdata));',
      '  initial begin',
      "    we = 1; waddr = 3; wdata = 8'haa; tick;",
      "    re = 1; raddr = 3; wdata = 8'hbb; tick; $display(\"@%h\", rdata);",
      '    we = 0; tick; $display("@%h", rdata);',
      "    re = 0; we = 1; wdata = 8'hcc; tick; $display(\"@%h\", rdata); $finish;",
      '  end',
    ]);
    expect(out).toEqual(['@aa', '@bb', '@bb']);
  });

  it('MAC: signed products accumulate with sign extension; clear wins over valid', async () => {
    const out = await run(emitDesign(mac(8, 20)).files, [
      '  reg rst = 1, valid = 0, clear = 0; reg signed [7:0] a = 0, b = 0;',
      '  wire signed [19:0] acc; wire negative; wire signed [18:0] half;',
      '  mac_s8_a20 dut (.clk(clk), .rst(rst), .a(a), .b(b), .valid(valid), .clear(clear), .acc(acc), .negative(negative), .half(half));',
      '  initial begin',
      '    tick; rst = 0; valid = 1;',
      '    a = -128; b = 127; tick; $display("@%0d %0d", acc, negative);',
      '    a = -128; b = -128; tick; $display("@%0d %0d %0d", acc, negative, half);',
      '    a = -3; b = 5; tick; $display("@%0d %0d", acc, half);',
      '    clear = 1; tick; $display("@%0d", acc); $finish;',
      '  end',
    ]);
    expect(out).toEqual(['@-16256 1', '@128 0 64', '@113 56', '@0']);
  });
});
