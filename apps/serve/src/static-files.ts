/**
 * {@link staticFiles}: the request handler that serves a directory.
 *
 * For `GET` and `HEAD` (anything else is `405` with `Allow`): resolve the path safely (see `resolve.ts`), a
 * directory without its trailing slash is redirected (`301`) and one with it serves its `index.html`; then `304`
 * when the client's validators match, `416` for an unsatisfiable range, `206` for one satisfiable range, gzip for
 * compressible files when the client accepts it (and asked for no range), else the file itself. Small bodies are
 * read whole; large ones stream in 256 KiB reads, each sent before the next is read (backpressure: a slow client
 * holds one chunk, not the file).
 *
 * Errors: a missing file, a path through a non-directory, a symlink loop or a link out of the root are `404`, and
 * so is a file replaced since it was resolved (its device and inode are checked once it is open: the locate cache
 * may remember a path that has become a symlink out of the root); permission denied is `403`; a bad path `400`;
 * anything else `500` (and the server's `onError`).
 *
 * @module
 */
import { join } from 'node:path';
import { canonicalize, File, stat, type Stats } from '@zokio/fs';
import { fn, type Future } from '@zokio/future';
import { HttpError, type BodySink, type Handler, type Request, type Response } from '@zokio/http';
import { ContentCache, LocateCache } from './caches.js';
import { acceptsGzip, gzipOf } from './compress.js';
import { isNotModified, preconditionFailed, rangeStillValid, validatorsOf, type Validators } from './conditional.js';
import { contentTypeOf, isCompressible } from './mime.js';
import { decideRange } from './range.js';
import { isInside, pathSegments, underRoot } from './resolve.js';

/** Options of {@link staticFiles}. */
export interface StaticOptions {
  /** The file a directory serves. Default `index.html`. */
  readonly index?: string;
  /** Compress text when the client accepts gzip. Default true. */
  readonly gzip?: boolean;
  /** Bodies up to this size are read whole; larger ones are streamed. Default 256 KiB. */
  readonly inMemoryBytes?: number;
  /**
   * How long what a path resolved to (real path, metadata) is remembered: a changed file is noticed this late at
   * most; 0 resolves every request. See `caches.ts`. Default 1000 ms.
   */
  readonly cacheMs?: number;
  /** Bytes of file contents (and gzipped forms) kept in memory, keyed by validators. Default 64 MiB. */
  readonly cacheBytes?: number;
}

const CHUNK_BYTES = 256 * 1024;
const GZIP_MIN_BYTES = 256;
const GZIP_MAX_BYTES = 8 * 1024 * 1024;
const NOT_FOUND = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'ENAMETOOLONG']);
const FORBIDDEN = new Set(['EACCES', 'EPERM']);

interface Site {
  readonly root: string;
  readonly index: string;
  readonly gzip: boolean;
  readonly inMemoryBytes: number;
  readonly located: LocateCache<Located>;
  readonly contents: ContentCache;
}

/**
 * A file a request path resolved to, with what every response for it repeats — its type, validators and cache keys —
 * worked out once per resolution rather than per request (formatting the `Last-Modified` date alone was 6% of a
 * warm request's CPU).
 */
interface Located {
  readonly real: string;
  readonly stats: Stats;
  readonly type: string;
  readonly compressible: boolean;
  readonly validators: Validators;
  /** The ETag of the gzipped form. */
  readonly gzipTag: string;
  /**
   * Keys of the file's contents and of its gzipped form in the content cache: real path, validators, inode and
   * change time — a new version with the same size and a preserved mtime (`cp -p`, `tar x`, `rsync -t`) is still a
   * new key (nobody can set the change time).
   */
  readonly contentKey: string;
  readonly gzipKey: string;
}

function located(real: string, stats: Stats): Located {
  const type = contentTypeOf(real);
  const validators = validatorsOf(stats);
  const contentKey = `${real}\0${validators.etag}\0${stats.ino}\0${stats.ctimeMs}`;
  return {
    real,
    stats,
    type,
    compressible: isCompressible(type),
    validators,
    gzipTag: validators.etag.replace(/"$/, '-gz"'),
    contentKey,
    gzipKey: `${contentKey}\0gzip`,
  };
}

function plain(status: number, body: string, headers: Record<string, string> = {}): Response {
  return { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers }, body };
}

/** Maps a file-system error to `404`/`403`, or rethrows it. */
function refusal(error: unknown, path: string): Response {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NOT_FOUND.has(code)) return plain(404, `Not Found: ${path}\n`);
  if (typeof code === 'string' && FORBIDDEN.has(code)) return plain(403, `Forbidden: ${path}\n`);
  throw error;
}

/** The real path and metadata of the file a request names, or the response that refuses it. */
const locate = fn(function* (site: Site, request: Request) {
  const segments = pathSegments(request.path);
  let real: string;
  let stats: Stats;
  try {
    real = yield* canonicalize(underRoot(site.root, segments));
    if (!isInside(site.root, real)) return plain(404, `Not Found: ${request.path}\n`);
    stats = yield* stat(real);
    if (stats.isDirectory()) {
      if (!request.path.endsWith('/')) {
        const q = request.target.indexOf('?');
        // One leading slash: `//host/` would be a protocol-relative URL, an open redirect to another host.
        const location = request.path.replace(/^\/+/, '/') + '/' + (q < 0 ? '' : request.target.slice(q));
        return {
          status: 301,
          headers: { location, 'content-type': 'text/plain; charset=utf-8' },
          body: `Moved to ${location}\n`,
        } satisfies Response;
      }
      real = yield* canonicalize(join(real, site.index));
      if (!isInside(site.root, real)) return plain(404, `Not Found: ${request.path}\n`);
      stats = yield* stat(real);
    } else if (request.path.endsWith('/')) {
      // A file named as a directory (`/a.txt/`): not found, as `open("a.txt/")` says (ENOTDIR) and as Node's `send`
      // and nginx answer. Served, every relative link on the page would resolve under a directory that is not one.
      return plain(404, `Not Found: ${request.path}\n`);
    }
  } catch (error) {
    return refusal(error, request.path);
  }
  if (!stats.isFile()) return plain(404, `Not Found: ${request.path}\n`);
  return located(real, stats);
});

/** What a request path resolved to, and its key in the locate cache. */
interface Target {
  readonly site: Site;
  readonly key: string;
  readonly real: string;
  readonly stats: Stats;
}

const REPLACED = 'ERR_SERVE_REPLACED';

/**
 * Opens the target's file and checks that it is still the one `locate` resolved and checked inside the root (same
 * device and inode) and still the version whose size and validators the response states (same size, mtime and
 * change time): a path the locate cache remembers may have been replaced since — by a new file, by a symlink out of
 * the root, which `open(2)` would follow, or rewritten in place. A replaced or vanished file is forgotten by the
 * cache and fails with `ERR_SERVE_REPLACED`; `serveFile` then resolves the path afresh, once.
 */
const openResolved = fn(function* (target: Target) {
  let file: File;
  try {
    file = yield* File.open(target.real);
  } catch (error) {
    target.site.located.delete(target.key); // deleted or made unreadable since it was resolved
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && NOT_FOUND.has(code)) {
      throw new HttpError(404, REPLACED, 'Expected the file resolved under the root, got none');
    }
    throw error;
  }
  let same = false;
  try {
    const now = yield* file.stat();
    const was = target.stats;
    if (
      now.ino !== was.ino ||
      now.dev !== was.dev ||
      now.size !== was.size ||
      now.mtimeMs !== was.mtimeMs ||
      now.ctimeMs !== was.ctimeMs
    ) {
      target.site.located.delete(target.key);
      throw new HttpError(404, REPLACED, 'Expected the file resolved under the root, got another');
    }
    same = true;
    return file;
  } finally {
    if (!same) yield* file.close(); // replaced, failed or dropped: nothing stays open
  }
});

/** Fails with `ERR_SERVE_REPLACED` if the target's file was replaced since it was resolved. */
const verify = fn(function* (target: Target) {
  const file = yield* openResolved(target);
  yield* file.close();
});

/** Reads `length` bytes at `offset` of the target's file, whole. */
const readRange = fn(function* (target: Target, offset: number, length: number) {
  const file = yield* openResolved(target);
  try {
    return yield* file.readAt(offset, length);
  } finally {
    yield* file.close();
  }
});

/** Streams `length` bytes at `offset` of the target's file into `sink`, one chunk in flight. */
const streamRange = fn(function* (target: Target, offset: number, length: number, sink: BodySink) {
  const file = yield* openResolved(target);
  try {
    for (let at = offset, end = offset + length; at < end;) {
      const chunk = yield* file.readAt(at, Math.min(CHUNK_BYTES, end - at));
      if (chunk.length === 0) throw new Error(`${target.real} shrank while it was sent`);
      yield* sink.write(chunk);
      at += chunk.length;
    }
  } finally {
    yield* file.close();
  }
});

const serveFile = fn(function* (site: Site, request: Request): Generator<Future<unknown>, Response, unknown> {
  if (request.method !== 'GET' && request.method !== 'HEAD')
    return plain(405, `Method Not Allowed: ${request.method}\n`, { allow: 'GET, HEAD' });
  try {
    try {
      return yield* serveLocated(site, request);
    } catch (error) {
      if (!(error instanceof HttpError && error.code === REPLACED)) throw error;
      return yield* serveLocated(site, request); // the stale cache entry is gone: resolved afresh
    }
  } catch (error) {
    // Gone or unreadable between resolving and opening (or replaced again): `404`/`403`, as when resolving.
    if (error instanceof HttpError && error.code === REPLACED) return plain(404, `Not Found: ${request.path}\n`);
    return refusal(error, request.path);
  }
});

const serveLocated = fn(function* (site: Site, request: Request): Generator<Future<unknown>, Response, unknown> {
  let found: Located | Response | undefined = site.located.get(request.path);
  if (found === undefined) {
    found = yield* locate(site, request);
    if ('real' in found) site.located.set(request.path, found);
    else return found;
  }
  const { real, stats, type, validators, compressible, gzipTag } = found;
  const target: Target = { site, key: request.path, real, stats };
  const size = stats.size;
  const headers: Record<string, string> = {
    'content-type': type,
    etag: validators.etag,
    'last-modified': validators.lastModified,
    'accept-ranges': 'bytes',
    'cache-control': 'no-cache',
  };
  if (compressible) headers['vary'] = 'Accept-Encoding';
  const rangeHeader = request.headers['range'];
  const range =
    rangeHeader !== undefined && rangeStillValid(request.headers, validators, stats.mtimeMs)
      ? decideRange(rangeHeader, size)
      : { kind: 'full' as const };
  const gzipped =
    range.kind === 'full' &&
    site.gzip &&
    compressible &&
    size >= GZIP_MIN_BYTES &&
    size <= GZIP_MAX_BYTES &&
    acceptsGzip(request.headers['accept-encoding']);
  if (preconditionFailed(request.headers, stats.mtimeMs)) {
    return plain(412, `Precondition Failed: ${request.path}\n`, { etag: validators.etag });
  }
  if (
    isNotModified(request.headers, validators.etag, stats.mtimeMs) ||
    isNotModified(request.headers, gzipTag, stats.mtimeMs)
  ) {
    const { 'content-type': _type, 'accept-ranges': _ranges, ...rest } = headers;
    // The ETag a 200 to this request would carry (RFC 9110 §15.4.5).
    return { status: 304, headers: gzipped ? { ...rest, etag: gzipTag } : rest };
  }
  if (range.kind === 'unsatisfiable')
    return plain(416, `Range Not Satisfiable: ${rangeHeader} of ${size} bytes\n`, {
      'content-range': `bytes */${size}`,
    });

  const whole = () => readRange(target, 0, size);
  if (gzipped) {
    const body = yield* site.contents.get(found.gzipKey, () => gzipOf(whole));
    return { headers: { ...headers, 'content-encoding': 'gzip', etag: gzipTag }, body };
  }

  let offset = 0;
  let length = size;
  let status = 200;
  if (range.kind === 'partial') {
    offset = range.start;
    length = range.end - range.start + 1;
    status = 206;
    headers['content-range'] = `bytes ${range.start}-${range.end}/${size}`;
  }
  if (request.method === 'HEAD' || length > site.inMemoryBytes) {
    // Checked before the head is sent, while `serveFile` can still resolve a replaced file afresh.
    if (request.method !== 'HEAD') yield* verify(target);
    return { status, headers, body: { length, write: (sink: BodySink) => streamRange(target, offset, length, sink) } };
  }
  if (length === 0) return { status, headers, body: '' };
  if (size > site.inMemoryBytes) return { status, headers, body: yield* readRange(target, offset, length) };
  const content = yield* site.contents.get(found.contentKey, whole);
  return { status, headers, body: content.subarray(offset, offset + length) };
});

/**
 * A handler serving the directory `root` (see the module doc). Resolves `root`'s real path first; fails if it is
 * not a directory.
 *
 * **Cancel-safe**: it only resolves and checks `root`. The handler's futures are cancel-safe too: a dropped request
 * (its connection gone, or the server shut down) closes the file it had open and keeps nothing.
 *
 * @example
 * ```ts
 * const handler = yield* staticFiles('docs/site');
 * const server = yield* HttpServer.bind('127.0.0.1:8080', handler);
 * yield* server.serve();
 * ```
 */
export const staticFiles = fn(function* (root: string, options: StaticOptions = {}) {
  if (typeof root !== 'string' || root.length === 0)
    throw new HttpError(500, 'ERR_INVALID_ARG_TYPE', `staticFiles: Expected a root directory path, got ${typeof root}`);
  const real = yield* canonicalize(root);
  const stats = yield* stat(real);
  if (!stats.isDirectory())
    throw new HttpError(
      500,
      'ERR_SERVE_ROOT',
      `staticFiles: Expected ${root} to be a directory, got another kind of file`,
    );
  const site: Site = {
    root: real,
    index: options.index ?? 'index.html',
    gzip: options.gzip !== false,
    inMemoryBytes: options.inMemoryBytes ?? 256 * 1024,
    located: new LocateCache<Located>(options.cacheMs ?? 1000),
    contents: new ContentCache(options.cacheBytes ?? 64 * 1024 * 1024),
  };
  const handler: Handler = (request) => serveFile(site, request);
  return handler;
});
