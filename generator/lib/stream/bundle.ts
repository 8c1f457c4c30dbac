/**
 * Valid/ready stream bundles for the IR (AXI4-Stream subset: tvalid, tready, tdata, optional tlast).
 *
 * Port names follow the project convention the co-simulation runner recognises:
 *   streamIn(m, 'x', …)   s_axis_x_tvalid (in), s_axis_x_tready (out), s_axis_x_tdata (in), s_axis_x_tlast (in)
 *   streamOut(m, 'y', …)  m_axis_y_tvalid (out), m_axis_y_tready (in), m_axis_y_tdata (out), m_axis_y_tlast (out)
 *
 * The rules (Amaranth lib.stream's four, which are the AXI4-Stream ones):
 *   1. a word transfers at a rising edge where valid and ready are both high;
 *   2. once valid is high the producer holds valid, data and last unchanged until that transfer;
 *   3. valid must not depend (combinationally) on ready;
 *   4. ready may do anything, including follow valid combinationally.
 * The bundles only create ports; the module that drives them is responsible for rules 2 and 3. The
 * easiest way to obey them is to drive valid/data/last straight from registers that only change when
 * the output is empty or transferring (`canLoad` below), as every block in this folder does. The
 * co-simulation harness checks rule 2 on every DUT output stream.
 */
import { HdlError, ModuleBuilder, sameType, typeName, uint, type Expr, type HwType, type InstanceHandle, type Operand, type Signal } from '../../ir/index.js';

export interface StreamOptions {
  /** Whether the stream carries tlast (default false). */
  readonly last?: boolean;
}

/** The four (or three) port signals of one stream, seen from inside the module that declares them. */
export interface StreamPorts {
  readonly bus: string;
  readonly valid: Signal;
  readonly ready: Signal;
  readonly data: Signal;
  /** null when the stream has no tlast. */
  readonly last: Signal | null;
  /** valid AND ready: a word transfers at the next rising edge. */
  readonly fire: Expr;
}

/** Name of a stream port: `s_axis_<bus>_<sig>` (input stream) or `m_axis_<bus>_<sig>` (output stream). */
export function streamPortName(dir: 'in' | 'out', bus: string, sig: 'tvalid' | 'tready' | 'tdata' | 'tlast'): string {
  return `${dir === 'in' ? 's' : 'm'}_axis_${bus}_${sig}`;
}

/**
 * A stream entering the module: tvalid/tdata/tlast are inputs, tready is an output the caller must
 * drive (m.assign or a comb process). Ready may depend on valid (rule 4).
 */
export function streamIn(m: ModuleBuilder, bus: string, dataType: HwType, opts: StreamOptions = {}): StreamPorts {
  const valid = m.input(streamPortName('in', bus, 'tvalid'), uint(1));
  const ready = m.output(streamPortName('in', bus, 'tready'), uint(1));
  const data = m.input(streamPortName('in', bus, 'tdata'), dataType);
  const last = opts.last ? m.input(streamPortName('in', bus, 'tlast'), uint(1)) : null;
  return { bus, valid, ready, data, last, fire: valid.and(ready) };
}

/**
 * A stream leaving the module: tvalid/tdata/tlast are outputs the caller must drive, tready an input.
 * Drive valid without looking at ready (rule 3) and hold the payload until `fire` (rule 2).
 */
export function streamOut(m: ModuleBuilder, bus: string, dataType: HwType, opts: StreamOptions = {}): StreamPorts {
  const valid = m.output(streamPortName('out', bus, 'tvalid'), uint(1));
  const ready = m.input(streamPortName('out', bus, 'tready'), uint(1));
  const data = m.output(streamPortName('out', bus, 'tdata'), dataType);
  const last = opts.last ? m.output(streamPortName('out', bus, 'tlast'), uint(1)) : null;
  return { bus, valid, ready, data, last, fire: valid.and(ready) };
}

/** What a producer inside a parent module offers to a child's input stream. */
export interface StreamSource {
  readonly valid: Operand;
  readonly data: Operand;
  /** Required when the child's stream has tlast. */
  readonly last?: Operand;
}

/**
 * The instance connections that feed child input stream `bus` (s_axis_<bus>_*) from `src`; spread the
 * result into `m.instance(…, { ...feedStream('in', src), … })`. Read the child's tready with
 * `inst.out(streamPortName('in', bus, 'tready'))`.
 */
export function feedStream(bus: string, src: StreamSource): Record<string, Operand> {
  const c: Record<string, Operand> = {
    [streamPortName('in', bus, 'tvalid')]: src.valid,
    [streamPortName('in', bus, 'tdata')]: src.data,
  };
  if (src.last !== undefined) c[streamPortName('in', bus, 'tlast')] = src.last;
  return c;
}

/** The parent wires of a child instance's output stream m_axis_<bus>_* (valid, data, last or null). */
export function instanceOutStream(inst: InstanceHandle, bus: string): { valid: Signal; data: Signal; last: Signal | null } {
  const hasLast = inst.module.ports.some((p) => p.name === streamPortName('out', bus, 'tlast'));
  return {
    valid: inst.out(streamPortName('out', bus, 'tvalid')),
    data: inst.out(streamPortName('out', bus, 'tdata')),
    last: hasLast ? inst.out(streamPortName('out', bus, 'tlast')) : null,
  };
}

/** A stream end inside a parent module: its own ports (streamIn / streamOut) or a child instance's stream. */
export type StreamEnd = StreamPorts | { readonly inst: InstanceHandle; readonly bus: string };

function isPorts(e: StreamEnd): e is StreamPorts {
  return 'valid' in e;
}

/**
 * Wires a producer to a consumer: valid, data and last forward, ready backward, with nothing in between.
 *   from: the module's input stream (streamIn) or a child's output stream ({ inst, bus } for m_axis_<bus>_*)
 *   to:   the module's output stream (streamOut) or a child's input stream ({ inst, bus } for s_axis_<bus>_*)
 * Child inputs are bound with inst.bind, so create those instances with `{ bindLater: true }` when the
 * other end is made later (a child's tready usually is). Data types and tlast presence must match.
 */
export function connect(m: ModuleBuilder, from: StreamEnd, to: StreamEnd): void {
  const src = isPorts(from)
    ? { what: `stream '${from.bus}' of '${m.name}'`, valid: from.valid as Expr, data: from.data as Expr, last: from.last as Expr | null, driveReady: (v: Expr) => m.assign(from.ready, v) }
    : (() => {
        const o = instanceOutStream(from.inst, from.bus);
        return { what: `output stream '${from.bus}' of instance '${from.inst.name}'`, valid: o.valid as Expr, data: o.data as Expr, last: o.last as Expr | null, driveReady: (v: Expr) => from.inst.bind(streamPortName('out', from.bus, 'tready'), v) };
      })();
  const dst = isPorts(to)
    ? {
        what: `stream '${to.bus}' of '${m.name}'`,
        ready: to.ready as Expr,
        type: to.data.type,
        hasLast: to.last !== null,
        drive: (valid: Expr, data: Expr, last: Expr | null) => {
          m.assign(to.valid, valid);
          m.assign(to.data, data);
          if (to.last && last) m.assign(to.last, last);
        },
      }
    : (() => {
        const port = (sig: 'tdata' | 'tlast') => to.inst.module.ports.find((p) => p.name === streamPortName('in', to.bus, sig));
        const dp = port('tdata');
        if (!dp) throw new HdlError(`connect: instance '${to.inst.name}' has no input stream '${to.bus}' (${streamPortName('in', to.bus, 'tdata')})`);
        return {
          what: `input stream '${to.bus}' of instance '${to.inst.name}'`,
          ready: to.inst.out(streamPortName('in', to.bus, 'tready')) as Expr,
          type: dp.type,
          hasLast: port('tlast') !== undefined,
          drive: (valid: Expr, data: Expr, last: Expr | null) => {
            to.inst.bind(streamPortName('in', to.bus, 'tvalid'), valid);
            to.inst.bind(streamPortName('in', to.bus, 'tdata'), data);
            if (last) to.inst.bind(streamPortName('in', to.bus, 'tlast'), last);
          },
        };
      })();
  if (!sameType(src.data.type, dst.type)) {
    throw new HdlError(`connect: ${src.what} carries ${typeName(src.data.type)}, ${dst.what} takes ${typeName(dst.type)}`);
  }
  if ((src.last !== null) !== dst.hasLast) {
    throw new HdlError(`connect: ${src.what} ${src.last ? 'has' : 'has no'} tlast but ${dst.what} ${dst.hasLast ? 'has' : 'has no'} tlast`);
  }
  dst.drive(src.valid, src.data, src.last);
  src.driveReady(dst.ready);
}
