/**
 * The C++ harness of one design: harness.template.cpp with a generated port table.
 */
import { readFileSync } from 'node:fs';
import { CLOCK_PORT, RESET_PORT, findStreams, type MemorySpec, type PortSpec, type WatchSpec } from './ports.js';

const TEMPLATE_URL = new URL('./harness.template.cpp', import.meta.url);
const PLACEHOLDER = '/*@PORT_TABLE@*/';

let template: string | undefined;

function harnessTemplate(): string {
  template ??= readFileSync(TEMPLATE_URL, 'utf8');
  if (!template.includes(PLACEHOLDER)) throw new Error(`${TEMPLATE_URL.pathname} lacks the ${PLACEHOLDER} marker`);
  return template;
}

/** Verilator's C type for a port of this width, and the bytes of its storage. */
export function cTypeOf(width: number): { type: string; bytes: number } {
  if (width <= 8) return { type: 'CData', bytes: 1 };
  if (width <= 16) return { type: 'SData', bytes: 2 };
  if (width <= 32) return { type: 'IData', bytes: 4 };
  if (width <= 64) return { type: 'QData', bytes: 8 };
  const words = Math.ceil(width / 32);
  return { type: `VlWide<${words}>`, bytes: 4 * words };
}

const cString = (s: string): string => JSON.stringify(s);

/**
 * Complete harness source for a port list (already validated) and the public memories and watched
 * streams. Each port is bound through a pointer of the C type its declared width implies, so a port
 * list that disagrees with the verilated model fails to compile even if the header check in build.ts
 * were bypassed.
 */
export function harnessSource(ports: readonly PortSpec[], memories: readonly MemorySpec[] = [], watches: readonly WatchSpec[] = []): string {
  const lines: string[] = ['void bind_ports(Vdut* top) {'];
  ports.forEach((p) => {
    const { type, bytes } = cTypeOf(p.width);
    lines.push(`  { ${type}* ptr = &top->${p.name}; add_port(ptr, ${bytes}, ${p.width}, ${p.dir === 'in'}); }`);
  });
  lines.push(`  g_clk = ${ports.findIndex((p) => p.name === CLOCK_PORT)};`);
  lines.push(`  g_rst = ${ports.findIndex((p) => p.name === RESET_PORT)};`);
  for (const s of findStreams(ports)) {
    const list = s.kind === 'source' ? 'g_source_desc' : 'g_sink_desc';
    const desc = s.kind === 'source' ? 'SourceDesc' : 'SinkDesc';
    lines.push(`  ${list}.push_back(${desc}{${s.valid}, ${s.ready}, ${s.data}, ${s.last}});  // ${s.kind} ${s.bus}`);
  }
  for (const w of watches) {
    const scope = cString(`TOP.${w.instance}`);
    lines.push(
      `  g_watch_desc.push_back(WatchDesc{${scope}, ${cString(w.valid)}, ${cString(w.ready)}, ${cString(w.data)}, ${cString(w.last ?? '')}, ${w.width}});  // ${w.name}`,
    );
  }
  for (const m of memories) {
    lines.push(`  g_mem_desc.push_back(MemDesc{${cString(`TOP.${m.instance}`)}, ${cString(m.name)}, ${m.width}, ${m.depth}});  // ${m.paths[0]}`);
  }
  lines.push('}');
  return harnessTemplate().replace(PLACEHOLDER, lines.join('\n'));
}

/** The Verilator configuration file that makes the memories (read-write) and watched signals (read) public. */
export function publicConfig(memories: readonly MemorySpec[], watches: readonly WatchSpec[]): string {
  const lines = new Set<string>();
  for (const m of memories) lines.add(`public_flat_rw -module ${cString(m.module)} -var ${cString(m.name)}`);
  for (const w of watches) {
    for (const v of [w.valid, w.ready, w.data, ...(w.last ? [w.last] : [])]) lines.add(`public_flat_rd -module ${cString(w.module)} -var ${cString(v)}`);
  }
  return ['`verilator_config', ...lines, ''].join('\n');
}
