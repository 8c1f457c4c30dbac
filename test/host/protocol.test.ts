/**
 * The host's side of the protocol without hardware: the CRCs' standard check values, the frame codec and
 * its resynchronisation, payload encoding against the command table, and the reference front end's
 * answers to each kind of malformed frame (the same promises the Verilog is co-simulated against).
 */
import { describe, expect, it } from 'vitest';
import { crc16, crc8 } from '../../host/protocol/crc.js';
import { FrameParser, encodeFrame } from '../../host/protocol/frame.js';
import { encodePayload, decodeError } from '../../host/protocol/commands.js';
import { FrontEndModel } from '../../host/protocol/frontend-model.js';
import { DEFAULT_SPEC, ERRORS, OPCODES } from '../../host/protocol/spec.js';
import { identifyBlock } from '../../generator/protocol.js';
import { DEFAULT_CHIP } from '../../generator/config.js';
import { answerMismatch, fakeController, flatten, makeStream, KINDS } from '../units/frontend-cases.js';

describe('host protocol', () => {
  it('CRC-8/SMBUS and CRC-16/CCITT-FALSE give their standard check values; an intact frame has CRC-16 residue 0', () => {
    const b = Buffer.from('123456789');
    expect(crc8(b)).toBe(0xf4);
    expect(crc16(b)).toBe(0x29b1);
    const f = encodeFrame(OPCODES.ECHO, 5, [1, 2, 3]);
    expect([...f].map((x) => x.toString(16).padStart(2, '0')).join(' ')).toBe('a5 5a 02 05 03 00 d3 01 02 03 5b 31');
    expect(crc16(f, undefined, 2)).toBe(0);
  });

  it('the frame parser resynchronises after garbage, a bad header, an over-long length and a bad CRC', () => {
    const good = (tag: number) => [...encodeFrame(OPCODES.ECHO, tag, [tag])];
    const badHdr = good(2);
    badHdr[6] ^= 1;
    const badCrc = good(3);
    badCrc[7] ^= 0x80;
    const long = [...encodeFrame(OPCODES.ECHO, 4, new Uint8Array(5000)).subarray(0, 7)];
    const stream = [0x00, 0xa5, 0x13, ...good(1), ...badHdr, 0x77, ...badCrc, ...long, 0xa5, ...good(5)];
    const p = new FrameParser();
    // byte by byte and in one piece give the same frames
    const one = p.push(stream).map((f) => f.tag);
    const q = new FrameParser();
    const split = stream.flatMap((b) => q.push([b])).map((f) => f.tag);
    expect(one).toEqual([1, 5]);
    expect(split).toEqual(one);
    expect(p.stats).toEqual({ dropped: 3 + 3 + 1 + 1, badHeaders: 1, tooLong: 1, badCrc: 1 });
  });

  it('payloads follow the command table; a missing, unknown or oversized field is refused with its name', () => {
    const p = encodePayload(DEFAULT_SPEC, 'READ_WEIGHTS', { offset: 0x010203, count: 7 });
    expect([...p]).toEqual([3, 2, 1, 0, 7, 0]);
    expect(() => encodePayload(DEFAULT_SPEC, 'READ_WEIGHTS', { offset: 1 })).toThrow(/field 'count' is missing/);
    expect(() => encodePayload(DEFAULT_SPEC, 'READ_WEIGHTS', { offset: 1, count: 1, cnt: 2 })).toThrow(/no header field 'cnt'/);
    expect(() => encodePayload(DEFAULT_SPEC, 'SET_PARAMS', { hiddenShift: 256, hiddenMul: 1, outShift: 0, outMul: 1, seed: 0 })).toThrow(/hiddenShift' = 256/);
    expect(() => encodePayload(DEFAULT_SPEC, 'TRAIN', {}, [[1, 2, 3]])).toThrow(/a record is 785 bytes/);
  });

  it(`the reference front end gives every kind of input (${KINDS.join(', ')}) the answer the protocol promises`, () => {
    const items = makeStream(DEFAULT_SPEC, 3000, 99);
    const fe = new FrontEndModel(DEFAULT_SPEC, identifyBlock(DEFAULT_CHIP, 1 << 24), fakeController);
    const { bytes, last } = flatten(items);
    fe.feedAll(bytes, last);
    let at = 0;
    const lasts = fe.out.map(() => false);
    for (const f of new FrameParser().push(fe.out)) lasts[(at += 9 + f.payload.length) - 1] = true;
    expect(answerMismatch(fe.out, lasts, items)).toBeNull();
    expect(fe.idle).toBe(true);
  });

  it('error frames name the failing field by its payload offset', () => {
    const fe = new FrontEndModel(DEFAULT_SPEC, [], null);
    const p = encodePayload(DEFAULT_SPEC, 'SET_PARAMS', { hiddenShift: 1, hiddenMul: 1, outShift: 41, outMul: 0, seed: 0 });
    fe.feedAll(encodeFrame(OPCODES.SET_PARAMS, 9, p));
    const [f] = new FrameParser().push(fe.out);
    expect(decodeError(f.payload)).toMatchObject({ code: ERRORS.OUT_OF_RANGE, op: OPCODES.SET_PARAMS, detail: 2 });
    expect(fe.cmd).toEqual([]);
  });
});
