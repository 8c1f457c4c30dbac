/**
 * `ibhebb` command line. Subcommands live in their own modules; this file wires them into commander and turns
 * expected errors (bad options, bad files) into one clear line on stderr without a stack trace.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { trainCommand } from './train.js';
import { inferCommand } from './infer.js';
import { genCommand } from './gen.js';
import { sweepCommand } from './sweep.js';
import { serveCommand } from './serve.js';
import { identifyCommand } from './identify.js';
import { buildCommand } from './build.js';
import { UsageError } from './options.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

const program = new Command()
  .name('ibhebb')
  .description('On-chip information-bottleneck Hebbian learning: golden model, HDL generator, co-simulation, host driver')
  .version(pkg.version)
  .showHelpAfterError('(run with --help for usage)');

program.addCommand(trainCommand());
program.addCommand(inferCommand());
program.addCommand(genCommand());
program.addCommand(sweepCommand());
program.addCommand(serveCommand());
program.addCommand(identifyCommand());
program.addCommand(buildCommand());

/** Errors whose message is the whole story: print it, no stack. */
function isUserError(e: unknown): e is Error {
  return e instanceof Error && ['UsageError', 'DatasetError', 'CheckpointError', 'ConfigError', 'TransportError', 'ProtocolError', 'ChipError', 'BoardError', 'FitError'].includes(e.name);
}

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) process.exit(e.exitCode);
  if (e instanceof Error && (e.name === 'ToolError' || e.name === 'ToolMissingError')) {
    // a synthesis or place-and-route tool failed or is missing: how it ended, its log and last lines (exit 4)
    process.stderr.write(`ibhebb: ${e.message}\n`);
    process.exit(4);
  }
  if (isUserError(e) || e instanceof UsageError) {
    process.stderr.write(`ibhebb: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
