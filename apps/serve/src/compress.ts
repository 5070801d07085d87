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
import { fromPromise, type Future } from '@zokio/future';

const gzip = promisify(gzipCallback);

/** Whether the client accepts gzip (`Accept-Encoding`, with a non-zero q-value). */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  for (const part of acceptEncoding.split(',')) {
    const [coding, ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (coding !== 'gzip' && coding !== 'x-gzip' && coding !== '*') continue;
    const q = params.find((p) => p.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/** A bounded LRU cache of gzipped representations. */
export class GzipCache {
  readonly #entries = new Map<string, Buffer>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes = 32 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** The gzipped `data` for `key`, compressed now if not cached. */
  get(key: string, data: Buffer): Future<Buffer> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit); // most recently used last
      return fromPromise(() => Promise.resolve(hit));
    }
    return fromPromise(async () => {
      const out = await gzip(data, { level: constants.Z_BEST_SPEED + 5 });
      this.#put(key, out);
      return out;
    });
  }

  #put(key: string, value: Buffer): void {
    if (value.length > this.#maxBytes / 4) return;
    this.#entries.set(key, value);
    this.#bytes += value.length;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.length;
    }
  }
}
