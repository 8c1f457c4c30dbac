/**
 * `ibhebb gen`: writes the Verilog of every module (one file each), its name map, the TypeScript
 * bindings and a manifest into a folder. The output depends only on the configuration and the generator.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emitDesign } from './emit/index.js';
import type { Module } from './ir/index.js';
import { configHash, type ChipConfig } from './config.js';
import { designModules } from './design.js';
import { BINDINGS_FILE, emitBindings } from './bindings.js';
import { GENERATOR_VERSION } from './version.js';
import { wmBits } from './units/wm.js';

export interface GeneratedFile {
  name: string;
  content: string;
}

/** All files of a generated design, sorted by name. */
export function generateFiles(cfg: ChipConfig, mods: Module[] = designModules(cfg)): GeneratedFile[] {
  const files = new Map<string, string>();
  for (const top of mods) {
    for (const f of emitDesign(top).files) {
      const prev = files.get(f.name);
      if (prev !== undefined && prev !== f.content) throw new Error(`two different modules write ${f.name}`);
      files.set(f.name, f.content);
    }
  }
  files.set(BINDINGS_FILE, emitBindings(cfg, mods));
  const names = [...files.keys()].sort();
  const manifest = {
    generator: GENERATOR_VERSION,
    configHash: configHash(cfg),
    modules: mods.map((m) => m.name).sort(),
    files: names,
    /** the working memory's capacity (the paper's working-memory size), per field */
    workingMemoryBits: wmBits(cfg),
  };
  files.set('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);
  return [...files.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, content]) => ({ name, content }));
}

/** Writes the design into `dir`, removing generated files of an earlier run that no longer exist. */
export function writeDesign(dir: string, files: GeneratedFile[]): void {
  mkdirSync(dir, { recursive: true });
  const keep = new Set(files.map((f) => f.name));
  for (const old of readdirSync(dir)) {
    if (!keep.has(old) && /\.(v|names\.json|hex)$/.test(old)) rmSync(join(dir, old));
  }
  for (const f of files) writeFileSync(join(dir, f.name), f.content);
}
