/** The helper thread of threads.ts: runs fused.ts on its rows of the first layer whenever a task is posted. */
import { workerData } from 'node:worker_threads';
import { adamwRank1Forward, sgdRank1Forward } from './fused.js';
import { P, type SharedLayer } from './threads.js';

const d = workerData as SharedLayer & { params: Float64Array; ctrl: Int32Array };
const { ctrl, params: q } = d;
let seen = 0;
for (;;) {
  Atomics.wait(ctrl, 0, seen);
  const seq = Atomics.load(ctrl, 0);
  if (seq < 0) break;
  if (seq === seen) continue;
  const groups = q[P.groups];
  const count = q[P.count];
  const j0 = q[P.j0];
  const j1 = q[P.j1];
  if (q[P.kind] === 0) {
    adamwRank1Forward(d.W, d.m, d.v, d.nOut, d.nIn, d.delta, d.h, 0, q[P.lr], q[P.b1], q[P.b2], q[P.eps], q[P.wd], q[P.c1], q[P.c2], d.b, d.xt, groups, count, d.out, j0, j1);
  } else {
    sgdRank1Forward(d.W, d.nOut, d.nIn, d.delta, d.h, 0, q[P.lr], d.b, d.xt, groups, count, d.out, j0, j1);
  }
  seen = seq;
  Atomics.store(ctrl, 1, seq);
  Atomics.notify(ctrl, 1);
}
