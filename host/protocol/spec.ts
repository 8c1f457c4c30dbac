/**
 * The protocol as the hardware defines it: everything comes from the generated bindings of the default
 * design (rtl/default/bindings.ts, emitted from generator/protocol.ts), so a change of an opcode, a layout
 * or a limit in the generator is a type error or a test failure here, not a silent mismatch.
 */
import { ERRORS, OPCODES, PROTOCOL, type CommandName, type ErrorName } from '../../rtl/default/bindings.js';
import type { ProtocolSpec, CommandSpec } from '../../generator/protocol.js';

export { ERRORS, OPCODES, PROTOCOL, type CommandName, type ErrorName, type ProtocolSpec, type CommandSpec };

/** The default design's protocol, checked to have the generator's shape. */
export const DEFAULT_SPEC: ProtocolSpec = PROTOCOL;

export const SYNC0 = PROTOCOL.sync[0];
export const SYNC1 = PROTOCOL.sync[1];
export const RESPONSE_BIT = PROTOCOL.responseBit;
export const ERROR_OPCODE = PROTOCOL.errorOpcode;
export const MAX_PAYLOAD = PROTOCOL.maxPayload;
/** sync (2) + opcode, tag, len (2), hcrc + CRC (2) */
export const FRAME_OVERHEAD = 9;

const ERROR_NAMES = new Map<number, ErrorName>(Object.entries(ERRORS).map(([k, v]) => [v, k as ErrorName]));
const COMMAND_NAMES = new Map<number, CommandName>(Object.entries(OPCODES).map(([k, v]) => [v, k as CommandName]));

export function errorName(code: number): string {
  return ERROR_NAMES.get(code) ?? `error 0x${code.toString(16).padStart(2, '0')}`;
}

export function commandName(op: number): string {
  return COMMAND_NAMES.get(op) ?? `opcode 0x${op.toString(16).padStart(2, '0')}`;
}

export function commandSpec(spec: ProtocolSpec, name: CommandName): CommandSpec {
  const c = spec.commands.find((x) => x.name === name);
  if (!c) throw new Error(`protocol: no command ${name}`);
  return c;
}
