/**
 * {@link PeakRss}: how far the resident set grew over one measured run, above where it stood at the start.
 *
 * The kernel keeps the process's peak RSS (`getrusage`'s `ru_maxrss`, `process.resourceUsage().maxRSS`), but over
 * the process's whole life: module loading or the warm-up may have peaked higher than the run. On Linux, writing
 * `5` to `/proc/self/clear_refs` resets that peak to the current RSS (since Linux 4.0), so the peak read at the end
 * is the run's own, exactly, at no cost during the run. Elsewhere, RSS is sampled every 5 ms instead, which can miss
 * a peak shorter than that (and adds one timer to the run).
 *
 * @module
 */
import { writeFileSync } from 'node:fs';

const SAMPLE_EVERY_MS = 5;

/** Starts measuring when constructed; {@link PeakRss.stop} returns the growth in bytes. */
export class PeakRss {
  readonly #before: number;
  /** Set when the kernel's peak could not be reset: the sampler and the highest sample so far. */
  #sampler: NodeJS.Timeout | undefined = undefined;
  #sampledPeak = 0;

  constructor() {
    this.#before = process.memoryUsage.rss();
    try {
      writeFileSync('/proc/self/clear_refs', '5');
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
    if (this.#sampler === undefined) return process.resourceUsage().maxRSS * 1024 - this.#before;
    clearInterval(this.#sampler);
    return Math.max(this.#sampledPeak, process.memoryUsage.rss()) - this.#before;
  }
}
