/**
 * {@link PeakRss}: how far the resident set grew over one measured run, above where it stood at the start.
 *
 * On Linux the kernel keeps the process's peak RSS as `VmHWM` in `/proc/self/status`, and writing `5` to
 * `/proc/self/clear_refs` resets it to the current RSS (since Linux 4.0): reset at the start and read at the end, it
 * is the run's own peak, caught by the kernel whenever it happened, at no cost during the run. (Not `getrusage`'s
 * `ru_maxrss`, `process.resourceUsage().maxRSS`: `clear_refs` does not reset it, and it carries over the peak of
 * the process the child was forked from, so a child of a large runner would report the runner's size.) Elsewhere,
 * or where either file cannot be used, RSS is sampled every 5 ms instead, which can miss a peak shorter than that
 * (and adds one timer to the run).
 *
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';

const SAMPLE_EVERY_MS = 5;

/** The kernel's peak RSS since the last reset, in bytes: `VmHWM` of `/proc/self/status` (given in kB). */
function kernelPeak(): number {
  const match = /^VmHWM:\s*(\d+)\s*kB$/m.exec(readFileSync('/proc/self/status', 'latin1'));
  if (match === null) throw new Error('Expected a VmHWM line in /proc/self/status, got none');
  return Number(match[1]) * 1024;
}

/** Starts measuring when constructed; {@link PeakRss.stop} returns the growth in bytes. */
export class PeakRss {
  readonly #before: number;
  /** Set when the kernel's peak could not be reset and read: the sampler and the highest sample so far. */
  #sampler: NodeJS.Timeout | undefined = undefined;
  #sampledPeak = 0;

  constructor() {
    this.#before = process.memoryUsage.rss();
    try {
      writeFileSync('/proc/self/clear_refs', '5');
      kernelPeak(); // readable here, so readable at the end
    } catch {
      this.#sampledPeak = this.#before;
      this.#sampler = setInterval(() => {
        this.#sampledPeak = Math.max(this.#sampledPeak, process.memoryUsage.rss());
      }, SAMPLE_EVERY_MS);
    }
  }

  /** How the peak was measured, for the report. */
  get method(): 'kernel peak' | 'sampled' {
    return this.#sampler === undefined ? 'kernel peak' : 'sampled';
  }

  /** Peak RSS since construction, less the RSS at construction, in bytes. */
  stop(): number {
    if (this.#sampler === undefined) return kernelPeak() - this.#before;
    clearInterval(this.#sampler);
    return Math.max(this.#sampledPeak, process.memoryUsage.rss()) - this.#before;
  }
}
