import { describe, expect, it } from 'vitest';
import { Project } from 'ts-morph';
import { emitBindings } from '../../generator/bindings.js';
import { DEFAULT_CHIP, configHash } from '../../generator/config.js';
import { counter, mac } from '../generator/examples.js';

/** Type-checks `consumer` against the bindings in an in-memory project; returns the diagnostics' texts. */
function typecheck(bindings: string, consumer: string): string[] {
  const project = new Project({ useInMemoryFileSystem: true, compilerOptions: { strict: true, noEmit: true } });
  project.createSourceFile('bindings.ts', bindings);
  project.createSourceFile('host.ts', consumer);
  return project.getPreEmitDiagnostics().map((d) => {
    const m = d.getMessageText();
    return typeof m === 'string' ? m : m.getMessageText();
  });
}

describe('TypeScript bindings of a generated design', () => {
  const text = emitBindings(DEFAULT_CHIP, [mac(8, 20), counter(8)]);

  it('carry the config hash, formats and ports, and are deterministic', () => {
    expect(text).toContain(`config hash: ${configHash(DEFAULT_CHIP)}`);
    expect(text).toContain(`export const CONFIG_HASH = "${configHash(DEFAULT_CHIP)}"`);
    expect(text).toMatch(/"weight": \{\s+"q": "Q4\.12",\s+"hls": "fixed<16,4>"/);
    expect(emitBindings(DEFAULT_CHIP, [counter(8), mac(8, 20)])).toBe(text);
  });

  it('type-check host code against the exact hardware: a wrong port, format or opcode name is a compile error', () => {
    const ok = `
      import { MODULES, FORMATS, CONFIG, OPCODES, ERRORS, PROTOCOL, type ModuleName } from './bindings';
      const w: 20 = MODULES.mac_s8_a20.ports[6].width; // acc
      const acc = MODULES.mac_s8_a20.ports.find((p) => p.name === 'acc');
      const frac: 12 = FORMATS.weight.fracBits;
      const m: ModuleName = 'counter_w8';
      const B: 8 = CONFIG.window;
      const train: 0x31 = OPCODES.TRAIN;
      const range: 6 = ERRORS.OUT_OF_RANGE;
      const label: 9 = PROTOCOL.commands[10].fields[0].max;
      export { w, acc, frac, m, B, train, range, label };
    `;
    expect(typecheck(text, ok)).toEqual([]);
    const wrongModule = `import { MODULES } from './bindings'; export const x = MODULES.mac_s8_a16;`;
    expect(typecheck(text, wrongModule).join('\n')).toMatch(/mac_s8_a16/);
    const wrongOp = `import { OPCODES } from './bindings'; export const x = OPCODES.TRAINN;`;
    expect(typecheck(text, wrongOp).join('\n')).toMatch(/TRAINN/);
    const wrongFrac = `import { FORMATS } from './bindings'; export const f: 10 = FORMATS.weight.fracBits;`;
    expect(typecheck(text, wrongFrac).join('\n')).toMatch(/Type '12' is not assignable to type '10'/);
  });
});
