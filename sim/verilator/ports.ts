/**
 * Port lists of co-simulated designs and the AXI4-Stream groups found in them by name.
 *
 * The generator hands over the ports from its IR; nothing here parses Verilog. Stream groups follow
 * the project convention (shared/design.md): `s_axis_<bus>_{tvalid,tready,tdata[,tlast]}` is an input
 * stream of the module (a *source* the harness drives), `m_axis_<bus>_...` an output stream (a *sink*
 * the harness consumes and checks). The clock is `clk`, the synchronous active-high reset `rst`.
 */

/** One port of the top module (1..MAX_PORT_WIDTH bits; values wider than 53 bits are bigints). */
export interface PortSpec {
  name: string;
  dir: 'in' | 'out';
  width: number;
  /** Two's complement: peek sign-extends, poke accepts negative values. */
  signed?: boolean;
}

/** A stream found in the port list; the numbers are indices into the port list. */
export interface StreamGroup {
  /** `<bus>` of `s_axis_<bus>_*` / `m_axis_<bus>_*`. */
  bus: string;
  kind: 'source' | 'sink';
  valid: number;
  ready: number;
  data: number;
  /** -1 when the stream has no tlast. */
  last: number;
}

export const CLOCK_PORT = 'clk';
export const RESET_PORT = 'rst';
export const MAX_PORT_WIDTH = 65536;

const STREAM_RE = /^([sm])_axis_(.+)_(tvalid|tready|tdata|tlast)$/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws a RangeError naming the first problem with the port list. */
export function validatePorts(ports: readonly PortSpec[]): void {
  const seen = new Set<string>();
  for (const p of ports) {
    if (!IDENT_RE.test(p.name)) throw new RangeError(`port name '${p.name}' is not a plain Verilog identifier`);
    if (seen.has(p.name)) throw new RangeError(`port '${p.name}' is listed twice`);
    seen.add(p.name);
    if (p.dir !== 'in' && p.dir !== 'out') throw new RangeError(`port '${p.name}': dir must be 'in' or 'out'`);
    if (!Number.isInteger(p.width) || p.width < 1) throw new RangeError(`port '${p.name}': width must be a positive integer`);
    if (p.width > MAX_PORT_WIDTH) {
      throw new RangeError(`port '${p.name}' is ${p.width} bits wide; the co-simulation harness supports at most ${MAX_PORT_WIDTH}`);
    }
  }
  const clk = ports.find((p) => p.name === CLOCK_PORT);
  if (!clk || clk.dir !== 'in' || clk.width !== 1) throw new RangeError(`the design needs a 1-bit input '${CLOCK_PORT}'`);
  const rst = ports.find((p) => p.name === RESET_PORT);
  if (rst && (rst.dir !== 'in' || rst.width !== 1)) throw new RangeError(`'${RESET_PORT}' must be a 1-bit input`);
  findStreams(ports);
}

/** The stream groups of a port list, sources first, each kind in port-list order. */
export function findStreams(ports: readonly PortSpec[]): StreamGroup[] {
  const groups = new Map<string, { kind: 'source' | 'sink'; bus: string; sig: Map<string, number> }>();
  ports.forEach((p, i) => {
    const m = STREAM_RE.exec(p.name);
    if (!m) return;
    const kind = m[1] === 's' ? 'source' : 'sink';
    const key = `${kind}:${m[2]}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { kind, bus: m[2], sig: new Map() }));
    g.sig.set(m[3], i);
  });
  const out: StreamGroup[] = [];
  for (const g of groups.values()) {
    const prefix = `${g.kind === 'source' ? 's' : 'm'}_axis_${g.bus}`;
    const need = (s: string): number => {
      const i = g.sig.get(s);
      if (i === undefined) throw new RangeError(`stream ${prefix}: missing ${prefix}_${s}`);
      return i;
    };
    const s: StreamGroup = {
      bus: g.bus,
      kind: g.kind,
      valid: need('tvalid'),
      ready: need('tready'),
      data: need('tdata'),
      last: g.sig.get('tlast') ?? -1,
    };
    // Direction as seen from the module: a source's valid/data/last are module inputs, ready an output.
    const fwd = g.kind === 'source' ? 'in' : 'out';
    const back = g.kind === 'source' ? 'out' : 'in';
    for (const [name, idx, dir, oneBit] of [
      ['tvalid', s.valid, fwd, true],
      ['tready', s.ready, back, true],
      ['tdata', s.data, fwd, false],
      ['tlast', s.last, fwd, true],
    ] as const) {
      if (idx < 0) continue;
      const p = ports[idx];
      if (p.dir !== dir) throw new RangeError(`stream ${prefix}: ${p.name} must be an ${dir === 'in' ? 'input' : 'output'}`);
      if (oneBit && p.width !== 1) throw new RangeError(`stream ${prefix}: ${p.name} must be 1 bit wide`);
    }
    out.push(s);
  }
  return [...out.filter((s) => s.kind === 'source'), ...out.filter((s) => s.kind === 'sink')];
}

/**
 * A memory the host may read and write by name (Model.peekMem / pokeMem). Verilator makes it public
 * through a configuration file (`public_flat_rw`), so only the listed memories lose no speed.
 */
export interface MemorySpec {
  /** Names it is looked up by, e.g. the name-map path `weights.bank3` and the instance path `top.u_w.bank3`. */
  paths: string[];
  /** Module that declares it. */
  module: string;
  /** Instance path from the top module: `top` or `top.u_w` (Verilator's scope without `TOP.`). */
  instance: string;
  /** Verilog name of the array (`reg [w-1:0] name [0:depth-1]`). */
  name: string;
  width: number;
  depth: number;
  signed?: boolean;
}

/**
 * An AXI4-Stream inside the design, watched by the harness with the same stream rules as the DUT's
 * outputs (valid held and data/last stable until the transfer). Signals are Verilog names in the
 * scope of `instance` (typically the port names of a sub-module).
 */
export interface WatchSpec {
  /** How violations name it, e.g. `top.u_fifo.m_axis_out`. */
  name: string;
  module: string;
  instance: string;
  valid: string;
  ready: string;
  data: string;
  /** '' or absent: no tlast. */
  last?: string;
  width: number;
}

/** Throws a RangeError naming the first problem with the memory and watch lists. */
export function validatePublic(memories: readonly MemorySpec[], watches: readonly WatchSpec[]): void {
  const ident = (s: string, what: string): void => {
    if (!IDENT_RE.test(s)) throw new RangeError(`${what}: '${s}' is not a plain Verilog identifier`);
  };
  const instance = (s: string, what: string): void => {
    if (!/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/.test(s)) throw new RangeError(`${what}: instance path '${s}' must be dot-separated identifiers`);
  };
  const paths = new Set<string>();
  for (const m of memories) {
    const what = `memory ${m.paths[0] ?? m.name}`;
    ident(m.module, what);
    ident(m.name, what);
    instance(m.instance, what);
    if (!Number.isInteger(m.width) || m.width < 1 || m.width > MAX_PORT_WIDTH) throw new RangeError(`${what}: bad width ${m.width}`);
    if (!Number.isInteger(m.depth) || m.depth < 1) throw new RangeError(`${what}: bad depth ${m.depth}`);
    if (m.paths.length === 0) throw new RangeError(`memory ${m.instance}.${m.name}: no path to look it up by`);
    for (const p of m.paths) {
      if (paths.has(p)) throw new RangeError(`memory path '${p}' names two memories`);
      paths.add(p);
    }
  }
  for (const w of watches) {
    const what = `watched stream ${w.name}`;
    ident(w.module, what);
    instance(w.instance, what);
    for (const s of [w.valid, w.ready, w.data, ...(w.last ? [w.last] : [])]) ident(s, what);
    if (!Number.isInteger(w.width) || w.width < 1 || w.width > MAX_PORT_WIDTH) throw new RangeError(`${what}: bad data width ${w.width}`);
  }
}
