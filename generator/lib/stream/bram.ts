/**
 * Block-RAM primitives in the pattern Yosys (memory_bram / ice40 SB_RAM40_4K) and Vivado infer:
 * one memory, writes and registered reads in one clocked process, no reset on the read register.
 *
 * bramSinglePort(width, depth)   module bram_sp_w<width>_d<depth>
 *   en, we, addr[aw], wdata[width] → rdata[width]
 *   When en: the word at addr is read (rdata holds it from the next edge on) and, if we, wdata is
 *   written there. Read latency 1; rdata keeps its value while en is low.
 *   Read during write (same port, hence same address): READ-FIRST — rdata shows the OLD word.
 *
 * bramDualPort(width, depth)     module bram_sdp_w<width>_d<depth>  (simple dual port: 1 write + 1 read)
 *   we, waddr[aw], wdata[width]; re, raddr[aw] → rdata[width]
 *   Write when we; when re, rdata holds mem[raddr] from the next edge on. Read latency 1; rdata keeps
 *   its value while re is low. Read during write to the same address in the same cycle: READ-FIRST
 *   (rdata shows the OLD word; the new word is readable from the next cycle).
 *   A true dual-port (two read/write ports) memory is not offered: the ice40 SB_RAM40_4K has one read
 *   and one write port, and this pattern maps on every family.
 *
 * aw = ceil(log2(depth)) (at least 1); addresses ≥ depth (depth not a power of two) are undefined.
 * Memory contents are not reset.
 */
import { HdlError, ModuleBuilder, uint, type Module } from '../../ir/index.js';

function checkShape(what: string, width: number, depth: number): void {
  if (!Number.isInteger(width) || width < 1) throw new HdlError(`${what}: width must be an integer ≥ 1, got ${String(width)}`);
  if (!Number.isInteger(depth) || depth < 2) throw new HdlError(`${what}: depth must be an integer ≥ 2, got ${String(depth)}`);
}

export function bramSinglePort(width: number, depth: number): Module {
  checkShape('bramSinglePort', width, depth);
  const m = new ModuleBuilder(`bram_sp_w${width}_d${depth}`, { width, depth, ports: 'single' });
  m.clock();
  const mem = m.memory('mem', { depth, type: uint(width) });
  const en = m.input('en', uint(1));
  const we = m.input('we', uint(1));
  const addr = m.input('addr', mem.addrType);
  const wdata = m.input('wdata', uint(width));
  mem.write(addr, wdata, en.and(we));
  m.output('rdata', mem.readSync('rdata_q', addr, en));
  return m.build();
}

export function bramDualPort(width: number, depth: number): Module {
  checkShape('bramDualPort', width, depth);
  const m = new ModuleBuilder(`bram_sdp_w${width}_d${depth}`, { width, depth, ports: 'simple-dual' });
  m.clock();
  const mem = m.memory('mem', { depth, type: uint(width) });
  const we = m.input('we', uint(1));
  const waddr = m.input('waddr', mem.addrType);
  const wdata = m.input('wdata', uint(width));
  const re = m.input('re', uint(1));
  const raddr = m.input('raddr', mem.addrType);
  mem.write(waddr, wdata, we);
  m.output('rdata', mem.readSync('rdata_q', raddr, re));
  return m.build();
}
