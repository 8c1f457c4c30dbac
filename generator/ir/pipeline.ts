/**
 * Latency-tracked values and lane vectors, so aligned signals cannot drift by a cycle.
 *
 *   const p = new Pipeline(m, 'mac', { enable: go });        // registers of this pipeline load when `go`
 *   const x = p.input(xIn);                                  // stage 0
 *   const prod = p.reg('prod', p.combine((a, b) => a.mul(b), x, w));   // stage 1
 *   const sum = p.reg('sum', p.combine((a, b) => a.add(b), prod, x));  // x is delayed to stage 1 by itself
 *   m.output('y', p.at(sum, 3).value);                      // delayed to stage 3 (a named delay line)
 *
 * A `Staged` value is an expression together with the pipeline stage (cycles after the inputs) at which
 * it is valid. `combine` aligns every operand to the latest stage through delay registers
 * (`<name>_d<stage>`, shared: aligning the same value twice reuses them); `combineStrict` throws instead,
 * for places where a mismatch is a design error. A Staged value is not an Expr, so it cannot be mixed
 * with a value of another stage by accident; `.value` takes the expression out deliberately.
 *
 * `Lanes` is a fixed-length vector of equal-typed values (weight lanes, PE columns) without hand-made
 * cat/slice: `Lanes.split(flat, n)` (lane 0 = the low bits), `.at(i)`, `.map`, `.zip`, `.flat()`, and
 * `p.reduceAdd(name, lanes)`, an adder tree whose latency is tracked (a register level every `perStage`
 * levels).
 */
import { cat, Expr, type Signal } from './expr.js';
import { HdlError, sameType, typeName, type HwType } from './types.js';
import type { ModuleBuilder } from './module.js';

/** A value valid `stage` cycles after the pipeline's inputs. */
export class Staged {
  constructor(
    readonly pipeline: Pipeline,
    readonly value: Expr,
    readonly stage: number,
    /** Base name of delay registers made for it. */
    readonly name: string,
  ) {}

  get type(): HwType {
    return this.value.type;
  }
}

export interface PipelineOptions {
  /** Clock enable of every register of the pipeline (a stall holds all stages together). */
  readonly enable?: Expr;
  /** Reset value of the pipeline's registers (default null: data registers without reset). */
  readonly reset?: number | bigint | null;
}

export class Pipeline {
  private readonly delays = new Map<Staged, Staged[]>();
  private count = 0;

  constructor(
    readonly m: ModuleBuilder,
    /** Prefix of the registers this pipeline makes. */
    readonly name: string,
    readonly opts: PipelineOptions = {},
  ) {}

  /** `value` at `stage` (default 0: a pipeline input). `name` names delay registers made for it. */
  input(value: Expr, stage = 0, name?: string): Staged {
    if (!(value instanceof Expr)) throw new HdlError(`pipeline '${this.name}': input needs an expression`);
    if (!Number.isInteger(stage) || stage < 0) throw new HdlError(`pipeline '${this.name}': stage must be an integer ≥ 0, got ${stage}`);
    return new Staged(this, value, stage, name ?? (value.node.op === 'ref' ? value.node.sig.name : `${this.name}_v${++this.count}`));
  }

  /** Register `name` holding `v`: the value one stage later. */
  reg(name: string, v: Staged): Staged {
    this.own(v, `reg '${name}'`);
    const r = this.register(name, v.value);
    return new Staged(this, r, v.stage + 1, name);
  }

  /** `v` delayed to `stage` ≥ v.stage through registers `<name>_d<k>` (made once per value and stage). */
  at(v: Staged, stage: number): Staged {
    this.own(v, 'at');
    if (!Number.isInteger(stage) || stage < v.stage) {
      throw new HdlError(`pipeline '${this.name}': '${v.name}' is valid at stage ${v.stage}; it cannot be moved earlier, to stage ${stage}`);
    }
    let chain = this.delays.get(v);
    if (!chain) {
      chain = [v];
      this.delays.set(v, chain);
    }
    while (chain.length <= stage - v.stage) {
      const prev = chain[chain.length - 1];
      const k = v.stage + chain.length;
      chain.push(new Staged(this, this.register(`${v.name}_d${k}`, prev.value), k, v.name));
    }
    return chain[stage - v.stage];
  }

  /** fn of the operands' values, every operand first delayed to the latest stage among them. */
  combine(fn: (...values: Expr[]) => Expr, ...vs: Staged[]): Staged {
    if (vs.length === 0) throw new HdlError(`pipeline '${this.name}': combine needs at least one value`);
    const stage = Math.max(...vs.map((v) => v.stage));
    return this.input(fn(...vs.map((v) => this.at(v, stage).value)), stage);
  }

  /** Like combine, but operands of different stages are an error naming them. */
  combineStrict(fn: (...values: Expr[]) => Expr, ...vs: Staged[]): Staged {
    const stages = new Set(vs.map((v) => v.stage));
    if (stages.size > 1) {
      throw new HdlError(
        `pipeline '${this.name}': combining values of different stages (${vs.map((v) => `'${v.name}' at stage ${v.stage}`).join(', ')}); ` +
          `delay the early ones with p.at(v, stage) or use p.combine, which aligns them`,
      );
    }
    return this.combine(fn, ...vs);
  }

  /**
   * Sum of the lanes as an adder tree (pairwise, widening: no overflow), with a register level after every
   * `perStage` adder levels (default 1) and after the last; returns the sum and its stage (the latency).
   */
  reduceAdd(name: string, lanes: Lanes | readonly Staged[], opts: { perStage?: number } = {}): Staged {
    const per = opts.perStage ?? 1;
    if (!Number.isInteger(per) || per < 1) throw new HdlError(`pipeline '${this.name}': reduceAdd perStage must be an integer ≥ 1`);
    let level: Staged[] = lanes instanceof Lanes ? lanes.items.map((e, i) => this.input(e, 0, `${name}_in${i}`)) : [...lanes];
    if (level.length === 0) throw new HdlError(`pipeline '${this.name}': reduceAdd '${name}' of no lanes`);
    let depth = 0;
    let levelNo = 0;
    while (level.length > 1) {
      const next: Staged[] = [];
      for (let i = 0; i < level.length; i += 2) {
        next.push(i + 1 < level.length ? this.combine((a, b) => a.add(b), level[i], level[i + 1]) : level[i]);
      }
      level = next;
      levelNo++;
      if (++depth === per && level.length > 1) {
        depth = 0;
        level = level.map((v, i) => this.reg(`${name}_l${levelNo}_${i}`, v));
      }
    }
    return this.reg(name, level[0]);
  }

  private register(name: string, value: Expr): Signal {
    const r = this.m.reg(name, value.type, { reset: this.opts.reset ?? null });
    const en = this.opts.enable;
    this.m.seq(name, ($) => {
      if (en) $.if(en, () => $.set(r, value));
      else $.set(r, value);
    });
    return r;
  }

  private own(v: Staged, what: string): void {
    if (!(v instanceof Staged) || v.pipeline !== this) {
      throw new HdlError(`pipeline '${this.name}': ${what} needs a value of this pipeline (wrap expressions with p.input)`);
    }
  }
}

/** A fixed-length vector of values of one type. */
export class Lanes {
  readonly items: readonly Expr[];

  constructor(items: readonly Expr[]) {
    if (items.length === 0) throw new HdlError('Lanes: at least one lane');
    const t = items[0].type;
    items.forEach((e, i) => {
      if (!(e instanceof Expr)) throw new HdlError(`Lanes: lane ${i} is not an expression`);
      if (!sameType(e.type, t)) throw new HdlError(`Lanes: lane ${i} is ${typeName(e.type)}, lane 0 is ${typeName(t)}; all lanes have one type`);
    });
    this.items = Object.freeze([...items]);
  }

  /** `n` lanes cut from a flat vector, lane 0 the least significant bits. */
  static split(flat: Expr, n: number): Lanes {
    if (!Number.isInteger(n) || n < 1 || flat.width % n !== 0) {
      throw new HdlError(`Lanes.split: ${flat.width} bits do not split into ${n} equal lanes`);
    }
    const w = flat.width / n;
    return new Lanes(Array.from({ length: n }, (_, i) => flat.slice((i + 1) * w - 1, i * w)));
  }

  /** `n` wires `<name>_<i>` of `type`, to drive later (m.assign / comb), as lanes. */
  static wires(m: ModuleBuilder, name: string, n: number, type: HwType): Lanes & { readonly signals: readonly Signal[] } {
    const signals = Array.from({ length: n }, (_, i) => m.wire(`${name}_${i}`, type));
    return Object.assign(new Lanes(signals), { signals });
  }

  get length(): number {
    return this.items.length;
  }

  get type(): HwType {
    return this.items[0].type;
  }

  at(i: number): Expr {
    if (!Number.isInteger(i) || i < 0 || i >= this.items.length) throw new HdlError(`Lanes.at(${i}): lanes are 0..${this.items.length - 1}`);
    return this.items[i];
  }

  map(fn: (e: Expr, i: number) => Expr): Lanes {
    return new Lanes(this.items.map(fn));
  }

  zip(other: Lanes, fn: (a: Expr, b: Expr, i: number) => Expr): Lanes {
    if (other.length !== this.length) throw new HdlError(`Lanes.zip: ${this.length} lanes with ${other.length}`);
    return new Lanes(this.items.map((e, i) => fn(e, other.items[i], i)));
  }

  /** Each lane named as a wire `<name>_<i>` (readable Verilog, one line per lane). */
  named(m: ModuleBuilder, name: string): Lanes {
    return new Lanes(this.items.map((e, i) => m.wire(`${name}_${i}`, e)));
  }

  /** The lanes as one flat vector, lane 0 the least significant bits (the inverse of split). */
  flat(): Expr {
    return cat(...[...this.items].reverse());
  }
}
