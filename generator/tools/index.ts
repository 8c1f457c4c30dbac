/**
 * Runners for the external HDL tools every emitted module must satisfy:
 *   lintVerilator  verilator --lint-only -Wall           → warnings and errors, parsed
 *   synthYosys     yosys read_verilog; synth[_ice40|_xilinx] -flatten; check; stat → cells, latches, problems
 *   synthNetlist   yosys synth_ice40 / synth_xilinx; write_verilog → the mapped gate-level netlist
 *   yosysDatdir    Yosys' data folder (cells_sim.v of each family, for gate-level simulation)
 *   parseIcarus    iverilog -g2005 -Wall -o /dev/null     → errors and warnings, parsed
 *   simulateIcarus iverilog -g2005 + vvp on a testbench    → what the simulation printed
 * Each writes the files into a fresh temporary folder under the repository's ignored `build/` and
 * removes it afterwards. A missing tool is an error, never a silent pass.
 */
import { access, mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** A file to hand to the tools: name (relative, no folders) and content. `.v` files are compiled. */
export interface ToolFile {
  readonly name: string;
  readonly content: string;
}

export interface Diagnostic {
  readonly severity: 'warning' | 'error';
  /** Verilator's code (WIDTH, UNUSED, …) where the tool gives one. */
  readonly code: string | null;
  readonly file: string | null;
  readonly line: number | null;
  readonly message: string;
}

export interface LintResult {
  readonly ok: boolean;
  readonly warnings: readonly Diagnostic[];
  readonly errors: readonly Diagnostic[];
  readonly output: string;
}

export interface SynthResult {
  /** Synthesis ran without error and `check` found no problem. */
  readonly ok: boolean;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
  /** Problems reported by `check` (driver conflicts, undriven wires, loops). */
  readonly checkProblems: number;
  /** Cell type → count in the flattened top after `synth`. */
  readonly cells: Readonly<Record<string, number>>;
  readonly totalCells: number;
  /** Latch cell types found ($dlatch, $_DLATCH_*); empty when no latch was inferred. */
  readonly latches: readonly string[];
  readonly output: string;
}

export interface ParseResult {
  readonly ok: boolean;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  readonly output: string;
}

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUILD_DIR = join(REPO_ROOT, 'build', 'hdl-tools');

async function withFiles<T>(files: readonly ToolFile[], f: (dir: string, vfiles: string[]) => Promise<T>): Promise<T> {
  await mkdir(BUILD_DIR, { recursive: true });
  const dir = await mkdtemp(join(BUILD_DIR, 'run-'));
  try {
    const vfiles: string[] = [];
    for (const file of files) {
      if (file.name.includes('/') || file.name.includes('\\')) throw new Error(`tool file name must not contain folders: ${file.name}`);
      await writeFile(join(dir, file.name), file.content);
      if (file.name.endsWith('.v')) vfiles.push(file.name);
    }
    if (vfiles.length === 0) throw new Error('no .v files given');
    return await f(dir, vfiles);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  const r = await execa(cmd, args, { cwd, reject: false, all: true, stdin: 'ignore' });
  if (r.failed && r.exitCode === undefined) {
    throw new Error(`could not run ${cmd}: ${r.message} (is it installed? see scripts/setup.sh)`);
  }
  return { code: r.exitCode ?? 1, out: r.all ?? '' };
}

const VERILATOR_LINE = /^%(Warning|Error)(?:-([A-Za-z0-9_]+))?:\s*(?:([^:\s]+):(\d+):(?:\d+:)?)?\s*(.*)$/;

/** `verilator --lint-only -Wall` on the files with `top` as the top module. */
export async function lintVerilator(files: readonly ToolFile[], top: string): Promise<LintResult> {
  return withFiles(files, async (dir, vfiles) => {
    const { code, out } = await run('verilator', ['--lint-only', '-Wall', '--top-module', top, ...vfiles], dir);
    const warnings: Diagnostic[] = [];
    const errors: Diagnostic[] = [];
    for (const line of out.split('\n')) {
      const m = VERILATOR_LINE.exec(line);
      if (!m) continue;
      if (m[1] === 'Error' && /^Exiting due to/.test(m[5])) continue;
      const d: Diagnostic = {
        severity: m[1] === 'Warning' ? 'warning' : 'error',
        code: m[2] ?? null,
        file: m[3] ?? null,
        line: m[4] ? Number(m[4]) : null,
        message: m[5],
      };
      (d.severity === 'warning' ? warnings : errors).push(d);
    }
    if (code !== 0 && warnings.length === 0 && errors.length === 0) {
      errors.push({ severity: 'error', code: null, file: null, line: null, message: `verilator exited with ${code}: ${out.trim()}` });
    }
    return { ok: code === 0 && warnings.length === 0 && errors.length === 0, warnings, errors, output: out };
  });
}

/**
 * Which Yosys synthesis script: generic gates, or an FPGA family (to see BRAM/DSP mapping). `ice40` maps
 * multipliers to logic (iCE40 HX/LP have no DSP); `ice40-dsp` maps them to SB_MAC16 (iCE40 UltraPlus).
 */
export type SynthTarget = 'generic' | 'ice40' | 'ice40-dsp' | 'xilinx';

const SYNTH_COMMAND: Record<SynthTarget, string> = {
  generic: 'synth -flatten',
  ice40: 'synth_ice40 -flatten',
  'ice40-dsp': 'synth_ice40 -dsp -flatten',
  xilinx: 'synth_xilinx -flatten',
};

/**
 * Yosys commands between reading and synthesis per target. iCE40 has no distributed (LUT) RAM, and
 * Yosys' memory_libmap fails on `ram_style = "distributed"` there ("no valid mapping found"), so the
 * iCE40 flow drops that attribute and lets the tool choose (block RAM or logic).
 */
const ICE40_PREPARE = ['setattr -unset ram_style a:ram_style=distributed'];
/** Xilinx 7-series has no single-port "huge" RAM (UltraRAM): those memories go to block RAM. */
export const XILINX_PREPARE = ['setattr -set ram_style "block" a:ram_style=huge'];
const PREPARE: Record<SynthTarget, string[]> = {
  generic: [],
  ice40: ICE40_PREPARE,
  'ice40-dsp': ICE40_PREPARE,
  xilinx: XILINX_PREPARE,
};

/** The `-p` script: read, target preparation, synthesis of `top`, then `tail`. */
function synthScript(vfiles: string[], top: string, target: SynthTarget, tail: string[]): string {
  return [`read_verilog ${vfiles.join(' ')}`, ...PREPARE[target], `${SYNTH_COMMAND[target]} -top ${top}`, ...tail].join('; ');
}

/** Yosys synthesis of `top` (flattened; generic unless `target` says otherwise), `check`, and `stat`. */
export async function synthYosys(files: readonly ToolFile[], top: string, target: SynthTarget = 'generic'): Promise<SynthResult> {
  return withFiles(files, async (dir, vfiles) => {
    const script = synthScript(vfiles, top, target, ['check', 'stat']);
    const { code, out } = await run('yosys', ['-p', script], dir);
    const lines = out.split('\n');
    const errors = lines.filter((l) => /^ERROR:/.test(l)).map((l) => l.replace(/^ERROR:\s*/, ''));
    if (code !== 0 && errors.length === 0) errors.push(`yosys exited with ${code}`);
    const warnings = lines.filter((l) => /^Warning:/.test(l)).map((l) => l.replace(/^Warning:\s*/, ''));
    let checkProblems = 0;
    for (const l of lines) {
      const m = /[Ff]ound and reported (\d+) problems?/.exec(l);
      if (m) checkProblems = Number(m[1]);
    }
    // the last `stat` block: "Number of cells: N" followed by "  <type>  <count>" rows
    const cells: Record<string, number> = {};
    let totalCells = 0;
    const start = lines.map((l) => /Number of cells:\s+(\d+)/.test(l)).lastIndexOf(true);
    if (start >= 0) {
      totalCells = Number(/Number of cells:\s+(\d+)/.exec(lines[start])![1]);
      for (let i = start + 1; i < lines.length; i++) {
        const m = /^\s+(\$?[\w$]+)\s+(\d+)\s*$/.exec(lines[i]);
        if (!m) break;
        cells[m[1]] = Number(m[2]);
      }
    }
    const latches = Object.keys(cells).filter((c) => /dlatch/i.test(c));
    return {
      ok: code === 0 && errors.length === 0 && checkProblems === 0,
      errors,
      warnings,
      checkProblems,
      cells,
      totalCells,
      latches,
      output: out,
    };
  });
}

/**
 * The gate-level netlist of `top` after `synth_ice40` / `synth_xilinx` (flattened, `write_verilog
 * -noattr`): the family's primitives (SB_RAM40_4K, RAMB18E1, LUTs, flip-flops) instantiated by name,
 * to simulate with Yosys' cell models (`<yosysDatdir()>/<family>/cells_sim.v`).
 */
export async function synthNetlist(files: readonly ToolFile[], top: string, target: Exclude<SynthTarget, 'generic'>): Promise<string> {
  return withFiles(files, async (dir, vfiles) => {
    const script = synthScript(vfiles, top, target, ['write_verilog -noattr netlist.v']);
    const { code, out } = await run('yosys', ['-q', '-p', script], dir);
    if (code !== 0) throw new Error(`yosys ${SYNTH_COMMAND[target]} of ${top} failed:\n${out.slice(-3000)}`);
    return readFile(join(dir, 'netlist.v'), 'utf8');
  });
}

let datdir: Promise<string> | undefined;

/** Yosys' data folder: `yosys-config --datdir`, or <prefix>/share/yosys next to the yosys binary. */
export function yosysDatdir(): Promise<string> {
  datdir ??= (async () => {
    const r = await execa('yosys-config', ['--datdir'], { reject: false });
    if (r.exitCode === 0 && r.stdout.trim()) return r.stdout.trim();
    const which = await execa('which', ['yosys'], { reject: false });
    if (which.exitCode !== 0) throw new Error('yosys is not on the PATH (see scripts/setup.sh)');
    const dir = join(dirname(await realpath(which.stdout.trim())), '..', 'share', 'yosys');
    await access(join(dir, 'ice40', 'cells_sim.v'));
    return dir;
  })();
  return datdir;
}

const ICARUS_LINE = /^([^:\s]+):(\d+):\s*(error|warning|sorry)?:?\s*(.*)$/i;

/** `iverilog -g2005 -Wall` parse and elaboration of `top`, output discarded. */
export async function parseIcarus(files: readonly ToolFile[], top: string): Promise<ParseResult> {
  return withFiles(files, async (dir, vfiles) => {
    const { code, out } = await run('iverilog', ['-g2005', '-Wall', '-o', '/dev/null', '-s', top, ...vfiles], dir);
    const errors: Diagnostic[] = [];
    const warnings: Diagnostic[] = [];
    for (const line of out.split('\n')) {
      const m = ICARUS_LINE.exec(line.trim());
      if (!m) continue;
      const sev = (m[3] ?? 'error').toLowerCase();
      const d: Diagnostic = { severity: sev === 'warning' ? 'warning' : 'error', code: null, file: m[1], line: Number(m[2]), message: m[4] };
      (d.severity === 'warning' ? warnings : errors).push(d);
    }
    if (code !== 0 && errors.length === 0) errors.push({ severity: 'error', code: null, file: null, line: null, message: out.trim() || `iverilog exited with ${code}` });
    return { ok: code === 0 && errors.length === 0, errors, warnings, output: out };
  });
}

export interface SimResult {
  readonly ok: boolean;
  /** What the simulation printed ($display), or the compiler's messages when it did not build. */
  readonly stdout: string;
  readonly compile: ParseResult;
}

/**
 * Compiles the files with `iverilog -g2005` (top = the testbench module `tbTop`) and runs the result
 * with `vvp -n` in the files' folder (so `$readmemh` finds its images); for small directed or random
 * tests of emitted modules against a TS reference. `generation: '2012'` for Yosys' cell models;
 * `defines` are passed as -D (the iCE40 models need NO_ICE40_DEFAULT_ASSIGNMENTS in Icarus).
 */
export async function simulateIcarus(
  files: readonly ToolFile[],
  tbTop: string,
  opts: { generation?: '2005' | '2012'; defines?: readonly string[] } = {},
): Promise<SimResult> {
  return withFiles(files, async (dir, vfiles) => {
    const defs = (opts.defines ?? []).map((d) => `-D${d}`);
    const c = await run('iverilog', [`-g${opts.generation ?? '2005'}`, ...defs, '-o', 'sim.vvp', '-s', tbTop, ...vfiles], dir);
    const compile: ParseResult = {
      ok: c.code === 0,
      errors: c.code === 0 ? [] : [{ severity: 'error', code: null, file: null, line: null, message: c.out.trim() }],
      warnings: [],
      output: c.out,
    };
    if (c.code !== 0) return { ok: false, stdout: c.out, compile };
    const r = await execa('vvp', ['-n', 'sim.vvp'], { cwd: dir, reject: false, stdin: 'ignore' });
    return { ok: r.exitCode === 0, stdout: r.stdout ?? '', compile };
  });
}
