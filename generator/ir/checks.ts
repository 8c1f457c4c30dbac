/**
 * Whole-process and whole-module checks: definite assignment in comb processes (a path that leaves a
 * target unassigned would infer a latch) and combinational loops.
 */
import { children, collectReads, type Expr, type Signal } from './expr.js';
import type { Module, Stmt } from './module.js';
import { HdlError } from './types.js';

/**
 * Returns a path (list of branch descriptions) on which `stmts` leave `target` unassigned, or null
 * if every path assigns it. Conservative: conditions are not evaluated, so `if (c) y=1; if (!c) y=0;`
 * counts as unassigned (a synthesis tool would not prove it either without effort).
 */
export function findUnassignedPath(stmts: readonly Stmt[], target: Signal): string[] | null {
  let pending: string[] = [];
  for (const s of stmts) {
    if (s.kind === 'set') {
      if (s.target === target) return null;
      continue;
    }
    if (s.kind === 'if') {
      const t = findUnassignedPath(s.then, target);
      const e = findUnassignedPath(s.else, target);
      if (t === null && e === null) return null;
      if (t !== null && !assignsAnywhere(s.then, target) && !assignsAnywhere(s.else, target)) continue;
      pending = e !== null ? [`if (${s.cond}) not taken`, ...e] : [`if (${s.cond}) taken`, ...t!];
      continue;
    }
    // switch
    let witness: string[] | null = null;
    for (const c of s.cases) {
      const p = findUnassignedPath(c.body, target);
      if (p !== null && witness === null) witness = [`switch (${s.sel}) case ${c.values.join(', ')}`, ...p];
    }
    const full = switchCoversAll(s);
    if (s.dflt) {
      const p = findUnassignedPath(s.dflt, target);
      if (p !== null && witness === null) witness = [`switch (${s.sel}) default`, ...p];
    } else if (!full && witness === null) {
      witness = [`switch (${s.sel}): no case matches and there is no default`];
    }
    if (witness === null) return null;
    if (assignsAnywhere([s], target)) pending = witness;
  }
  return pending;
}

/** True when the cases of a switch list every value of its selector (case values are distinct). */
export function switchCoversAll(s: Extract<Stmt, { kind: 'switch' }>): boolean {
  return s.sel.width <= 20 && s.cases.reduce((n, c) => n + c.values.length, 0) === 2 ** s.sel.width;
}

function assignsAnywhere(stmts: readonly Stmt[], target: Signal): boolean {
  return stmts.some((s) => {
    if (s.kind === 'set') return s.target === target;
    if (s.kind === 'if') return assignsAnywhere(s.then, target) || assignsAnywhere(s.else, target);
    return s.cases.some((c) => assignsAnywhere(c.body, target)) || (s.dflt !== null && assignsAnywhere(s.dflt, target));
  });
}

export function describePath(path: readonly string[]): string {
  return path.length === 0 ? 'no statement assigns it on the straight-line path' : path.join(' → ');
}

/** Every expression read by a statement list (conditions, selectors, values). */
export function stmtReads(stmts: readonly Stmt[], out: Set<Signal>): void {
  for (const s of stmts) {
    if (s.kind === 'set') collectReads(s.value, out);
    else if (s.kind === 'if') {
      collectReads(s.cond, out);
      stmtReads(s.then, out);
      stmtReads(s.else, out);
    } else {
      collectReads(s.sel, out);
      for (const c of s.cases) stmtReads(c.body, out);
      if (s.dflt) stmtReads(s.dflt, out);
    }
  }
}

/**
 * Throws on a combinational loop among wires/outputs driven by assigns and comb processes (memory
 * async reads depend on their address). Registers and instance boundaries break the graph: a loop
 * through a child's combinational path is not seen here (Verilator lint reports it as UNOPTFLAT).
 */
export function checkCombLoops(mod: Module): void {
  const deps = new Map<Signal, Set<Signal>>();
  const add = (target: Signal, reads: Set<Signal>): void => {
    const d = deps.get(target) ?? new Set<Signal>();
    for (const r of reads) d.add(r);
    deps.set(target, d);
  };
  for (const item of mod.items) {
    if (item.kind === 'assign') {
      const r = new Set<Signal>();
      collectReads(item.value, r);
      add(item.target, r);
    } else if (item.kind === 'process' && item.process.kind === 'comb') {
      const r = new Set<Signal>();
      stmtReads(item.process.body, r);
      const temps = item.process.temps ?? [];
      if (temps.length > 0) checkTemps(mod, item.process.name, item.process.body, temps);
      for (const t of temps) r.delete(t); // set before read inside the process: no path through the old value
      for (const t of item.process.targets) add(t, r);
    }
  }
  const state = new Map<Signal, 1 | 2>();
  const stack: Signal[] = [];
  const visit = (s: Signal): void => {
    const st = state.get(s);
    if (st === 2) return;
    if (st === 1) {
      const cycle = [...stack.slice(stack.indexOf(s)), s].map((x) => x.name).join(' → ');
      throw new HdlError(
        `combinational loop in module '${mod.name}': ${cycle}. Break it with a register, or compute the value without reading itself`,
      );
    }
    state.set(s, 1);
    stack.push(s);
    for (const d of deps.get(s) ?? []) visit(d);
    stack.pop();
    state.set(s, 2);
  };
  for (const s of deps.keys()) visit(s);
}

/**
 * A comb process's temporaries: each read inside the process must follow a set of it on its path, and no
 * other item of the module reads it (its value outside the process would be the last path's leftover).
 */
function checkTemps(mod: Module, proc: string, body: readonly Stmt[], temps: readonly Signal[]): void {
  const tempSet = new Set(temps);
  const bad = (t: Signal, where: string): never => {
    throw new HdlError(`comb process '${proc}' in module '${mod.name}': temporary '${t.name}' ${where}`);
  };
  const readsOf = (e: Expr, done: ReadonlySet<Signal>): void => {
    const r = new Set<Signal>();
    collectReads(e, r);
    for (const s of r) if (tempSet.has(s) && !done.has(s)) bad(s, 'is read before it is set on a path');
  };
  /** Walks a block from the temporaries set so far; returns those set on every path through it. */
  const walk = (stmts: readonly Stmt[], before: ReadonlySet<Signal>): Set<Signal> => {
    const done = new Set(before);
    for (const s of stmts) {
      if (s.kind === 'set') {
        readsOf(s.value, done);
        if (tempSet.has(s.target)) done.add(s.target);
      } else if (s.kind === 'if') {
        readsOf(s.cond, done);
        const a = walk(s.then, done);
        const b = walk(s.else, done);
        for (const t of a) if (b.has(t)) done.add(t);
      } else {
        readsOf(s.sel, done);
        const outs = [...s.cases.map((c) => walk(c.body, done)), s.dflt ? walk(s.dflt, done) : new Set(done)];
        for (const t of outs[0]) if (outs.every((o) => o.has(t))) done.add(t);
      }
    }
    return done;
  };
  walk(body, new Set());
  for (const item of mod.items) {
    const r = new Set<Signal>();
    let by: string;
    if (item.kind === 'assign') {
      collectReads(item.value, r);
      by = `the assign to '${item.target.name}'`;
    } else if (item.kind === 'process') {
      if (item.process.name === proc) continue;
      stmtReads(item.process.body, r);
      by = `process '${item.process.name}'`;
    } else if (item.kind === 'instance') {
      for (const e of item.instance.inputs.values()) collectReads(e, r);
      by = `instance '${item.instance.name}'`;
    } else {
      const mem = item.memory;
      for (const w of mem.writes) for (const e of [w.addr, w.data, w.en, w.lanes]) if (e) collectReads(e, r);
      for (const p of mem.syncReads) for (const e of [p.addr, p.en]) if (e) collectReads(e, r);
      by = `memory '${mem.name}'`;
    }
    for (const s of r) if (tempSet.has(s)) bad(s, `is read outside its process (by ${by})`);
  }
}

/** Pre-order walk over an expression tree. */
export function walkExpr(e: Expr, f: (e: Expr) => void): void {
  f(e);
  for (const c of children(e)) walkExpr(c, f);
}
