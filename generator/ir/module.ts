/**
 * The module builder: the one way to make a `Module` (the immutable IR the emitter and the tools read).
 *
 *   const m = new ModuleBuilder('counter_w8', { width: 8 });
 *   const { clk, rst } = m.clock();                 // ports clk + rst (sync, active high), once
 *   const en = m.input('en', uint(1));
 *   const count = m.reg('count_q', uint(8), { reset: 0 });
 *   m.seq('count', ($) => { $.if(en, () => $.set(count, count.addWrap(1))); });
 *   m.output('count', count);                       // declare + drive in one call
 *   const mod = m.build();
 *
 * Every signal has exactly one driver: one `assign`, one comb process, one seq process, a memory
 * read port or an instance output. Errors are thrown where the mistake is made (so the stack points at
 * the generator line); `build()` then checks what can only be seen whole (undriven signals, loops).
 */
import { createHash } from 'node:crypto';
import {
  Expr,
  Signal,
  checkCondition,
  collectReads,
  describe,
  sizeTo,
  type MemoryRef,
  type Operand,
  type SignalKind,
} from './expr.js';
import { NameTable, checkIdentifier } from './names.js';
import { HdlError, addrWidth, fits, toBigInt, typeName, uint, type HwType } from './types.js';
import { checkCombLoops, findUnassignedPath, describePath } from './checks.js';
import { captureSite, withLocation } from './srcloc.js';

// ---------------------------------------------------------------------------------------------------
// IR data

export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };
export type Params = { readonly [k: string]: Json };

export interface SwitchCase {
  readonly values: readonly bigint[];
  /** The localparam each value was given as (enum members), or null for a plain literal. */
  readonly names?: readonly (string | null)[];
  readonly body: readonly Stmt[];
}

export type Stmt =
  | { readonly kind: 'set'; readonly target: Signal; readonly value: Expr }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: readonly Stmt[]; readonly else: readonly Stmt[] }
  | {
      readonly kind: 'switch';
      readonly sel: Expr;
      readonly cases: readonly SwitchCase[];
      readonly dflt: readonly Stmt[] | null;
    };

export interface Process {
  readonly kind: 'comb' | 'seq';
  readonly name: string;
  readonly body: readonly Stmt[];
  /** Signals this process drives, in first-assignment order. */
  readonly targets: readonly Signal[];
  /**
   * Comb process only: the targets that are temporaries (setTemp): set before they are read on every path
   * of the process, and read nowhere else. They let a value used several times be formed inside a branch
   * (a simulator computes it only when the branch runs) without looking like a loop.
   */
  readonly temps?: readonly Signal[];
}

export interface MemWritePort {
  readonly addr: Expr;
  readonly data: Expr;
  readonly en: Expr | null;
  /** Lane (byte) write enables, uint(lanes): bit i writes bits [(i+1)·w/lanes − 1 : i·w/lanes]; null = whole word. */
  readonly lanes: Expr | null;
}

/** What a synchronous read returns when the same cycle writes the address it reads. */
export type ReadMode = 'read-first' | 'write-first';

export interface MemReadPort {
  /** The register the read lands in (the memory's own read register). */
  readonly target: Signal;
  readonly addr: Expr;
  readonly en: Expr | null;
  readonly mode: ReadMode;
  /** The optional output register after `target` (read latency 2), or null. */
  readonly outReg: Signal | null;
}

export interface Instance {
  readonly name: string;
  readonly module: Module;
  /** Input port name → connected expression, in the child's port order. */
  readonly inputs: ReadonlyMap<string, Expr>;
  /** Output port name → the parent's wire `<instance>_<port>`. */
  readonly outputs: ReadonlyMap<string, Signal>;
}

/** `loc`: where the IR call that made the item was written (`generator/units/x.ts:42`), or null. */
export type Item = (
  | { readonly kind: 'assign'; readonly target: Signal; readonly value: Expr }
  | { readonly kind: 'process'; readonly process: Process }
  | { readonly kind: 'memory'; readonly memory: Memory }
  | { readonly kind: 'instance'; readonly instance: Instance }
) & { readonly loc: string | null };

export interface Clock {
  readonly clk: Signal;
  readonly rst: Signal;
}

/** A finished module: immutable data, read by checks, emitters and tools. */
export interface Module {
  readonly name: string;
  readonly params: Params;
  /** sha256 of the canonical JSON of `params`, first 16 hex digits. */
  readonly paramsHash: string;
  readonly clock: Clock | null;
  /** Ports in declaration order (clk, rst first when present). */
  readonly ports: readonly Signal[];
  /** Internal signals (wires, registers, instance outputs) in declaration order. */
  readonly signals: readonly Signal[];
  readonly memories: readonly Memory[];
  /** Logic in creation order. */
  readonly items: readonly Item[];
  /** What drives each signal, for messages and tools ("assign", "comb process 'x'", …). */
  readonly drivers: ReadonlyMap<Signal, string>;
  /** Expressions deliberately left unused (sunk into `_unused`). */
  readonly unused: readonly Expr[];
  /** Named enumerations (state encodings), emitted as localparams. */
  readonly enums: readonly EnumDef[];
  /** The module's simulator form (absent: one form for every tool); see VerilatorForm. */
  readonly verilator?: VerilatorForm;
}

/**
 * A second form of some of a module's logic, written for Verilator only (`ifdef VERILATOR): L lanes of the same
 * logic as arrays updated in a `for` loop instead of L copies of straight-line code (Verilator writes every copy
 * out, and a model bound by instruction fetch runs faster on one loop). The items are the hardware, and every
 * other tool (synthesis, Icarus, the fit check) reads only them; the Verilator form replaces:
 *   - `unrolledItems`: items that Verilator does not see (`ifndef VERILATOR), and the signals only they drive and
 *     read (the emitter finds those);
 *   - `arrays`: lane signals that Verilator sees as one unpacked array `<name>[0:n−1]` (lane i = `<name>[i]`):
 *     every item that reads or drives one is written in both forms, the Verilator one with the elements;
 *   - `blocks`: Verilog text only Verilator sees (the loops), with their own declarations. The unit that writes
 *     them proves them equal to the items (a co-simulation of both forms under Icarus).
 */
export interface VerilatorForm {
  readonly arrays: readonly LaneArray[];
  readonly unrolledItems: ReadonlySet<Item>;
  /** `unused` values declared while building unrolled items: only the unrolled form lists them */
  readonly unrolledUnused: ReadonlySet<Expr>;
  readonly blocks: readonly VerilatorBlock[];
}

/** Lane signals of one type held by Verilator as the array `name`, element i = signals[i]. */
export interface LaneArray {
  readonly name: string;
  readonly signals: readonly Signal[];
}

/** Verilog text for Verilator only: declarations (module level) and items, after the module's items. */
export interface VerilatorBlock {
  readonly name: string;
  readonly decls: readonly string[];
  readonly lines: readonly string[];
  readonly loc: string | null;
}

/** A named enumeration: members are localparams `<NAME>_<MEMBER>` of one unsigned type. */
export interface EnumDef {
  readonly name: string;
  readonly type: HwType;
  readonly members: readonly { readonly member: string; readonly param: string; readonly value: bigint }[];
}

/**
 * Handle of `m.enum(name, members)`: the type, each member as a constant expression written as its
 * localparam, and a register helper.
 */
export interface EnumHandle<K extends string> {
  readonly name: string;
  readonly type: HwType;
  /** Member → constant expression (emitted as `<NAME>_<MEMBER>`). */
  readonly v: Readonly<Record<K, Expr>>;
  /** A register of the enum's type with a member as reset value (or null: no reset). */
  reg(name: string, reset: K | null): Signal;
  /** `value == member` as uint(1). */
  is(value: Expr, member: K): Expr;
}

/** A port as tools outside the IR see it (the co-simulation runner, the TypeScript bindings). */
export interface PortInfo {
  readonly name: string;
  readonly dir: 'in' | 'out';
  readonly width: number;
  readonly signed: boolean;
}

/** The ports of a module in declaration order (clk, rst first when present). */
export function portList(mod: Module): PortInfo[] {
  return mod.ports.map((p) => ({ name: p.name, dir: p.kind === 'input' ? 'in' : 'out', width: p.type.width, signed: p.type.signed }));
}

// ---------------------------------------------------------------------------------------------------
// Params hash

function canonicalJson(value: unknown, path: string): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new HdlError(`params${path}: ${value} is not JSON (finite numbers only)`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v, i) => canonicalJson(v, `${path}[${i}]`)).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.keys(value as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k], `${path}.${k}`)}`);
    return `{${entries.join(',')}}`;
  }
  const hint = typeof value === 'bigint' ? ' (write it as a string, e.g. String(x))' : '';
  throw new HdlError(`params${path}: a ${typeof value} is not JSON${hint}; params must be plain JSON data`);
}

/** Canonical (sorted-key) JSON of params; throws on anything that is not plain JSON. */
export function paramsJson(params: Params): string {
  return canonicalJson(params, '');
}

export function paramsHashOf(params: Params): string {
  return createHash('sha256').update(paramsJson(params)).digest('hex').slice(0, 16);
}

// ---------------------------------------------------------------------------------------------------
// Assignment checks

/** Sizes `value` for `target` and checks the types match exactly, naming the fix if not. */
export function checkAssignValue(target: Signal, value: Operand, where: string): Expr {
  const what = `${kindWord(target)} '${target.name}'`;
  const v = sizeTo(value, target.type, `${what} (${where})`);
  const t = target.type;
  if (v.width === t.width && v.signed === t.signed) return v;
  let fix: string;
  if (v.signed !== t.signed) {
    fix = v.signed
      ? `reinterpret with .asUnsigned()${v.width !== t.width ? ` and resize to ${t.width} bits` : ''}`
      : `convert exactly with .toSigned() (→ sint(${v.width + 1}))${v.width + 1 !== t.width ? `, then .${v.width + 1 < t.width ? `sext(${t.width})` : `trunc(${t.width})`}` : ''}, or reinterpret with .asSigned()`;
  } else if (v.width > t.width) {
    const drop = v.width - t.width;
    fix =
      `narrow it explicitly: .trunc(${t.width}) drops the top ${drop} bit${drop > 1 ? 's' : ''}` +
      `${v.node.op === 'add' || v.node.op === 'sub' ? ` (or use addWrap/subWrap for modulo arithmetic)` : ''}` +
      `; to saturate or round use the fixed-point library (generator/fixed)`;
  } else {
    fix = `widen it explicitly: .${v.signed ? 'sext' : 'zext'}(${t.width})`;
  }
  throw new HdlError(
    `width mismatch in module '${target.moduleName}' (${where}): cannot assign ${describe(v)} of type ${typeName(v.type)} ` +
      `to ${what} of type ${typeName(t)}. Fix: ${fix}`,
  );
}

function kindWord(s: Signal): string {
  switch (s.kind) {
    case 'input':
      return 'input';
    case 'output':
      return 'output';
    case 'wire':
      return 'wire';
    case 'reg':
      return 'register';
    case 'instout':
      return 'instance output';
  }
}

// ---------------------------------------------------------------------------------------------------
// Processes

type Block = Stmt[];

/** Chain returned by `$.if`: `.elseIf(cond, fn)`, `.else(fn)`. */
export interface IfChain {
  elseIf(cond: Expr, body: () => void): IfChain;
  else(body: () => void): void;
}

/** Chain returned by `$.switch`: `.case(v | [v…], fn)` …, optional `.default(fn)`. */
export interface SwitchChain {
  case(values: Operand | readonly Operand[], body: () => void): SwitchChain;
  default(body: () => void): void;
}

/** The `$` handed to `m.comb` / `m.seq` bodies. */
export class ProcScope {
  private readonly stack: Block[];
  private open = true;
  readonly targets: Signal[] = [];
  readonly temps: Signal[] = [];

  constructor(
    private readonly m: ModuleBuilder,
    private readonly kind: 'comb' | 'seq',
    readonly name: string,
    readonly body: Block,
  ) {
    this.stack = [body];
  }

  /** target = value (comb: blocking, later wins; seq: next value of a register). */
  set(target: Signal, value: Operand): void {
    this.checkOpen('set');
    const what = `${this.kind} process '${this.name}'`;
    this.m.claimDriver(target, what, this.kind, false);
    const v = checkAssignValue(target, value, what);
    this.m.checkOwned(v, `value for '${target.name}'`);
    this.m.claimDriver(target, what, this.kind);
    if (!this.targets.includes(target)) this.targets.push(target);
    this.top().push({ kind: 'set', target, value: v });
  }

  /**
   * target = value for a temporary of a comb process: later statements of the process may read it (on a
   * path where it was set), nothing outside the process may (checked when the module is built). Like every
   * target it must be assigned on every path (a dead default in the branches that do not need it).
   */
  setTemp(target: Signal, value: Operand): void {
    if (this.kind !== 'comb') throw new HdlError(`seq process '${this.name}': setTemp is for comb processes ('${target.name}')`);
    this.set(target, value);
    if (!this.temps.includes(target)) this.temps.push(target);
  }

  if(cond: Expr, body: () => void): IfChain {
    this.checkOpen('if');
    const c = checkCondition(cond, `if in process '${this.name}'`);
    this.m.checkOwned(c, 'if condition');
    const block = this.top();
    let last: { kind: 'if'; cond: Expr; then: Stmt[]; else: Stmt[] } = { kind: 'if', cond: c, then: [], else: [] };
    block.push(last);
    this.run(last.then, body);
    let done = false;
    const guard = (what: string): void => {
      this.checkOpen(what);
      if (done || block[block.length - 1] !== chainHead) {
        throw new HdlError(`process '${this.name}': .${what}() must directly follow its if / elseIf`);
      }
    };
    const chainHead = last;
    const chain: IfChain = {
      elseIf: (c2, body2) => {
        guard('elseIf');
        const cc = checkCondition(c2, `elseIf in process '${this.name}'`);
        this.m.checkOwned(cc, 'elseIf condition');
        const next = { kind: 'if' as const, cond: cc, then: [] as Stmt[], else: [] as Stmt[] };
        last.else.push(next);
        last = next;
        this.run(next.then, body2);
        return chain;
      },
      else: (body2) => {
        guard('else');
        done = true;
        this.run(last.else, body2);
      },
    };
    return chain;
  }

  switch(sel: Expr): SwitchChain {
    this.checkOpen('switch');
    if (!(sel instanceof Expr) || sel.signed) {
      throw new HdlError(`switch in process '${this.name}': the selector must be an unsigned expression`);
    }
    this.m.checkOwned(sel, 'switch selector');
    const block = this.top();
    const stmt = { kind: 'switch' as const, sel, cases: [] as SwitchCase[], dflt: null as Stmt[] | null };
    block.push(stmt);
    const seen = new Set<bigint>();
    const guard = (what: string): void => {
      this.checkOpen(what);
      if (block[block.length - 1] !== stmt || stmt.dflt !== null) {
        throw new HdlError(`process '${this.name}': .${what}() must directly follow its switch (and come before .default())`);
      }
    };
    const chain: SwitchChain = {
      case: (values, body) => {
        guard('case');
        const list = (Array.isArray(values) ? values : [values]) as Operand[];
        if (list.length === 0) throw new HdlError(`switch on ${describe(sel)}: a case needs at least one value`);
        const names: (string | null)[] = [];
        const vals = list.map((v) => {
          const e = sizeTo(v, sel.type, `a case of switch on ${describe(sel)}`);
          names.push(e.node.op === 'const' ? (e.node.name ?? null) : null);
          if (e.node.op !== 'const' || e.width !== sel.width || e.signed) {
            throw new HdlError(`switch on ${describe(sel)}: case values must be constants of type ${typeName(sel.type)}`);
          }
          if (seen.has(e.node.value)) {
            throw new HdlError(`switch on ${describe(sel)} in process '${this.name}': duplicate case value ${e.node.value}`);
          }
          seen.add(e.node.value);
          return e.node.value;
        });
        const c = { values: vals, names, body: [] as Stmt[] };
        stmt.cases.push(c);
        this.run(c.body, body);
        return chain;
      },
      default: (body) => {
        guard('default');
        const d: Stmt[] = [];
        stmt.dflt = d;
        this.run(d, body);
      },
    };
    return chain;
  }

  /** Ends the scope; later use of `$` (e.g. from a stored callback) is an error. */
  close(): void {
    this.open = false;
  }

  private run(block: Block, body: () => void): void {
    this.stack.push(block);
    try {
      body();
    } finally {
      this.stack.pop();
    }
  }

  private top(): Block {
    return this.stack[this.stack.length - 1];
  }

  private checkOpen(what: string): void {
    if (!this.open) throw new HdlError(`process '${this.name}': $.${what}() used after the process body returned`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Memories

/**
 * What a memory must become: block RAM, distributed (LUT) RAM, or the family's large single-port RAM
 * ('huge': iCE40 UltraPlus SB_SPRAM256KA, 16K × 16; Yosys memory_libmap's "huge" kind); omitted = the
 * tool's choice.
 */
export type MemoryStyle = 'block' | 'distributed' | 'huge';

export interface MemoryOptions {
  /** Number of words (≥ 1). */
  readonly depth: number;
  /** Word type. */
  readonly type: HwType;
  /** Initial contents (word 0 first; the rest are 0): ROM images, LUTs, preloaded RAM. */
  readonly init?: readonly (number | bigint)[];
  /**
   * Where `init` goes: true = a `$readmemh` of `<module>_<memory>.hex`, a file the emitter writes next
   * to the Verilog (listed in the design's files and the manifest); false = an `initial` block of
   * assignments in the Verilog. Default: a file when the memory has more than 256 words.
   */
  readonly initFile?: boolean;
  /**
   * Emitted as `(* ram_style = "block" | "distributed" | "huge" *)`, which Vivado and Yosys (memory_libmap,
   * also for iCE40) honour. 'block' also makes `build()` reject port sets no target block RAM has (see
   * checkMemoryPorts): at most one write and one synchronous read port, no asynchronous read, lanes of
   * whole bytes. 'huge' (SPRAM) asks for a single port: one write and one synchronous read port on the
   * same address, the read enabled only in cycles without a write (a write cycle reads nothing),
   * as bramSinglePort(…, { style: 'huge' }) emits it. Families without such a RAM (Xilinx 7-series) take
   * it as block RAM (the Yosys flows of generator/tools and `ibhebb build` map the attribute to "block").
   */
  readonly style?: MemoryStyle;
  /**
   * true: the design never uses what a synchronous read returns in a cycle that writes its address (it discards
   * it, or never reads so). Emitted as the attribute `no_rw_check`, so Yosys maps the RAM without the logic that
   * would give the old word on such a collision (a multiplexer after the RAM's output and registers of the
   * written word). The Verilator form returns the old word complemented on a collision (other simulators the old
   * word), so a co-simulation of a design that uses such a read fails instead of passing on a word the hardware
   * does not give.
   */
  readonly noCollision?: boolean;
}

/** Options of a synchronous read port (`mem.readSync(name, addr, { … })`). */
export interface ReadOptions {
  /** Read enable: the read register loads only when it is high (always, if omitted). */
  readonly en?: Expr;
  /**
   * Read during a write to the same address in the same cycle: 'read-first' (default) returns the OLD
   * word, 'write-first' the NEW one (lane by lane with lane enables).
   */
  readonly mode?: ReadMode;
  /**
   * An output register after the read register (the block RAM's optional DO_REG): read latency 2, the
   * returned signal is that register; it loads every cycle the read register could have changed
   * (enabled by the read enable delayed one cycle).
   */
  readonly outputRegister?: boolean;
}

/** Options of a write port. */
export interface WriteOptions {
  /**
   * Lane (byte) write enables, uint(L) with L dividing the word width: lane i covers bits
   * [(i+1)·w/L − 1 : i·w/L] and is written when the port's enable and bit i are high.
   */
  readonly lanes?: Expr;
}

/**
 * A depth × width array with synchronous write ports and synchronous (registered, BRAM-inferable) or
 * asynchronous read ports. Reads and writes of one memory are emitted in one clocked process. A
 * synchronous read in the same cycle as a write to the same address returns the OLD word (read-first)
 * unless the port asks for 'write-first'.
 */
export class Memory implements MemoryRef {
  readonly addrType: HwType;
  readonly init: readonly bigint[] | null;
  readonly style: MemoryStyle | null;
  /** MemoryOptions.noCollision */
  readonly noCollision: boolean;
  /** The `$readmemh` file name (`<module>_<memory>.hex`), or null for an inline initial block / no init. */
  readonly initFile: string | null;
  readonly writes: MemWritePort[] = [];
  readonly syncReads: MemReadPort[] = [];
  asyncReads = 0;

  constructor(
    private readonly m: ModuleBuilder,
    readonly owner: object,
    readonly name: string,
    readonly depth: number,
    readonly type: HwType,
    init: readonly (number | bigint)[] | undefined,
    opts: { style?: MemoryStyle; initFile?: boolean; noCollision?: boolean } = {},
  ) {
    this.addrType = uint(addrWidth(depth));
    if (init) {
      if (init.length > depth) throw new HdlError(`memory '${name}': init has ${init.length} words but depth is ${depth}`);
      this.init = init.map((v, i) => {
        const b = toBigInt(v, `memory '${name}' init[${i}]`);
        if (!fits(b, type)) throw new HdlError(`memory '${name}': init[${i}] = ${b} does not fit ${typeName(type)}`);
        return b;
      });
    } else {
      this.init = null;
    }
    if (opts.style !== undefined && opts.style !== 'block' && opts.style !== 'distributed' && opts.style !== 'huge') {
      throw new HdlError(`memory '${name}': style must be 'block', 'distributed' or 'huge', got ${JSON.stringify(opts.style)}`);
    }
    this.style = opts.style ?? null;
    this.noCollision = opts.noCollision ?? false;
    const toFile = opts.initFile ?? depth > 256;
    this.initFile = this.init && toFile ? `${m.name}_${name}.hex` : null;
  }

  /**
   * Synchronous write of `data` at `addr` when `en` (always, if omitted); with `{ lanes }` only the
   * enabled lanes of the word are written.
   */
  write(addr: Operand, data: Operand, en?: Expr, opts: WriteOptions = {}): void {
    this.m.requireClock(`write port of memory '${this.name}'`);
    const a = this.address(addr, 'write');
    const d = sizeTo(data, this.type, `write data of memory '${this.name}'`);
    if (d.width !== this.type.width || d.signed !== this.type.signed) {
      throw new HdlError(
        `memory '${this.name}': write data ${describe(d)} is ${typeName(d.type)}, the words are ${typeName(this.type)}; ` +
          `use .${d.width > this.type.width ? `trunc(${this.type.width})` : `${d.signed ? 's' : 'z'}ext(${this.type.width})`}` +
          `${d.signed !== this.type.signed ? ' and convert the signedness' : ''}`,
      );
    }
    const e = en === undefined ? null : checkCondition(en, `write enable of memory '${this.name}'`);
    this.m.checkOwned(d, `write data of '${this.name}'`);
    if (e) this.m.checkOwned(e, `write enable of '${this.name}'`);
    let lanes: Expr | null = null;
    if (opts.lanes !== undefined) {
      const l = opts.lanes;
      if (!(l instanceof Expr) || l.signed) {
        throw new HdlError(`memory '${this.name}': lane enables must be an unsigned expression uint(L), one bit per lane`);
      }
      if (this.type.width % l.width !== 0) {
        throw new HdlError(
          `memory '${this.name}': ${l.width} lane enables do not divide the ${this.type.width}-bit word; ` +
            `use a lane count that divides ${this.type.width}`,
        );
      }
      this.m.checkOwned(l, `lane enables of '${this.name}'`);
      lanes = l;
    }
    this.writes.push({ addr: a, data: d, en: e, lanes });
  }

  /**
   * Synchronous read port: returns the register `name` (no reset) that holds mem[addr] one cycle
   * after `en` (always, if omitted) — the pattern FPGA tools map to block RAM. The third argument is
   * the read enable or a ReadOptions object ({ en, mode, outputRegister }). With an output register the
   * memory's read register is `<name>_raw` and `name` is the register after it (latency 2).
   */
  readSync(name: string, addr: Operand, enOrOpts?: Expr | ReadOptions): Signal {
    this.m.requireClock(`read port '${name}' of memory '${this.name}'`);
    const opts: ReadOptions = enOrOpts === undefined ? {} : enOrOpts instanceof Expr ? { en: enOrOpts } : enOrOpts;
    const a = this.address(addr, `read port '${name}'`);
    const e = opts.en === undefined ? null : checkCondition(opts.en, `read enable of memory '${this.name}'`);
    if (e) this.m.checkOwned(e, `read enable of '${this.name}'`);
    const mode = opts.mode ?? 'read-first';
    if (mode !== 'read-first' && mode !== 'write-first') {
      throw new HdlError(`read port '${name}' of memory '${this.name}': mode must be 'read-first' or 'write-first', got ${JSON.stringify(mode)}`);
    }
    const raw = opts.outputRegister ? `${name}_raw` : name;
    const target = this.m.makeSignal(raw, 'reg', this.type, 'register (memory read data)', null);
    this.m.claimDriver(target, `read port of memory '${this.name}'`, 'mem');
    let outReg: Signal | null = null;
    if (opts.outputRegister) {
      outReg = this.m.makeSignal(name, 'reg', this.type, 'register (memory output register)', null);
      this.m.claimDriver(outReg, `output register of memory '${this.name}'`, 'mem');
    }
    this.syncReads.push({ target, addr: a, en: e, mode, outReg });
    return outReg ?? target;
  }

  /** Asynchronous (combinational) read mem[addr]; maps to distributed RAM / registers, not BRAM. */
  readAsync(addr: Operand): Expr {
    const a = this.address(addr, 'async read');
    this.asyncReads++;
    return new Expr(this.type, { op: 'memread', mem: this, addr: a });
  }

  private address(addr: Operand, port: string): Expr {
    const a = sizeTo(addr, this.addrType, `address of memory '${this.name}' ${port}`);
    if (a.signed || a.width !== this.addrType.width) {
      const fix = a.signed
        ? '.asUnsigned()'
        : a.width > this.addrType.width
          ? `.trunc(${this.addrType.width})`
          : `.zext(${this.addrType.width})`;
      throw new HdlError(
        `memory '${this.name}' (depth ${this.depth}) ${port}: the address must be ${typeName(this.addrType)}, ` +
          `got ${describe(a)} of type ${typeName(a.type)}; use ${fix}`,
      );
    }
    this.m.checkOwned(a, `address of '${this.name}'`);
    return a;
  }
}

/**
 * The port sets the target block RAMs have in common (iCE40 SB_RAM40_4K: one write and one read port,
 * per-bit write mask; Xilinx RAMB18E1/RAMB36E1: two ports, byte-wide write enables): a 'block' memory
 * may have at most one write port and one synchronous read port, no asynchronous read, and lanes of
 * whole bytes (8·k bits). A 'distributed' memory has one write port (LUT RAM). Anything else would
 * silently become logic, a copy per read port or several RAMs, so it is an error naming the way out.
 */
export function checkMemoryPorts(moduleName: string, mem: Memory): void {
  if (mem.style === null) return;
  const where = `module '${moduleName}': memory '${mem.name}' (style '${mem.style}')`;
  if (mem.writes.length > 1) {
    throw new HdlError(
      `${where} has ${mem.writes.length} write ports; block and LUT RAMs of every target have one write port ` +
        `(iCE40 SB_RAM40_4K has one write and one read port). Time-multiplex the writes, or split the memory into banks`,
    );
  }
  if (mem.style === 'distributed') return;
  if (mem.style === 'huge') {
    const [w] = mem.writes;
    const [r] = mem.syncReads;
    if (mem.asyncReads > 0 || mem.syncReads.length !== 1 || !w || w.addr !== r.addr || r.en === null || r.mode !== 'read-first') {
      throw new HdlError(
        `${where}: a single-port RAM (iCE40 SB_SPRAM256KA) has one address for its write and its registered read, ` +
          `and reads only in cycles without a write: use bramSinglePort(width, depth, { style: 'huge' })`,
      );
    }
  }
  if (mem.asyncReads > 0) {
    throw new HdlError(`${where} is read asynchronously; block RAM reads are registered: use mem.readSync (read latency 1)`);
  }
  if (mem.syncReads.length > 1) {
    throw new HdlError(
      `${where} has ${mem.syncReads.length} read ports; the block RAMs of every target give one read port next to the ` +
        `write port (iCE40). Duplicate the memory (write both copies alike) or time-multiplex the reads`,
    );
  }
  for (const w of mem.writes) {
    if (w.lanes && (mem.type.width / w.lanes.width) % 8 !== 0) {
      throw new HdlError(
        `${where}: lanes of ${mem.type.width / w.lanes.width} bits; Xilinx block RAM write enables cover whole bytes, ` +
          `so a lane must be 8·k bits wide (use fewer lanes, or one memory per lane)`,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// The builder

interface MutableInstance extends Instance {
  out(port: string): Signal;
  bind(port: string, value: Operand): void;
}

/** Handle returned by `m.instance`: read the child's outputs with `.out('port')`. */
export interface InstanceHandle {
  readonly name: string;
  readonly module: Module;
  /** The parent wire connected to output `port` (named `<instance>_<port>`). */
  out(port: string): Signal;
  /**
   * Connects input `port` after creation (an instance made with `{ bindLater: true }`), e.g. a ready
   * that comes from an instance created later. Every input must be bound before `build()`.
   */
  bind(port: string, value: Operand): void;
}

export class ModuleBuilder {
  readonly name: string;
  readonly params: Params;
  private readonly token = {};
  private readonly names: NameTable;
  private readonly ports: Signal[] = [];
  private readonly signals: Signal[] = [];
  private readonly memories: Memory[] = [];
  private readonly items: Item[] = [];
  private readonly drivers = new Map<Signal, { what: string; kind: 'assign' | 'comb' | 'seq' | 'mem' | 'inst' }>();
  private readonly processNames = new Set<string>();
  private readonly unusedList: Expr[] = [];
  private readonly enumList: EnumDef[] = [];
  private readonly instances: MutableInstance[] = [];
  private clk: Clock | null = null;
  private built: Module | null = null;
  private readonly laneArrays: LaneArray[] = [];
  private readonly unrolledItems = new Set<Item>();
  private readonly unrolledUnused = new Set<Expr>();
  private unrolledDepth = 0;
  private readonly verilatorBlocks: VerilatorBlock[] = [];

  constructor(name: string, params: Params = {}) {
    checkIdentifier(name, 'module');
    paramsJson(params); // reject non-JSON params early
    this.name = name;
    this.params = params;
    this.names = new NameTable(name);
  }

  /** Declares the module's clock `clk` and synchronous active-high reset `rst` (once). */
  clock(): Clock {
    this.checkOpen();
    if (this.clk) throw new HdlError(`module '${this.name}': clock() called twice; a module has one clock and one reset`);
    this.names.claimRaw('clk', 'clock port');
    this.names.claimRaw('rst', 'reset port');
    const mk = (name: string, role: 'clock' | 'reset'): Signal =>
      new Signal({ name, kind: 'input', type: uint(1), owner: this.token, moduleName: this.name, role });
    this.clk = { clk: mk('clk', 'clock'), rst: mk('rst', 'reset') };
    this.ports.unshift(this.clk.clk, this.clk.rst);
    return this.clk;
  }

  input(name: string, type: HwType): Signal {
    return this.makeSignal(name, 'input', type, 'input');
  }

  /** Output port; with a type it is driven later (assign or comb), with an expression it is assigned now. */
  output(name: string, typeOrValue: HwType | Expr): Signal {
    return this.declareDriven(name, 'output', typeOrValue);
  }

  /** Combinational wire; with a type it is driven later, with an expression it is assigned now (a named value). */
  wire(name: string, typeOrValue: HwType | Expr): Signal {
    return this.declareDriven(name, 'wire', typeOrValue);
  }

  /** Register clocked by `clk`; `reset` is its value while `rst` is high, or null for no reset. */
  reg(name: string, type: HwType, opts: { reset: number | bigint | null }): Signal {
    this.checkOpen();
    this.requireClock(`register '${name}'`);
    if (!opts || !('reset' in opts)) {
      throw new HdlError(`register '${name}': say { reset: <value> } or { reset: null } (no reset) explicitly`);
    }
    let reset: bigint | null = null;
    if (opts.reset !== null) {
      reset = toBigInt(opts.reset, `reset value of register '${name}'`);
      if (!fits(reset, type)) throw new HdlError(`register '${name}': reset value ${reset} does not fit ${typeName(type)}`);
    }
    return this.makeSignal(name, 'reg', type, 'register', reset);
  }

  /** Continuous assignment `target = value` for a wire or output. */
  assign(target: Signal, value: Operand): void {
    this.checkOpen();
    this.claimDriver(target, 'assign', 'assign', false);
    const v = checkAssignValue(target, value, 'assign');
    this.checkOwned(v, `value for '${target.name}'`);
    this.claimDriver(target, 'assign', 'assign');
    this.items.push(withLocation({ kind: 'assign', target, value: v }, captureSite()));
  }

  /** Combinational process (`always @*`); every path must assign every target (no latches). */
  comb(name: string, body: (s: ProcScope) => void): void {
    const p = this.process('comb', name, body);
    for (const t of p.targets) {
      const path = findUnassignedPath(p.body, t);
      if (path) {
        throw new HdlError(
          `latch: comb process '${name}' in module '${this.name}' leaves ${kindWord(t)} '${t.name}' unassigned on a path ` +
            `(${describePath(path)}). Fix: assign a default at the top of the process ($.set(${t.name}, …) before the ` +
            `if/switch), or add the missing else/default branch`,
        );
      }
    }
  }

  /** Sequential process (`always @(posedge clk)`): sets the next value of registers; unset registers hold. */
  seq(name: string, body: (s: ProcScope) => void): void {
    this.requireClock(`seq process '${name}'`);
    this.process('seq', name, body);
  }

  /** Shorthand: `reg` takes `value` every cycle (a seq process named after the register). */
  next(reg: Signal, value: Operand): void {
    this.seq(reg.name, ($) => $.set(reg, value));
  }

  /** Shorthand: a register `name` of value's type that takes `value` every cycle (or when `enable`). */
  pipe(name: string, value: Expr, opts: { reset: number | bigint | null; enable?: Expr }): Signal {
    const r = this.reg(name, value.type, { reset: opts.reset });
    const en = opts.enable;
    this.seq(name, ($) => {
      if (en) $.if(en, () => $.set(r, value));
      else $.set(r, value);
    });
    return r;
  }

  memory(name: string, opts: MemoryOptions): Memory {
    this.checkOpen();
    if (!Number.isInteger(opts.depth) || opts.depth < 1) {
      throw new HdlError(`memory '${name}': depth must be an integer ≥ 1, got ${String(opts.depth)}`);
    }
    this.names.claim(name, 'memory');
    const mem = new Memory(this, this.token, name, opts.depth, opts.type, opts.init, { style: opts.style, initFile: opts.initFile, noCollision: opts.noCollision });
    this.memories.push(mem);
    this.items.push(withLocation({ kind: 'memory', memory: mem }, captureSite()));
    return mem;
  }

  /**
   * Instance `name` of `child`. `connections` maps every input port (clk/rst are connected
   * automatically) to a value of exactly the port's type; outputs become wires `<name>_<port>`.
   */
  instance(
    name: string,
    child: Module,
    connections: Readonly<Record<string, Operand>>,
    opts: { bindLater?: boolean } = {},
  ): InstanceHandle {
    this.checkOpen();
    this.names.claim(name, 'instance');
    if (child.clock) this.requireClock(`instance '${name}' of clocked module '${child.name}'`);
    const inputs = new Map<string, Expr>();
    const outputs = new Map<string, Signal>();
    const portNames = new Set(child.ports.map((p) => p.name));
    for (const key of Object.keys(connections).sort()) {
      if (!portNames.has(key) || child.ports.find((p) => p.name === key)?.kind !== 'input') {
        const ins = child.ports.filter((p) => p.kind === 'input' && !p.role).map((p) => p.name);
        throw new HdlError(
          `instance '${name}' of '${child.name}': '${key}' is not an input port${portNames.has(key) ? ' (it is an output: read it with .out())' : ''}; inputs are: ${ins.join(', ') || '(none)'}`,
        );
      }
      if (key === 'clk') {
        throw new HdlError(`instance '${name}': clk is connected automatically; remove '${key}'`);
      }
    }
    for (const p of child.ports) {
      if (p.role === 'reset' && 'rst' in connections) {
        // a child reset of its own (e.g. the parent's rst OR a soft reset); default: the parent's rst
        const v = sizeTo(connections.rst, uint(1), `reset of instance '${name}'`);
        if (v.width !== 1 || v.signed) throw new HdlError(`instance '${name}': its rst must be a 1-bit unsigned expression`);
        this.checkOwned(v, `rst of instance '${name}'`);
        inputs.set('rst', v);
        continue;
      }
      if (p.role) continue;
      if (p.kind === 'input') {
        if (!(p.name in connections)) {
          if (opts.bindLater) continue;
          throw new HdlError(
            `instance '${name}' of '${child.name}': input '${p.name}' (${typeName(p.type)}) is not connected ` +
              `(to connect it later with .bind(), create the instance with { bindLater: true })`,
          );
        }
        inputs.set(p.name, this.instanceInput(name, child, p, connections[p.name]));
      } else {
        const w = this.makeSignal(`${name}_${p.name}`, 'instout', p.type, `output wire of instance '${name}'`);
        this.claimDriver(w, `instance '${name}'`, 'inst');
        outputs.set(p.name, w);
      }
    }
    const inst: MutableInstance = {
      name,
      module: child,
      inputs,
      outputs,
      out: (port: string) => {
        const s = outputs.get(port);
        if (!s) {
          throw new HdlError(
            `instance '${name}' of '${child.name}' has no output '${port}'; outputs are: ${[...outputs.keys()].join(', ') || '(none)'}`,
          );
        }
        return s;
      },
      bind: (port: string, value: Operand) => {
        this.checkOpen();
        const p = child.ports.find((x) => x.name === port && x.kind === 'input' && !x.role);
        if (!p) {
          const ins = child.ports.filter((x) => x.kind === 'input' && !x.role).map((x) => x.name);
          throw new HdlError(`instance '${name}' of '${child.name}': bind('${port}'): not an input port; inputs are: ${ins.join(', ')}`);
        }
        if (inputs.has(port)) throw new HdlError(`instance '${name}': input '${port}' is already connected`);
        inputs.set(port, this.instanceInput(name, child, p, value));
      },
    };
    this.items.push(withLocation({ kind: 'instance', instance: inst }, captureSite()));
    this.instances.push(inst);
    return inst;
  }

  /** Sizes and checks the value for input `p` of instance `name`. */
  private instanceInput(name: string, child: Module, p: Signal, value: Operand): Expr {
    const v = sizeTo(value, p.type, `input '${p.name}' of instance '${name}'`);
    if (v.width !== p.type.width || v.signed !== p.type.signed) {
      const fix =
        v.signed !== p.type.signed
          ? v.signed
            ? '.asUnsigned()'
            : '.toSigned() or .asSigned()'
          : v.width > p.type.width
            ? `.trunc(${p.type.width})`
            : `.${v.signed ? 'sext' : 'zext'}(${p.type.width})`;
      throw new HdlError(
        `instance '${name}' of '${child.name}': port '${p.name}' is ${typeName(p.type)} but ${describe(v)} is ` +
          `${typeName(v.type)}; use ${fix}`,
      );
    }
    this.checkOwned(v, `input '${p.name}' of instance '${name}'`);
    return v;
  }

  /**
   * A named enumeration (e.g. the states of a state machine): members get the values 0, 1, 2, … (or the
   * given values), the type is the narrowest uint holding them, and each member is emitted as
   * `localparam <NAME>_<MEMBER>` (listed in the name map) and written by that name wherever it is used.
   *
   *   const S = m.enum('state', ['IDLE', 'FILL', 'DUMP']);
   *   const st = S.reg('state_q', 'IDLE');
   *   m.seq('fsm', ($) => $.switch(st).case(S.v.IDLE, () => …).case(S.v.FILL, () => …).default(…));
   */
  enum<const K extends string>(name: string, members: readonly K[] | Readonly<Record<K, number>>): EnumHandle<K> {
    this.checkOpen();
    checkIdentifier(name, `enum in module '${this.name}'`);
    const entries: [K, bigint][] = Array.isArray(members)
      ? (members as readonly K[]).map((k, i) => [k, BigInt(i)])
      : (Object.entries(members) as [K, number][]).map(([k, v]) => [k, toBigInt(v, `enum '${name}' member '${k}'`)]);
    if (entries.length === 0) throw new HdlError(`enum '${name}' in module '${this.name}': no members`);
    const seen = new Map<bigint, string>();
    for (const [k, v] of entries) {
      if (v < 0n) throw new HdlError(`enum '${name}': member '${k}' = ${v} is negative; enum values are unsigned`);
      const prev = seen.get(v);
      if (prev !== undefined) throw new HdlError(`enum '${name}': members '${prev}' and '${k}' both have the value ${v}`);
      seen.set(v, k);
    }
    let w = 1;
    const top = entries.reduce((mx, [, v]) => (v > mx ? v : mx), 0n);
    while (top >> BigInt(w) !== 0n) w++;
    const type = uint(w);
    const def: EnumDef = {
      name,
      type,
      members: entries.map(([k, v]) => {
        const param = `${name.toUpperCase()}_${k}`;
        this.names.claim(param, `localparam of enum '${name}'`);
        return { member: k, param, value: v };
      }),
    };
    this.enumList.push(def);
    const v = {} as Record<K, Expr>;
    for (const mm of def.members) v[mm.member as K] = new Expr(type, { op: 'const', value: mm.value, name: mm.param });
    Object.freeze(v);
    return {
      name,
      type,
      v,
      reg: (regName, reset) => this.reg(regName, type, { reset: reset === null ? null : (v[reset].node as { value: bigint }).value }),
      is: (value, member) => value.eq(v[member]),
    };
  }

  /** Marks values as deliberately unused (they feed the `_unused` sink, which lint ignores). */
  unused(...values: Expr[]): void {
    this.checkOpen();
    for (const v of values) {
      this.checkOwned(v, 'unused()');
      this.unusedList.push(v);
      if (this.unrolledDepth > 0) this.unrolledUnused.add(v);
    }
  }

  /**
   * Runs `body`; the items it creates are the unrolled form only: Verilator does not see them (a verilatorBlock
   * does their work). See VerilatorForm.
   */
  unrolledOnly<T>(body: () => T): T {
    this.checkOpen();
    const items = this.items.length;
    this.unrolledDepth++;
    let out: T;
    try {
      out = body();
    } finally {
      this.unrolledDepth--;
    }
    for (const it of this.items.slice(items)) this.unrolledItems.add(it);
    return out;
  }

  /** The lane signals `signals` (one type, internal) as Verilator's array `name` (VerilatorForm). */
  laneArray(name: string, signals: readonly Signal[]): void {
    this.checkOpen();
    this.names.claim(name, 'lane array');
    if (signals.length === 0) throw new HdlError(`lane array '${name}': no signals`);
    for (const sg of signals) {
      if (sg.owner !== this.token) throw new HdlError(`lane array '${name}': '${sg.name}' belongs to module '${sg.moduleName}'`);
      if (sg.kind === 'input' || sg.kind === 'output') throw new HdlError(`lane array '${name}': '${sg.name}' is a port`);
      if (sg.width !== signals[0].width || sg.signed !== signals[0].signed) throw new HdlError(`lane array '${name}': '${sg.name}' is ${typeName(sg.type)}, lane 0 ${typeName(signals[0].type)}`);
      if (this.laneArrays.some((a) => a.signals.includes(sg))) throw new HdlError(`lane array '${name}': '${sg.name}' is in another lane array`);
    }
    this.laneArrays.push(Object.freeze({ name, signals: Object.freeze([...signals]) }));
  }

  /** Verilog text that only Verilator sees (VerilatorForm): module-level declarations and items. */
  verilatorBlock(name: string, decls: readonly string[], lines: readonly string[]): void {
    this.checkOpen();
    checkIdentifier(name, `Verilator block in module '${this.name}'`);
    if (this.verilatorBlocks.some((b) => b.name === name)) throw new HdlError(`module '${this.name}': two Verilator blocks named '${name}'`);
    this.verilatorBlocks.push(withLocation({ name, decls: Object.freeze([...decls]), lines: Object.freeze([...lines]) }, captureSite()));
  }

  /** Checks the whole module and returns it as immutable IR. Builds once. */
  build(): Module {
    if (this.built) return this.built;
    for (const s of [...this.ports, ...this.signals]) {
      if (s.kind === 'input' || this.drivers.has(s)) continue;
      const how =
        s.kind === 'reg'
          ? `set it in a seq process (m.seq / m.next)`
          : `drive it with m.assign(${s.name}, …) or in a comb process`;
      throw new HdlError(`module '${this.name}': ${kindWord(s)} '${s.name}' is never driven; ${how}`);
    }
    for (const inst of this.instances) {
      const open = inst.module.ports.filter((p) => p.kind === 'input' && !p.role && !inst.inputs.has(p.name)).map((p) => p.name);
      if (open.length > 0) {
        throw new HdlError(`module '${this.name}': instance '${inst.name}' of '${inst.module.name}' has unbound inputs ${open.join(', ')}; call .bind(port, value)`);
      }
    }
    for (const mem of this.memories) {
      if (mem.writes.length === 0 && mem.init === null) {
        throw new HdlError(`module '${this.name}': memory '${mem.name}' is never written and has no init`);
      }
      if (mem.syncReads.length === 0 && mem.asyncReads === 0) {
        throw new HdlError(`module '${this.name}': memory '${mem.name}' is never read`);
      }
      checkMemoryPorts(this.name, mem);
    }
    const drivers = new Map<Signal, string>();
    for (const [s, d] of this.drivers) drivers.set(s, d.what);
    const mod: Module = Object.freeze({
      name: this.name,
      params: this.params,
      paramsHash: paramsHashOf(this.params),
      clock: this.clk,
      ports: Object.freeze([...this.ports]),
      signals: Object.freeze([...this.signals]),
      memories: Object.freeze([...this.memories]),
      items: Object.freeze([...this.items]),
      drivers,
      unused: Object.freeze([...this.unusedList]),
      enums: Object.freeze([...this.enumList]),
      ...(this.laneArrays.length + this.unrolledItems.size + this.verilatorBlocks.length > 0
        ? {
            verilator: Object.freeze({
              arrays: Object.freeze([...this.laneArrays]),
              unrolledItems: this.unrolledItems,
              unrolledUnused: this.unrolledUnused,
              blocks: Object.freeze([...this.verilatorBlocks]),
            }),
          }
        : {}),
    });
    checkCombLoops(mod);
    this.built = mod;
    return mod;
  }

  // ---- internal, used by ProcScope and Memory ----

  /** @internal */
  makeSignal(name: string, kind: SignalKind, type: HwType, what: string, reset: bigint | null = null): Signal {
    this.checkOpen();
    if (!type || typeof type.width !== 'number') throw new HdlError(`${what} '${name}': a type (uint(w) / sint(w)) is required`);
    this.names.claim(name, what);
    const s = new Signal({ name, kind, type, owner: this.token, moduleName: this.name, reset });
    if (kind === 'input' || kind === 'output') this.ports.push(s);
    else this.signals.push(s);
    return s;
  }

  /** @internal */
  claimDriver(target: Signal, what: string, kind: 'assign' | 'comb' | 'seq' | 'mem' | 'inst', commit = true): void {
    if (!(target instanceof Signal)) throw new HdlError(`${what}: the target must be a signal of module '${this.name}'`);
    if (target.owner !== this.token) {
      throw new HdlError(`${what}: '${target.name}' belongs to module '${target.moduleName}', not '${this.name}'`);
    }
    if (target.kind === 'input') throw new HdlError(`${what}: input '${target.name}' cannot be driven inside its module`);
    if (kind === 'seq' && target.kind !== 'reg') {
      throw new HdlError(
        `${what}: '${target.name}' is a ${kindWord(target)}; seq processes set registers only — declare it with m.reg, ` +
          `or drive it from a register with m.assign`,
      );
    }
    if ((kind === 'comb' || kind === 'assign') && target.kind === 'reg') {
      throw new HdlError(`${what}: '${target.name}' is a register; set registers in a seq process (m.seq / m.next)`);
    }
    const prev = this.drivers.get(target);
    if (prev) {
      if (prev.what === what && (kind === 'comb' || kind === 'seq')) return;
      throw new HdlError(
        `multiple drivers in module '${this.name}': ${kindWord(target)} '${target.name}' is already driven by ${prev.what}, ` +
          `now also by ${what}. A signal has exactly one driver; merge the logic into ${prev.what}`,
      );
    }
    if (commit) this.drivers.set(target, { what, kind });
  }

  /** @internal Throws if `e` reads a signal or memory of another module. */
  checkOwned(e: Expr, where: string): void {
    const sigs = new Set<Signal>();
    const mems = new Set<MemoryRef>();
    collectReads(e, sigs, mems);
    for (const s of sigs) {
      if (s.owner !== this.token) {
        throw new HdlError(
          `${where} in module '${this.name}' reads '${s.name}' of module '${s.moduleName}'; connect it through an instance port`,
        );
      }
    }
    for (const mm of mems) {
      if (mm.owner !== this.token) throw new HdlError(`${where} in module '${this.name}' reads memory '${mm.name}' of another module`);
    }
  }

  /** @internal */
  requireClock(what: string): void {
    if (!this.clk) throw new HdlError(`${what} in module '${this.name}' needs a clock: call m.clock() first`);
  }

  private process(kind: 'comb' | 'seq', name: string, body: (s: ProcScope) => void): Process {
    this.checkOpen();
    checkIdentifier(name, `${kind} process in module '${this.name}'`);
    if (this.processNames.has(name)) throw new HdlError(`module '${this.name}': two processes named '${name}'`);
    this.processNames.add(name);
    const stmts: Stmt[] = [];
    const scope = new ProcScope(this, kind, name, stmts);
    try {
      body(scope);
    } finally {
      scope.close();
    }
    if (scope.targets.length === 0) throw new HdlError(`${kind} process '${name}' in module '${this.name}' assigns nothing`);
    const p: Process = { kind, name, body: stmts, targets: scope.targets, ...(scope.temps.length > 0 ? { temps: scope.temps } : {}) };
    this.items.push(withLocation({ kind: 'process', process: p }, captureSite()));
    return p;
  }

  /** An output or wire of the given type, or of value's type and assigned `value` now. */
  private declareDriven(name: string, kind: 'output' | 'wire', typeOrValue: HwType | Expr): Signal {
    const s = this.makeSignal(name, kind, typeOrValue instanceof Expr ? typeOrValue.type : typeOrValue, kind);
    if (typeOrValue instanceof Expr) this.assign(s, typeOrValue);
    return s;
  }

  private checkOpen(): void {
    if (this.built) throw new HdlError(`module '${this.name}' is already built; the builder cannot change it any more`);
  }
}

