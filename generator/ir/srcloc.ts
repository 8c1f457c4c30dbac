/**
 * Where an IR call was written: the first stack frame outside the IR itself, relative to the repository
 * (`generator/units/gram.ts:42`). The emitter prints it above each generated block so a reviewer can go
 * from a line of Verilog to the TypeScript that made it. Line numbers only (no columns), so the text is
 * stable across runs and loaders (tsx and vitest both map stacks back to the .ts sources).
 */
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FRAME = /\(?(?:file:\/\/)?(\/[^():]+):(\d+):\d+\)?\s*$/;

/** Frames in these folders are the IR's own machinery, never the place a block was asked for. */
const SKIP = ['generator/ir/', 'node_modules/'];

/** `<file>:<line>` of the first caller outside generator/ir, or null when there is none in the repository. */
export function callerLocation(): string | null {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line);
    if (!m || !m[1].startsWith(ROOT)) continue;
    const rel = m[1].slice(ROOT.length);
    if (SKIP.some((s) => rel.startsWith(s))) continue;
    return `${rel}:${m[2]}`;
  }
  return null;
}
