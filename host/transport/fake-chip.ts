/**
 * A fake chip behind the mock transport's front end: it keeps the weight memory, the LFSR lane states
 * (stored as loaded, masked to the register width; 0 after reset), the run-time parameters and the counters the protocol exposes, and answers every controller command with a reply
 * of the documented shape. It does not learn: TRAIN counts steps, INFER predicts the class
 * (sum of pixels) mod classes, so host code and its tests can check what went where.
 */
import { ERRORS, OPCODES, type ProtocolSpec } from '../protocol/spec.js';
import type { ControllerReply } from '../protocol/frontend-model.js';
import { QUANTITIES } from '../../generator/numeric.js';
import { decodeStates, decodeWords, encodeCounters, encodeStateBytes, encodeWords } from '../protocol/commands.js';

export class FakeChip {
  weights: Int32Array;
  lfsr: number[];
  params = { hiddenShift: 0, hiddenMul: 1, outShift: 0, outMul: 1, seed: 0 };
  steps = 0n;
  epochs = 0;
  window = 0;

  constructor(readonly spec: ProtocolSpec) {
    this.weights = new Int32Array(spec.weightWords);
    this.lfsr = new Array<number>(spec.lfsrStates).fill(0);
  }

  reset(): void {
    this.weights.fill(0);
    this.lfsr.fill(0);
    this.steps = 0n;
    this.window = 0;
  }

  command(op: number, p: Uint8Array): ControllerReply {
    const s = this.spec;
    const u = (at: number, n: number) => {
      let v = 0;
      for (let i = n - 1; i >= 0; i--) v = v * 256 + p[at + i];
      return v;
    };
    const wb = s.wordBytes;
    switch (op) {
      case OPCODES.SET_PARAMS:
        this.params = { hiddenShift: p[0], hiddenMul: p[1], outShift: p[2], outMul: p[3], seed: u(4, 4) };
        return ok([]);
      case OPCODES.LOAD_WEIGHTS:
        this.weights.set(decodeWords(p.subarray(4), wb), u(0, 4));
        return ok([]);
      case OPCODES.READ_WEIGHTS: {
        const off = u(0, 4);
        const words = Array.from(this.weights.subarray(off, off + u(4, 2)));
        return ok(encodeWords(words, wb).flatMap((b) => [...b]));
      }
      case OPCODES.LOAD_LFSR: {
        const mod = 2 ** s.lfsrWidth;
        decodeStates(p.subarray(2), s.lfsrBytes).forEach((v, i) => (this.lfsr[u(0, 2) + i] = v % mod));
        return ok([]);
      }
      case OPCODES.READ_LFSR:
        return ok(encodeStateBytes(this.lfsr.slice(u(0, 2), u(0, 2) + u(2, 2)), s.lfsrBytes));
      case OPCODES.NEW_EPOCH:
        this.epochs++;
        this.window = 0;
        return ok([]);
      case OPCODES.TRAIN: {
        const k = p.length / (s.pixels + 1);
        this.steps += BigInt(k);
        this.window = Math.min(this.window + k, 1 << 16);
        return ok([]);
      }
      case OPCODES.INFER: {
        const out: number[] = [];
        for (let r = 0; r < p.length; r += s.pixels) {
          let sum = 0;
          for (let i = 0; i < s.pixels; i++) sum += p[r + i];
          out.push(sum % s.classes);
        }
        return ok(out);
      }
      case OPCODES.READ_COUNTERS:
        return ok(encodeCounters({ steps: this.steps, busyCycles: this.steps * 1712n, stalledCycles: 0n, saturations: QUANTITIES.map(() => 0) }));
      default:
        return { status: ERRORS.NOT_SUPPORTED, payload: [op, 0] };
    }
  }
}

function ok(payload: number[]): ControllerReply {
  return { status: 0, payload };
}
