/**
 * The access log: one line per response in the Combined Log Format plus the time taken, written in batches (one
 * `write` per event-loop turn, not per request).
 *
 * @module
 */
import type { AccessRecord } from '@zokio/http';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function clfDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** One log line, without its newline. */
export function formatAccess(r: AccessRecord, now = new Date()): string {
  const host = r.remote.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
  return `${host} - - [${clfDate(now)}] "${r.method} ${r.target.replace(/["\\]/g, (c) => `\\${c}`)} ${r.version}" ${r.status} ${r.bytes} "-" ${JSON.stringify(r.userAgent)} ${r.ms.toFixed(2)}ms`;
}

/** Collects lines and writes them to `out` once per event-loop turn. */
export class AccessLog {
  readonly #out: { write(text: string): unknown };
  #lines: string[] = [];
  #scheduled = false;

  constructor(out: { write(text: string): unknown }) {
    this.#out = out;
  }

  /** For `ServerOptions.onResponse`. */
  readonly record = (r: AccessRecord): void => {
    this.#lines.push(formatAccess(r));
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.flush());
    }
  };

  /** Writes what is collected now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#lines.length === 0) return;
    const text = this.#lines.join('\n') + '\n';
    this.#lines = [];
    this.#out.write(text);
  }
}
