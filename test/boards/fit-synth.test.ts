/**
 * The fit check against Yosys: modules with multipliers and memories of the shapes the units use are
 * synthesized with synth_ice40 -dsp (and the memories with synth_xilinx), and the SB_MAC16 / SB_RAM40_4K /
 * SB_SPRAM256KA / RAMB18E1 cells Yosys makes equal what the fit check's inventory counts for them
 * (bench/ice40-fit.ts compares the whole board core).
 */
import { describe, expect, it } from 'vitest';
import { emitDesign } from '../../generator/emit/index.js';
import { ModuleBuilder, constant, sint, uint, type Module } from '../../generator/ir/index.js';
import { fifo } from '../../generator/lib/stream/fifo.js';
import { synthYosys } from '../../generator/tools/index.js';
import { hebbian } from '../../generator/units/hebbian.js';
import { loadBoard } from '../../host/boards/board.js';
import { fitReport, inventory, mul2dspTiles } from '../../host/boards/fit.js';
import { unitConfig } from '../units/hebbian-cosim.js';

const ice = loadBoard('icebreaker');

async function cells(mod: Module): Promise<Readonly<Record<string, number>>> {
  const r = await synthYosys(emitDesign(mod).files, mod.name, 'ice40-dsp');
  expect(r.ok, r.errors.join('\n')).toBe(true);
  return r.cells;
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('fit check against synth_ice40 -dsp', () => {
  it('splits products as mul2dsp does: 16-bit slices, slices under 2 bits or 11 product bits in logic', () => {
    expect(mul2dspTiles(17, 17, 34, 16, 16, 11)).toBe(1);
    expect(mul2dspTiles(24, 17, 41, 16, 16, 11)).toBe(2);
    expect(mul2dspTiles(37, 18, 55, 16, 16, 11)).toBe(5);
    expect(mul2dspTiles(16, 9, 25, 16, 16, 11)).toBe(1);
    expect(mul2dspTiles(8, 2, 10, 16, 16, 11)).toBe(0);
    expect(mul2dspTiles(32, 30, 64, 16, 16, 11)).toBe(4);
    expect(mul2dspTiles(32, 30, 32, 16, 16, 11)).toBe(3); // the high slice of the high slice lands above bit 32
  });

  it('counts the SB_MAC16 tiles Yosys makes of products the units have (signed, by constants, truncated)', async () => {
    const shapes: [number, number][] = [
      [17, 17],
      [24, 17],
      [37, 18],
      [21, 7],
      [17, 9],
      [34, 18],
      [25, 21],
      [20, 20],
      [31, 25],
    ];
    const m = new ModuleBuilder('mul_shapes');
    m.clock();
    shapes.forEach(([a, b], i) => {
      const x = m.input(`a${i}`, sint(a));
      const y = m.input(`b${i}`, sint(b));
      const p = m.reg(`p${i}_q`, sint(a + b), { reset: null });
      m.seq(`p${i}`, ($) => $.set(p, x.mul(y)));
      m.output(`p${i}`, p);
    });
    // products by constants (Yosys maps them to DSPs too; trailing zero bits are a shift, a power of two no
    // multiplier) and a product of which only the low 32 bits are used (slices above them are removed)
    const consts: [string, number, bigint, number | null, number][] = [
      ['by3', 16, 3n, null, 1],
      ['by_0x29cbc', 20, 0x29cbcn, null, 2],
      ['hash32', 32, 0x21f0aaadn, 32, 3],
      ['by8', 16, 8n, null, 0],
    ];
    for (const [name, w, c, keep] of consts) {
      const x = m.input(`${name}_x`, uint(w));
      const cw = c.toString(2).length;
      const full = x.mul(constant(c, uint(cw)));
      const p = keep === null ? full : full.trunc(keep);
      const r = m.reg(`${name}_q`, uint(p.width), { reset: null });
      m.seq(name, ($) => $.set(r, p));
      m.output(name, r);
    }
    const mod = m.build();
    const inv = inventory([mod], ice);
    expect(inv.multipliers.length).toBe(shapes.length + consts.filter((c) => c[4] > 0).length);
    const tiles = sum(inv.multipliers.map((x) => x.tiles));
    expect(tiles).toBe(1 + 2 + 5 + 2 + 1 + 5 + 4 + 3 + 4 + sum(consts.map((c) => c[4])));
    expect((await cells(mod)).SB_MAC16 ?? 0).toBe(tiles);
  }, 300_000);

  it('counts a whole-word product (mulWrap) of a register held sign-extended as the product of the bits it carries', async () => {
    // the Hebbian unit's forward product: the S2 weight held sign-extended to 64 bits, times h, modulo 2^64,
    // of which the lane sum reads the low 32 bits (a 16 × 16 product: one tile, not the 64-bit operand's four)
    const m = new ModuleBuilder('mulwrap_shape');
    m.clock();
    const en = m.input('en', uint(1));
    const w = m.input('w', sint(16));
    const h = m.input('h', sint(16));
    const wn = m.reg('wn_q', sint(64), { reset: null });
    m.seq('wn_q', ($) => $.if(en, () => $.set(wn, w.sext(64))));
    const p = m.reg('p_q', sint(32), { reset: null });
    m.seq('p_q', ($) => $.set(p, wn.mulWrap(h.sext(64)).trunc(32)));
    m.output('p', p);
    const mod = m.build();
    const inv = inventory([mod], ice);
    expect(inv.multipliers.map((x) => [x.a, x.b, x.tiles])).toEqual([[16, 16, 1]]);
    expect((await cells(mod)).SB_MAC16 ?? 0).toBe(1);
  }, 300_000);

  it('counts the SB_RAM40_4K Yosys makes of small, styled, read-ahead and ROM memories', async () => {
    const m = new ModuleBuilder('mem_shapes');
    m.clock();
    const we = m.input('we', uint(1));
    const wa = m.input('wa', uint(4));
    const ra = m.input('ra', uint(4));
    const wd = m.input('wd', uint(40));
    const mk = (name: string, depth: number, w: number, style?: 'block') => {
      const mem = m.memory(name, { depth, type: uint(w), ...(style ? { style } : {}) });
      const aw = mem.addrType.width;
      mem.write(wa.resize(aw), wd.trunc(w), we);
      return { mem, aw };
    };
    // sync reads: 6 × 17 styled block (2 EBR), 10 × 16 unstyled (160 bits > 64: 1 EBR), 4 × 21 unstyled (84 ≤ 128: logic)
    for (const [name, depth, w, style] of [
      ['styled_6x17', 6, 17, 'block'],
      ['plain_10x16', 10, 16, undefined],
      ['plain_4x21', 4, 21, undefined],
    ] as const) {
      const { mem, aw } = mk(name, depth, w, style);
      m.output(`${name}_rd`, mem.readSync(`${name}_q`, ra.resize(aw)));
    }
    // asynchronous reads at a register's address: 16 × 17 (272 > 128 bits: 2 EBR), 4 × 40 (160 ≤ 192: logic)
    const raQ = m.reg('ra_q', uint(4), { reset: 0 });
    m.seq('ra_q', ($) => $.set(raQ, ra));
    for (const [name, depth, w] of [
      ['ahead_16x17', 16, 17],
      ['ahead_4x40', 4, 40],
    ] as const) {
      const { mem, aw } = mk(name, depth, w);
      m.output(`${name}_rd`, m.wire(`${name}_head`, mem.readAsync(raQ.resize(aw))));
    }
    // a ROM of 16 × 17 whose top bit is 0 in every word: 16 bits wide after synthesis, 1 EBR
    const rom = m.memory('rom_16x17', { depth: 16, type: uint(17), init: Array.from({ length: 16 }, (_, i) => (i * 4099) % 65536), style: 'block' });
    m.output('rom_rd', rom.readSync('rom_q', ra));
    // a 16-deep LUT FIFO of 16-bit words (the units' output queues)
    const q = fifo(16, 16, { last: true });
    const qi = m.instance('u_q', q, { s_axis_in_tvalid: we, s_axis_in_tdata: wd.trunc(16), s_axis_in_tlast: we, m_axis_out_tready: m.input('q_ready', uint(1)) });
    for (const p of ['m_axis_out_tvalid', 'm_axis_out_tdata', 'm_axis_out_tlast', 's_axis_in_tready', 'count']) m.output(`q_${p}`, qi.out(p));
    const mod = m.build();
    const inv = inventory([mod], ice);
    const blocks = Object.fromEntries(inv.memories.map((x) => [x.path.replace(/^mem_shapes\./, ''), x.blocks]));
    expect(blocks).toEqual({ styled_6x17: 2, plain_10x16: 1, plain_4x21: 0, ahead_16x17: 2, ahead_4x40: 0, rom_16x17: 1, 'u_q.mem': 2 });
    expect((await cells(mod)).SB_RAM40_4K ?? 0).toBe(sum(Object.values(blocks)));
  }, 300_000);

  it('counts the block RAMs synth_xilinx makes: a ram_style of block wins at any size, unstyled memories up to 128 words go to LUT RAM', async () => {
    const arty = loadBoard('arty-a7-100t');
    const m = new ModuleBuilder('xmem_shapes');
    m.clock();
    const we = m.input('we', uint(1));
    const wa = m.input('wa', uint(8));
    const ra = m.input('ra', uint(8));
    const wd = m.input('wd', uint(20));
    // the chip's shapes: a styled 28 × 17 and 8 × 20 (working-memory K and row sums), a styled 64 × 16 table,
    // unstyled 80 × 16 and 128 × 17 (output and modulator buffers: LUT RAM), an unstyled 192 × 16 (δ: a RAMB18E1)
    const shapes = [
      ['styled_28x17', 28, 17, 'block'],
      ['styled_8x20', 8, 20, 'block'],
      ['styled_64x16', 64, 16, 'block'],
      ['plain_80x16', 80, 16, undefined],
      ['plain_128x17', 128, 17, undefined],
      ['plain_192x16', 192, 16, undefined],
    ] as const;
    for (const [name, depth, w, style] of shapes) {
      const mem = m.memory(name, { depth, type: uint(w), ...(style ? { style } : {}) });
      const aw = mem.addrType.width;
      mem.write(wa.resize(aw), wd.trunc(w), we);
      m.output(`${name}_rd`, mem.readSync(`${name}_q`, ra.resize(aw)));
    }
    const mod = m.build();
    const blocks = Object.fromEntries(inventory([mod], arty).memories.map((x) => [x.path.replace(/^xmem_shapes\./, ''), x.blocks]));
    expect(blocks).toEqual({ styled_28x17: 1, styled_8x20: 1, styled_64x16: 1, plain_80x16: 0, plain_128x17: 0, plain_192x16: 1 });
    const r = await synthYosys(emitDesign(mod).files, mod.name, 'xilinx');
    expect(r.ok, r.errors.join('\n')).toBe(true);
    expect((r.cells.RAMB18E1 ?? 0) + 2 * (r.cells.RAMB36E1 ?? 0)).toBe(sum(Object.values(blocks)));
  }, 300_000);

  it('counts the DSP48E1 tiles synth_xilinx makes: the wider operand on the 25-bit port, 24- and 17-bit slices (a sign bit of headroom)', async () => {
    const arty = loadBoard('arty-a7-100t');
    expect(mul2dspTiles(31, 25, 56, 25, 18, 0, 1)).toBe(4); // the modulator's (m·x − Σ)·s⁻¹: 2 slices along each operand
    expect(mul2dspTiles(35, 17, 52, 25, 18, 0, 1)).toBe(2);
    expect(mul2dspTiles(25, 18, 43, 25, 18, 0, 1)).toBe(1);
    expect(mul2dspTiles(26, 18, 44, 25, 18, 0, 1)).toBe(2);
    const m = new ModuleBuilder('xmul_shapes');
    m.clock();
    // signed shapes of the units (Hebbian 17 × 16, modulator 24 × 17, 35 × 17, 38 × 16, 26 × 16, 31 × 25,
    // LayerNorm 22 × 22) and unsigned ones (Yosys makes them signed with one more bit)
    const shapes: [number, number, boolean][] = [
      [17, 16, true],
      [24, 17, true],
      [35, 17, true],
      [38, 16, true],
      [26, 16, true],
      [31, 25, true],
      [22, 22, true],
      [24, 17, false],
      [25, 18, false],
    ];
    shapes.forEach(([a, b, signed], i) => {
      const t = signed ? sint : uint;
      const x = m.input(`a${i}`, t(a));
      const y = m.input(`b${i}`, t(b));
      const p = m.reg(`p${i}_q`, t(a + b), { reset: null });
      m.seq(`p${i}`, ($) => $.set(p, x.mul(y)));
      m.output(`p${i}`, p);
    });
    const mod = m.build();
    const tiles = sum(inventory([mod], arty).multipliers.map((x) => x.tiles));
    const r = await synthYosys(emitDesign(mod).files, mod.name, 'xilinx');
    expect(r.ok, r.errors.join('\n')).toBe(true);
    expect(r.cells.DSP48E1 ?? 0).toBe(tiles);
  }, 300_000);

  it("the Hebbian unit with weightMemory 'spram': 2 SB_SPRAM256KA per lane, its block RAMs and DSPs as counted", async () => {
    const cfg = { ...unitConfig([64, 16, 4], 2), weightMemory: 'spram' as const };
    const mod = hebbian(cfg);
    const inv = inventory([mod], ice);
    const c = await cells(mod);
    expect(c.SB_SPRAM256KA ?? 0).toBe(4);
    expect(sum(inv.memories.map((x) => x.sprams))).toBe(4);
    expect(c.SB_RAM40_4K ?? 0).toBe(sum(inv.memories.map((x) => x.blocks)));
    expect(c.SB_MAC16 ?? 0).toBe(sum(inv.multipliers.map((x) => x.tiles)));
    // flip-flops: the fit check's register bits (plus memories in logic) within 10 % of what Yosys keeps (7 % under here:
    // Yosys adds some of its own; on the whole board core of boards/icebreaker/chip.json 1 %, bench/ice40-fit.ts)
    const ffs = sum(Object.entries(c).filter(([k]) => /^SB_DFF/.test(k)).map(([, v]) => v));
    const line = fitReport(cfg, ice, [mod]).lines.find((l) => l.resource === 'flip-flops');
    expect(Math.abs((line?.needed ?? 0) - ffs) / ffs, `fit ${line?.needed}, Yosys ${ffs}`).toBeLessThan(0.1);
  }, 600_000);
});
