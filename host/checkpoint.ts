/**
 * Checkpoint files: the whole training state (engine state, loop position, epoch records so far, the run's
 * options) in one binary file, written atomically (temp file + rename) so a Ctrl-C or crash never leaves a
 * half-written checkpoint behind.
 *
 * Layout (little-endian):
 *   0   8 bytes  magic "IBHEBBCK"
 *   8   u32      format version (1)
 *   12  u32      header length H in bytes
 *   16  H bytes  header, UTF-8 JSON: { meta, arrays: [{ name, type, length, offset }] } (offsets from the data start)
 *   …   pad to a multiple of 8, then the arrays' bytes, each starting at a multiple of 8
 *   end u32      CRC-32 of every byte before it
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import type { EngineState } from '../sim/engine.js';

const MAGIC = 'IBHEBBCK';
const VERSION = 1;

type TypedArray = EngineState['arrays'][string];
const CTORS = {
  Float64Array,
  Float32Array,
  Int32Array,
  Int16Array,
  Uint8Array,
  Uint32Array,
} as const;
type TypeName = keyof typeof CTORS;

export class CheckpointError extends Error {
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`);
    this.name = 'CheckpointError';
  }
}

function typeName(a: TypedArray): TypeName {
  const name = a.constructor.name;
  if (!(name in CTORS)) throw new TypeError(`checkpoint: unsupported array type ${name}`);
  return name as TypeName;
}

const align8 = (n: number) => (n + 7) & ~7;

/** Encodes a state into the checkpoint byte layout. */
export function encodeCheckpoint(state: EngineState): Buffer {
  const entries: { name: string; type: TypeName; length: number; offset: number }[] = [];
  let dataLen = 0;
  for (const name of Object.keys(state.arrays).sort()) {
    const a = state.arrays[name];
    entries.push({ name, type: typeName(a), length: a.length, offset: dataLen });
    dataLen = align8(dataLen + a.byteLength);
  }
  const header = Buffer.from(JSON.stringify({ meta: state.meta, arrays: entries }), 'utf8');
  const dataStart = align8(16 + header.length);
  const buf = Buffer.alloc(dataStart + dataLen + 4);
  buf.write(MAGIC, 0, 'latin1');
  buf.writeUInt32LE(VERSION, 8);
  buf.writeUInt32LE(header.length, 12);
  header.copy(buf, 16);
  for (const e of entries) {
    const a = state.arrays[e.name];
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, dataStart + e.offset);
  }
  buf.writeUInt32LE(crc32(buf.subarray(0, buf.length - 4)), buf.length - 4);
  return buf;
}

/** Decodes checkpoint bytes; every inconsistency is a CheckpointError naming the file and the problem. */
export function decodeCheckpoint(buf: Buffer, file = 'checkpoint'): EngineState {
  if (buf.length < 20) throw new CheckpointError(file, `too short to be a checkpoint (${buf.length} bytes)`);
  if (buf.toString('latin1', 0, 8) !== MAGIC) throw new CheckpointError(file, 'not an ibhebb checkpoint (bad magic)');
  const version = buf.readUInt32LE(8);
  if (version !== VERSION) throw new CheckpointError(file, `checkpoint format version ${version}, this ibhebb reads ${VERSION}`);
  const stored = buf.readUInt32LE(buf.length - 4);
  if (crc32(buf.subarray(0, buf.length - 4)) !== stored) {
    throw new CheckpointError(file, 'corrupt or truncated (CRC-32 mismatch)');
  }
  const hlen = buf.readUInt32LE(12);
  if (16 + hlen > buf.length - 4) throw new CheckpointError(file, 'header length exceeds the file');
  let header: { meta: Record<string, unknown>; arrays: { name: string; type: TypeName; length: number; offset: number }[] };
  try {
    header = JSON.parse(buf.toString('utf8', 16, 16 + hlen));
  } catch {
    throw new CheckpointError(file, 'header is not valid JSON');
  }
  const dataStart = align8(16 + hlen);
  const arrays: EngineState['arrays'] = {};
  for (const e of header.arrays) {
    const Ctor = CTORS[e.type];
    if (!Ctor) throw new CheckpointError(file, `array ${e.name} has unknown type ${e.type}`);
    const start = dataStart + e.offset;
    const bytes = e.length * Ctor.BYTES_PER_ELEMENT;
    if (start + bytes > buf.length - 4) throw new CheckpointError(file, `array ${e.name} runs past the end of the file`);
    const copy = new Uint8Array(bytes);
    copy.set(buf.subarray(start, start + bytes));
    arrays[e.name] = new Ctor(copy.buffer);
  }
  return { meta: header.meta, arrays };
}

/**
 * Writes atomically: a crash mid-write leaves the previous checkpoint intact. The file's folder is created if
 * it does not exist (an output path under a fresh clone's build/ must not fail at the end of a long run).
 */
export function writeFileAtomic(file: string, data: Buffer | string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    if (typeof data === 'string') writeSync(fd, data);
    else writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

export function saveCheckpoint(file: string, state: EngineState): void {
  writeFileAtomic(file, encodeCheckpoint(state));
}

export function loadCheckpoint(file: string): EngineState {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (e) {
    throw new CheckpointError(file, `cannot read (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return decodeCheckpoint(buf, file);
}
