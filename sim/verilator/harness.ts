/**
 * The C++ harness of one design: harness.template.cpp with a generated port table.
 */
import { readFileSync } from 'node:fs';
import { CLOCK_PORT, RESET_PORT, findStreams, type PortSpec } from './ports.js';

const TEMPLATE_URL = new URL('./harness.template.cpp', import.meta.url);
const PLACEHOLDER = '/*@PORT_TABLE@*/';

let template: string | undefined;

function harnessTemplate(): string {
  template ??= readFileSync(TEMPLATE_URL, 'utf8');
  if (!template.includes(PLACEHOLDER)) throw new Error(`${TEMPLATE_URL.pathname} lacks the ${PLACEHOLDER} marker`);
  return template;
}

/** Verilator's C type for a port of this width (ports up to 64 bits). */
export function cTypeOf(width: number): { type: 'CData' | 'SData' | 'IData' | 'QData'; size: 'P8' | 'P16' | 'P32' | 'P64' } {
  if (width <= 8) return { type: 'CData', size: 'P8' };
  if (width <= 16) return { type: 'SData', size: 'P16' };
  if (width <= 32) return { type: 'IData', size: 'P32' };
  return { type: 'QData', size: 'P64' };
}

/**
 * Complete harness source for a port list (already validated). Each port is bound through a pointer of
 * the C type its declared width implies, so a port list that disagrees with the verilated model fails
 * to compile even if the header check in build.ts were bypassed.
 */
export function harnessSource(ports: readonly PortSpec[]): string {
  const lines: string[] = ['void bind_ports(Vdut* top) {'];
  ports.forEach((p) => {
    const { type, size } = cTypeOf(p.width);
    lines.push(`  { ${type}* ptr = &top->${p.name}; add_port(ptr, ${size}, ${p.width}, ${p.dir === 'in'}); }`);
  });
  lines.push(`  g_clk = ${ports.findIndex((p) => p.name === CLOCK_PORT)};`);
  lines.push(`  g_rst = ${ports.findIndex((p) => p.name === RESET_PORT)};`);
  for (const s of findStreams(ports)) {
    const list = s.kind === 'source' ? 'g_source_desc' : 'g_sink_desc';
    const desc = s.kind === 'source' ? 'SourceDesc' : 'SinkDesc';
    lines.push(`  ${list}.push_back(${desc}{${s.valid}, ${s.ready}, ${s.data}, ${s.last}});  // ${s.kind} ${s.bus}`);
  }
  lines.push('}');
  return harnessTemplate().replace(PLACEHOLDER, lines.join('\n'));
}
