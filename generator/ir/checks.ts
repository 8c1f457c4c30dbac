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

/** Pre-order walk over an expression tree. */
export function walkExpr(e: Expr, f: (e: Expr) => void): void {
  f(e);
  for (const c of children(e)) walkExpr(c, f);
}
