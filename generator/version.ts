/** The generator version written into every emitted file: the `version` of the project's package.json. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  const pkg: unknown = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const v = (pkg as { version?: unknown }).version;
  if (typeof v !== 'string' || v === '') throw new Error('package.json has no version');
  return v;
}

export const GENERATOR_VERSION: string = readVersion();
