/**
 * Structure without boilerplate, and Verilog a reviewer reads: named enums, latency-tracked pipelines,
 * lane vectors and adder trees, instance inputs bound after creation, stream connect(), temporaries named
 * after what they hold, selects as `case`, data registers kept out of the reset branch, and the source
 * location of every block.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { emitDesign, emitModule } from '../../generator/emit/index.js';
import { Lanes, ModuleBuilder, Pipeline, select, sint, uint, type Module } from '../../generator/ir/index.js';
import { connect, skidBuffer, streamIn, streamOut } from '../../generator/lib/stream/index.js';
import { simulateIcarus } from '../../generator/tools/index.js';
import { Rng } from '../../sim/rng.js';
import { expectToolsClean } from './tool-checks.js';

/** Runs `tb` (a module `tb` printing lines) against `mod` in Icarus and returns the printed lines. */
async function icarus(mod: Module, tb: string[]): Promise<string[]> {
  const r = await simulateIcarus([...emitDesign(mod).files, { name: 'tb.v', content: ['`timescale 1ns/1ps', ...tb].join('\n') }], 'tb');
  expect(r.compile.errors).toEqual([]);
  expect(r.ok).toBe(true);
  return r.stdout.trim().split('\n');
}

/** A 3-state machine: IDLE → (start) RUN for `n` cycles → DONE (one cycle) → IDLE. */
function fsm(): Module {
  const m = new ModuleBuilder('enum_fsm', {});
  m.clock();
  const start = m.input('start', uint(1));
  const S = m.enum('state', ['IDLE', 'RUN', 'DONE']);
  const st = S.reg('state_q', 'IDLE');
  const cnt = m.reg('cnt_q', uint(3), { reset: 0 });
  m.seq('fsm', ($) => {
    $.switch(st)
      .case(S.v.IDLE, () => $.if(start, () => $.set(st, S.v.RUN)))
      .case(S.v.RUN, () => {
        $.set(cnt, cnt.addWrap(1));
        $.if(cnt.eq(4), () => $.set(st, S.v.DONE));
      })
      .default(() => {
        $.set(st, S.v.IDLE);
        $.set(cnt, 0);
      });
  });
  m.output('busy', S.is(st, 'RUN'));
  m.output('done', st.eq(S.v.DONE));
  return m.build();
}

describe('named enums', () => {
  it('are localparams, written by name in case labels and expressions, listed in the name map', () => {
    const e = emitModule(fsm());
    expect(e.verilog).toContain('localparam [1:0] STATE_IDLE = 2\'d0;');
    expect(e.verilog).toContain('localparam [1:0] STATE_DONE = 2\'d2;');
    expect(e.verilog).toMatch(/^ {6}STATE_RUN: begin$/m);
    expect(e.verilog).toContain('state_q <= STATE_DONE;');
    expect(e.verilog).toContain('assign done = state_q == STATE_DONE;');
    expect(e.verilog).toContain("state_q <= 2'd0;"); // the reset value (a register's reset is a literal)
    // the reset comes after the body and overrides it (the body is not its `else`)
    expect(e.verilog).toMatch(/ {4}endcase\n {4}if \(rst\) begin\n {6}state_q <= 2'd0;\n {6}cnt_q <= 3'd0;\n {4}end\n {2}end\n/);
    const entry = e.nameMap.entries.find((x) => x.verilog === 'STATE_RUN');
    expect(entry).toEqual({ path: 'enum_fsm.STATE_RUN', verilog: 'STATE_RUN', kind: 'localparam', width: 2, signed: false, value: '1', enum: 'state' });
  });

  it("read a register their process wrote in an earlier statement or branch through a copy taken at the process's top", () => {
    const v = emitModule(fsm()).verilog;
    // the case tests state_q again after a branch wrote it, RUN reads cnt_q after writing it: both through copies
    // (a simulator then needs no shadow copy of the registers for their non-blocking writes)
    expect(v).toMatch(/always @\(posedge clk\) begin\n {4}\/\* verilator lint_off BLKSEQ \*\/\n {4}_cur_state_q = state_q;\n {4}_cur_cnt_q = cnt_q;\n {4}\/\* verilator lint_on BLKSEQ \*\/\n {4}case \(_cur_state_q\)/);
    expect(v).toContain("cnt_q <= _cur_cnt_q + 3'd1;");
    expect(v).toMatch(/if \(+_cur_cnt_q == 3'd4\)+ begin/);
    // what is read outside the process reads the register itself
    expect(v).toContain('assign done = state_q == STATE_DONE;');
  });

  it('reject duplicate values, no members and names that collide', () => {
    const m = new ModuleBuilder('x', {});
    expect(() => m.enum('s', { A: 1, B: 1 })).toThrow(/members 'A' and 'B' both have the value 1/);
    expect(() => m.enum('t', [])).toThrow(/no members/);
    m.enum('u', ['A']);
    expect(() => m.wire('U_A', uint(1))).toThrow(/name collision/);
    expect(m.enum('big', { LOW: 0, HIGH: 9 }).type.width).toBe(4);
  });

  it('the machine runs as written (Icarus) and is clean in every tool', async () => {
    const lines = await icarus(fsm(), [
      'module tb;',
      '  reg clk = 0; reg rst = 1; reg start = 0; wire busy, done; integer i;',
      '  enum_fsm dut (.clk(clk), .rst(rst), .start(start), .busy(busy), .done(done));',
      '  always #5 clk = ~clk;',
      '  initial begin',
      '    @(negedge clk); rst = 0; start = 1; @(negedge clk); start = 0;',
      '    for (i = 0; i < 8; i = i + 1) begin $display("%0d%0d", busy, done); @(negedge clk); end',
      '    $finish;',
      '  end',
      'endmodule',
    ]);
    expect(lines).toEqual(['10', '10', '10', '10', '10', '01', '00', '00']);
    await expectToolsClean(fsm());
  });
});

describe('reset only where a register has one', () => {
  function mixed(): Module {
    const m = new ModuleBuilder('mixed_reset', {});
    m.clock();
    const d = m.input('d', uint(8));
    const v = m.reg('valid_q', uint(1), { reset: 0 });
    const q = m.reg('data_q', uint(8), { reset: null });
    m.seq('stage', ($) => {
      $.set(v, 1);
      $.set(q, d);
    });
    m.output('valid', v);
    m.output('q', q);
    return m.build();
  }

  it('the data register is assigned outside the reset branch, which comes last and sets only valid_q', () => {
    const v = emitModule(mixed()).verilog;
    expect(v).toMatch(/always @\(posedge clk\) begin\n {4}valid_q <= 1'b1;\n {4}data_q <= d;\n {4}if \(rst\) begin\n {6}valid_q <= 1'b0;\n {4}end\n {2}end/);
  });

  it('during reset the data register still loads (reset is no clock enable for it), valid_q is held at 0', async () => {
    const lines = await icarus(mixed(), [
      'module tb;',
      '  reg clk = 0; reg rst = 1; reg [7:0] d = 8\'d5; wire valid; wire [7:0] q;',
      '  mixed_reset dut (.clk(clk), .rst(rst), .d(d), .valid(valid), .q(q));',
      '  always #5 clk = ~clk;',
      '  initial begin',
      '    @(negedge clk); $display("%0d %0d", valid, q); d = 8\'d9; @(negedge clk); $display("%0d %0d", valid, q);',
      '    rst = 0; @(negedge clk); $display("%0d %0d", valid, q);',
      '    $finish;',
      '  end',
      'endmodule',
    ]);
    expect(lines).toEqual(['0 5', '0 9', '1 9']);
  });
});

describe('readable temporaries and selects', () => {
  it('a temporary is named after the operation its text computes', () => {
    const m = new ModuleBuilder('names_t', {});
    const a = m.input('a', uint(8));
    const b = m.input('b', uint(8));
    m.output('y', a.add(b).trunc(8).slice(7, 2));
    m.output('z', a.sub(b).asUnsigned().trunc(6).slice(5, 1));
    const v = emitModule(m.build()).verilog;
    expect(v).toContain('assign _add_y = a + b;');
    expect(v).toContain('assign _sub_z = a[5:0] - b[5:0];');
    expect(v).not.toContain('_slice_');
  });

  it('a select over many values is a case in its own always block; two values stay a ?: ', () => {
    const m = new ModuleBuilder('sel_t', {});
    const s = m.input('s', uint(3));
    const x = m.input('x', sint(6));
    m.output('many', select(s, [x, x.neg().trunc(6), 3, -4, x.not()], 0));
    m.output('two', select(s.bit(0), [x, x.not()]));
    const v = emitModule(m.build()).verilog;
    expect(v).toMatch(/always @\* begin\n {4}case \(s\)\n {6}3'd0: +_sel_many = x;\n/);
    expect(v).toMatch(/ {6}3'd3: +_sel_many = -6'sd4;/);
    expect(v).toMatch(/ {6}default: _sel_many = 6'sd0;/);
    expect(v).toContain('reg  [5:0] _sel_many;');
    expect(v).toMatch(/assign two = s\[0\] \? \(~x\) : x;|assign two = \(s\[0\] == 1'b0\) \? x : \(~x\);/);
  });
});

describe('source locations', () => {
  it('each block carries the file:line of its IR call, stable across runs', () => {
    const make = () => {
      const m = new ModuleBuilder('loc_t', {});
      m.clock();
      const a = m.input('a', uint(4));
      const r = m.reg('r_q', uint(4), { reset: 0 });
      m.next(r, a);
      m.output('y', r);
      return m.build();
    };
    const v = emitModule(make()).verilog;
    expect(v).toBe(emitModule(make()).verilog);
    const src = readFileSync(new URL(import.meta.url), 'utf8').split('\n');
    const locs = [...v.matchAll(/test\/generator\/structure\.test\.ts:(\d+)/g)].map((x) => Number(x[1]));
    expect(locs.length).toBe(2);
    expect(src[locs[0] - 1]).toContain('m.next(r, a);');
    expect(src[locs[1] - 1]).toContain("m.output('y', r);");
    expect(v).toMatch(/^ {2}\/\/ seq: r_q \(test\/generator\/structure\.test\.ts:\d+\)$/m);
    expect(v).toMatch(/^ {2}assign y = r_q; {2}\/\/ test\/generator\/structure\.test\.ts:\d+$/m);
  });
});

describe('pipelines and lanes', () => {
  it('combine aligns operands through shared delay registers; combineStrict and moving earlier are errors', () => {
    const m = new ModuleBuilder('pipe_t', {});
    m.clock();
    const p = new Pipeline(m, 'p');
    const a = p.input(m.input('a', uint(8)));
    const b = p.input(m.input('b', uint(8)));
    const a1 = p.reg('a1', a);
    const a2 = p.reg('a2', a1);
    const s = p.combine((x, y) => x.add(y), a2, b);
    expect(s.stage).toBe(2);
    const t = p.combine((x, y) => x.sub(y), a2, b); // reuses b_d1, b_d2
    expect(t.stage).toBe(2);
    expect(() => p.combineStrict((x, y) => x.add(y), a1, b)).toThrow(/combining values of different stages \('a1' at stage 1, 'b' at stage 0\)/);
    expect(() => p.at(a2, 1)).toThrow(/'a2' is valid at stage 2; it cannot be moved earlier, to stage 1/);
    m.output('s', s.value);
    m.output('t', t.value);
    const mod = m.build();
    expect(mod.signals.map((x) => x.name).filter((n) => n.startsWith('b_'))).toEqual(['b_d1', 'b_d2']);
  });

  it('Lanes split, map, zip and flatten without hand-made slices', () => {
    const m = new ModuleBuilder('lanes_t', {});
    const flat = m.input('v', uint(32));
    const l = Lanes.split(flat, 4);
    expect(l.length).toBe(4);
    expect(l.at(1).toString()).toBe('v[15:8]');
    expect(l.flat().toString()).toBe('{v[31:24], v[23:16], v[15:8], v[7:0]}');
    expect(l.map((e) => e.zext(9)).type.width).toBe(9);
    expect(() => l.at(4)).toThrow(/lanes are 0\.\.3/);
    expect(() => Lanes.split(flat, 5)).toThrow(/32 bits do not split into 5 equal lanes/);
    expect(() => l.zip(Lanes.split(flat, 2), (a) => a)).toThrow(/4 lanes with 2/);
    expect(() => new Lanes([flat, flat.trunc(4)])).toThrow(/lane 1 is uint\(4\), lane 0 is uint\(32\)/);
  });

  /** Sum of 8 signed lanes of 8 bits as a registered adder tree, with a valid bit delayed alongside. */
  function tree(perStage: number): { mod: Module; latency: number } {
    const m = new ModuleBuilder(`tree_p${perStage}`, {});
    m.clock();
    const p = new Pipeline(m, 'sum');
    const lanes = Lanes.split(m.input('x', uint(64)), 8).map((e) => e.asSigned());
    const sum = p.reduceAdd('acc', lanes, { perStage });
    const valid = p.at(p.input(m.input('valid', uint(1))), sum.stage);
    m.output('sum', sum.value);
    m.output('sum_valid', valid.value);
    return { mod: m.build(), latency: sum.stage };
  }

  it('reduceAdd: latency = register levels (3 for 8 lanes, 2 with two adder levels per stage), sums exact (Icarus)', async () => {
    for (const [per, want] of [
      [1, 3],
      [2, 2],
    ] as const) {
      const { mod, latency } = tree(per);
      expect(latency).toBe(want);
      const rng = new Rng(per);
      const vecs = Array.from({ length: 40 }, () => Array.from({ length: 8 }, () => rng.int(256) - 128));
      const hex = (v: number[]) => v.map((x) => (x & 255).toString(16).padStart(2, '0')).reverse().join('');
      const lines = await icarus(mod, [
        'module tb;',
        `  reg clk = 0; reg rst = 1; reg [63:0] x = 0; reg valid = 0; wire [10:0] sum; wire sum_valid;`,
        `  ${mod.name} dut (.clk(clk), .rst(rst), .x(x), .valid(valid), .sum(sum), .sum_valid(sum_valid));`,
        '  always #5 clk = ~clk;',
        '  initial begin',
        '    @(negedge clk); rst = 0;',
        ...vecs.map((v) => `    x = 64'h${hex(v)}; valid = 1; @(negedge clk); $display("%0d %0d", sum_valid, $signed(sum));`),
        ...Array.from({ length: latency }, () => `    valid = 0; @(negedge clk); $display("%0d %0d", sum_valid, $signed(sum));`),
        '    $finish;',
        '  end',
        'endmodule',
      ]);
      const got = lines.slice(latency - 1).map((l) => l.split(' ').map(Number));
      expect(got.slice(0, vecs.length)).toEqual(vecs.map((v) => [1, v.reduce((a, b) => a + b, 0)]));
      expect(got[vecs.length][0]).toBe(0);
      await expectToolsClean(mod);
    }
  });
});

describe('instances bound later and stream connect()', () => {
  /** in → skid a → skid b → out, wired with connect(); skid b exists only after a's tready must be bound. */
  function chain(): Module {
    const m = new ModuleBuilder('skid_chain', {});
    m.clock();
    const s = streamIn(m, 'in', uint(8), { last: true });
    const o = streamOut(m, 'out', uint(8), { last: true });
    const sk = skidBuffer(8, { last: true });
    const a = m.instance('u_a', sk, {}, { bindLater: true });
    const b = m.instance('u_b', sk, {}, { bindLater: true });
    connect(m, s, { inst: a, bus: 'in' });
    connect(m, { inst: a, bus: 'out' }, { inst: b, bus: 'in' });
    connect(m, { inst: b, bus: 'out' }, o);
    return m.build();
  }

  it('connect() binds valid/data/last forward and ready backward', () => {
    const mod = chain();
    const b = mod.items.find((i) => i.kind === 'instance' && i.instance.name === 'u_b');
    if (!b || b.kind !== 'instance') throw new Error('no u_b');
    expect(b.instance.inputs.get('s_axis_in_tvalid')?.toString()).toBe('u_a_m_axis_out_tvalid');
    expect(b.instance.inputs.get('m_axis_out_tready')?.toString()).toBe('m_axis_out_tready');
    const v = emitModule(mod).verilog;
    expect(v).toContain('assign s_axis_in_tready = u_a_s_axis_in_tready;');
    expect(v).toContain('.m_axis_out_tready (u_b_s_axis_in_tready)');
  });

  it('the chain is clean in every tool', async () => {
    await expectToolsClean(chain());
  });

  it('unbound inputs, double binds, wrong ports and mismatched streams are errors', () => {
    const m = new ModuleBuilder('bad', {});
    m.clock();
    const sk = skidBuffer(8);
    expect(() => m.instance('u0', sk, {})).toThrow(/input 's_axis_in_tvalid' .* is not connected \(to connect it later with \.bind\(\), create the instance with \{ bindLater: true \}\)/);
    const u = m.instance('u1', sk, { s_axis_in_tvalid: 0 }, { bindLater: true });
    expect(() => u.bind('s_axis_in_tvalid', 1)).toThrow(/already connected/);
    expect(() => u.bind('nope', 1)).toThrow(/bind\('nope'\): not an input port/);
    expect(() => m.build()).toThrow(/instance 'u1' of 'skid_w8' has unbound inputs s_axis_in_tdata, m_axis_out_tready/);
    const m2 = new ModuleBuilder('bad2', {});
    m2.clock();
    const s16 = streamIn(m2, 'in', uint(16));
    const w = m2.instance('u', sk, {}, { bindLater: true });
    expect(() => connect(m2, s16, { inst: w, bus: 'in' })).toThrow(/stream 'in' of 'bad2' carries uint\(16\), input stream 'in' of instance 'u' takes uint\(8\)/);
    const sl = streamIn(m2, 'l', uint(8), { last: true });
    expect(() => connect(m2, sl, { inst: w, bus: 'in' })).toThrow(/has tlast but input stream 'in' of instance 'u' has no tlast/);
  });
});
