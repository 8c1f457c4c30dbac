/**
 * Shared by the iCE40 benches: a module's Verilog in a fresh folder, Yosys synth_ice40 -dsp (flattened, as
 * `ibhebb build` runs it) with its JSON netlist there (top.json, for nextpnr), and the cells of its `stat`;
 * the timing shell of a unit, and nextpnr-ice40 --up5k on a synthesized netlist.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { emitDesign } from '../generator/emit/index.js';
import { ModuleBuilder, cat, uint, type Expr, type Module } from '../generator/ir/index.js';
import { parseNextpnr, parseYosysStat } from '../host/boards/build.js';

export async function synthIce40(top: Module, prefix: string): Promise<{ dir: string; cells: Record<string, number>; seconds: number }> {
  const dir = mkdtempSync(join(tmpdir(), `ibhebb-${prefix}-`));
  const vfiles: string[] = [];
  for (const f of emitDesign(top).files) {
    writeFileSync(join(dir, f.name), f.content);
    if (f.name.endsWith('.v')) vfiles.push(f.name);
  }
  const t0 = Date.now();
  const r = await execa('nice', ['-n', '10', 'yosys', '-q', '-p', `read_verilog ${vfiles.join(' ')}; synth_ice40 -dsp -top ${top.name} -json top.json; tee -o stat.txt stat`], { cwd: dir, all: true, reject: false });
  if (r.exitCode !== 0) throw new Error(`yosys failed:\n${(r.all ?? '').split('\n').slice(-10).join('\n')}`);
  return { dir, cells: parseYosysStat(readFileSync(join(dir, 'stat.txt'), 'utf8')), seconds: (Date.now() - t0) / 1000 };
}

/**
 * The timing shell of a unit for place and route alone: every input driven by a register of a shift chain fed
 * from one pin, every output registered and folded by XOR into one pin, so no path starts or ends at an IO and
 * nothing is optimized away.
 */
export function timingShell(u: Module): Module {
  const m = new ModuleBuilder(`timing_${u.name}`);
  m.clock(); // clk and rst go to the unit's clk and rst
  const si = m.input('si', uint(1));
  const ins = u.ports.filter((p) => p.kind === 'input' && p.name !== 'clk' && p.name !== 'rst');
  const outs = u.ports.filter((p) => p.kind === 'output');
  const total = ins.reduce((a, p) => a + p.width, 0);
  const chain = m.reg('chain_q', uint(total), { reset: null });
  m.seq('chain', ($) => $.set(chain, total > 1 ? cat(chain.trunc(total - 1), si) : si));
  const conns: Record<string, Expr> = {};
  let at = 0;
  for (const p of ins) {
    const bits = chain.slice(at + p.width - 1, at);
    conns[p.name] = p.signed ? bits.asSigned() : bits;
    at += p.width;
  }
  const inst = m.instance('u_unit', u, conns);
  const folded = outs.map((p, i) => {
    const r = m.reg(`out${i}_q`, uint(p.width), { reset: null });
    m.seq(`out${i}`, ($) => $.set(r, inst.out(p.name).asUnsigned()));
    return r.xorReduce();
  });
  const so = m.reg('so_q', uint(1), { reset: null });
  m.seq('so', ($) => $.set(so, folded.reduce((a, b) => a.xor(b))));
  m.output('so', so);
  return m.build();
}

export interface PlaceRouteResult {
  /** the first ERROR line when nextpnr could not place or route it, else null */
  error: string | null;
  fmaxMHz: number | null;
  lcs: number | null;
  lcsAvailable: number | null;
  /** the cells of the routed critical path (nextpnr's Source and Setup lines) */
  criticalPath: string[];
  seconds: number;
}

/** nextpnr-ice40 --up5k (package sg48) on `dir`/top.json at `mhz` with one seed, timing failures allowed. */
export async function placeRoute(dir: string, mhz: number, seed: number): Promise<PlaceRouteResult> {
  const t1 = Date.now();
  const p = await execa('nice', ['-n', '10', 'nextpnr-ice40', '--up5k', '--package', 'sg48', '--json', 'top.json', '--freq', String(mhz), '--seed', String(seed), '--timing-allow-fail', '--report', `report${seed}.json`], { cwd: dir, all: true, reject: false });
  const log = p.all ?? '';
  const seconds = (Date.now() - t1) / 1000;
  const r = parseNextpnr(log);
  const lc = r.utilization.ICESTORM_LC;
  if (p.exitCode !== 0) {
    const error = log.split('\n').find((l) => /^ERROR/.test(l)) ?? log.split('\n').slice(-3).join(' ');
    // (the utilisation nextpnr printed before it gave up: what the design needs)
    return { error, fmaxMHz: null, lcs: lc?.used ?? null, lcsAvailable: lc?.available ?? null, criticalPath: [], seconds };
  }
  // the critical path nextpnr printed last (after routing): the cells it passes, then its setup
  let criticalPath: string[] = [];
  const at = log.lastIndexOf('Critical path report for clock');
  if (at >= 0) {
    const lines = log.slice(at).split('\n');
    const end = lines.findIndex((l, i) => i > 0 && /^Info: (Critical path report|Max frequency)/.test(l));
    criticalPath = lines
      .slice(0, end > 0 ? end : lines.length)
      .filter((l) => /\bSource\b|\bSetup\b/.test(l))
      .map((l) => l.replace(/^Info:\s+/, '  '));
  }
  return { error: null, fmaxMHz: r.fmaxMHz, lcs: lc?.used ?? null, lcsAvailable: lc?.available ?? null, criticalPath, seconds };
}
