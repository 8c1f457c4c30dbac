/**
 * Verilog-2005 emitter: one module per file, readable, lint-clean under `verilator -Wall`.
 *
 * How the IR's exact widths survive Verilog's context-sized arithmetic: every emitted operand has a
 * self-determined width equal to its IR width, and operators whose result is wider than their
 * operands get explicitly extended operands (`{1'b0, a} + {1'b0, b}`, `{a[7], a} - {b[7], b}`), so
 * the value never depends on where an expression sits. Products are the exception that keeps the
 * multiplier narrow (DSP-friendly): `a * b` is only emitted as the whole right-hand side of a
 * wire of width wa + wb — a named wire of the user's, or a temporary `_mul_<target>`.
 * Signedness matters only in comparisons, products and signed right shifts; there operands are
 * wrapped in `$signed(...)` unless they already are signed (signed signals are declared `signed`).
 *
 * Temporaries are needed where Verilog cannot express something inline (a slice of an expression, a
 * sign bit of an expression, a nested product or signed shift). They are named after what they feed —
 * `_<op>_<target>` such as `_add_count_q` — numbered only among temporaries of the same base name, so
 * unrelated changes never rename them. User names never start with `_`, so there are no collisions.
 */
import { GENERATOR_VERSION } from '../version.js';
import { collectReads, type Expr, type Signal } from '../ir/expr.js';
import { switchCoversAll } from '../ir/checks.js';
import { paramsJson, type Item, type Memory, type Module, type Process, type Stmt } from '../ir/module.js';
import { HdlError, maxValue, minValue, typeName, uint, type HwType } from '../ir/types.js';

/** One line of the name map: where an IR signal lives in the Verilog. */
export interface NameMapEntry {
  /** `<module>.<name>` (`<module>.<memory>` for memories). */
  readonly path: string;
  readonly verilog: string;
  readonly kind: 'input' | 'output' | 'wire' | 'reg' | 'memory' | 'instance-output' | 'temporary' | 'instance' | 'localparam';
  readonly width: number;
  readonly signed: boolean;
  /** Memories: number of words. */
  readonly depth?: number;
  /** Localparams (enum members): the value, as a decimal string, and the enum. */
  readonly value?: string;
  readonly enum?: string;
  /** Instances: the child module; temporaries: the signal they feed. */
  readonly module?: string;
  readonly feeds?: string;
}

export interface NameMap {
  readonly module: string;
  readonly generator: string;
  readonly paramsHash: string;
  readonly params: unknown;
  readonly entries: readonly NameMapEntry[];
}

export interface EmittedModule {
  readonly name: string;
  /** `<module>.v` */
  readonly fileName: string;
  readonly verilog: string;
  /** `<module>.names.json` */
  readonly nameMapFileName: string;
  readonly nameMap: NameMap;
  /** The IR module this was emitted from. */
  readonly module: Module;
  /** Memory images read by `$readmemh` (`<module>_<memory>.hex`), written next to the Verilog. */
  readonly dataFiles: readonly DesignFile[];
}

/** An emitted operand: its text, whether Verilog sees it as signed, and whether it can be indexed. */
interface Text {
  readonly s: string;
  readonly vsigned: boolean;
  /** An identifier: `x[3:0]` is legal on it. */
  readonly ident: boolean;
  /** Needs no parentheses as an operand. */
  readonly primary: boolean;
}

const ident = (s: string, vsigned: boolean): Text => ({ s, vsigned, ident: true, primary: true });
const prim = (s: string, vsigned = false): Text => ({ s, vsigned, ident: false, primary: true });
const compound = (s: string, vsigned = false): Text => ({ s, vsigned, ident: false, primary: false });

/** A sized Verilog literal of `type` holding `value` (which must fit). */
export function literal(value: bigint, type: HwType): string {
  const w = type.width;
  if (value < minValue(type) || value > maxValue(type)) {
    throw new HdlError(`internal: literal ${value} does not fit ${typeName(type)}`);
  }
  const digits = (v: bigint): string => (v < 65536n ? `d${v}` : `h${v.toString(16)}`);
  if (!type.signed) return w === 1 ? `1'b${value}` : `${w}'${digits(value)}`;
  if (value === minValue(type)) return `${w}'sh${(1n << BigInt(w - 1)).toString(16)}`;
  return value < 0n ? `-${w}'s${digits(-value)}` : `${w}'s${digits(value)}`;
}

/** `n` zero bits as a literal (`1'b0`, `4'd0`): the padding of zero extensions and constant shifts. */
function zeros(n: number): string {
  return literal(0n, uint(n));
}

/** Conditions joined by `&&`, each parenthesized when it is an expression with operators of its own. */
function all(conds: readonly string[]): string {
  if (conds.length === 1) return conds[0];
  return conds.map((c) => (/[\s?]/.test(c) && !/^\(.*\)$/.test(c) ? `(${c})` : c)).join(' && ');
}

/** Selects over at least this many values (default included) are emitted as a `case`, fewer as `?:`. */
const CASE_MIN_OPTIONS = 3;

/** The Verilog operator of each two-operand arithmetic or bitwise IR op. */
const BINARY_OP = { add: '+', addWrap: '+', sub: '-', subWrap: '-', and: '&', or: '|', xor: '^' } as const;

function range(width: number): string {
  return width === 1 ? '' : `[${width - 1}:0]`;
}

function typeDecl(t: HwType): string {
  return [t.signed ? 'signed' : '', range(t.width)].filter((x) => x !== '').join(' ');
}

/**
 * Expr.sextSim's macro: `IBHEBB_SEXT(x, n, w)` sign-extends the n-bit identifier x to w bits. Under Verilator
 * it is (x ^ 2^(n−1)) − 2^(n−1) on the w-bit word (the same value for every x; three machine operations in
 * Verilator's C++ where a replicated sign bit takes seven), elsewhere {{w−n{x[n−1]}}, x}. Defined once
 * (`ifndef) by every file that uses it, so each file stands alone.
 */
const SEXT_MACRO = 'IBHEBB_SEXT';
const SEXT_DEFINE = [
  `\`ifndef ${SEXT_MACRO}`,
  '`ifdef VERILATOR',
  `\`define ${SEXT_MACRO}(x, n, w) ({{((w) - (n)){1'b0}}, (x) ^ {1'b1, {((n) - 1){1'b0}}}} - {{((w) - (n)){1'b0}}, 1'b1, {((n) - 1){1'b0}}})`,
  '`else',
  `\`define ${SEXT_MACRO}(x, n, w) {{((w) - (n)){x[(n) - 1]}}, x}`,
  '`endif',
  '`endif',
];

/** The signals an item drives. */
function itemTargets(item: Item): Signal[] {
  switch (item.kind) {
    case 'assign':
      return [item.target];
    case 'process':
      return [...item.process.targets];
    case 'memory':
      return item.memory.syncReads.flatMap((r) => (r.outReg ? [r.target, r.outReg] : [r.target]));
    case 'instance':
      return [...item.instance.outputs.values()];
  }
}

/**
 * Lines with `ifdef / `ifndef VERILATOR … [`else …] `endif resolved for one form (Verilator: defined): an item
 * written in both forms (VerilatorForm) carries each form's own text, without nested conditionals.
 */
function resolveVerilator(lines: readonly string[], defined: boolean): string[] {
  const out: string[] = [];
  const keep: boolean[] = [];
  const on = (): boolean => keep.every((k) => k);
  for (const l of lines) {
    const t = l.trim();
    if (t === '`ifdef VERILATOR' || t === '`ifndef VERILATOR') keep.push(t === '`ifdef VERILATOR' ? defined : !defined);
    else if (t === '`else' && keep.length > 0) keep.push(!(keep.pop() as boolean));
    else if (t === '`endif' && keep.length > 0) keep.pop();
    else if (on()) out.push(l);
  }
  if (keep.length > 0) throw new HdlError('internal: unbalanced `ifdef VERILATOR in an item');
  return out;
}

class ModuleEmitter {
  private readonly tempDecls: { name: string; width: number; feeds: string; reg?: boolean }[] = [];
  private readonly tempCount = new Map<string, number>();
  /** Temp assigns produced while emitting the current item. */
  private pending: string[] = [];
  /** an Expr.sextSim was written: the file defines SEXT_MACRO */
  private usesSextSim = false;
  private readonly combTargets = new Set<Signal>();
  /** Expression → its temporary, so a shared subexpression is materialized once. */
  private readonly temps = new Map<Expr, Text>();
  /** Temporary → which of its bits are read. */
  private readonly tempUse = new Map<string, boolean[]>();
  /**
   * While an assignment of a comb process is emitted: its temporaries are regs of the process, set just before
   * the assignment (lines, indented by ind), so a simulator forms them only where the assignment runs — a
   * continuous assignment runs in every cycle. Valid only for that assignment (temps).
   */
  private local: { lines: string[]; ind: string; temps: Map<Expr, Text> } | null = null;
  /** The comb process's temporaries so far: set to 0 at its top, so that no path leaves them unassigned (no latch). */
  private procLocals: { name: string; width: number }[] = [];
  /** The temporaries (setTemp) of the comb process being emitted that have a zero default at its top. */
  private combTemps = new Set<Signal>();
  /**
   * While a clocked process's body is emitted: its registers that the body reads after an earlier statement
   * (or branch) wrote them → the copy of the register taken at the process's top (see `seq`). Only text written
   * inside the process uses it; temporaries (continuous assignments, case blocks) read the register itself.
   */
  private readAlias: Map<Signal, Text> | null = null;

  /** Temporaries of the items only the unrolled form has (VerilatorForm): declared and sunk in that form only. */
  private readonly unrolledTemps = new Set<string>();
  /** Signals those items drive, and the text Verilator sees (a signal it never names is declared unrolled only). */
  private readonly unrolledTargets = new Set<Signal>();
  private readonly bothText: string[] = [];
  /** Lane-array element → its text in the Verilator form (`<array>[i]`), and a pattern matching any of them. */
  private readonly laneText = new Map<string, string>();
  private readonly laneRefs: RegExp | null = null;

  constructor(private readonly mod: Module) {
    for (const item of mod.items) {
      if (item.kind === 'process' && item.process.kind === 'comb') for (const t of item.process.targets) this.combTargets.add(t);
    }
    for (const a of mod.verilator?.arrays ?? []) a.signals.forEach((sg, i) => this.laneText.set(sg.name, `${a.name}[${i}]`));
    if (this.laneText.size > 0) this.laneRefs = new RegExp(`\\b(${[...this.laneText.keys()].join('|')})\\b`);
  }

  /** Item text with every lane-array element written as the array's element (the Verilator form). */
  private toLaneArrays(lines: readonly string[]): string[] {
    const re = new RegExp((this.laneRefs as RegExp).source, 'g');
    return lines.map((l) => l.replace(re, (n) => this.laneText.get(n) as string));
  }

  emit(): { verilog: string; nameMap: NameMap } {
    const mod = this.mod;
    const body: string[] = [];
    const form = mod.verilator;
    for (const item of mod.items) {
      this.pending = [];
      const unrolled = form?.unrolledItems.has(item) ?? false;
      const temps = this.tempDecls.length;
      const known = new Set(this.temps.keys());
      const lines = this.item(item);
      if (item.loc) lines[0] = lines[0].startsWith('  //') ? `${lines[0]} (${item.loc})` : `${lines[0]}  // ${item.loc}`;
      const text = [...this.pending, ...lines];
      if (unrolled) for (const t of itemTargets(item)) this.unrolledTargets.add(t);
      if (unrolled) {
        // the unrolled form only: its temporaries are declared there, and no later item shares them
        for (const t of this.tempDecls.slice(temps)) this.unrolledTemps.add(t.name);
        for (const e of [...this.temps.keys()]) if (!known.has(e)) this.temps.delete(e);
        body.push('', '`ifndef VERILATOR', ...resolveVerilator(text, false), '`endif');
      } else if (this.laneRefs !== null && this.laneRefs.test(text.join('\n'))) {
        const sim = resolveVerilator(this.toLaneArrays(text), true);
        this.bothText.push(...sim);
        body.push('', '`ifdef VERILATOR', ...sim, '`else', ...resolveVerilator(text, false), '`endif');
      } else {
        if (form) this.bothText.push(...text);
        body.push('', ...text);
      }
    }
    for (const b of form?.blocks ?? []) {
      this.bothText.push(...b.lines);
      body.push('', `  // simulator form (Verilator): ${b.name}${b.loc ? ` (${b.loc})` : ''}`, '`ifdef VERILATOR', ...b.lines, '`endif');
    }
    this.pending = [];
    const sink = this.unusedSink();
    if (sink.length > 0) body.push('', ...this.pending, ...sink);
    this.bothText.push(...resolveVerilator(sink, true));

    const out: string[] = [];
    out.push(
      `// Generated by the ibhebb generator ${GENERATOR_VERSION}. Do not edit; change the generator and regenerate.`,
      `// module:      ${mod.name}`,
      `// params:      ${paramsJson(mod.params)}`,
      `// params hash: ${mod.paramsHash}`,
      '`default_nettype none',
      '',
    );
    if (this.usesSextSim) out.push(...SEXT_DEFINE, '');
    out.push(...this.header());
    const decls = this.declarations();
    if (decls.length > 0) out.push('', ...decls);
    out.push(...body, '', 'endmodule', '', '`default_nettype wire', '');
    return { verilog: out.join('\n'), nameMap: this.nameMap() };
  }

  // ---- declarations ----

  private header(): string[] {
    const ports = this.mod.ports;
    if (ports.length === 0) return [`module ${this.mod.name} ();`];
    const rows = ports.map((p) => [
      p.kind === 'input' ? 'input ' : 'output',
      p.kind === 'output' && this.combTargets.has(p) ? 'reg ' : 'wire',
      typeDecl(p.type),
      p.name,
    ]);
    const tw = Math.max(...rows.map((r) => r[2].length));
    const lines = rows.map((r, i) => `  ${r[0]} ${r[1]} ${tw > 0 ? r[2].padEnd(tw) + ' ' : ''}${r[3]}${i < rows.length - 1 ? ',' : ''}`);
    return [`module ${this.mod.name} (`, ...lines, ');'];
  }

  private declarations(): string[] {
    const params: string[] = [];
    for (const en of this.mod.enums) {
      const pw = Math.max(...en.members.map((x) => x.param.length));
      params.push(`  // enum ${en.name}`);
      for (const x of en.members) params.push(`  localparam ${range(en.type.width) || '[0:0]'} ${x.param.padEnd(pw)} = ${literal(x.value, en.type)};`);
    }
    type Row = [string, string, string, string?];
    const rows: Row[] = [];
    const unrolledRows: Row[] = [];
    const form = this.mod.verilator;
    const inArray = new Set(form?.arrays.flatMap((a) => a.signals) ?? []);
    const isReg = (s: Signal): boolean => s.kind === 'reg' || this.combTargets.has(s);
    const simText = this.unrolledTargets.size > 0 ? this.bothText.join('\n') : '';
    const unrolledOnly = (s: Signal): boolean => inArray.has(s) || (this.unrolledTargets.has(s) && !new RegExp(`\\b${s.name}\\b`).test(simText));
    for (const s of this.mod.signals) {
      (unrolledOnly(s) ? unrolledRows : rows).push([isReg(s) ? 'reg ' : 'wire', typeDecl(s.type), `${s.name};`]);
    }
    for (const m of this.mod.memories) {
      const attrs = [...(m.style ? [`ram_style = "${m.style}"`] : []), ...(m.noCollision ? ['no_rw_check'] : [])];
      const attr = attrs.length > 0 ? `(* ${attrs.join(', ')} *) ` : '';
      rows.push(['reg ', typeDecl(m.type), `${m.name} [0:${m.depth - 1}];`, attr]);
    }
    for (const t of this.tempDecls) (this.unrolledTemps.has(t.name) ? unrolledRows : rows).push([t.reg ? 'reg ' : 'wire', range(t.width), `${t.name};`]);
    // a lane array's elements up to the next power of two: an index of log2 bits then needs no bounds check in
    // Verilator's C++ (the elements past the lanes are never written or read)
    const span = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(n, 1)));
    const simRows: Row[] = (form?.arrays ?? []).map((a) => [isReg(a.signals[0]) ? 'reg ' : 'wire', typeDecl(a.signals[0].type), `${a.name} [0:${span(a.signals.length) - 1}];`]);
    const tw = Math.max(0, ...[...rows, ...unrolledRows, ...simRows].map((r) => r[1].length));
    const line = ([k, t, n, attr]: Row): string => `  ${attr ?? ''}${k} ${tw > 0 ? t.padEnd(tw) + ' ' : ''}${n}`;
    const decls = rows.map(line);
    if (form) {
      const simDecls = [...simRows.map(line), ...form.blocks.flatMap((b) => b.decls.map((d) => `  ${d}`))];
      if (simDecls.length > 0) decls.push('`ifdef VERILATOR', ...simDecls, ...(unrolledRows.length > 0 ? ['`else', ...unrolledRows.map(line)] : []), '`endif');
      else if (unrolledRows.length > 0) decls.push('`ifndef VERILATOR', ...unrolledRows.map(line), '`endif');
    }
    return params.length > 0 && decls.length > 0 ? [...params, '', ...decls] : [...params, ...decls];
  }

  // ---- items ----

  private item(item: Item): string[] {
    switch (item.kind) {
      case 'assign':
        return [`  assign ${item.target.name} = ${this.root(item.value, item.target.name)};`];
      case 'process':
        return item.process.kind === 'comb' ? this.comb(item.process) : this.seq(item.process);
      case 'memory':
        return this.memory(item.memory);
      case 'instance':
        return this.instance(item.instance);
    }
  }

  private comb(p: Process): string[] {
    this.procLocals = [];
    // the process's temporaries (setTemp) that its first statements do not set get their zero default at its
    // top, and the branches that set one to zero leave the statement out (stmts): a variable written first
    // unconditionally and otherwise only where the process sets a value becomes a local of the simulator's
    // function (Verilator), not a member stored and reloaded; the same logic (the branches set every temp
    // before reading it)
    const firstBranch = p.body.findIndex((st) => st.kind !== 'set');
    const setOnTop = new Set(p.body.slice(0, firstBranch < 0 ? p.body.length : firstBranch).map((st) => (st.kind === 'set' ? st.target : null)));
    const defaulted = (p.temps ?? []).filter((t) => !setOnTop.has(t));
    this.combTemps = new Set(defaulted);
    const body = this.stmts(p.body, 2, '=', p.name);
    this.combTemps = new Set();
    const defaults = [
      ...defaulted.map((t) => `    ${t.name} = ${literal(0n, t.type)};`),
      ...this.procLocals.map((t) => `    ${t.name} = ${t.width}'d0;`),
    ];
    this.procLocals = [];
    return [`  // comb: ${p.name}`, '  always @* begin', ...defaults, ...body, '  end'];
  }

  private seq(p: Process): string[] {
    const resets = p.targets.filter((t) => t.reset !== null);
    const lines = [`  // seq: ${p.name}`, '  always @(posedge clk) begin'];
    // A register the body reads after a statement (or an earlier branch, or a case label test after a case
    // body) that writes it is read through a copy taken at the process's top, `_cur_<reg>` (the same value:
    // non-blocking writes land at the clock edge). The hardware is the same; Verilator, which drops a
    // register's shadow copy for the non-blocking write (__Vdly, copied in and out every cycle) only when no
    // read of the register follows its first write in the process, then writes the register directly and
    // keeps the copy as a C++ local.
    const late = [...lateReads(p.body)].filter((sig) => p.targets.includes(sig) && !sig.signed);
    this.readAlias = null;
    if (late.length > 0) {
      this.readAlias = new Map();
      lines.push('    /* verilator lint_off BLKSEQ */');
      for (const sig of late) {
        const name = this.tempName(`_cur_${sig.name}`);
        this.tempDecls.push({ name, width: sig.width, feeds: p.name, reg: true });
        this.tempUse.set(name, new Array<boolean>(sig.width).fill(false));
        this.readAlias.set(sig, ident(name, false));
        lines.push(`    ${name} = ${sig.name};`);
      }
      lines.push('    /* verilator lint_on BLKSEQ */');
    }
    try {
      this.seqBody(p, resets, lines);
    } finally {
      this.readAlias = null;
    }
    lines.push('  end');
    return lines;
  }

  private seqBody(p: Process, resets: readonly Signal[], lines: string[]): void {
    if (resets.length === 0) {
      lines.push(...this.stmts(p.body, 2, '<=', p.name));
    } else {
      // the body, then the reset, which (last) overrides the registers that have one; registers without reset
      // must not see rst (an `else` would make it their clock enable). Every process is written this way,
      // also those whose registers all have a reset: the same flip-flops (reset over enable) as `if (rst) …
      // else …`, and cheaper for Verilator (its reset tests merge after the bodies, the body's reads come before
      // the reset's writes): 12,467 → 12,156 instructions per simulated training cycle of the chip
      lines.push(...this.stmts(p.body, 2, '<=', p.name), '    if (rst) begin');
      for (const r of resets) lines.push(`      ${r.name} <= ${literal(r.reset as bigint, r.type)};`);
      lines.push('    end');
    }
  }

  /** `seen`: the comb temps set on the path so far (their zero default is skipped only before any set). */
  private stmts(stmts: readonly Stmt[], depth: number, op: '=' | '<=', proc: string, seen = new Set<Signal>()): string[] {
    const ind = '  '.repeat(depth);
    const out: string[] = [];
    for (const s of stmts) {
      if (s.kind === 'set' && this.combTemps.has(s.target)) {
        if (!seen.has(s.target) && s.value.node.op === 'const' && s.value.node.value === 0n) continue; // still the default set at the top
        seen.add(s.target);
      }
      if (s.kind === 'set' && op === '=') {
        const local = { lines: [] as string[], ind, temps: new Map<Expr, Text>() };
        this.local = local;
        const rhs = this.root(s.value, s.target.name);
        this.local = null;
        out.push(...local.lines, `${ind}${s.target.name} ${op} ${rhs};`);
      } else if (s.kind === 'set') {
        out.push(`${ind}${s.target.name} ${op} ${this.root(s.value, s.target.name)};`);
      } else if (s.kind === 'if') {
        out.push(...this.ifChain(s, depth, op, proc, false, seen));
      } else {
        const sel = this.operand(s.sel, `${proc}_sel`);
        const before = new Set(seen);
        out.push(`${ind}case (${sel.s})`);
        for (const c of s.cases) {
          const labels = c.values.map((v, i) => c.names?.[i] ?? literal(v, s.sel.type)).join(', ');
          out.push(`${ind}  ${labels}: begin`, ...this.branch(c.body, depth + 2, op, proc, before, seen), `${ind}  end`);
        }
        if (s.dflt) out.push(`${ind}  default: begin`, ...this.branch(s.dflt, depth + 2, op, proc, before, seen), `${ind}  end`);
        else if (!switchCoversAll(s)) out.push(`${ind}  default: begin`, `${ind}  end`);
        out.push(`${ind}endcase`);
      }
    }
    return out;
  }

  /** A branch's statements, starting from the temps seen before it (`from`); what it sets is added to `into`. */
  private branch(stmts: readonly Stmt[], depth: number, op: '=' | '<=', proc: string, from: Set<Signal>, into = from): string[] {
    const mine = new Set(from);
    const out = this.stmts(stmts, depth, op, proc, mine);
    for (const t of mine) into.add(t);
    return out;
  }

  private ifChain(s: Extract<Stmt, { kind: 'if' }>, depth: number, op: '=' | '<=', proc: string, isElse: boolean, seen: Set<Signal>): string[] {
    const ind = '  '.repeat(depth);
    const cond = this.operand(s.cond, `${proc}_cond`);
    const before = new Set(seen);
    const out = [`${isElse ? '' : ind}if (${cond.s}) begin`, ...this.branch(s.then, depth + 1, op, proc, before, seen)];
    if (s.else.length === 1 && s.else[0].kind === 'if') {
      const rest = this.ifChain(s.else[0], depth, op, proc, true, before);
      for (const t of before) seen.add(t);
      out.push(`${ind}end else ${rest[0]}`, ...rest.slice(1));
      return out;
    }
    if (s.else.length > 0) out.push(`${ind}end else begin`, ...this.branch(s.else, depth + 1, op, proc, before, seen));
    out.push(`${ind}end`);
    return out;
  }

  private memory(m: Memory): string[] {
    const lines = [
      `  // memory ${m.name}: ${m.depth} x ${typeName(m.type)}${m.style ? ` (${m.style} RAM)` : ''}, ${m.writes.length} write / ` +
        `${m.syncReads.length} sync read / ${m.asyncReads} async read port(s)`,
    ];
    if (m.init && m.initFile) {
      lines.push('  initial begin', `    $readmemh("${m.initFile}", ${m.name});`, '  end');
    } else if (m.init) {
      lines.push('  initial begin');
      for (let i = 0; i < m.depth; i++) lines.push(`    ${m.name}[${i}] = ${literal(m.init[i] ?? 0n, m.type)};`);
      lines.push('  end');
    }
    if (m.writes.length === 0 && m.syncReads.length === 0) return lines;
    lines.push('  always @(posedge clk) begin');
    // A memory read only by this block's synchronous reads: for Verilator (`ifdef VERILATOR) the reads come
    // first and the writes are blocking assignments after them — the same words read (the old ones) and
    // written, nothing else reads the array in the time step — so it stores each write directly instead of
    // queueing it (its delayed-write value/index/flag per port and lane, set, cleared and tested every cycle).
    // Synthesis and other simulators read the nonblocking form, unchanged. Memories with async reads keep it
    // everywhere.
    const blocking = m.asyncReads === 0 && m.syncReads.length > 0 && m.writes.length > 0;
    const wop = '\u0000'; // the writes' assignment operator, filled in below
    const writeLines: string[] = [];
    const readLines: string[] = [];
    let out = writeLines;
    const guarded = (conds: string[], stmts: string[], ind = '    '): void => {
      if (conds.length === 0) out.push(...stmts.map((x) => `${ind}${x}`));
      else out.push(`${ind}if (${all(conds)}) begin`, ...stmts.map((x) => `${ind}  ${x}`), `${ind}end`);
    };
    const laneBits = (w: { lanes: Expr | null }): { i: number; hi: number; lo: number }[] => {
      const n = w.lanes ? w.lanes.width : 1;
      const lw = m.type.width / n;
      return Array.from({ length: n }, (_, i) => ({ i, hi: (i + 1) * lw - 1, lo: i * lw }));
    };
    const writes = m.writes.map((w, i) => {
      const tag = m.writes.length > 1 ? `${m.name}_w${i}` : `${m.name}_w`;
      return {
        w,
        tag,
        addr: this.operand(w.addr, `${tag}addr`).s,
        en: w.en ? this.expr(w.en, `${tag}en`, false).s : null,
        lanes: w.lanes ? this.indexable(w.lanes, `${tag}lanes`).s : null,
      };
    });
    // lane writes: each lane tests its enable bit. `tree` (the Verilator form): the lanes nested in halves under a
    // test of the half's enables (|lanes[hi:lo]), down to groups of LANE_LEAF — every lane still tests its own bit,
    // so the same writes for any enables; a simulator tests ~2·log2(n) + LANE_LEAF bits instead of n when one
    // lane writes (a loader filling a wide word lane by lane)
    const LANE_LEAF = 4;
    const writeStmts = (tree: boolean): string[] => {
      const saved = out;
      const acc: string[] = [];
      out = acc;
      for (const { w, tag, addr, en, lanes } of writes) {
        if (!lanes) {
          guarded(en ? [en] : [], [`${m.name}[${addr}] ${wop} ${this.root(w.data, `${tag}data`)};`]);
          continue;
        }
        const bits = laneBits(w);
        const leaf = ({ i, hi, lo }: { i: number; hi: number; lo: number }): string =>
          `if (${lanes}[${i}]) ${m.name}[${addr}][${hi}:${lo}] ${wop} ${this.bits(w.data, hi, lo, `${tag}data`).s};`;
        const nest = (a: number, b: number): string[] => {
          if (!tree || b - a <= LANE_LEAF) return bits.slice(a, b).map(leaf);
          const mid = a + Math.ceil((b - a) / 2);
          return [a, mid].flatMap((x, k) => {
            const y = k === 0 ? mid : b;
            return [`if (|${lanes}[${y - 1}:${x}]) begin`, ...nest(x, y).map((l) => `  ${l}`), 'end'];
          });
        };
        if (w.lanes) this.use(ident(lanes, false), w.lanes.width - 1, 0);
        guarded(en ? [en] : [], nest(0, bits.length));
      }
      out = saved;
      return acc;
    };
    writeLines.push(...writeStmts(false));
    const treeLines = writeStmts(true);
    out = readLines;
    // noCollision: the design promises never to use a word read in the cycle that writes its address, where the
    // hardware (no_rw_check) returns what it likes. Verilator returns the old word's complement there instead of
    // the old word, so a design that breaks the promise reads a wrong word and fails its co-simulation.
    const collide: string[] = [];
    for (const r of m.syncReads) {
      const addr = this.operand(r.addr, `${r.target.name}_addr`).s;
      const ren = r.en ? [this.expr(r.en, `${r.target.name}_en`, false).s] : [];
      const stmts = [`${r.target.name} <= ${m.name}[${addr}];`];
      if (r.mode === 'write-first') {
        // a write to the address read in this cycle: the new word (lane by lane) replaces the old one
        for (const { w, tag, addr: waddr, en, lanes } of writes) {
          const hit = [...(en ? [en] : []), ...(w.addr === r.addr ? [] : [`${waddr} == ${addr}`])];
          if (w.addr === r.addr && w.en !== null && w.en === r.en) hit.length = 0; // the read enable already holds
          for (const { i, hi, lo } of laneBits(w)) {
            const c = [...hit, ...(lanes ? [`${lanes}[${i}]`] : [])];
            const data = lanes ? this.bits(w.data, hi, lo, `${tag}data`).s : this.root(w.data, `${tag}data`);
            const dst = lanes ? `${r.target.name}[${hi}:${lo}]` : r.target.name;
            stmts.push(c.length > 0 ? `if (${all(c)}) ${dst} <= ${data};` : `${dst} <= ${data};`);
          }
        }
      }
      guarded(ren, stmts);
      if (r.outReg) out.push(`    ${r.outReg.name} <= ${r.target.name};`);
      if (m.noCollision)
        for (const { en, addr: waddr } of writes) collide.push(`    if (${all([...ren, ...(en ? [en] : []), `${waddr} == ${addr}`])}) ${r.target.name} <= ~${m.name}[${addr}];`);
    }
    const simReads = collide.length > 0 ? [...readLines, '    // a collision (noCollision): the old word complemented', ...collide] : readLines;
    const writesWith = (op: string, from = writeLines): string[] => from.map((l) => l.replace(wop, op));
    if (blocking) {
      // Verilator takes the blocking form; other tools (synthesis, Icarus) the nonblocking one as before
      lines.push(
        '    // For Verilator the reads, then a blocking write (each read takes the old word: read-first by statement order;',
        '    // nothing else reads this memory), which it simulates without delayed-write bookkeeping. Other tools: the',
        '    // same memory in the usual non-blocking form.',
        '`ifdef VERILATOR',
        ...simReads,
        '    // verilator lint_off BLKSEQ',
        ...writesWith('=', treeLines),
        '    // verilator lint_on BLKSEQ',
        '`else',
        ...writesWith('<='),
        ...readLines,
        '`endif',
      );
    } else if (collide.length > 0) lines.push(...writesWith('<='), '`ifdef VERILATOR', ...simReads, '`else', ...readLines, '`endif');
    else lines.push(...writesWith('<='), ...readLines);
    lines.push('  end');
    return lines;
  }

  /** The `$readmemh` image of a memory: one word per line, hex, two's complement, every address. */
  dataFiles(): DesignFile[] {
    const files: DesignFile[] = [];
    for (const m of this.mod.memories) {
      if (!m.init || !m.initFile) continue;
      const digits = Math.ceil(m.type.width / 4);
      const words: string[] = [];
      for (let i = 0; i < m.depth; i++) words.push(BigInt.asUintN(m.type.width, m.init[i] ?? 0n).toString(16).padStart(digits, '0'));
      files.push({ name: m.initFile, content: `${words.join('\n')}\n` });
    }
    return files;
  }

  private instance(inst: Extract<Item, { kind: 'instance' }>['instance']): string[] {
    const conns: [string, string][] = [];
    for (const p of inst.module.ports) {
      if (p.role === 'reset' && inst.inputs.has('rst')) conns.push([p.name, this.expr(inst.inputs.get('rst') as Expr, `${inst.name}_rst`, false).s]);
      else if (p.role) conns.push([p.name, p.name]);
      else if (p.kind === 'input') conns.push([p.name, this.expr(inst.inputs.get(p.name) as Expr, `${inst.name}_${p.name}`, false).s]);
      else conns.push([p.name, (inst.outputs.get(p.name) as Signal).name]);
    }
    const w = Math.max(...conns.map(([n]) => n.length));
    return [
      `  ${inst.module.name} ${inst.name} (`,
      ...conns.map(([n, v], i) => `    .${n.padEnd(w)} (${v})${i < conns.length - 1 ? ',' : ''}`),
      '  );',
    ];
  }

  /** `wire _unused = &{1'b0, …};` for values marked unused, and for clk/rst when nothing uses them. */
  private unusedSink(): string[] {
    const parts: string[] = [];
    const unrolledParts: string[] = [];
    const clock = this.mod.clock;
    if (clock) {
      const reads = new Set<Signal>();
      const exprs: Expr[] = [];
      let clkUsed = false;
      let rstUsed = false;
      for (const item of this.mod.items) {
        if (item.kind === 'assign') exprs.push(item.value);
        if (item.kind === 'process') {
          if (item.process.kind === 'seq') clkUsed = true;
          if (item.process.targets.some((t) => t.reset !== null)) rstUsed = true;
        }
        if (item.kind === 'memory' && (item.memory.writes.length > 0 || item.memory.syncReads.length > 0)) clkUsed = true;
        if (item.kind === 'instance' && item.instance.module.clock) clkUsed = rstUsed = true;
      }
      for (const e of exprs) collectReads(e, reads);
      if (!clkUsed && !reads.has(clock.clk)) parts.push('clk');
      if (!rstUsed && !reads.has(clock.rst)) parts.push('rst');
    }
    this.mod.unused.forEach((e) => (this.mod.verilator?.unrolledUnused.has(e) ? unrolledParts : parts).push(this.operand(e, 'unused').s));
    // bits of temporaries dropped by trunc/shr/slice: deliberately discarded, listed so lint stays quiet
    for (const [name, used] of this.tempUse) {
      let i = 0;
      while (i < used.length) {
        if (used[i]) {
          i++;
          continue;
        }
        let j = i;
        while (j + 1 < used.length && !used[j + 1]) j++;
        (this.unrolledTemps.has(name) ? unrolledParts : parts).push(used.length === 1 ? name : i === j ? `${name}[${i}]` : `${name}[${j}:${i}]`);
        i = j + 1;
      }
    }
    const sink = (p: string[]): string => `  wire _unused = &{1'b0, ${p.join(', ')}};`;
    const head = '  // deliberately unused (lint ignores names containing "unused")';
    if (unrolledParts.length > 0) {
      const both = [...parts, ...unrolledParts];
      return parts.length === 0 ? [head, '`ifndef VERILATOR', sink(both), '`endif'] : [head, '`ifdef VERILATOR', sink(parts), '`else', sink(both), '`endif'];
    }
    if (parts.length === 0) return [];
    return [head, sink(parts)];
  }

  // ---- expressions ----

  /** Whole right-hand side of an assignment whose target has exactly e's width. */
  private root(e: Expr, hint: string): string {
    return this.expr(e, hint, true).s;
  }

  /** An operand text: parenthesized unless primary. */
  private operand(e: Expr, hint: string): Text {
    const t = this.expr(e, hint, false);
    return t.primary ? t : { ...t, s: `(${t.s})`, primary: true };
  }

  /** Materializes `e` into a temporary named after `op` and `hint`; returns the temp as an identifier. */
  private temp(op: string, e: Expr, hint: string): Text {
    const known = this.temps.get(e) ?? this.local?.temps.get(e);
    if (known) return known;
    const name = this.tempName(`_${op}_${hint}`);
    // (a temporary outside a clocked process reads the registers themselves, not the process's copies)
    const alias = this.local ? this.readAlias : null;
    const saved = this.readAlias;
    this.readAlias = alias;
    const value = this.expr(e, hint, true);
    this.readAlias = saved;
    const t = ident(name, false);
    if (this.local) {
      // a reg of the comb process, set before the assignment that reads it (see `local`)
      this.tempDecls.push({ name, width: e.width, feeds: hint, reg: true });
      this.local.lines.push(`${this.local.ind}${name} = ${value.s};`);
      this.local.temps.set(e, t);
      this.procLocals.push({ name, width: e.width });
    } else {
      this.tempDecls.push({ name, width: e.width, feeds: hint });
      this.pending.push(`  assign ${name} = ${value.s};`);
      this.temps.set(e, t);
    }
    this.tempUse.set(name, new Array<boolean>(e.width).fill(false));
    return t;
  }

  /**
   * A select over many values as a `case` in its own `always @*` block, driving the temporary reg
   * `_sel_<hint>` (the last value is the `default` when the options cover every selector value).
   */
  private selectCase(e: Expr, hint: string): Text {
    const known = this.temps.get(e);
    if (known) return known;
    // its own always block: its temporaries are continuous assignments, even inside a comb assignment
    const saved = this.local;
    const savedAlias = this.readAlias;
    this.local = null;
    this.readAlias = null;
    try {
      return this.selectCaseBlock(e, hint);
    } finally {
      this.local = saved;
      this.readAlias = savedAlias;
    }
  }

  private selectCaseBlock(e: Expr, hint: string): Text {
    const n = e.node as Extract<Expr['node'], { op: 'select' }>;
    const name = this.tempName(`_sel_${hint}`);
    const sel = this.operand(n.sel, hint).s;
    const arms = n.options.map((o, i) => ({ label: literal(BigInt(i), n.sel.type), value: this.expr(o, hint, true).s }));
    const dflt = n.dflt ? this.expr(n.dflt, hint, true).s : (arms.pop() as { value: string }).value;
    const lw = Math.max(...arms.map((a) => a.label.length), 'default'.length);
    this.pending.push(
      `  always @* begin`,
      `    case (${sel})`,
      ...arms.map((a) => `      ${`${a.label}:`.padEnd(lw + 1)} ${name} = ${a.value};`),
      `      ${'default:'.padEnd(lw + 1)} ${name} = ${dflt};`,
      '    endcase',
      '  end',
    );
    this.tempDecls.push({ name, width: e.width, feeds: hint, reg: true });
    const t = ident(name, false);
    this.temps.set(e, t);
    this.tempUse.set(name, new Array<boolean>(e.width).fill(false));
    return t;
  }

  /** A fresh temporary name `base` or `base_<n>`, numbered only among temporaries of that base. */
  private tempName(base: string): string {
    const n = (this.tempCount.get(base) ?? 0) + 1;
    this.tempCount.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  }

  /** An indexable text for `e` (an identifier), using a temporary if needed. */
  private indexable(e: Expr, hint: string): Text {
    if (e.node.op === 'cast') return this.indexable(e.node.a, hint);
    if (e.node.op === 'ref') return this.readAlias?.get(e.node.sig) ?? ident(e.node.sig.name, e.node.sig.signed);
    if (e.node.op === 'select' && e.node.options.length + (e.node.dflt ? 1 : 0) >= CASE_MIN_OPTIONS) return this.selectCase(e, hint);
    return this.temp(opName(e), e, hint);
  }

  /** Records that bits hi..lo of `t` are read (temporaries only; unread bits go to `_unused`). */
  private use(t: Text, hi: number, lo: number): Text {
    const used = this.tempUse.get(t.s);
    if (used) for (let i = lo; i <= hi; i++) used[i] = true;
    return t;
  }

  /**
   * The low `w` bits of `e` when they can be computed directly at width `w` (the low bits of a sum,
   * difference, negation or bitwise result depend only on the low bits of the operands), else null.
   */
  private lowBits(e: Expr, w: number, hint: string): Text | null {
    const n = e.node;
    const fit = (x: Expr): Text => (x.width >= w ? this.bits(x, w - 1, 0, hint) : this.extend(x, w, hint));
    const paren = (t: Text): string => (t.primary ? t.s : `(${t.s})`);
    switch (n.op) {
      case 'add':
      case 'addWrap':
      case 'sub':
      case 'subWrap':
      case 'and':
      case 'or':
      case 'xor':
        return compound(`${paren(fit(n.a))} ${BINARY_OP[n.op]} ${paren(fit(n.b))}`);
      case 'neg':
        return compound(`-${paren(fit(n.a))}`);
      case 'not':
        return compound(`~${paren(fit(n.a))}`);
      case 'cast':
        return this.lowBits(n.a, w, hint);
      default:
        return null;
    }
  }

  /** Bits hi..lo of `e` (an unsigned pattern of hi − lo + 1 bits). */
  private bits(e: Expr, hi: number, lo: number, hint: string): Text {
    if (e.node.op === 'const') {
      const mask = (1n << BigInt(hi - lo + 1)) - 1n;
      return prim(literal((BigInt.asUintN(e.width, e.node.value) >> BigInt(lo)) & mask, { signed: false, width: hi - lo + 1 }));
    }
    if (lo === 0 && hi === e.width - 1) return this.expr(e, hint, false);
    if (e.node.op === 'cast') return this.bits(e.node.a, hi, lo, hint);
    if (e.node.op === 'repeat') {
      // bits within one copy: that copy's bits (no temporary of the whole repetition)
      const w = e.node.a.width;
      if (Math.floor(hi / w) === Math.floor(lo / w)) return this.bits(e.node.a, hi % w, lo % w, hint);
    }
    if (e.node.op === 'extend') {
      const inner = e.node.a;
      if (hi < inner.width) return this.bits(inner, hi, lo, hint);
      if (lo === 0) return e.node.sim && inner.signed ? this.sextSim(inner, hi + 1, hint) : this.extend(inner, hi + 1, hint);
    }
    if (lo === 0) {
      const low = this.lowBits(e, hi + 1, hint);
      if (low) return low;
    }
    const x = this.use(this.indexable(e, hint), hi, lo);
    if (e.width === 1) return x;
    return prim(hi === lo ? `${x.s}[${hi}]` : `${x.s}[${hi}:${lo}]`);
  }

  /** `e` extended (by its signedness) to `w` bits, as an unsigned-pattern text. */
  private extend(e: Expr, w: number, hint: string): Text {
    if (w === e.width) return this.operand(e, hint);
    if (e.node.op === 'extend') return this.extend(e.node.a, w, hint);
    const n = w - e.width;
    if (e.node.op === 'const') return prim(literal(BigInt.asUintN(w, e.node.value), { signed: false, width: w }));
    if (!e.signed) {
      const x = this.expr(e, hint, false);
      return prim(`{${zeros(n)}, ${x.s}}`);
    }
    const x = this.use(this.indexable(e, hint), e.width - 1, 0);
    const sign = e.width === 1 ? x.s : `${x.s}[${e.width - 1}]`;
    return prim(`{${n === 1 ? sign : `{${n}{${sign}}}`}, ${x.s}}`);
  }

  /** Expr.sextSim: the macro SEXT_MACRO (defined at the file's top), Verilator's form or the usual one. */
  private sextSim(a: Expr, w: number, hint: string): Text {
    const x = this.use(this.indexable(a, hint), a.width - 1, 0);
    this.usesSextSim = true;
    return prim(`\`${SEXT_MACRO}(${x.s}, ${a.width}, ${w})`);
  }

  private asSigned(t: Text): string {
    return t.vsigned ? t.s : `$signed(${t.s})`;
  }

  private asUnsigned(t: Text): string {
    return t.vsigned ? `$unsigned(${t.s})` : t.s;
  }

  private expr(e: Expr, hint: string, root: boolean): Text {
    const n = e.node;
    switch (n.op) {
      case 'ref': {
        const alias = this.readAlias?.get(n.sig);
        return alias ? this.use(alias, n.sig.width - 1, 0) : ident(n.sig.name, n.sig.signed);
      }
      case 'const': {
        if (n.name) return prim(n.name, e.signed);
        const s = literal(n.value, e.type);
        return s.startsWith('-') ? compound(s, true) : prim(s, e.signed);
      }
      case 'memread':
        return prim(`${n.mem.name}[${this.operand(n.addr, `${n.mem.name}_raddr`).s}]`, n.mem.type.signed);
      case 'add':
      case 'sub':
      case 'addWrap':
      case 'subWrap': {
        const a = this.extend(n.a, e.width, hint);
        const b = this.extend(n.b, e.width, hint);
        return compound(`${a.s} ${BINARY_OP[n.op]} ${b.s}`);
      }
      case 'mul': {
        if (!root) return this.use(this.temp('mul', e, hint), e.width - 1, 0);
        // operands as identifiers or literals: Verilator widens a compound operand to the product's width.
        // A factor extended by its own signedness, the product's, is written unextended: the product's
        // width extends it the same way (one extension in the simulator instead of a temporary and two)
        const factor = (x: Expr): Text => {
          if (x.node.op === 'extend' && x.node.a.signed === e.signed) return factor(x.node.a);
          return x.node.op === 'const' ? this.operand(x, hint) : this.use(this.indexable(x, hint), x.width - 1, 0);
        };
        const a = factor(n.a);
        const b = factor(n.b);
        return e.signed
          ? compound(`${this.asSigned(a)} * ${this.asSigned(b)}`, true)
          : compound(`${this.asUnsigned(a)} * ${this.asUnsigned(b)}`);
      }
      case 'mulWrap': {
        // at the root the product's width is the assignment's, a's width: a narrower b is written unextended
        // (the signed or unsigned context extends it); elsewhere a temporary of that width
        if (!root) return this.use(this.temp('mul', e, hint), e.width - 1, 0);
        const factor = (x: Expr): Text => (x.node.op === 'const' ? this.operand(x, hint) : this.use(this.indexable(x, hint), x.width - 1, 0));
        const a = factor(n.a);
        const b = factor(n.b);
        return e.signed ? compound(`${this.asSigned(a)} * ${this.asSigned(b)}`, true) : compound(`${this.asUnsigned(a)} * ${this.asUnsigned(b)}`);
      }
      case 'neg':
        return compound(`-${this.extend(n.a, e.width, hint).s}`);
      case 'and':
      case 'or':
      case 'xor':
        return compound(`${this.operand(n.a, hint).s} ${BINARY_OP[n.op]} ${this.operand(n.b, hint).s}`);
      case 'not':
        return compound(`~${this.operand(n.a, hint).s}`);
      case 'andReduce':
        return compound(`&${this.operand(n.a, hint).s}`);
      case 'orReduce':
        return compound(`|${this.operand(n.a, hint).s}`);
      case 'xorReduce':
        return compound(`^${this.operand(n.a, hint).s}`);
      case 'eq':
      case 'ne':
      case 'lt':
      case 'le':
      case 'gt':
      case 'ge': {
        const w = Math.max(n.a.width, n.b.width);
        const a = this.extend(n.a, w, hint);
        const b = this.extend(n.b, w, hint);
        const sym = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' }[n.op];
        if (n.op === 'eq' || n.op === 'ne') return compound(`${a.s} ${sym} ${b.s}`);
        return n.a.signed
          ? compound(`${this.asSigned(a)} ${sym} ${this.asSigned(b)}`)
          : compound(`${this.asUnsigned(a)} ${sym} ${this.asUnsigned(b)}`);
      }
      case 'slice':
        return this.bits(n.a, n.hi, n.lo, hint);
      case 'extend':
        return n.sim ? this.sextSim(n.a, e.width, hint) : this.extend(n.a, e.width, hint);
      case 'cast':
        return this.expr(n.a, hint, root);
      case 'cat':
        return prim(`{${n.parts.map((p) => this.expr(p, hint, false).s).join(', ')}}`);
      case 'repeat':
        return prim(`{${n.count}{${this.expr(n.a, hint, false).s}}}`);
      case 'mux':
        return compound(`${this.operand(n.cond, hint).s} ? ${this.operand(n.a, hint).s} : ${this.operand(n.b, hint).s}`);
      case 'select': {
        if (n.options.length + (n.dflt ? 1 : 0) >= CASE_MIN_OPTIONS) return this.use(this.selectCase(e, hint), e.width - 1, 0);
        const sel = this.operand(n.sel, hint).s;
        const parts = n.options.map((o, i) => ({ i, t: this.operand(o, hint).s }));
        const last = n.dflt ? this.operand(n.dflt, hint).s : (parts.pop() as { t: string }).t;
        const arms = parts.map(({ i, t }) => `(${sel} == ${literal(BigInt(i), n.sel.type)}) ? ${t} :`);
        return compound([...arms, last].join(' '));
      }
      case 'shl':
        return prim(`{${this.expr(n.a, hint, false).s}, ${zeros(n.n)}}`);
      case 'shlBy':
        return compound(`${this.operand(n.a, hint).s} << ${this.operand(n.amount, hint).s}`);
      case 'shrBy': {
        if (!e.signed) return compound(`${this.operand(n.a, hint).s} >> ${this.operand(n.amount, hint).s}`);
        if (!root) return this.use(this.temp('shr', e, hint), e.width - 1, 0);
        return compound(`${this.asSigned(this.operand(n.a, hint))} >>> ${this.operand(n.amount, hint).s}`, true);
      }
    }
  }

  // ---- name map ----

  private nameMap(): NameMap {
    const mod = this.mod;
    const entries: NameMapEntry[] = [];
    const kindOf = (s: Signal): NameMapEntry['kind'] =>
      s.kind === 'instout' ? 'instance-output' : s.kind === 'reg' ? 'reg' : s.kind;
    for (const s of [...mod.ports, ...mod.signals]) {
      entries.push({ path: `${mod.name}.${s.name}`, verilog: s.name, kind: kindOf(s), width: s.width, signed: s.signed });
    }
    for (const m of mod.memories) {
      entries.push({ path: `${mod.name}.${m.name}`, verilog: m.name, kind: 'memory', width: m.type.width, signed: m.type.signed, depth: m.depth });
    }
    for (const item of mod.items) {
      if (item.kind === 'instance') {
        const i = item.instance;
        entries.push({ path: `${mod.name}.${i.name}`, verilog: i.name, kind: 'instance', width: 0, signed: false, module: i.module.name });
      }
    }
    for (const en of mod.enums) {
      for (const x of en.members) {
        entries.push({ path: `${mod.name}.${x.param}`, verilog: x.param, kind: 'localparam', width: en.type.width, signed: false, value: x.value.toString(), enum: en.name });
      }
    }
    for (const t of this.tempDecls) {
      entries.push({ path: `${mod.name}.${t.name}`, verilog: t.name, kind: 'temporary', width: t.width, signed: false, feeds: t.feeds });
    }
    entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    return { module: mod.name, generator: GENERATOR_VERSION, paramsHash: mod.paramsHash, params: mod.params, entries };
  }
}

/**
 * What a temporary of `e` holds, for its name: the operation its emitted text computes. Truncations and
 * reinterpretations of a sum, difference or bitwise result are emitted as that operation at the narrower
 * width (see lowBits), so they are named after it (`_add_…`), not after the slice.
 */
function opName(e: Expr): string {
  const n = e.node;
  switch (n.op) {
    case 'addWrap':
      return 'add';
    case 'subWrap':
      return 'sub';
    case 'mulWrap':
      return 'mul';
    case 'memread':
      return 'rd';
    case 'cast':
      return opName(n.a);
    case 'extend':
      return 'ext';
    case 'select':
      return 'sel';
    case 'slice': {
      let inner = n.a;
      while (inner.node.op === 'cast') inner = inner.node.a;
      if (n.lo === 0 && ['add', 'addWrap', 'sub', 'subWrap', 'and', 'or', 'xor', 'neg', 'not'].includes(inner.node.op)) return opName(inner);
      return n.lo === n.hi ? 'bit' : 'bits';
    }
    default:
      return n.op;
  }
}

/** Emits one module: its Verilog file and its name map. */
export function emitModule(mod: Module): EmittedModule {
  const em = new ModuleEmitter(mod);
  const { verilog, nameMap } = em.emit();
  return {
    name: mod.name,
    fileName: `${mod.name}.v`,
    verilog,
    nameMapFileName: `${mod.name}.names.json`,
    nameMap,
    module: mod,
    dataFiles: em.dataFiles(),
  };
}

/** A file to write: relative name and content. */
export interface DesignFile {
  readonly name: string;
  readonly content: string;
}

export interface EmittedDesign {
  readonly top: string;
  /** Every module of the hierarchy once, sorted by name. */
  readonly modules: readonly EmittedModule[];
  /** `<m>.v`, `<m>.names.json` and the memory images (`<m>_<memory>.hex`) of every module, sorted by module. */
  readonly files: readonly DesignFile[];
}

/**
 * Emits `top` and every module below it, each once. Two different modules with the same name are an
 * error (give generators names that include their parameters, e.g. `fifo_w8_d16`).
 */
export function emitDesign(top: Module): EmittedDesign {
  const byName = new Map<string, EmittedModule>();
  const visit = (mod: Module): void => {
    const prev = byName.get(mod.name);
    if (prev) {
      if (prev.module === mod) return;
      const e = emitModule(mod);
      if (e.verilog !== prev.verilog) {
        throw new HdlError(
          `two different modules are named '${mod.name}' (params hash ${prev.module.paramsHash} vs ${mod.paramsHash}); ` +
            `module names must be unique per content — put the distinguishing parameters in the name`,
        );
      }
      return;
    }
    byName.set(mod.name, emitModule(mod));
    for (const item of mod.items) if (item.kind === 'instance') visit(item.instance.module);
  };
  visit(top);
  const modules = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const files: DesignFile[] = [];
  for (const m of modules) {
    files.push({ name: m.fileName, content: m.verilog });
    files.push({ name: m.nameMapFileName, content: `${JSON.stringify(m.nameMap, null, 2)}\n` });
    files.push(...m.dataFiles);
  }
  return { top: top.name, modules, files };
}

/**
 * The signals a clocked process's body reads after a statement that writes them, in the order its text runs
 * (then before else, case bodies in order, a case's selector read again before each label test after the
 * first, as a simulator's decision tree does).
 */
function lateReads(body: readonly Stmt[]): Set<Signal> {
  const written = new Set<Signal>();
  const late = new Set<Signal>();
  const read = (e: Expr): void => {
    const sigs = new Set<Signal>();
    collectReads(e, sigs);
    for (const sig of sigs) if (written.has(sig)) late.add(sig);
  };
  const walk = (stmts: readonly Stmt[]): void => {
    for (const s of stmts) {
      if (s.kind === 'set') {
        read(s.value);
        written.add(s.target);
      } else if (s.kind === 'if') {
        read(s.cond);
        walk(s.then);
        walk(s.else);
      } else {
        for (const c of s.cases) {
          read(s.sel);
          walk(c.body);
        }
        read(s.sel);
        if (s.dflt) walk(s.dflt);
      }
    }
  };
  walk(body);
  return late;
}
