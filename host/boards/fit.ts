/**
 * Fit check before synthesis: what a ChipConfig needs of a board, counted from the modules the generator
 * builds for it (no tool runs), against what the board has. Milliseconds for the default design.
 *
 *   memories     every memory in the design hierarchy (module path, width × depth, read kind). Registered-read
 *                memories go to block RAM, in as many primitives as the cheapest of the board's depth × width
 *                modes needs (⌈w / mode width⌉ · ⌈d / mode depth⌉); memories under the board's logicMaxBits /
 *                logicMaxDepth and asynchronous-read ones go to logic (what Yosys does with them). Memories of
 *                style 'huge' go to the board's single-port RAM (iCE40 UP: SB_SPRAM256KA, ⌈w / 16⌉ · ⌈d / 16K⌉
 *                each) when it has one, else to block RAM like the others.
 *   multipliers  every `mul` of two non-constant operands; DSP tiles per product: ⌈a / A⌉ · ⌈b / B⌉ with the
 *                board's DSP operand widths (16 × 16 SB_MAC16, 25 × 18 DSP48E1); products of a 1-bit
 *                operand or under the board's minProductBits are logic (Yosys's rule).
 *   bits         weight bits (Hebbian banks + biases, the output layer's banks + biases) and working-memory
 *                bits (wmBits), for the messages.
 *
 * A config that does not fit is refused by `checkFit` with a message naming each short resource, what is
 * needed, what the board has, and what to change. Synthesis has the last word: the counts are the
 * generator's structure mapped by the rules above, and `ibhebb build` reports what the tools used.
 */
import { width } from '../../generator/fixed/index.js';
import { walkExpr, type Expr, type Module, type Stmt } from '../../generator/ir/index.js';
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

/** Bits of an operand that carry information: a sign or zero extension adds none (synthesis drops them). */
function significant(e: Expr): number {
  return e.node.op === 'extend' ? significant(e.node.a) : e.width;
}

/** Walks the hierarchy under `top`: its memories and multipliers with the board's mapping. */
export function inventory(top: Module[], board: Board): { memories: MemoryUse[]; multipliers: MulUse[] } {
  const memories: MemoryUse[] = [];
  const multipliers: MulUse[] = [];
  const [A, B] = dspOperands(board);
  const visit = (m: Module, path: string): void => {
    for (const mem of m.memories) {
      const w = mem.type.width;
      const d = mem.depth;
      const br = board.resources.bram;
      const small = w * d <= (br.logicMaxBits ?? 0) || d <= (br.logicMaxDepth ?? 0);
      const sp = board.resources.spram;
      if (mem.style === 'huge' && sp) {
        memories.push({ path: `${path}.${mem.name}`, width: w, depth: d, kind: 'spram', blocks: 0, sprams: primitivesFor(sp, w, d) });
        continue;
      }
      const block = mem.syncReads.length > 0 && mem.asyncReads === 0 && (!small || mem.style === 'huge');
      memories.push({ path: `${path}.${mem.name}`, width: w, depth: d, kind: block ? 'block' : 'logic', blocks: block ? blocksFor(board, w, d) : 0, sprams: 0 });
    }
    for (const e of moduleExprs(m)) {
      walkExpr(e, (x) => {
        const n = x.node;
        if (n.op !== 'mul' || n.a.node.op === 'const' || n.b.node.op === 'const') return;
        const [a, b] = [significant(n.a), significant(n.b)].sort((p, q) => q - p);
        if (b < 2 || a + b < board.resources.dsp.minProductBits) return;
        const tiles = Math.min(Math.ceil(a / A) * Math.ceil(b / B), Math.ceil(a / B) * Math.ceil(b / A));
        multipliers.push({ path, a, b, tiles });
      });
    }
    for (const it of m.items) if (it.kind === 'instance') visit(it.instance.module, `${path}.${it.instance.name}`);
  };
  for (const m of top) visit(m, m.name);
  return { memories, multipliers };
}

/** Weight bits of the chip: the Hebbian unit's banks and biases plus the output layer's. */
export function weightBitsOf(cfg: ChipConfig): number {
  const h = hebbianLayout(cfg);
  const o = outputLayout(cfg);
  const wW = width(h.N.weight.format);
  const wB = width(h.N.bias.format);
  return h.weightBits + h.biasDepth * wB + o.lanes * o.depth * wW + o.C * wB;
}

const fmtBits = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} Mbit` : `${(b / 1024).toFixed(1)} kbit`);

export function fitReport(cfg: ChipConfig, board: Board, top: Module[] = chipCore(cfg)): FitReport {
  const { memories, multipliers } = inventory(top, board);
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
      advice: `${multipliers.length} multipliers (${cfg.lanes} lanes: the Hebbian unit has two per lane, the output layer one; the Gram array ${cfg.gram.rows}×${cfg.gram.cols}). Fewer lanes, a smaller gram {rows, cols}, or narrower formats.`,
    },
  ];
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
  const r = fitReport(cfg, board, top);
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
