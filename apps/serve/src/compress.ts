/**
 * gzip for compressible files: content negotiation (`Accept-Encoding`) and compression. Compression runs on libuv's
 * thread pool (`zlib.gzip`), not on the event loop; `static-files.ts` keeps the result in its content cache, so a
 * file is compressed once per version.
 *
 * @module
 */
import { promisify } from 'node:util';
import { gzip as gzipCallback, constants } from 'node:zlib';
import { fn, fromPromise, type Future } from '@zokio/future';

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

/** `load()`s the data and gzips it on libuv's thread pool (level 6). */
export const gzipOf = fn(function* (load: () => Future<Buffer>) {
  const data = yield* load();
  return yield* fromPromise(() => gzip(data, { level: constants.Z_BEST_SPEED + 5 }));
});
