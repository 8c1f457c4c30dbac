/**
 * The core's return stack (isa.ts RETURN_STACK entries; a call beyond them faults, in the RTL core and the ISS)
 * holds every call the iCEBreaker's programs can make: the deepest nesting of calls on each program's call graph
 * (every path from the entry, branches both ways, a call's routine to its ret) is at most RETURN_STACK, for the
 * serving program with and without the vector unit and for the step program.
 */
import { describe, expect, it } from 'vitest';
import { loadChipConfig } from '../../../generator/config.js';
import { RETURN_STACK, type Instr } from '../../../generator/ucore/isa.js';
import { stepProgram } from '../../../generator/ucore/program/step.js';
import { loadBoard } from '../../../host/boards/board.js';
import { ucoreProgram } from '../../../host/boards/ucore.js';
import { ICE } from '../mod-helpers.js';

/** The deepest nesting of calls reachable from `entry` (0: no call); throws on recursion. */
function callDepth(code: readonly Instr[], entry: number): number {
  const memo = new Map<number, number>();
  const open = new Set<number>();
  const routine = (at: number): number => {
    const known = memo.get(at);
    if (known !== undefined) return known;
    if (open.has(at)) throw new Error(`recursion through ${at}`);
    open.add(at);
    let deepest = 0;
    const seen = new Set<number>();
    const todo = [at];
    while (todo.length > 0) {
      const pc = todo.pop()!;
      if (seen.has(pc) || pc >= code.length) continue;
      seen.add(pc);
      const ins = code[pc];
      if (ins.op === 'ret' || ins.op === 'halt') continue;
      if (ins.op === 'call') deepest = Math.max(deepest, 1 + routine(ins.target));
      if (ins.op !== 'b') todo.push(pc + 1);
      if ('target' in ins) todo.push(ins.target);
    }
    open.delete(at);
    memo.set(at, deepest);
    return deepest;
  };
  return routine(entry);
}

describe('ucore return stack', () => {
  it('holds the deepest call nesting of the serving programs (with and without the vector unit) and the step program', () => {
    const cfg = loadChipConfig(new URL('../../../boards/icebreaker/chip.json', import.meta.url).pathname);
    const board = loadBoard('icebreaker');
    for (const vector of [true, false]) {
      const pp = ucoreProgram(cfg, board, vector);
      const serving = callDepth(pp.program.code, pp.entry.serve);
      expect(serving, `serving program, vector ${vector}`).toBeGreaterThan(0);
      expect(serving, `serving program, vector ${vector}`).toBeLessThanOrEqual(RETURN_STACK);
      expect(callDepth(stepProgram(ICE().P, vector).program.code, 0), `step program, vector ${vector}`).toBeLessThanOrEqual(RETURN_STACK);
    }
  });

  it('counts nesting through branches and calls, and refuses recursion', () => {
    const ins = (x: Instr[]): Instr[] => x;
    // 0: call 3; 1: beq → 5; 2: halt; 3: call 6; 4: ret; 5: call 7 (after the branch); 6: ret; 7: call 6; 8: ret
    const code = ins([
      { op: 'call', target: 3 },
      { op: 'beq', ra: 1, b: { reg: 2 }, target: 5 },
      { op: 'halt' },
      { op: 'call', target: 6 },
      { op: 'ret' },
      { op: 'call', target: 7 },
      { op: 'ret' },
      { op: 'call', target: 6 },
      { op: 'ret' },
    ]);
    expect(callDepth(code, 0)).toBe(2);
    expect(callDepth(code, 6)).toBe(0);
    expect(() => callDepth(ins([{ op: 'call', target: 0 }]), 0)).toThrow(/recursion/);
  });
});
