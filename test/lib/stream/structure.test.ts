import { describe, expect, it } from 'vitest';
import { collectReads, type Expr, type Module, type Signal, type Stmt } from '../../../generator/ir/index.js';
import { fifo, skidBuffer, streamBlocks } from '../../../generator/lib/stream/index.js';

/** Every expression a statement list reads (conditions and values), for a conservative dependency walk. */
function stmtExprs(body: readonly Stmt[], out: Expr[]): void {
  for (const s of body) {
    if (s.kind === 'set') out.push(s.value);
    else if (s.kind === 'if') {
      out.push(s.cond);
      stmtExprs(s.then, out);
      stmtExprs(s.else, out);
    } else {
      out.push(s.sel);
      for (const c of s.cases) stmtExprs(c.body, out);
      if (s.dflt) stmtExprs(s.dflt, out);
    }
  }
}

/**
 * The input ports `sig` depends on combinationally in `mod` (registers and memory read registers cut
 * the path; an asynchronous memory read depends on its address only).
 */
function combInputs(mod: Module, sig: Signal, seen = new Set<Signal>()): Set<string> {
  const found = new Set<string>();
  if (seen.has(sig)) return found;
  seen.add(sig);
  if (sig.kind === 'input') {
    found.add(sig.name);
    return found;
  }
  if (sig.kind === 'reg') return found;
  const exprs: Expr[] = [];
  for (const item of mod.items) {
    if (item.kind === 'assign' && item.target === sig) exprs.push(item.value);
    if (item.kind === 'process' && item.process.kind === 'comb' && item.process.targets.includes(sig)) stmtExprs(item.process.body, exprs);
  }
  expect(exprs.length, `driver of '${sig.name}' in ${mod.name}`).toBeGreaterThan(0);
  for (const e of exprs) {
    const sigs = new Set<Signal>();
    collectReads(e, sigs);
    for (const s of sigs) for (const n of combInputs(mod, s, seen)) found.add(n);
  }
  return found;
}

describe('stream blocks have no combinational path from inputs to stream outputs', () => {
  for (const mod of [...streamBlocks().filter((b) => b.name.startsWith('skid') || b.name.startsWith('fifo')), skidBuffer(3), fifo(4, 2)]) {
    it(`${mod.name}: tready, tvalid, tdata, tlast (and count) are functions of registers only`, () => {
      const outs = mod.ports.filter((p) => p.kind === 'output');
      expect(outs.map((p) => p.name)).toContain('s_axis_in_tready');
      expect(outs.map((p) => p.name)).toContain('m_axis_out_tvalid');
      for (const p of outs) expect([...combInputs(mod, p)], p.name).toEqual([]);
    });
  }

  it('the dependency walk does see a combinational path where there is one', () => {
    // the FIFO's internal push wire follows s_axis_in_tvalid
    const mod = fifo(4, 2);
    const push = mod.signals.find((s) => s.name === 'push')!;
    expect([...combInputs(mod, push)]).toEqual(['s_axis_in_tvalid']);
    const pop = mod.signals.find((s) => s.name === 'pop')!;
    expect([...combInputs(mod, pop)]).toEqual(['m_axis_out_tready']);
  });

  it('the skid buffer ready is a register of its own', () => {
    const mod = skidBuffer(8, { last: true });
    const ready = mod.ports.find((p) => p.name === 's_axis_in_tready')!;
    const drive = mod.items.find((i) => i.kind === 'assign' && i.target === ready);
    expect(drive?.kind).toBe('assign');
    if (drive?.kind === 'assign') expect(drive.value.node).toMatchObject({ op: 'ref', sig: { name: 'in_ready_q', kind: 'reg' } });
  });
});
