/**
 * Block RAMs, LUTs and flip-flops of every memory shape the chip uses, on iCE40 (yosys synth_ice40) and
 * Xilinx 7-series (synth_xilinx): the figures test/generator/block-rams.test.ts asserts, with the logic
 * around each memory. Run: node bin/run-ts.js bench/memories.ts
 */
import { emitDesign } from '../generator/emit/index.js';
import { ModuleBuilder, uint, type Module } from '../generator/ir/index.js';
import { synthYosys } from '../generator/tools/index.js';
import { bramBanked, bramDualPort, bramSinglePort, fifo } from '../generator/lib/stream/index.js';
import { tableLookup } from '../generator/lib/arith/index.js';
import { chipTables, resolveNumeric } from '../generator/numeric.js';
import { DEFAULT_CHIP } from '../generator/config.js';

const cfg = DEFAULT_CHIP;
const T = chipTables(resolveNumeric(cfg.numeric), cfg.layers[cfg.layers.length - 1]);
let weightDepth = 0;
for (let l = 0; l + 1 < cfg.layers.length; l++) weightDepth += Math.ceil((cfg.layers[l] * cfg.layers[l + 1]) / cfg.lanes);

/** The same memory without a style: what Yosys picks by cost (the single-port 256 × 16 case). */
function unstyled(): Module {
  const m = new ModuleBuilder('sp_w16_d256_nostyle', {});
  m.clock();
  const mem = m.memory('mem', { depth: 256, type: uint(16) });
  const en = m.input('en', uint(1));
  const we = m.input('we', uint(1));
  const addr = m.input('addr', mem.addrType);
  mem.write(addr, m.input('wdata', uint(16)), en.and(we));
  m.output('rdata', mem.readSync('rdata_q', addr, en));
  return m.build();
}

const shapes: [string, Module][] = [
  ['256 × 16 single port (no style: tool choice)', unstyled()],
  ['256 × 16 single port, block', bramSinglePort(16, 256)],
  ['256 × 16 simple dual port, block', bramDualPort(16, 256)],
  [`weight lane ${weightDepth} × 16`, bramDualPort(16, weightDepth)],
  [`weights, 4 of ${cfg.lanes} lanes × 256 × 16 banked`, bramBanked(16, 256, 4)],
  [`working-memory pixels ${cfg.window} banks × ${cfg.layers[0]} × u8`, bramBanked(8, cfg.layers[0], cfg.window)],
  ['block-RAM FIFO 256 × 16', fifo(16, 256, { storage: 'bram' })],
  ...[T.expNeg, T.exp, T.recip, T.rsqrt].map((fn): [string, Module] => [`table ${fn.name}`, tableLookup(fn)]),
];

const sum = (c: Record<string, number>, re: RegExp): number => Object.entries(c).reduce((s, [k, v]) => (re.test(k) ? s + v : s), 0);
console.log('| shape | module | iCE40 SB_RAM40_4K | iCE40 LUT4 / FF | Xilinx RAMB18E1 / RAMB36E1 | Xilinx LUT RAM | Xilinx LUT / FF |');
console.log('|---|---|---|---|---|---|---|');
for (const [what, mod] of shapes) {
  const files = emitDesign(mod).files;
  const [i, x] = await Promise.all([synthYosys(files, mod.name, 'ice40'), synthYosys(files, mod.name, 'xilinx')]);
  if (!i.ok || !x.ok) throw new Error(`${mod.name}: ${[...i.errors, ...x.errors].join('; ')}`);
  console.log(
    `| ${what} | ${mod.name} | ${i.cells.SB_RAM40_4K ?? 0} | ${i.cells.SB_LUT4 ?? 0} / ${sum(i.cells, /^SB_DFF/)} | ` +
      `${x.cells.RAMB18E1 ?? 0} / ${x.cells.RAMB36E1 ?? 0} | ${sum(x.cells, /^RAM\d+X\d+|^RAM\d+M$/)} | ${sum(x.cells, /^LUT\d$/)} / ${sum(x.cells, /^FD/)} |`,
  );
}
