/** Parsing and validation of CLI option values: every bad value gets a message naming the option and the problem. */

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** An optional option's value as a number > 0 (undefined when it was not given): `--NAME must be a number > 0`. */
export function positiveOption(raw: string | undefined, name: string): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!(n > 0)) throw new UsageError(`--${name} must be a number > 0, got '${raw}'`);
  return n;
}

export function parseNumber(option: string, { min, max, integer = false, exclusiveMin = false }: { min?: number; max?: number; integer?: boolean; exclusiveMin?: boolean } = {}) {
  return (raw: string): number => {
    const v = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${option}: '${raw}' is not a number`);
    if (integer && !Number.isInteger(v)) throw new UsageError(`${option}: '${raw}' must be an integer`);
    if (min !== undefined && (exclusiveMin ? v <= min : v < min)) {
      throw new UsageError(`${option}: ${raw} is out of range (must be ${exclusiveMin ? '>' : '≥'} ${min})`);
    }
    if (max !== undefined && v > max) throw new UsageError(`${option}: ${raw} is out of range (must be ≤ ${max})`);
    return v;
  };
}

export function parseList(option: string, count: number | undefined, item: (raw: string) => number) {
  return (raw: string): number[] => {
    const parts = raw.split(',').map((s) => s.trim());
    if (count !== undefined && parts.length !== count) {
      throw new UsageError(`${option}: expected ${count} comma-separated values, got ${parts.length} ('${raw}')`);
    }
    return parts.map((p) => item(p));
  };
}

export function parseChoice<T extends string>(option: string, choices: readonly T[]) {
  return (raw: string): T => {
    if (!(choices as readonly string[]).includes(raw)) {
      throw new UsageError(`${option}: '${raw}' is not one of ${choices.join(', ')}`);
    }
    return raw as T;
  };
}
