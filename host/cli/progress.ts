/** A one-line progress bar on a terminal: epoch, samples done, samples/s and the ETA of the epoch. */
import type { Progress } from '../train.js';

export class ProgressBar {
  private shown = false;
  constructor(private readonly out: NodeJS.WriteStream) {}

  update(p: Progress): void {
    const width = 30;
    const frac = p.done / p.total;
    const filled = Math.round(frac * width);
    const eta = p.samplesPerSecond > 0 ? (p.total - p.done) / p.samplesPerSecond : 0;
    const line =
      `epoch ${p.epoch}/${p.epochs} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
      `${p.done}/${p.total} ${Math.round(p.samplesPerSecond)} samples/s ETA ${formatSeconds(eta)}`;
    this.out.write(`\r${line}\x1b[K`);
    this.shown = true;
  }

  /** A line of text in the bar's place (cleared like the bar). */
  note(text: string): void {
    this.out.write(`\r${text}\x1b[K`);
    this.shown = true;
  }

  clear(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const m = Math.floor(s / 60);
  const r = Math.round(s % 60);
  return m > 0 ? `${m}m${String(r).padStart(2, '0')}s` : `${r}s`;
}
