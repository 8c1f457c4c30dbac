/** `ibhebb gen`: emits the Verilog, name maps, TypeScript bindings and manifest of a configuration. */
import { Command } from 'commander';
import { loadChip } from '../chip/config.js';
import { DEFAULT_CHIP, configHash } from '../../generator/config.js';
import { generateFiles, writeDesign } from '../../generator/gen.js';
import { wmBits } from '../../generator/units/wm.js';

export function genCommand(): Command {
  return new Command('gen')
    .description('generate the Verilog (one module per file), name maps and TypeScript bindings of a configuration')
    .option('--config <file>', 'chip configuration (JSON); default: the default configuration')
    .option('--out <dir>', 'output folder', 'build/gen')
    .action((o: { config?: string; out: string }) => {
      const cfg = o.config ? loadChip(o.config) : DEFAULT_CHIP;
      const files = generateFiles(cfg);
      writeDesign(o.out, files);
      const modules = files.filter((f) => f.name.endsWith('.v')).length;
      const groups = cfg.numeric.lfsr.rowGroups ?? 1;
      process.stdout.write(
        `ibhebb gen: ${modules} modules, ${files.length} files written to ${o.out} (config hash ${configHash(cfg)}); ${cfg.lanes} Hebbian lanes${groups > 1 ? ` in ${groups} row groups` : ''}; working memory ${wmBits(cfg).total} bits\n`,
      );
    });
}
