/**
 * Verilates a design with the co-simulation harness, through a content-hash cache.
 *
 * A build lives in build/verilator/<hash>/ (binary `harness`, the sources, `build.log`, `meta.json`),
 * where hash = sha256 over the Verilog texts, top, port list, public memories and watched streams,
 * flags (the X-initialisation ones included), trace flag, the generated harness source and
 * `verilator --version`.
 *
 * Models are built with `--x-assign unique --x-initial unique` (unless `randomInit: false`): every
 * register and memory word without an initial value, and every X the design assigns, takes the value
 * the run-time options pick (Model.start passes `+verilator+rand+reset+2 +verilator+seed+N`: random
 * for a seed), so a missing reset or an unwritten memory word cannot quietly read as 0. The same inputs never build twice: within a process concurrent
 * calls share one build, and across processes each build happens in a private temporary folder that is
 * renamed into place atomically (the loser of a race discards its copy and uses the winner's).
 *
 * Verilator's own runtime (verilated.cpp & co., ~3 s of g++ per build) does not depend on the design:
 * its objects are kept in build/verilator/runtime-<key>/ (key: Verilator and compiler versions, trace
 * flag, extra flags) and copied into each new build before make, which then compiles only the model
 * and the harness.
 *
 * Profile-guided builds (`profile`): make compiles the model and harness with `-fprofile-generate`, the
 * caller's workload runs that instrumented binary (a Model started on the BuildResult it is handed; the
 * harness writes its profile when it quits), then the same files are compiled again with `-fprofile-use
 * -fprofile-partial-training` (code the workload did not reach stays optimised as usual). GCC then lays out
 * the verilated evaluation for the branches the design really takes. The workload's id is part of the
 * cache key; the profile run happens once per build, like the compile.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { harnessSource, publicConfig } from './harness.js';
import { findStreams, validatePorts, validatePublic, type MemorySpec, type PortSpec, type StreamGroup, type WatchSpec } from './ports.js';

export interface BuildSpec {
  /** Name of the top module. */
  top: string;
  /**
   * Verilog sources, in the order Verilator reads them; names are plain file names (`adder.v`). Memory
   * images (`.hex`, `.mem`) are written next to them and read at run time by `$readmemh`: the harness
   * runs in that folder.
   */
  files: { name: string; text: string }[];
  /** Ports of the top module (from the generator's IR); checked against what Verilator verilated. */
  ports: PortSpec[];
  /** Build with `--trace-fst` so Model.traceTo can write FST waveforms (a separate cache entry). */
  trace?: boolean;
  /** Optimisation of the generated C++ (make OPT_FAST); default `-O2` (hdl-anchors §2.6). */
  optFast?: string;
  /** More Verilator arguments (e.g. `-Wno-fatal`, `-GWIDTH=8`). */
  extraFlags?: string[];
  /**
   * Build with `--x-assign unique --x-initial unique` so that uninitialised state takes random values
   * at start-up (chosen by the Model's seed); default true. False: Verilator's defaults (zeros).
   */
  randomInit?: boolean;
  /** Memories readable and writable by name (Model.peekMem / pokeMem). */
  memories?: MemorySpec[];
  /** Internal streams checked against the stream rules every cycle. */
  watches?: WatchSpec[];
  /** Profile-guided optimisation of the C++ from a workload run on an instrumented build (see above). */
  profile?: ProfileWorkload;
  /** Told each step of a build that is not in the cache, as it starts (not part of the cache key). */
  onStage?: (stage: string) => void;
}

/** A representative run of the model, for a profile-guided build. */
export interface ProfileWorkload {
  /** Names the workload in the cache key: change it when the workload changes. */
  id: string;
  /**
   * Runs the instrumented build (start a Model on it and close it: the profile is written when the harness
   * quits). Its errors fail the build.
   */
  run(instrumented: BuildResult): Promise<void>;
}

export interface BuildResult {
  hash: string;
  dir: string;
  /** The harness executable. */
  binary: string;
  top: string;
  ports: PortSpec[];
  streams: StreamGroup[];
  memories: MemorySpec[];
  watches: WatchSpec[];
  trace: boolean;
  randomInit: boolean;
  /** True when the build was found in the cache (no Verilator or compiler ran). */
  cached: boolean;
  /** Wall time of this call. */
  seconds: number;
}

/** Raised when Verilator, the port check or the C++ build fails; the message carries the log excerpt. */
export class BuildError extends Error {
  constructor(
    message: string,
    /** Full output of the failing step. */
    readonly log: string,
    /** Folder kept for inspection (sources, harness.cpp, build.log). */
    readonly dir: string,
  ) {
    super(message);
    this.name = 'BuildError';
  }
}

/** Per-process counters, e.g. for asserting that a cached build ran no tool. */
export const buildStats = { verilatorRuns: 0, cacheHits: 0 };

const DEFAULT_OPT_FAST = '-O2';
const HARNESS_NAME = 'harness';
const PREFIX = 'Vdut';
const FILE_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]*\.(v|sv|vh|svh|hex|mem)$/;
/** Files that are written next to the sources but not compiled: includes and memory images. */
const NOT_COMPILED_RE = /\.(vh|svh|hex|mem)$/;
const MAKE_JOBS = '2';

/** build/verilator under the repository root (or $IBHEBB_VERILATOR_CACHE). */
export function cacheRoot(): string {
  const env = process.env.IBHEBB_VERILATOR_CACHE;
  if (env) return resolve(env);
  return fileURLToPath(new URL('../../build/verilator/', import.meta.url));
}

let versionPromise: Promise<string> | undefined;

/** `verilator --version`, asked once per process; a clear error naming scripts/setup.sh when it is missing. */
export function verilatorVersion(): Promise<string> {
  versionPromise ??= execa('verilator', ['--version']).then(
    (r) => r.stdout.trim(),
    (e: unknown) => {
      versionPromise = undefined;
      const why = e instanceof Error ? e.message.split('\n')[0] : String(e);
      throw new Error(
        `Verilator is needed for co-simulation but \`verilator --version\` failed (${why}). ` +
          `Install it with \`bash scripts/setup.sh\` (Verilator, Yosys and Icarus Verilog from Debian's packages).`,
      );
    },
  );
  return versionPromise;
}

const X_FLAGS = ['--x-assign', 'unique', '--x-initial', 'unique'];

/**
 * Verilator's optimisation of every build (part of the cache key). Three of -O3's passes are off, each measured
 * on the default chip (bench/chip-instr.ts --samples 10 --lean, instructions per simulated cycle, 10,224 with all
 * passes): -fno-split 9,794 (Verilator no longer splits always blocks into per-signal pieces, so one enable test
 * covers a whole gated block again), -fno-table 10,015 (no lookup tables built from case logic: their index
 * arithmetic cost more than the logic), -fno-dfg 10,027; the three together 9,639 (−5.7 %). The passes were
 * on before because the lane arithmetic was then written as per-use copies that DFG merged (16,414 → 15,562);
 * the gated comb processes of lane.ts have no such copies left. The model is bound by instruction fetch (about
 * 1,160 L1i misses per simulated cycle by callgrind's cache simulation: its ~50 KB of straight-line code per
 * cycle does not fit the cache), so fewer instructions gain less wall time than their count suggests.
 */
export const VERILATOR_OPT = ['-O3', '-fno-split', '-fno-table', '-fno-dfg'];

function xFlags(spec: BuildSpec): string[] {
  return spec.randomInit === false ? [] : X_FLAGS;
}

function normalisedPorts(ports: readonly PortSpec[]): PortSpec[] {
  return ports.map((p) => ({ name: p.name, dir: p.dir, width: p.width, signed: p.signed === true }));
}

let compilerPromise: Promise<string> | undefined;

/** First line of `$CXX --version` (the compiler make will use). */
function compilerVersion(): Promise<string> {
  compilerPromise ??= execa(process.env.CXX ?? 'g++', ['--version']).then((r) => r.stdout.split('\n')[0]);
  return compilerPromise;
}

const RUNTIME_OBJ_RE = /^verilated.*\.o$/;

async function runtimeDir(spec: BuildSpec): Promise<string> {
  const key = JSON.stringify([await verilatorVersion(), await compilerVersion(), spec.trace === true, spec.extraFlags ?? []]);
  return join(cacheRoot(), `runtime-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`);
}

/** Copies cached runtime objects into a fresh object folder; false when there are none yet. */
async function seedRuntime(runtime: string, obj: string): Promise<boolean> {
  let names: string[];
  try {
    names = (await readdir(runtime)).filter((n) => RUNTIME_OBJ_RE.test(n));
  } catch {
    return false;
  }
  if (names.length === 0) return false;
  // copies are newer than the makefile, so make takes them as up to date
  for (const n of names) await copyFile(join(runtime, n), join(obj, n));
  return true;
}

/** Keeps the runtime objects of a successful build (atomically; losing a race is fine). */
async function keepRuntime(runtime: string, obj: string): Promise<void> {
  const tmp = `${runtime}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(tmp, { recursive: true });
    for (const n of (await readdir(obj)).filter((x) => RUNTIME_OBJ_RE.test(x))) await copyFile(join(obj, n), join(tmp, n));
    await rename(tmp, runtime);
  } catch {
    await rm(tmp, { recursive: true, force: true });
  }
}

/**
 * The cache key of a build. `tools` names the tools that make the binary (Verilator's and the C++ compiler's
 * versions: a model built by g++ is not reused when CXX names clang++). Exported for tests.
 */
export function buildHash(spec: BuildSpec, harness: string, tools: string): string {
  const key = {
    format: 2,
    verilatorOpt: VERILATOR_OPT,
    top: spec.top,
    files: spec.files.map((f) => ({ name: f.name, text: f.text })),
    ports: normalisedPorts(spec.ports),
    memories: spec.memories ?? [],
    watches: spec.watches ?? [],
    xFlags: xFlags(spec),
    trace: spec.trace === true,
    optFast: spec.optFast ?? DEFAULT_OPT_FAST,
    extraFlags: spec.extraFlags ?? [],
    ...(spec.profile ? { profile: spec.profile.id } : {}),
    harness,
    version: tools,
  };
  return createHash('sha256').update(JSON.stringify(key)).digest('hex');
}

function checkSpec(spec: BuildSpec): void {
  if (!/^[A-Za-z_][A-Za-z0-9_$]*$/.test(spec.top)) throw new RangeError(`top '${spec.top}' is not a module name`);
  if (spec.files.length === 0) throw new RangeError('buildModel: no Verilog files');
  const names = new Set<string>();
  for (const f of spec.files) {
    if (!FILE_NAME_RE.test(f.name)) throw new RangeError(`file name '${f.name}' must be a plain name ending in .v/.sv/.vh/.svh (or .hex/.mem for memory images)`);
    if (names.has(f.name)) throw new RangeError(`file '${f.name}' is given twice`);
    names.add(f.name);
  }
  validatePorts(spec.ports);
  validatePublic(spec.memories ?? [], spec.watches ?? []);
}

/** Builds in flight in this process, so concurrent calls share one. */
const inProcess = new Map<string, Promise<BuildResult>>();

/** Verilates and compiles the design with its harness, or returns the cached build. */
export async function build(spec: BuildSpec): Promise<BuildResult> {
  const t0 = performance.now();
  checkSpec(spec);
  const harness = harnessSource(spec.ports, spec.memories, spec.watches);
  const hash = buildHash(spec, harness, `${await verilatorVersion()}; ${await compilerVersion()}`);
  let pending = inProcess.get(hash);
  if (!pending) {
    pending = buildOnce(spec, harness, hash);
    inProcess.set(hash, pending);
    const forget = (): void => void inProcess.delete(hash);
    pending.then(forget, forget);
  }
  const r = await pending;
  return { ...r, seconds: (performance.now() - t0) / 1000 };
}

async function readCached(dir: string, hash: string): Promise<boolean> {
  try {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { hash?: string };
    return meta.hash === hash && existsSync(join(dir, HARNESS_NAME));
  } catch {
    return false;
  }
}

async function buildOnce(spec: BuildSpec, harness: string, hash: string): Promise<BuildResult> {
  const root = cacheRoot();
  const dir = join(root, hash);
  const result = (cached: boolean, at = dir, binary = join(dir, HARNESS_NAME)): BuildResult => ({
    hash,
    dir: at,
    binary,
    top: spec.top,
    ports: normalisedPorts(spec.ports),
    streams: findStreams(spec.ports),
    memories: spec.memories ?? [],
    watches: spec.watches ?? [],
    trace: spec.trace === true,
    randomInit: spec.randomInit !== false,
    cached,
    seconds: 0,
  });
  if (await readCached(dir, hash)) {
    buildStats.cacheHits++;
    return result(true);
  }

  const tmp = join(root, `.tmp-${hash.slice(0, 16)}-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(join(tmp, 'src'), { recursive: true });
  const logs: string[] = [];
  const fail = async (what: string, log: string, whole = false): Promise<never> => {
    logs.push(log);
    const full = logs.join('\n');
    const kept = join(root, `failed-${hash.slice(0, 16)}`);
    await writeFile(join(tmp, 'build.log'), full);
    await rm(join(tmp, 'obj'), { recursive: true, force: true });
    await rm(kept, { recursive: true, force: true });
    await rename(tmp, kept).catch(() => rm(tmp, { recursive: true, force: true }));
    throw new BuildError(`${what} (top ${spec.top}; sources and log in ${kept}):\n${whole ? log : excerpt(log)}`, full, kept);
  };
  /** Runs one build tool in the temporary folder, logs its command and output, and fails the build with `what` if it fails. */
  const step = async (cmd: string, args: string[], what: string): Promise<void> => {
    const r = await execa(cmd, args, { cwd: tmp, all: true, reject: false });
    logs.push(`$ ${cmd} ${args.join(' ')}\n${r.all ?? ''}`);
    if (r.exitCode !== 0) await fail(what, r.all ?? '');
  };

  try {
    const sources: string[] = [];
    for (const f of spec.files) {
      const p = join(tmp, 'src', f.name);
      await writeFile(p, f.text);
      if (!NOT_COMPILED_RE.test(f.name)) sources.push(p);
    }
    const harnessPath = join(tmp, 'harness.cpp');
    await writeFile(harnessPath, harness);
    const memories = spec.memories ?? [];
    const watches = spec.watches ?? [];
    const config: string[] = [];
    if (memories.length + watches.length > 0) {
      config.push(join(tmp, 'src', 'ibhebb_public.vlt'));
      await writeFile(config[0], publicConfig(memories, watches));
    }

    const args = [
      '--cc',
      '--exe',
      ...VERILATOR_OPT,
      '--top-module',
      spec.top,
      '--prefix',
      PREFIX,
      '-Mdir',
      join(tmp, 'obj'),
      '-I' + join(tmp, 'src'),
      ...(spec.trace ? ['--trace-fst'] : []),
      ...xFlags(spec),
      ...(spec.extraFlags ?? []),
      ...config,
      ...sources,
      harnessPath,
    ];
    buildStats.verilatorRuns++;
    spec.onStage?.('verilating');
    await step('verilator', args, 'verilator failed');

    const header = await readFile(join(tmp, 'obj', `${PREFIX}.h`), 'utf8');
    const mismatch = comparePorts(spec.ports, verilatedPorts(header));
    if (mismatch) await fail('port list does not match the verilated module', mismatch, true);

    const runtime = await runtimeDir(spec);
    const seeded = await seedRuntime(runtime, join(tmp, 'obj'));
    const obj = join(tmp, 'obj');
    const optFast = spec.optFast ?? DEFAULT_OPT_FAST;
    const make = (opt: string, extra: string[] = []): string[] => ['-j', MAKE_JOBS, '-C', obj, '-f', `${PREFIX}.mk`, `OPT_FAST=${opt}`, ...extra];
    if (spec.profile) {
      spec.onStage?.('compiling the instrumented model');
      await step('make', make(`${optFast} -fprofile-generate`, ['USER_LDFLAGS=-fprofile-generate']), 'C++ build of the instrumented model failed');
      if (!seeded) await keepRuntime(runtime, obj);
      spec.onStage?.(`profile run (${spec.profile.id})`);
      try {
        await spec.profile.run(result(false, tmp, join(obj, PREFIX)));
      } catch (e) {
        await fail(`the profile workload '${spec.profile.id}' failed on the instrumented model`, e instanceof Error ? (e.stack ?? e.message) : String(e), true);
      }
      const names = await readdir(obj);
      if (!names.some((n) => n.endsWith('.gcda'))) await fail(`the profile workload '${spec.profile.id}' wrote no profile (did it close the model?)`, names.join('\n'), true);
      // everything but Verilator's runtime is compiled again, now from the profile
      for (const n of names) if ((n.endsWith('.o') && !RUNTIME_OBJ_RE.test(n)) || n.endsWith('.a') || n === PREFIX) await rm(join(obj, n));
      spec.onStage?.('compiling the model from its profile');
      await step('make', make(`${optFast} -fprofile-use -fprofile-partial-training -Wno-missing-profile`), 'C++ build of the model from its profile failed');
    } else {
      spec.onStage?.('compiling the model');
      await step('make', make(optFast), 'C++ build of the verilated model failed');
      if (!seeded) await keepRuntime(runtime, obj);
    }

    await rename(join(tmp, 'obj', PREFIX), join(tmp, HARNESS_NAME));
    await rm(join(tmp, 'obj'), { recursive: true, force: true });
    await writeFile(join(tmp, 'build.log'), logs.join('\n'));
    await writeFile(
      join(tmp, 'meta.json'),
      JSON.stringify({ hash, top: spec.top, trace: spec.trace === true, ports: normalisedPorts(spec.ports), builtAt: new Date().toISOString() }, null, 2),
    );
  } catch (e) {
    if (e instanceof BuildError) throw e;
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }

  try {
    await rename(tmp, dir);
  } catch (e) {
    // Another process finished the same build first: use its copy.
    await rm(tmp, { recursive: true, force: true });
    if (!(await readCached(dir, hash))) throw e;
  }
  return result(false);
}

/** Ports as Verilator declared them in the model header (`VL_IN8(&clk,0,0);`). */
export function verilatedPorts(header: string): { name: string; dir: 'in' | 'out' | 'inout'; width: number }[] {
  const out: { name: string; dir: 'in' | 'out' | 'inout'; width: number }[] = [];
  const re = /\bVL_(IN|OUT|INOUT)(8|16|64|W)?\(&(\w+),(\d+),(\d+)(?:,\d+)?\);/g;
  for (const m of header.matchAll(re)) {
    out.push({ name: m[3], dir: m[1].toLowerCase() as 'in' | 'out' | 'inout', width: Number(m[4]) - Number(m[5]) + 1 });
  }
  return out;
}

/** A description of every difference, or '' when the lists agree (order aside). */
export function comparePorts(spec: readonly PortSpec[], actual: ReturnType<typeof verilatedPorts>): string {
  const problems: string[] = [];
  const byName = new Map(actual.map((p) => [p.name, p]));
  for (const p of spec) {
    const a = byName.get(p.name);
    if (!a) problems.push(`port '${p.name}' is not a port of the verilated module`);
    else if (a.dir !== p.dir) problems.push(`port '${p.name}': declared ${p.dir}, verilated as ${a.dir}`);
    else if (a.width !== p.width) problems.push(`port '${p.name}': declared ${p.width} bits, verilated as ${a.width}`);
  }
  const listed = new Set(spec.map((p) => p.name));
  for (const a of actual) if (!listed.has(a.name)) problems.push(`verilated port '${a.name}' (${a.dir}, ${a.width} bits) is missing from the port list`);
  return problems.join('\n');
}

/** The lines of a tool log worth reading: errors and warnings first, else the tail. */
function excerpt(log: string, max = 30): string {
  const lines = log.split('\n').filter((l) => l.trim() !== '');
  const important = lines.filter((l) => /%Error|%Warning|error:|Error \d|undefined reference/.test(l));
  const chosen = important.length > 0 ? important : lines.slice(-max);
  const shown = chosen.slice(0, max);
  return shown.join('\n') + (chosen.length > max ? `\n… (${chosen.length - max} more lines)` : '');
}
