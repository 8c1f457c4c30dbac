/**
 * The Gram array's co-simulation pieces, shared by its test and its bench: the chip's wiring of the working
 * memory and the array as one top, random windows, the expected words of a command (the golden model's exact
 * squared distances in the documented order) and a driver that checks every word.
 */
import { expect } from 'vitest';
import type { ChipConfig } from '../../generator/config.js';
import { ModuleBuilder, constant, uint, type Module } from '../../generator/ir/index.js';
import { gramArray, gramFields, GRAM_MODE, type GramOptions } from '../../generator/units/gram.js';
import { workingMemory, WM_OP } from '../../generator/units/wm.js';
import { unitShapes } from '../../generator/units/shapes.js';
import type { Model } from '../../sim/verilator/index.js';
import { Rng } from '../../sim/rng.js';
import { gramMatrix, gramRow } from '../../sim/golden/fixed/gram.js';
import { pokeZero, wmCommand } from './helpers.js';

/** The working memory and the Gram array wired as on the chip; the memory's write side and the array's command and output side are ports. */
export function gramTop(cfg: ChipConfig, opts: GramOptions = {}): Module {
  const sh = unitShapes(cfg);
  const wmMod = workingMemory(cfg);
  const gMod = gramArray(cfg, opts);
  const m = new ModuleBuilder('gram_test_top', {});
  m.clock();
  const vr: Record<string, ReturnType<typeof m.wire>> = {};
  const gIns: Record<string, ReturnType<typeof m.input>> = {};
  for (const p of ['start', 'mode', 'kinds', 'cur', 'count']) gIns[p] = m.input(`g_${p}`, gMod.ports.find((x) => x.name === p)!.type);
  const wIns: Record<string, ReturnType<typeof m.input>> = {};
  for (const p of wmMod.ports) {
    if (p.kind !== 'input' || p.role || /^(kr_|vr_|s_axis_krow|px_at_head)/.test(p.name)) continue;
    wIns[p.name] = m.input(p.name, p.type);
  }
  const gVr = { vr_en: m.wire('g_vr_en', uint(1)), vr_kind: m.wire('g_vr_kind', uint(sh.kindBits)), vr_addr: m.wire('g_vr_addr', wmMod.ports.find((x) => x.name === 'vr_addr')!.type) };
  const w = m.instance('u_wm', wmMod, {
    ...wIns,
    ...gVr,
    px_at_head: constant(0, uint(1)), // pixels to the slot of the last NEW
    kr_en: constant(0, uint(1)),
    kr_p: constant(0, uint(sh.slotBits)),
    kr_q: constant(0, uint(sh.slotBits)),
    s_axis_krow_tvalid: constant(0, uint(1)),
    s_axis_krow_tdata: constant(0, uint(wmMod.ports.find((x) => x.name === 's_axis_krow_tdata')!.type.width)),
  });
  for (let s = 0; s < sh.B; s++) vr[`vr_data_${s}`] = w.out(`vr_data_${s}`);
  const dReady = m.input('m_axis_d_tready', uint(1));
  const g = m.instance('u_gram', gMod, { ...Object.fromEntries(Object.entries(gIns).map(([k, v]) => [k, v])), hold: constant(0, uint(1)), ...vr, m_axis_d_tready: dReady });
  m.assign(gVr.vr_en, g.out('vr_en'));
  m.assign(gVr.vr_kind, g.out('vr_kind'));
  m.assign(gVr.vr_addr, g.out('vr_addr').zext(gVr.vr_addr.type.width));
  for (const p of wmMod.ports) {
    if (p.kind === 'output' && !/^(kr_|vr_data|s_axis_krow)/.test(p.name)) m.output(p.name, w.out(p.name));
    else if (p.kind === 'output') m.unused(w.out(p.name));
  }
  for (const p of ['m_axis_d_tvalid', 'm_axis_d_tdata', 'm_axis_d_tlast', 'busy', 'done']) m.output(p === 'busy' || p === 'done' ? `g_${p}` : p, g.out(p));
  return m.build();
}

/** A random window: `count` slots, every kind's vectors over the full range of their words (some at the extremes). */
export function randomWindow(cfg: ChipConfig, rng: Rng, count: number): number[][][] {
  const sh = unitShapes(cfg);
  return sh.kinds.map((k) => {
    const lo = k.signed ? -(2 ** (k.width - 1)) : 0;
    const hi = k.signed ? 2 ** (k.width - 1) - 1 : 2 ** k.width - 1;
    return Array.from({ length: count }, (_, s) => {
      const style = rng.int(4);
      return Array.from({ length: k.len }, () => (style === 0 ? (s % 2 === 0 ? lo : hi) : style === 1 ? lo + rng.int(4) : lo + rng.int(hi - lo + 1)));
    });
  });
}

export interface GramCmd {
  mode: number;
  kinds: number;
  cur: number;
  count: number;
}

/**
 * The words a command must produce, in order, from the golden model's Gram spec functions
 * (sim/golden/fixed/gram.ts: gramRow for ROW, gramMatrix for FULL).
 */
export function gramExpected(cfg: ChipConfig, win: number[][][], cmd: GramCmd): { kind: number; p: number; q: number; d: number }[] {
  const sh = unitShapes(cfg);
  const { rows: R, cols: C } = cfg.gram;
  const out: { kind: number; p: number; q: number; d: number }[] = [];
  for (let k = 0; k < sh.kinds.length; k++) {
    if (((cmd.kinds >> k) & 1) === 0) continue;
    const len = sh.kinds[k].len;
    const vecs = Int32Array.from(win[k].slice(0, cmd.count).flat());
    if (cmd.mode === GRAM_MODE.ROW) {
      const d = new Float64Array(cmd.count);
      gramRow(vecs, len, cmd.cur, cmd.count, d);
      for (let p = 0; p < cmd.count; p++) if (p !== cmd.cur) out.push({ kind: k, p, q: cmd.cur, d: d[p] });
      continue;
    }
    const D = gramMatrix(vecs, len, cmd.count);
    for (let gr = 0; gr * R < cmd.count; gr++) {
      for (let gc = 0; gc * C < cmd.count; gc++) {
        for (let r = 0; r < R; r++) {
          for (let c = 0; c < C; c++) {
            const p = gr * R + r;
            const q = gc * C + c;
            if (p < q && q < cmd.count) out.push({ kind: k, p, q, d: D[p * cmd.count + q] });
          }
        }
      }
    }
  }
  return out;
}

/** Loads a window into the memory: epoch clear, then `count` samples (NEW, pixels, every z). */
export async function loadWindow(m: Model, cfg: ChipConfig, win: number[][][], count: number): Promise<void> {
  const sh = unitShapes(cfg);
  await wmCommand(m, WM_OP.CLEAR);
  for (let s = 0; s < count; s++) {
    await wmCommand(m, WM_OP.NEW, 0);
    sh.kinds.forEach((k, l) => void m.push(l === 0 ? 'px' : k.name, win[l][s].map((v) => v & (2 ** k.width - 1)), 'none'));
    await m.run({ untilSourcesEmpty: true, maxCycles: 1_000_000 });
  }
}

/** Runs one command and checks every word; returns the cycles from start to done. */
export async function gramCommand(m: Model, cfg: ChipConfig, win: number[][][], cmd: GramCmd): Promise<{ cycles: number; words: number; runMs: number }> {
  const f = gramFields(cfg);
  const sh = unitShapes(cfg);
  await m.poke('g_mode', cmd.mode);
  await m.poke('g_kinds', cmd.kinds);
  await m.poke('g_cur', cmd.cur);
  await m.poke('g_count', cmd.count);
  await m.poke('g_start', 1);
  await m.step(1);
  await m.poke('g_start', 0);
  const want = gramExpected(cfg, win, cmd);
  // cycles from the start edge to the edge that transfers the final word (or to the end when there are none)
  let cycles = 1;
  const t0 = performance.now();
  if (want.length > 0) {
    const r = await m.run({ untilSinkCount: { bus: 'd', n: want.length }, maxCycles: 100_000 + 100 * want.length * sh.kinds[0].len, allowTimeout: true });
    if (r.reason !== 'sinkCount') throw new Error(`${JSON.stringify(cmd)}: ${(await m.drainBig('d')).length} of ${want.length} words after ${r.cycles} cycles`);
    cycles += r.cycles;
  }
  const runMs = performance.now() - t0;
  for (let n = 0; (await m.peek('g_busy')) === 1; n++) {
    await m.step(1);
    if (want.length === 0) cycles++;
    if (n > 10_000_000) throw new Error(`${JSON.stringify(cmd)}: the array did not finish`);
  }
  const got = await m.drainBig('d');
  const dMask = (1n << BigInt(f.distBits)) - 1n;
  const sMask = (1n << BigInt(f.slotBits)) - 1n;
  const decoded = got.map((w) => ({
    kind: Number(w.data >> BigInt(2 * f.slotBits + f.distBits)),
    p: Number((w.data >> BigInt(f.slotBits + f.distBits)) & sMask),
    q: Number((w.data >> BigInt(f.distBits)) & sMask),
    d: Number(w.data & dMask),
  }));
  if (decoded.length !== want.length) throw new Error(`${JSON.stringify(cmd)}: ${decoded.length} words, expected ${want.length}`);
  decoded.forEach((d, i) => {
    if (JSON.stringify(d) !== JSON.stringify(want[i])) throw new Error(`${JSON.stringify(cmd)} word ${i}: got ${JSON.stringify(d)}, expected ${JSON.stringify(want[i])}`);
  });
  got.forEach((w, i) => expect(w.last).toBe(i === got.length - 1));
  return { cycles, words: got.length, runMs };
}

/** Random commands on random windows; returns the words compared. */
export async function gramRun(m: Model, cfg: ChipConfig, rng: Rng, windows: number, cmdsPerWindow: number, pReady: number): Promise<number> {
  const sh = unitShapes(cfg);
  const K = sh.kinds.length;
  await m.sinkPattern('d', pReady, rng.int(1 << 30));
  for (const bus of ['px', ...sh.kinds.slice(1).map((k) => k.name)]) await m.sourcePattern(bus, 0.3 + 0.7 * rng.uniform(), rng.int(1 << 30));
  await pokeZero(m, ['start', 'g_start']);
  await m.reset(2);
  let words = 0;
  for (let w = 0; w < windows; w++) {
    const count = rng.int(3) === 0 ? 1 + rng.int(sh.B) : sh.B;
    const win = randomWindow(cfg, rng, count);
    await loadWindow(m, cfg, win, count);
    for (let c = 0; c < cmdsPerWindow; c++) {
      const cmd: GramCmd = { mode: rng.int(2), kinds: rng.int(3) === 0 ? 1 + rng.int(2 ** K - 1) : 2 ** K - 1, cur: rng.int(count), count };
      words += (await gramCommand(m, cfg, win, cmd)).words;
    }
  }
  return words;
}

