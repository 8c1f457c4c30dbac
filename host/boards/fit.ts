/**
 * Fit check before synthesis: what a ChipConfig needs of a board, counted from the modules the generator
 * builds for it (no tool runs), against what the board has. Milliseconds for the default design.
 *
 *   memories     every memory in the design hierarchy (module path, width × depth, read kind). Registered-read
 *                memories go to block RAM, in as many primitives as the cheapest of the board's depth × width
 *                modes needs (⌈w / mode width⌉ · ⌈d / mode depth⌉), on iCE40 one copy per synchronous read port; a ROM
 *                counts the bits that are not constant over its image. Logic takes: on boards with
 *                logicBitsPerBlock (iCE40, Yosys' memory_libmap cost rule) a memory without ram_style whose
 *                bits are ≤ logicBitsPerBlock × its primitives, and asynchronous reads unless their address is
 *                a register (memory_dff makes those registered); elsewhere memories under logicMaxBits /
 *                logicMaxDepth and asynchronous-read ones (what Yosys does with them). A memory whose ram_style
 *                is 'block' goes to block RAM on every board, however small (Yosys honours the attribute). Memories of
 *                style 'huge' go to the board's single-port RAM (iCE40 UP: SB_SPRAM256KA, ⌈w / 16⌉ · ⌈d / 16K⌉
 *                each) when it has one, else to block RAM like the others.
 *   multipliers  every `mul` (a constant operand counted by its bits without trailing zeros; a power of two is a
 *                shift); DSP tiles per product: iCE40 as Yosys' mul2dsp
 *                splits it for SB_MAC16 (mul2dspTiles: 16-bit slices, slices of 1 bit or under 11 product
 *                bits in logic: 17 × 17 is 1 tile), Xilinx ⌈a / A⌉ · ⌈b / B⌉ with the DSP48E1's 25 × 18;
 *                products of a 1-bit operand or under the board's minProductBits are logic (Yosys's rule).
 *   flip-flops   the register bits of every module (not the memories' read registers) plus, on iCE40, the
 *                memories left to logic, against the board's flip-flops (on iCE40 one logic cell each: a lower
 *                bound on them; Xilinx puts small memories in LUT RAM).
 *   bits         weight bits (Hebbian banks + biases, the output layer's banks + biases) and working-memory
 *                bits (wmBits), for the messages.
 *
 * A config that does not fit is refused by `checkFit` with a message naming each short resource, what is
 * needed, what the board has, and what to change. Synthesis has the last word: the counts are the
 * generator's structure mapped by the rules above, and `ibhebb build` reports what the tools used.
 */
import { width } from '../../generator/fixed/index.js';
import { children, exprKey, walkExpr, type Expr, type Memory, type Module, type Signal, type Stmt } from '../../generator/ir/index.js';
import type { ChipConfig } from '../../generator/config.js';
import { hebbianLayout } from '../../generator/units/hebbian.js';
import { outputLayout } from '../../generator/units/output.js';
import { wmBits } from '../../generator/units/wm.js';
import { chipCore } from '../../generator/boards/core.js';
import type { Board, BlockResource } from './board.js';

export interface MemoryUse {
  path: string;
  width: number;
  depth: number;
  kind: 'block' | 'logic' | 'spram';
  /** primitives of the board's block RAM */
  blocks: number;
  /** primitives of the board's single-port RAM (style 'huge') */
  sprams: number;
}

export interface MulUse {
  path: string;
  a: number;
  b: number;
  tiles: number;
}

export interface FitLine {
  resource: string;
  needed: number;
  available: number;
  ok: boolean;
  advice: string;
}

export interface FitReport {
  board: string;
  fits: boolean;
  lines: FitLine[];
  memories: MemoryUse[];
  multipliers: MulUse[];
  weightBits: number;
  wmBits: number;
  lanes: number;
}

function* stmtExprs(s: Stmt): Generator<Expr> {
  if (s.kind === 'set') yield s.value;
  else if (s.kind === 'if') {
    yield s.cond;
    for (const t of [...s.then, ...s.else]) yield* stmtExprs(t);
  } else {
    yield s.sel;
    for (const c of s.cases) for (const t of c.body) yield* stmtExprs(t);
    for (const t of s.dflt ?? []) yield* stmtExprs(t);
  }
}

function moduleExprs(m: Module): Expr[] {
  const out: Expr[] = [];
  for (const it of m.items) {
    if (it.kind === 'assign') out.push(it.value);
    else if (it.kind === 'process') for (const s of it.process.body) out.push(...stmtExprs(s));
    else if (it.kind === 'instance') out.push(...it.instance.inputs.values());
  }
  for (const mem of m.memories) {
    for (const w of mem.writes) out.push(w.addr, w.data);
  }
  return out;
}

/** Primitives of a block resource for a width × depth memory: the cheapest of its depth × width modes. */
function primitivesFor(r: BlockResource, w: number, d: number): number {
  return Math.min(...r.shapes.map(([md, mw]) => Math.ceil(w / mw) * Math.ceil(d / md)));
}

/** Block-RAM primitives for a width × depth memory: the cheapest of the board's modes. */
export function blocksFor(board: Board, w: number, d: number): number {
  return primitivesFor(board.resources.bram, w, d);
}

function dspOperands(board: Board): [number, number] {
  const m = /^(\d+)x(\d+)$/.exec(board.resources.dsp.width);
  if (!m) throw new Error(`${board.name}: resources.dsp.width '${board.resources.dsp.width}' must read AxB`);
  return [Number(m[1]), Number(m[2])];
}

/**
 * SB_MAC16 tiles of an a × b product whose low y bits are used, as Yosys' synth_ice40 -dsp splits it
 * (techmap mul2dsp.v with A, B ≤ 16, A, B ≥ 2 and Y ≥ 11 bits per DSP): the wider operand is cut into
 * 16-bit slices and the last slice takes the rest; each slice is split the same way along the other
 * operand; a slice with an operand under 2 bits or a product under 11 bits is logic, and a slice whose
 * product lands wholly above the y used bits is removed. A 17 × 17 product is one tile (16 × 16) and three
 * small products in logic, not four tiles.
 *
 * `headroom` is the sign bit mul2dsp keeps free in every slice but the last when the DSP multiplies signed
 * operands only (synth_xilinx: DSP_SIGNEDONLY): the DSP48E1's 25 × 18 then takes 24- and 17-bit slices, so a
 * 31 × 25 product is 2 × 2 tiles, not the 2 that 31 along the 18-bit port and 25 along the 25-bit one would need
 * (mul2dsp always puts the wider operand on the A port).
 */
export function mul2dspTiles(a: number, b: number, y: number, A: number, B: number, minY: number, headroom = 0): number {
  const tiles = (a: number, b: number, yw: number, shift: number, swap: boolean): number => {
    if (shift >= y || a < 2 || b < 2 || yw < minY) return 0;
    if (swap && a < b) return tiles(b, a, yw, shift, false);
    // slice the operand that is too wide (A first, as mul2dsp does): n full slices and the rest
    const alongA = a > A;
    if (!alongA && b <= B) return 1;
    const [w, W, other] = alongA ? [a, A, b] : [b, B, a];
    // n slices of W − headroom data bits (the port's width with the headroom zero-filled), the last the rest
    const S = W - headroom;
    const n = Math.floor((w - headroom - 1) / S);
    const last = w - n * S;
    const piece = (sw: number, sy: number, at: number) => (alongA ? tiles(sw, other, sy, at, false) : tiles(other, sw, sy, at, false));
    let t = piece(last, other + last, shift + n * S);
    for (let i = 0; i < n; i++) t += piece(W, Math.min(yw, other + W), shift + i * S);
    return t;
  };
  return tiles(a, b, y, 0, true);
}

/**
 * Bits a constant operand keeps in synthesis: its magnitude without trailing zero bits (Yosys shifts those
 * out), plus a sign bit when signed; 0 for 0 and powers of two (a shift, no multiplier).
 */
function constOperandBits(e: Expr): number {
  if (e.node.op !== 'const') return e.width;
  const raw = e.node.value;
  const v = e.signed ? BigInt.asIntN(e.width, raw) : BigInt.asUintN(e.width, raw);
  let m = v < 0n ? -v : v;
  if (m === 0n) return 0;
  while ((m & 1n) === 0n) m >>= 1n;
  if (m === 1n) return 0;
  return m.toString(2).length + (e.signed ? 1 : 0);
}

/** Per product in `exprs`: the low bits used (a product read only through a slice from bit 0 uses hi + 1). */
function usedProductBits(exprs: Expr[]): Map<Expr, number> {
  const used = new Map<Expr, number>();
  const seen = new Set<Expr>();
  const visit = (e: Expr): void => {
    if (seen.has(e)) return;
    seen.add(e);
    for (const c of children(e)) {
      if (c.node.op === 'mul') {
        const n = e.node;
        const bits = n.op === 'slice' && n.lo === 0 ? n.hi + 1 : c.width;
        used.set(c, Math.max(used.get(c) ?? 0, bits));
      }
      visit(c);
    }
  };
  for (const e of exprs) {
    if (e.node.op === 'mul') used.set(e, e.width);
    visit(e);
  }
  return used;
}

/** Bits of an operand that carry information: a sign or zero extension adds none (synthesis drops them). */
function significant(e: Expr, regs?: ReadonlyMap<Signal, number>): number {
  const n = e.node;
  if (n.op === 'const') return constOperandBits(e);
  if (n.op === 'extend' || n.op === 'cast') return Math.min(e.width, significant(n.a, regs));
  if (n.op === 'ref' && regs?.has(n.sig)) return Math.min(e.width, regs.get(n.sig) as number);
  return e.width;
}

/**
 * Per register of a module: the bits its values carry, the most any seq process sets it to (a register that
 * only ever takes a sign- or zero-extended value holds copies of one bit above it, which synthesis merges:
 * the Hebbian unit keeps its S2 weight sign-extended to the simulator's word for the forward product).
 */
function registerValueBits(m: Module): Map<Signal, number> {
  const bits = new Map<Signal, number>();
  const walk = (stmts: readonly Stmt[]): void => {
    for (const st of stmts) {
      if (st.kind === 'set') {
        if (st.target.kind === 'reg') bits.set(st.target, Math.max(bits.get(st.target) ?? 0, significant(st.value)));
      } else if (st.kind === 'if') {
        walk(st.then);
        walk(st.else);
      } else {
        for (const c of st.cases) walk(c.body);
        if (st.dflt) walk(st.dflt);
      }
    }
  };
  for (const it of m.items) if (it.kind === 'process' && it.process.kind === 'seq') walk(it.process.body);
  return bits;
}

/** A ROM's width as synthesis keeps it: the bit positions that are not the same in every word of its image. */
function romWidth(mem: Memory): number | null {
  if (mem.writes.length > 0 || !mem.init || mem.init.length === 0) return null;
  const mask = (1n << BigInt(mem.type.width)) - 1n;
  let ones = mask;
  let zeros = mask;
  for (const v of mem.init) {
    const u = BigInt.asUintN(mem.type.width, v);
    ones &= u;
    zeros &= ~u & mask;
  }
  let varying = 0;
  for (let b = 0n, c = mask & ~(ones | zeros); c > 0n; b++, c >>= 1n) varying += Number(c & 1n);
  return Math.max(varying, 1);
}

/** Per memory of `m`: how many of its asynchronous reads have a register (or a wire of one) as the address. */
function registeredAsyncReads(m: Module): Map<string, number> {
  const wireOf = new Map<Signal, Expr>();
  for (const it of m.items) if (it.kind === 'assign') wireOf.set(it.target, it.value);
  const isReg = (e: Expr, depth = 0): boolean => {
    const n = e.node;
    if (n.op !== 'ref') return false;
    if (n.sig.kind === 'reg') return true;
    const v = wireOf.get(n.sig);
    return n.sig.kind === 'wire' && v !== undefined && depth < 4 && isReg(v, depth + 1);
  };
  const counts = new Map<string, number>();
  const seen = new Set<Expr>();
  for (const e of moduleExprs(m)) {
    walkExpr(e, (x) => {
      const n = x.node;
      if (n.op !== 'memread' || seen.has(x)) return;
      seen.add(x);
      if (isReg(n.addr)) counts.set(n.mem.name, (counts.get(n.mem.name) ?? 0) + 1);
    });
  }
  return counts;
}

/** Walks the hierarchy under `top`: its memories and multipliers with the board's mapping. */
export function inventory(top: Module[], board: Board): { memories: MemoryUse[]; multipliers: MulUse[]; registerBits: number } {
  const memories: MemoryUse[] = [];
  const multipliers: MulUse[] = [];
  let registerBits = 0;
  const [A, B] = dspOperands(board);
  const visit = (m: Module, path: string): void => {
    // registers, except the memories' read registers (they are the block RAMs' own)
    const memRegs = new Set<Signal>();
    for (const mem of m.memories) for (const r of mem.syncReads) for (const t of [r.target, r.outReg]) if (t) memRegs.add(t);
    for (const sig of m.signals) if (sig.kind === 'reg' && !memRegs.has(sig)) registerBits += sig.width;
    const regAddrReads = registeredAsyncReads(m);
    for (const mem of m.memories) {
      const w = romWidth(mem) ?? mem.type.width;
      const d = mem.depth;
      const br = board.resources.bram;
      const sp = board.resources.spram;
      if (mem.style === 'huge' && sp) {
        memories.push({ path: `${path}.${mem.name}`, width: w, depth: d, kind: 'spram', blocks: 0, sprams: primitivesFor(sp, w, d) });
        continue;
      }
      // reads Yosys can make registered: synchronous ones, and asynchronous ones at a register's address
      // (memory_dff moves the address register into the read port)
      const registered = mem.syncReads.length > 0 ? mem.asyncReads === 0 : mem.asyncReads > 0 && regAddrReads.get(mem.name) === mem.asyncReads;
      // iCE40: Yosys gives each synchronous read port a copy of the memory
      const n = blocksFor(board, w, d) * (br.logicBitsPerBlock !== undefined ? Math.max(1, mem.syncReads.length) : 1);
      // a ram_style decides on both families (Yosys honours it); without one, the board's rule
      const small =
        mem.style === 'block'
          ? false
          : br.logicBitsPerBlock !== undefined
            ? mem.style === null && w * d <= br.logicBitsPerBlock * n
            : mem.asyncReads > 0 || w * d <= (br.logicMaxBits ?? 0) || d <= (br.logicMaxDepth ?? 0);
      const block = registered && (!small || mem.style === 'huge');
      memories.push({ path: `${path}.${mem.name}`, width: w, depth: d, kind: block ? 'block' : 'logic', blocks: block ? n : 0, sprams: 0 });
    }
    const exprs = moduleExprs(m);
    const used = usedProductBits(exprs);
    const regs = registerValueBits(m);
    // a product written out once per use (the output layer's lane product, the Gram PE's square) is one
    // multiplier: synthesis merges structurally equal cells, so they count once
    const counted = new Set<string>();
    for (const e of exprs) {
      walkExpr(e, (x) => {
        const n = x.node;
        // mulWrap: the product modulo 2^width (the simulator's whole-word product): the low bits only
        if (n.op !== 'mul' && n.op !== 'mulWrap') return;
        const key = exprKey(x);
        if (counted.has(key)) return;
        counted.add(key);
        const ice40 = board.family === 'ice40';
        // Yosys maps products by a constant to DSPs too, on both families (synth_xilinx of the default design:
        // 209 DSP48E1 where the count without them said 202 and with them 209); lib/arith/constmul.ts writes
        // a product by a constant as shifts and adds where no tile should go to it
        const [a, b] = [constOperandBits(n.a) && significant(n.a, regs), constOperandBits(n.b) && significant(n.b, regs)].sort((p, q) => q - p);
        if (b < 2 || a + b < board.resources.dsp.minProductBits) return;
        // Xilinx: mul2dsp with signed-only DSPs (a sign bit of headroom per slice); every slice counted, as
        // synth_xilinx keeps them (the default design: 189 DSP48E1, the count 189)
        const unsignedBit = n.a.signed ? 0 : 1;
        const tiles = ice40
          ? mul2dspTiles(a, b, Math.min(used.get(x) ?? x.width, a + b), A, B, board.resources.dsp.minProductBits)
          : // an unsigned product's operands take a zero sign bit each on the signed-only DSP48E1 (25 × 18
            // unsigned: 26 × 19, 4 tiles); both operands of an IR product have one signedness
            mul2dspTiles(a + unsignedBit, b + unsignedBit, a + b, A, B, 0, 1);
        if (tiles > 0) multipliers.push({ path, a, b, tiles });
      });
    }
    for (const it of m.items) if (it.kind === 'instance') visit(it.instance.module, `${path}.${it.instance.name}`);
  };
  for (const m of top) visit(m, m.name);
  return { memories, multipliers, registerBits };
}

/** Weight bits of the chip: the Hebbian unit's banks and biases plus the output layer's. */
export function weightBitsOf(cfg: ChipConfig): number {
  const h = hebbianLayout(cfg);
  const o = outputLayout(cfg);
  const wW = width(h.N.weight.format);
  const wB = width(h.N.bias.format);
  return h.weightBits + h.biasDepth * wB + o.lanes * o.depth * wW + o.C * wB;
}

/** DSP tiles per module path, largest first ("path tiles"). */
function tilesByModule(muls: MulUse[]): string[] {
  const by = new Map<string, number>();
  for (const m of muls) by.set(m.path, (by.get(m.path) ?? 0) + m.tiles);
  return [...by].sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${n}`);
}

const fmtBits = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} Mbit` : `${(b / 1024).toFixed(1)} kbit`);

export function fitReport(cfg: ChipConfig, board: Board, top: Module[] = chipCore(cfg)): FitReport {
  const { memories, multipliers, registerBits } = inventory(top, board);
  const wBits = weightBitsOf(cfg);
  const wm = wmBits(cfg).total;
  const R = board.resources;
  const blocks = memories.reduce((a, m) => a + m.blocks, 0);
  const tiles = multipliers.reduce((a, m) => a + m.tiles, 0);
  const blockBits = R.bram.count * R.bram.bits;
  const biggest = [...memories].sort((p, q) => q.blocks - p.blocks).slice(0, 3).map((m) => `${m.path} ${m.depth}×${m.width}: ${m.blocks}`);
  const sprams = memories.reduce((a, m) => a + m.sprams, 0);
  const spramNote = R.spram
    ? ` The ${R.spram.count} ${R.spram.name} (${fmtBits(R.spram.count * R.spram.bits)}) hold only memories of style 'huge' (single port: read and write in different cycles); ${sprams} used.`
    : '';
  const lines: FitLine[] = [
    {
      resource: `block RAM (${R.bram.name})`,
      needed: blocks,
      available: R.bram.count,
      ok: blocks <= R.bram.count,
      advice:
        `weights ${fmtBits(wBits)}, working memory ${fmtBits(wm)}, block RAM on the board ${fmtBits(blockBits)}; largest: ${biggest.join(', ')}. ` +
        `Fewer hidden units (layers), a shorter window, narrower weight/windowZ formats (numeric.weight.format, numeric.windowZ.format), or fewer lanes (each lane is a bank of its own).${spramNote}`,
    },
    {
      resource: `DSP (${R.dsp.name} ${R.dsp.width})`,
      needed: tiles,
      available: R.dsp.count,
      ok: tiles <= R.dsp.count,
      advice: `${multipliers.length} multipliers; most tiles: ${tilesByModule(multipliers).slice(0, 4).join(', ')} (${cfg.lanes} lanes: the Hebbian unit has two per lane, the output layer one; the Gram array ${cfg.gram.rows}×${cfg.gram.cols}). Fewer lanes, a smaller gram {rows, cols}, or narrower formats.`,
    },
  ];
  // flip-flops: the registers plus, on iCE40 (no LUT RAM), the memories left to logic (Yosys makes them
  // flip-flops; Xilinx makes them LUT RAM); on iCE40 each takes a logic cell of its own, so this is also a
  // lower bound on the logic cells
  const logicMemBits = board.family === 'ice40' ? memories.filter((m) => m.kind === 'logic').reduce((a, m) => a + m.width * m.depth, 0) : 0;
  const ffs = registerBits + logicMemBits;
  lines.push({
    resource: 'flip-flops',
    needed: ffs,
    available: R.ff,
    ok: ffs <= R.ff,
    advice: `${registerBits} register bits${board.family === 'ice40' ? ` and ${logicMemBits} bits of memories in logic (one ${R.logic.name} each, besides the LUTs the fit check does not count)` : ''}. Fewer or narrower units, fewer lanes, or a larger part.`,
  });
  if (R.spram) {
    const largest = memories.filter((m) => m.kind === 'spram').sort((p, q) => q.sprams - p.sprams).slice(0, 3).map((m) => `${m.path} ${m.depth}×${m.width}: ${m.sprams}`);
    lines.push({
      resource: `single-port RAM (${R.spram.name})`,
      needed: sprams,
      available: R.spram.count,
      ok: sprams <= R.spram.count,
      advice: `memories of style 'huge'${largest.length ? `; largest: ${largest.join(', ')}` : ''}. Fewer or narrower weights, or some of them in block RAM.`,
    });
  }
  return { board: board.name, fits: lines.every((l) => l.ok), lines, memories, multipliers, weightBits: wBits, wmBits: wm, lanes: cfg.lanes };
}

export class FitError extends Error {
  constructor(
    message: string,
    readonly report: FitReport,
  ) {
    super(message);
    this.name = 'FitError';
  }
}

/** The report, or a FitError naming every short resource: needed, available, what to change. */
export function checkFit(cfg: ChipConfig, board: Board, top?: Module[]): FitReport {
  return refuseShort(fitReport(cfg, board, top), board);
}

/** `r` when it fits, else a FitError naming every short resource. */
export function refuseShort(r: FitReport, board: Board): FitReport {
  if (r.fits) return r;
  const bad = r.lines.filter((l) => !l.ok).map((l) => `${l.resource}: needs ${l.needed}, ${board.name} has ${l.available}. ${l.advice}`);
  throw new FitError(`config does not fit ${board.title}:\n  ${bad.join('\n  ')}`, r);
}

/** One board's verdict for a config, resource by resource (needed / available): what a sweep records. */
export interface BoardFit {
  board: string;
  fits: boolean;
  resources: { resource: string; needed: number; available: number }[];
}

/** The fit check of one config against every board (the chip top built once). */
export function boardFits(cfg: ChipConfig, boards: Board[]): BoardFit[] {
  const top = chipCore(cfg);
  return boards.map((b) => {
    const r = fitReport(cfg, b, top);
    return { board: r.board, fits: r.fits, resources: r.lines.map(({ resource, needed, available }) => ({ resource, needed, available })) };
  });
}

/** One line for a table cell: `arty-a7-100t fits (block RAM (RAMB18E1) 135/270, …); icebreaker refused (…)`. */
export function boardFitText(fits: BoardFit[]): string {
  return fits
    .map((f) => `${f.board} ${f.fits ? 'fits' : 'refused'} (${f.resources.map((r) => `${r.resource} ${r.needed}/${r.available}`).join(', ')})`)
    .join('; ');
}
