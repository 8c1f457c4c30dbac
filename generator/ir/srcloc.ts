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
  return locationOf(captureSite());
}

/**
 * The call stack here, unformatted: V8 keeps the frames and formats them (through the source maps, the
 * costly part) only when `.stack` is read, so building a module stays fast and only emission pays.
 */
export function captureSite(): Error {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 10;
  const site = new Error();
  Error.stackTraceLimit = limit;
  return site;
}

/** `item` with a `loc` property that reads the captured site once, when first asked. */
export function withLocation<T extends object>(item: T, site: Error): T & { readonly loc: string | null } {
  let loc: string | null | undefined;
  return Object.defineProperty(item, 'loc', {
    enumerable: true,
    get: () => (loc === undefined ? (loc = locationOf(site)) : loc),
  }) as T & { readonly loc: string | null };
}

function locationOf(site: Error): string | null {
  const stack = site.stack ?? '';
  for (const line of stack.split('\n').slice(1)) {
    const m = FRAME.exec(line);
    if (!m || !m[1].startsWith(ROOT)) continue;
    const rel = m[1].slice(ROOT.length);
    if (SKIP.some((s) => rel.startsWith(s))) continue;
    return `${rel}:${m[2]}`;
  }
  return null;
}
