/**
 * Stream and memory library blocks every unit uses.
 *
 *   bundle.ts  streamIn / streamOut port bundles (s_axis_<bus>_* / m_axis_<bus>_*), feedStream, instanceOutStream
 *   skid.ts    skidBuffer(width, {last})        skid_w<W>[_l]       2-entry, registered ready, latency 1
 *   fifo.ts    fifo(width, depth, {last, storage}) fifo_w<W>_d<D>[_l][_bram]  memory-based (LUT or block RAM), count output, latency 1
 *   bram.ts    bramSinglePort / bramDualPort / bramBanked   bram_sp_… / bram_sdp_… / bram_sdp_…_b<L>  block RAM,
 *              registered read (latency 1, 2 with the output register), read-first or write-first, lane enables
 */
import type { Module } from '../../ir/index.js';
import { bramDualPort, bramSinglePort } from './bram.js';
import { fifo } from './fifo.js';
import { skidBuffer } from './skid.js';

export * from './bundle.js';
export { skidBuffer } from './skid.js';
export { fifo, type FifoOptions } from './fifo.js';
export { bramSinglePort, bramDualPort, bramBanked, type BramOptions } from './bram.js';

/** One instance of every block at representative parameters (what `gen` emits as "every block"). */
export function streamBlocks(): Module[] {
  return [
    skidBuffer(8, { last: true }),
    fifo(8, 16, { last: true }),
    fifo(16, 256, { storage: 'bram' }),
    bramSinglePort(16, 256),
    bramDualPort(16, 256),
  ];
}
