/**
 * The chip's command protocol on its two byte streams, defined once: framing constants, opcodes, error
 * codes and every command's request layout with the checks the stream front end makes before anything
 * is committed. The front-end generator (generator/units/frontend.ts) builds its checkers from this
 * table, the bindings (generator/bindings.ts) emit it into `bindings.ts` of every generated design, and
 * the host (host/protocol) encodes and decodes frames from those bindings. docs/protocol.md describes
 * the same thing for people.
 *
 * Frame (both directions):
 *
 *   0xA5 0x5A | opcode | tag | len lo | len hi | hcrc | payload[len] | crc hi | crc lo
 *
 *   hcrc  CRC-8 (poly 0x07, init 0x00, no reflection, no final XOR: CRC-8/SMBUS) of opcode, tag, len lo,
 *         len hi: a corrupt length is caught before the parser waits for the wrong number of bytes.
 *   crc   CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final XOR) of every byte from
 *         opcode through the last payload byte, high byte first, so that the CRC over opcode … crc lo is 0.
 *
 * All multi-byte fields are little-endian except the trailing CRC.
 */
import type { ChipConfig } from './config.js';
import { QUANTITIES, resolveNumeric } from './numeric.js';
import { OVERFLOWS, ROUNDINGS, width } from './fixed/index.js';
import { GENERATOR_VERSION } from './version.js';
import { configHash } from './config.js';

/** Version of the frame layout and command set; IDENTIFY reports it. */
export const PROTOCOL_VERSION = 1;
export const SYNC = [0xa5, 0x5a] as const;
/** opcode, tag, len lo, len hi, hcrc */
export const HEADER_BYTES = 5;
/** Bytes of a frame around its payload: sync, header, CRC. */
export const FRAME_OVERHEAD = SYNC.length + HEADER_BYTES + 2;
/**
 * Largest payload of a request or a response; the front end stores one whole request payload (in a
 * 4,096-byte block RAM). 4,088 keeps every CRC-16 run (header 5 + payload) within 32,751 bits, the
 * length up to which CRC-16/CCITT detects every error of up to 3 bits (Hamming distance 4).
 */
export const MAX_PAYLOAD = 4088;
/** A response's opcode is the request's with this bit set. */
export const RESPONSE_BIT = 0x80;
/** Opcode of an error frame. */
export const ERROR_OPCODE = 0xff;
export const CRC8 = { name: 'CRC-8/SMBUS', poly: 0x07, init: 0x00 } as const;
export const CRC16 = { name: 'CRC-16/CCITT-FALSE', poly: 0x1021, init: 0xffff } as const;
/** Default idle timeout of the front end: a frame whose next byte does not come within this many cycles is cut. */
export const DEFAULT_TIMEOUT_CYCLES = 1 << 24;

export const OPCODES = {
  IDENTIFY: 0x01,
  ECHO: 0x02,
  LINK_STATUS: 0x03,
  RESET: 0x0f,
  SET_PARAMS: 0x10,
  LOAD_WEIGHTS: 0x20,
  READ_WEIGHTS: 0x21,
  LOAD_LFSR: 0x22,
  READ_LFSR: 0x23,
  NEW_EPOCH: 0x30,
  TRAIN: 0x31,
  INFER: 0x32,
  READ_COUNTERS: 0x40,
} as const;
export type CommandName = keyof typeof OPCODES;

/**
 * Error codes of error frames (payload: code, request opcode, detail). 1–15 come from the front end;
 * 0x40 and above are the controller's.
 */
export const ERRORS = {
  /** The header's CRC-8 is wrong: the header is dropped and the parser hunts for sync from the next byte. detail 0. */
  HEADER_CRC: 1,
  /** The frame is intact but its opcode is not a command. detail: the opcode. */
  UNKNOWN_OPCODE: 2,
  /** The length does not fit the command (or exceeds MAX_PAYLOAD: rejected at the header). detail: the length. */
  BAD_LENGTH: 3,
  /** The frame's CRC-16 is wrong. detail 0. */
  BAD_CRC: 4,
  /** The frame ended early: tlast before its last byte, or no byte for the idle timeout. detail: bytes received after sync. */
  TRUNCATED: 5,
  /** A field is out of its range. detail: the field's byte offset in the payload. */
  OUT_OF_RANGE: 6,
  /** The controller does not implement this command. detail: the opcode. */
  NOT_SUPPORTED: 0x40,
  /** The controller cannot run this command now (e.g. INFER before weights were loaded). */
  NOT_READY: 0x41,
} as const;
export type ErrorName = keyof typeof ERRORS;

/** A field of a request: in the fixed header of the payload or at an offset inside every record. */
export interface FieldSpec {
  readonly name: string;
  readonly in: 'header' | 'record';
  /** Byte offset in the payload (header) or in the record (record). */
  readonly offset: number;
  readonly bytes: 1 | 2 | 4;
  /** Inclusive range; a value outside it is OUT_OF_RANGE. */
  readonly min: number;
  readonly max: number;
  readonly doc: string;
}

/** offset field + count ≤ limit (count: the number of records, or another field). */
export interface SpanSpec {
  readonly offset: string;
  readonly count: 'records' | string;
  readonly limit: number;
}

export interface CommandSpec {
  readonly name: CommandName;
  readonly code: number;
  /** Who answers: the front end itself, or the controller through the command stream. */
  readonly handler: 'frontend' | 'controller';
  /** Payload = header bytes + k records of `record` bytes, minRecords ≤ k ≤ maxRecords (record 0: k = 0). */
  readonly header: number;
  readonly record: number;
  readonly minRecords: number;
  readonly maxRecords: number;
  readonly fields: readonly FieldSpec[];
  readonly span: SpanSpec | null;
  readonly doc: string;
  readonly response: string;
}

/** Weight memory map: every layer's rows (nIn weights, then the bias) one after another. */
export interface LayerMap {
  readonly layer: number;
  readonly nIn: number;
  readonly nOut: number;
  /** First word of the layer; word of (row j, input i) = base + j·(nIn+1) + i, the bias at i = nIn. */
  readonly base: number;
  readonly words: number;
}

export interface ProtocolSpec {
  readonly version: number;
  readonly sync: readonly number[];
  readonly maxPayload: number;
  readonly responseBit: number;
  readonly errorOpcode: number;
  readonly crc8: typeof CRC8;
  readonly crc16: typeof CRC16;
  /** Bytes per weight word in LOAD_WEIGHTS / READ_WEIGHTS (little-endian two's complement). */
  readonly wordBytes: number;
  readonly weightWords: number;
  readonly layers: readonly LayerMap[];
  /**
   * LFSR lane states of stochastic rounding (LOAD_LFSR / READ_LFSR): state n = lane n mod lanes of
   * weight layer ⌊n / lanes⌋ (the hidden layers, then the output layer), `lfsrBytes` bytes each,
   * little-endian, the register's `lfsrWidth` low bits.
   */
  readonly lfsrWidth: number;
  readonly lfsrBytes: number;
  readonly lfsrStates: number;
  readonly pixels: number;
  readonly classes: number;
  readonly commands: readonly CommandSpec[];
}

const U32 = 0xffffffff;

export function weightMap(cfg: ChipConfig): LayerMap[] {
  const out: LayerMap[] = [];
  let base = 0;
  for (let l = 1; l < cfg.layers.length; l++) {
    const nIn = cfg.layers[l - 1];
    const nOut = cfg.layers[l];
    const words = nOut * (nIn + 1);
    out.push({ layer: l, nIn, nOut, base, words });
    base += words;
  }
  return out;
}

/** The whole protocol of a chip configuration (plain data: it goes into the bindings as it is). */
export function protocolSpec(cfg: ChipConfig): ProtocolSpec {
  const N = resolveNumeric(cfg.numeric);
  const wordBytes = Math.ceil(Math.max(width(N.weight.format), width(N.bias.format)) / 8);
  const layers = weightMap(cfg);
  const weightWords = layers.reduce((s, l) => s + l.words, 0);
  const pixels = cfg.layers[0];
  const classes = cfg.layers[cfg.layers.length - 1];
  const lfsrWidth = N.lfsr.width;
  const lfsrBytes = Math.ceil(lfsrWidth / 8);
  const lfsrStates = layers.length * cfg.lanes;
  if (lfsrStates > 0xffff) throw new RangeError(`protocol: ${lfsrStates} LFSR lanes (layers × lanes) exceed the u16 state map`);
  /**
   * A memory's LOAD and READ commands: LOAD = u<offsetBytes> offset + k records of `unit` bytes, READ =
   * offset + u16 count; offset + k (count) ≤ limit.
   */
  const spanCommands = (
    [load, read]: [CommandName, CommandName],
    offsetBytes: 2 | 4,
    unit: number,
    limit: number,
    doc: { load: string; read: string; response: string; offset: string; count: string },
  ): CommandSpec[] => {
    const offset: FieldSpec = { name: 'offset', in: 'header', offset: 0, bytes: offsetBytes, min: 0, max: limit - 1, doc: doc.offset };
    return [
      {
        ...fixed(load, 'controller', doc.load, 'empty'),
        header: offsetBytes,
        record: unit,
        minRecords: 1,
        maxRecords: Math.floor((MAX_PAYLOAD - offsetBytes) / unit),
        fields: [offset],
        span: { offset: 'offset', count: 'records', limit },
      },
      {
        ...fixed(read, 'controller', doc.read, doc.response),
        header: offsetBytes + 2,
        fields: [offset, { name: 'count', in: 'header', offset: offsetBytes, bytes: 2, min: 1, max: Math.floor(MAX_PAYLOAD / unit), doc: doc.count }],
        span: { offset: 'offset', count: 'count', limit },
      },
    ];
  };
  const fixed = (name: CommandName, handler: CommandSpec['handler'], doc: string, response: string): CommandSpec => ({
    name,
    code: OPCODES[name],
    handler,
    header: 0,
    record: 0,
    minRecords: 0,
    maxRecords: 0,
    fields: [],
    span: null,
    doc,
    response,
  });
  const commands: CommandSpec[] = [
    fixed('IDENTIFY', 'frontend', 'Who the chip is.', 'the identify block (identifyBlock): protocol version, generator version, config hash, shape, formats'),
    {
      ...fixed('ECHO', 'frontend', 'Loopback: the payload comes back unchanged (link test).', 'the request payload'),
      record: 1,
      maxRecords: MAX_PAYLOAD,
    },
    fixed('LINK_STATUS', 'frontend', "The front end's counters since power-up.", 'u32 frames accepted, u32 frames rejected (error frames sent), u32 bytes dropped while hunting for sync'),
    fixed('RESET', 'frontend', 'Resets the chip behind the front end (controller, units, window, counters) after the empty response is sent.', 'empty'),
    {
      ...fixed('SET_PARAMS', 'controller', 'Run-time parameters: learning rates lr = mul·2^−shift of the hidden and output layers, LFSR base seed.', 'empty'),
      header: 8,
      fields: [
        { name: 'hiddenShift', in: 'header', offset: 0, bytes: 1, min: 0, max: 40, doc: 'hidden layers: lr = hiddenMul·2^−hiddenShift' },
        { name: 'hiddenMul', in: 'header', offset: 1, bytes: 1, min: 1, max: 255, doc: 'hidden-layer learning-rate multiplier' },
        { name: 'outShift', in: 'header', offset: 2, bytes: 1, min: 0, max: 40, doc: 'output layer: lr = outMul·2^−outShift' },
        { name: 'outMul', in: 'header', offset: 3, bytes: 1, min: 1, max: 255, doc: 'output-layer learning-rate multiplier' },
        { name: 'seed', in: 'header', offset: 4, bytes: 4, min: 0, max: U32, doc: 'LFSR base seed of stochastic rounding' },
      ],
    },
    ...spanCommands(['LOAD_WEIGHTS', 'READ_WEIGHTS'], 4, wordBytes, weightWords, {
      load: 'Writes k consecutive weight words from word `offset` of the weight map.',
      read: 'Reads `count` consecutive weight words from word `offset`.',
      response: 'count words',
      offset: 'first word (weight map)',
      count: 'words to read',
    }),
    ...spanCommands(['LOAD_LFSR', 'READ_LFSR'], 2, lfsrBytes, lfsrStates, {
      load: 'Writes k consecutive LFSR lane states from state `offset` (state n: lane n mod lanes of weight layer ⌊n/lanes⌋).',
      read: 'Reads `count` consecutive LFSR lane states from state `offset`.',
      response: 'count states',
      offset: 'first state (lane map)',
      count: 'states to read',
    }),
    fixed('NEW_EPOCH', 'controller', 'Starts an epoch: clears the working-memory window.', 'empty'),
    {
      ...fixed('TRAIN', 'controller', 'One training step per sample: k records of the u8 pixels and the label.', 'empty, once the steps are done'),
      record: pixels + 1,
      minRecords: 1,
      maxRecords: Math.floor(MAX_PAYLOAD / (pixels + 1)),
      fields: [{ name: 'label', in: 'record', offset: pixels, bytes: 1, min: 0, max: classes - 1, doc: 'class of the sample' }],
    },
    {
      ...fixed('INFER', 'controller', 'Forward pass only: k records of u8 pixels.', 'k bytes: the predicted class of each sample'),
      record: pixels,
      minRecords: 1,
      maxRecords: Math.floor(MAX_PAYLOAD / pixels),
    },
    fixed(
      'READ_COUNTERS',
      'controller',
      'Performance and saturation counters.',
      `u64 steps, u64 busy cycles, u64 stalled cycles, then u32 saturations of each quantity (${QUANTITIES.length}, in FORMATS order)`,
    ),
  ];
  for (const c of commands) checkCommand(c);
  return {
    version: PROTOCOL_VERSION,
    sync: [...SYNC],
    maxPayload: MAX_PAYLOAD,
    responseBit: RESPONSE_BIT,
    errorOpcode: ERROR_OPCODE,
    crc8: CRC8,
    crc16: CRC16,
    wordBytes,
    weightWords,
    layers,
    lfsrWidth,
    lfsrBytes,
    lfsrStates,
    pixels,
    classes,
    commands,
  };
}

/** The limits the front end relies on; a table that breaks them is a generator bug. */
function checkCommand(c: CommandSpec): void {
  const bad = (why: string): never => {
    throw new Error(`protocol: command ${c.name}: ${why}`);
  };
  if (c.code === 0 || c.code >= RESPONSE_BIT) bad(`opcode 0x${c.code.toString(16)} must be in 1..0x7f`);
  if (c.header + c.record * c.maxRecords > MAX_PAYLOAD) bad(`the longest payload exceeds MAX_PAYLOAD (${MAX_PAYLOAD})`);
  if (c.record === 0 && (c.minRecords !== 0 || c.maxRecords !== 0)) bad('a command without records has minRecords = maxRecords = 0');
  if (c.minRecords > c.maxRecords) bad('minRecords > maxRecords');
  for (const f of c.fields) {
    const size = f.in === 'header' ? c.header : c.record;
    if (f.offset + f.bytes > size) bad(`field ${f.name} lies outside the ${f.in}`);
    if (f.in === 'record' && f.bytes !== 1) bad(`record field ${f.name} must be one byte`);
    if (!(f.min >= 0 && f.min <= f.max && f.max < 2 ** (8 * f.bytes))) bad(`field ${f.name}: range ${f.min}..${f.max} does not fit ${f.bytes} bytes`);
  }
  if (c.span) {
    const names = c.fields.map((f) => f.name);
    if (!names.includes(c.span.offset) || (c.span.count !== 'records' && !names.includes(c.span.count))) bad('span names a missing field');
  }
}

export function commandByCode(spec: ProtocolSpec, code: number): CommandSpec | undefined {
  return spec.commands.find((c) => c.code === code);
}

/** Whether a payload length fits a command's rule (header + k records, k in range). */
export function lengthOk(c: CommandSpec, len: number): boolean {
  if (len < c.header) return false;
  if (c.record === 0) return len === c.header;
  const rest = len - c.header;
  if (rest % c.record !== 0) return false;
  const k = rest / c.record;
  return k >= c.minRecords && k <= c.maxRecords;
}

/**
 * The IDENTIFY response payload, a constant of the design (the front end holds it in a ROM):
 *
 *   u8 protocol version | u8 n, n bytes generator version (ASCII) | 8 bytes config hash (the 16 hex digits as bytes)
 *   | u16 max payload | u32 idle timeout (cycles) | u8 L, L × u16 layer widths | u16 window | u16 lanes
 *   | u32 weight words | u8 word bytes | u8 Q, Q × (u8 width, i8 fracBits, u8 signed, u8 rounding, u8 overflow)
 *
 * rounding and overflow index ROUNDINGS and OVERFLOWS of generator/fixed; the quantities come in FORMATS order.
 */
export function identifyBlock(cfg: ChipConfig, timeoutCycles: number): number[] {
  const spec = protocolSpec(cfg);
  const N = resolveNumeric(cfg.numeric);
  const out: number[] = [];
  const u16 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff);
  const u32 = (v: number) => out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  out.push(PROTOCOL_VERSION);
  const ver = [...Buffer.from(GENERATOR_VERSION, 'ascii')];
  if (ver.length > 255) throw new Error('protocol: generator version longer than 255 bytes');
  out.push(ver.length, ...ver);
  const hash = configHash(cfg);
  for (let i = 0; i < 16; i += 2) out.push(parseInt(hash.slice(i, i + 2), 16));
  u16(MAX_PAYLOAD);
  u32(timeoutCycles);
  out.push(cfg.layers.length);
  for (const w of cfg.layers) u16(w);
  u16(cfg.window);
  u16(cfg.lanes);
  u32(spec.weightWords);
  out.push(spec.wordBytes);
  out.push(QUANTITIES.length);
  for (const q of QUANTITIES) {
    const { format, rounding, overflow } = N[q];
    out.push(width(format), format.fracBits & 0xff, format.signed ? 1 : 0, ROUNDINGS.indexOf(rounding), OVERFLOWS.indexOf(overflow));
  }
  return out;
}
