/**
 * The two caches that let a warm site be served with no file-system work per request:
 *
 * - {@link LocateCache}: what a request path resolved to — its real path and metadata — for `ttlMs` (default 1 s).
 *   Resolving costs a `realpath(3)` on libuv's thread pool (there is no io_uring op for it: two thread hand-offs)
 *   and a `statx` on io_uring's worker pool; measured, they were most of a small file's serving cost. Only files
 *   are kept, never a refusal, so a file that appears is found at once. Staleness is bounded by `ttlMs`: a changed
 *   file is noticed up to `ttlMs` late. Security: an entry was inside the root when resolved, and what is opened
 *   must still be that file — the same device and inode, checked on the open file (`openResolved` in
 *   `static-files.ts`) — so a symlink *swapped in* under the root meanwhile is refused rather than followed, and the
 *   entry is dropped. What the content cache already holds was read from the checked file.
 * - {@link ContentCache}: file contents (and their gzipped forms) by real path *and validators*, so an entry can
 *   never be stale: a changed file has a new key. Bounded in bytes, least recently used out first (recency is
 *   tracked once the cache is over half full).
 *
 * @module
 */
import { fn, ready, type Future } from '@zokio/future';

/** Values by key for `ttlMs`, at most `maxEntries` of them (the oldest half dropped when full). */
export class LocateCache<V> {
  readonly #entries = new Map<string, { readonly value: V; readonly until: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(ttlMs: number, maxEntries = 10_000) {
    this.#ttlMs = ttlMs;
    this.#maxEntries = maxEntries;
  }

  get(key: string): V | undefined {
    const hit = this.#entries.get(key);
    if (hit === undefined) return undefined;
    if (hit.until > performance.now()) return hit.value;
    this.#entries.delete(key);
    return undefined;
  }

  /** Forgets `key` (its file was found replaced). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  set(key: string, value: V): void {
    if (this.#ttlMs <= 0) return;
    if (this.#entries.size >= this.#maxEntries) {
      let drop = this.#maxEntries >> 1;
      for (const k of this.#entries.keys()) {
        if (drop-- <= 0) break;
        this.#entries.delete(k);
      }
    }
    this.#entries.delete(key);
    this.#entries.set(key, { value, until: performance.now() + this.#ttlMs });
  }
}

/** Buffers by key, at most `maxBytes` in all, least recently used out first. */
export class ContentCache {
  readonly #entries = new Map<string, Buffer>();
  readonly #maxBytes: number;
  #bytes = 0;

  constructor(maxBytes = 64 * 1024 * 1024) {
    this.#maxBytes = maxBytes;
  }

  /** The buffer for `key`: cached, or made by `load()` now and kept. */
  get(key: string, load: () => Future<Buffer>): Future<Buffer> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      // Most recently used last. Recency only matters once eviction is near: below half the bound the re-insert (a
      // Map delete and set on every hit of a warm site) is skipped.
      if (this.#bytes > this.#maxBytes / 2) {
        this.#entries.delete(key);
        this.#entries.set(key, hit);
      }
      return ready(hit);
    }
    return loadAndKeep(this, key, load);
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** @internal Keeps `value` (its own copy if it is a view into a larger buffer); returns what is kept. */
  put(key: string, value: Buffer): Buffer {
    if (value.length > this.#maxBytes / 4) return value;
    value = ownBytes(value);
    // Concurrent misses for one key each put it: count out the bytes of the entry replaced.
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
    return value;
  }
}

/**
 * `value`, or an exact-size copy if it is a view into a larger buffer. A small file's contents come from
 * `readFile` as a view of a shared 32 KiB slab (as Node cuts small `Buffer`s from its 8 KiB pool), and zlib's output
 * can be a view of a bigger chunk: kept in the cache for long, such a view would hold its whole buffer alive, memory
 * that `maxBytes` does not count. One copy when an entry is made keeps the bound true.
 */
function ownBytes(value: Buffer): Buffer {
  if (value.byteOffset === 0 && value.byteLength === value.buffer.byteLength) return value;
  const own = Buffer.allocUnsafeSlow(value.length);
  value.copy(own);
  return own;
}

const loadAndKeep = fn(function* (cache: ContentCache, key: string, load: () => Future<Buffer>) {
  return cache.put(key, yield* load());
});
