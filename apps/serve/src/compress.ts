/**
 * gzip for compressible files, with a small cache: the docs site's pages and scripts are compressed once per
 * version (keyed by real path and ETag) and then served from memory.
 *
 * Compression runs on libuv's thread pool (`zlib.gzip`), not on the event loop. The cache holds at most
 * `maxBytes` of compressed output, least recently used out first.
 *
 * @module
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback, constants } from 'node:zlib';
import { fn, fromPromise, ready, type Future } from '@zokio/future';

const gzip = promisify(gzipCallback);

/** Whether the client accepts gzip (`Accept-Encoding`, with a non-zero q-value). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  // `*` stands for the codings not named: `gzip;q=0, *` refuses gzip.
  let gzip: boolean | undefined;
  let any = false;
  for (const part of acceptEncoding.split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    const q = params.find((p) => p.startsWith('q='));
    const accepted = q === undefined || Number(q.slice(2)) > 0;
    if (coding === '*') any = accepted;
    else gzip = gzip === true || accepted;
  }
  return gzip ?? any;
}

/** A bounded LRU cache of gzipped representations. */
export class GzipCache {
  readonly #entries = new Map<string, Buffer>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes = 32 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** The gzipped representation for `key`: cached, or `load()`ed and compressed now. */
  get(key: string, load: () => Future<Buffer>): Future<Buffer> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit); // most recently used last
      return ready(hit);
    }
    return compress(load, (out) => this.#put(key, out));
  }

  #put(key: string, value: Buffer): void {
    if (value.length > this.#maxBytes / 4) return;
    // Concurrent misses for one key each put it: count the bytes of the entry replaced out.
    const before = this.#entries.get(key);
    if (before !== undefined) {
      this.#entries.delete(key);
      this.#bytes -= before.length;
    }
    this.#entries.set(key, value);
    this.#bytes += value.length;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.length;
    }
  }
}

/** Loads the data, gzips it on the thread pool, and hands the result to `keep`. */
const compress = fn(function* (load: () => Future<Buffer>, keep: (out: Buffer) => void) {
  const data = yield* load();
  const out = yield* fromPromise(() => gzip(data, { level: constants.Z_BEST_SPEED + 5 }));
  keep(out);
  return out;
});
