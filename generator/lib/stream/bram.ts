/**
 * Block-RAM primitives in the pattern Yosys (memory_libmap: iCE40 SB_RAM40_4K, Xilinx RAMB18E1/RAMB36E1) and
 * Vivado infer: one memory declared `(* ram_style = "block" *)`, writes and registered reads in one
 * clocked process, no reset on the read register.
 *
 * bramSinglePort(width, depth, opts)   module bram_sp_w<width>_d<depth>[suffix]
 *   en, we, addr[aw], wdata[width] (, wlanes[L]) → rdata[width]
 *   When en: the word at addr is read (rdata holds it from the next edge on) and, if we, wdata is
 *   written there (only the lanes whose wlanes bit is set, with lanes). Read latency 1 (2 with the output
 *   register); rdata keeps its value while en is low.
 *   style 'huge' (iCE40 UltraPlus SB_SPRAM256KA, 16K × 16 each; Yosys combines them for wider or deeper
 *   memories): when en and we, wdata is written and nothing is read: rdata is undefined from then until
 *   the next read (the RTL keeps the old word, Yosys' SB_SPRAM256KA model drives x); when en and not we,
 *   the word at addr is read. Read and write of the memory take different cycles. Block RAM on families
 *   without SPRAM.
 *
 * bramDualPort(width, depth, opts)     module bram_sdp_w<width>_d<depth>[suffix]  (simple dual port: 1 write + 1 read)
 *   we, waddr[aw], wdata[width] (, wlanes[L]); re, raddr[aw] → rdata[width]
 *   Write when we; when re, rdata holds mem[raddr] from the next edge on. Read latency 1 (2 with the
 *   output register); rdata keeps its value while re is low.
 *
 * bramBanked(width, depth, banks, opts) module bram_sdp_w<width>_d<depth>_b<banks>[suffix]
 *   A wide simple-dual-port memory as `banks` memories (bank0 … bank<L−1>), each its own block RAM:
 *   we[banks] (one write enable per bank), waddr[aw], wdata[banks·width]; re, raddr[aw] → rdata[banks·width].
 *   Bank i holds bits [(i+1)·width − 1 : i·width] of the wide word; all banks share the addresses.
 *
 * Options (BramOptions): mode 'read-first' (default: a read of the address written in the same cycle
 * returns the OLD word) or 'write-first' (the NEW word); outputRegister (read latency 2); lanes L (byte
 * write enables `wlanes`, lanes of whole bytes); style 'block' (default), 'distributed' or 'huge'
 * (single port only, no write-first, no init: SPRAM has no initial contents); init / initFile
 * (contents, `$readmemh` file for large images). The suffix names every non-default option:
 * `_wf`, `_or`, `_l<L>`, `_dist`, `_huge`, `_i<hash>` (init contents).
 *
 * A true dual-port (two write ports) memory is not offered: the iCE40 SB_RAM40_4K has one read and
 * one write port, and this pattern maps on every family. aw = ceil(log2(depth)) (at least 1);
 * addresses ≥ depth (depth not a power of two) are undefined. Memory contents are not reset.
 */
import { createHash } from 'node:crypto';
import { HdlError, ModuleBuilder, cat, uint, type Memory, type MemoryStyle, type Module, type ReadMode, type Signal } from '../../ir/index.js';

export interface BramOptions {
  readonly mode?: ReadMode;
  readonly outputRegister?: boolean;
  /** Lane (byte) write enables: the number of lanes L (dividing the width); 0 or omitted = whole words. */
  readonly lanes?: number;
  readonly style?: MemoryStyle;
  readonly init?: readonly (number | bigint)[];
  readonly initFile?: boolean;
}

function checkShape(what: string, width: number, depth: number, opts: BramOptions, singlePort = false): void {
  if (opts.style === 'huge') {
    if (!singlePort) throw new HdlError(`${what}: style 'huge' (SPRAM) has a single port; use bramSinglePort, reading and writing in different cycles`);
    if (opts.mode === 'write-first') throw new HdlError(`${what}: style 'huge' (SPRAM) reads nothing in a write cycle, so it has no write-first mode`);
    if (opts.init) throw new HdlError(`${what}: style 'huge' (SPRAM) has no initial contents; load it through the write port`);
  }
  if (!Number.isInteger(width) || width < 1) throw new HdlError(`${what}: width must be an integer ≥ 1, got ${String(width)}`);
  if (!Number.isInteger(depth) || depth < 2) throw new HdlError(`${what}: depth must be an integer ≥ 2, got ${String(depth)}`);
  const l = opts.lanes ?? 0;
  if (!Number.isInteger(l) || l < 0 || (l > 0 && width % l !== 0)) {
    throw new HdlError(`${what}: lanes must be 0 (whole words) or a number of lanes dividing the width ${width}, got ${String(l)}`);
  }
}

/** The name suffix and the params entries of the non-default options. */
function variant(opts: BramOptions): { suffix: string; params: Record<string, string | number | boolean> } {
  const style = opts.style ?? 'block';
  const mode = opts.mode ?? 'read-first';
  const lanes = opts.lanes ?? 0;
  let suffix = `${mode === 'write-first' ? '_wf' : ''}${opts.outputRegister ? '_or' : ''}${lanes > 0 ? `_l${lanes}` : ''}`;
  suffix += style === 'distributed' ? '_dist' : style === 'huge' ? '_huge' : '';
  const params: Record<string, string | number | boolean> = { style, mode, outputRegister: opts.outputRegister === true, lanes };
  if (opts.init) {
    const h = createHash('sha256').update(opts.init.map(String).join(',')).digest('hex').slice(0, 8);
    suffix += `_i${h}`;
    params.init = h;
  }
  return { suffix, params };
}

function makeMemory(m: ModuleBuilder, name: string, width: number, depth: number, opts: BramOptions): Memory {
  return m.memory(name, { depth, type: uint(width), style: opts.style ?? 'block', init: opts.init, initFile: opts.initFile });
}

/** The write-lane input `wlanes` when the options ask for lanes. */
function laneInput(m: ModuleBuilder, opts: BramOptions): Signal | undefined {
  return opts.lanes ? m.input('wlanes', uint(opts.lanes)) : undefined;
}

export function bramSinglePort(width: number, depth: number, opts: BramOptions = {}): Module {
  checkShape('bramSinglePort', width, depth, opts, true);
  const v = variant(opts);
  const m = new ModuleBuilder(`bram_sp_w${width}_d${depth}${v.suffix}`, { width, depth, ports: 'single', ...v.params });
  m.clock();
  const mem = makeMemory(m, 'mem', width, depth, opts);
  const en = m.input('en', uint(1));
  const we = m.input('we', uint(1));
  const addr = m.input('addr', mem.addrType);
  const wdata = m.input('wdata', uint(width));
  const lanes = laneInput(m, opts);
  mem.write(addr, wdata, en.and(we), { lanes });
  // SPRAM reads nothing in a write cycle: the read is enabled by en without we
  const ren = opts.style === 'huge' ? en.and(we.not()) : en;
  m.output('rdata', mem.readSync('rdata_q', addr, { en: ren, mode: opts.mode, outputRegister: opts.outputRegister }));
  return m.build();
}

export function bramDualPort(width: number, depth: number, opts: BramOptions = {}): Module {
  checkShape('bramDualPort', width, depth, opts);
  const v = variant(opts);
  const m = new ModuleBuilder(`bram_sdp_w${width}_d${depth}${v.suffix}`, { width, depth, ports: 'simple-dual', ...v.params });
  m.clock();
  const mem = makeMemory(m, 'mem', width, depth, opts);
  const we = m.input('we', uint(1));
  const waddr = m.input('waddr', mem.addrType);
  const wdata = m.input('wdata', uint(width));
  const lanes = laneInput(m, opts);
  const re = m.input('re', uint(1));
  const raddr = m.input('raddr', mem.addrType);
  mem.write(waddr, wdata, we, { lanes });
  m.output('rdata', mem.readSync('rdata_q', raddr, { en: re, mode: opts.mode, outputRegister: opts.outputRegister }));
  return m.build();
}

export function bramBanked(width: number, depth: number, banks: number, opts: Omit<BramOptions, 'lanes' | 'init'> = {}): Module {
  checkShape('bramBanked', width, depth, opts);
  if (!Number.isInteger(banks) || banks < 1) throw new HdlError(`bramBanked: banks must be an integer ≥ 1, got ${String(banks)}`);
  const v = variant(opts);
  const m = new ModuleBuilder(`bram_sdp_w${width}_d${depth}_b${banks}${v.suffix}`, { width, depth, banks, ports: 'simple-dual', ...v.params });
  m.clock();
  const we = m.input('we', uint(banks));
  const waddr = m.input('waddr', uint(Math.max(1, Math.ceil(Math.log2(depth)))));
  const wdata = m.input('wdata', uint(width * banks));
  const re = m.input('re', uint(1));
  const raddr = m.input('raddr', waddr.type);
  const reads: Signal[] = [];
  for (let i = 0; i < banks; i++) {
    const mem = makeMemory(m, `bank${i}`, width, depth, opts);
    mem.write(waddr, wdata.slice((i + 1) * width - 1, i * width), we.bit(i));
    reads.push(mem.readSync(`rdata${i}_q`, raddr, { en: re, mode: opts.mode, outputRegister: opts.outputRegister }));
  }
  m.output('rdata', cat(...reads.reverse()));
  return m.build();
}
