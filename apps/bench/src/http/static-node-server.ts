/**
 * The `node:http` static file servers of `serve_static`: `node --expose-gc dist/http/static-node-server.js
 * --handler fs|sirv|serve-static --root DIR --backlog N`. `http.createServer` with one of three handlers serving
 * `DIR`, Node's defaults otherwise; prints its port and answers `stats` like the other servers (`server-control.ts`).
 *
 * - `fs` (the contender `node:http+fs`, the baseline): what a Node program writes with nothing but Node: on every
 *   request `fs.promises.stat` of the path (a directory: its `index.html`), `fs.promises.readFile`, then
 *   `writeHead(200, { content-type, content-length, etag })` and `end(body)`.
 * - `sirv`: `sirv(DIR, { etag: true })`, production mode (the directory walked once at start-up, each file's headers
 *   kept; each request streamed with `fs.createReadStream`).
 * - `serve-static`: `serveStatic(DIR)` (Express's: `send`, a `stat` and a stream per request), a `404` where it
 *   calls `next()`.
 *
 * @module
 */
import { stat, readFile } from 'node:fs/promises';
import { STATUS_CODES, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { Counts, die, flag, integerFlag } from '../net/server-control.js';
import { listenNodeHttp } from './serve-http.js';

const argv = process.argv.slice(2);
const handlerName = flag(argv, 'handler');
const root = flag(argv, 'root');
const backlog = integerFlag(argv, 'backlog');
if (root === undefined || root === '') {
  process.stderr.write('Expected --root DIR, the directory to serve, got none\n');
  process.exit(2);
}
const counts = new Counts();

/** Content types by extension, with a charset for text: the few a site has. */
const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** A short plain-text refusal: `404 Not Found`, `400 Bad Request`. */
function refuse(res: ServerResponse, status = 404): void {
  const body = `${STATUS_CODES[status] ?? status}\n`;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** `node:http+fs`: stat, then readFile, on every request. */
function fsHandler(dir: string): RequestListener {
  return (req: IncomingMessage, res: ServerResponse) => {
    void (async () => {
      let path: string;
      try {
        const pathname = decodeURIComponent((req.url ?? '/').split('?', 1)[0]!);
        // No `..`, no NUL: nothing above the root is served.
        if (pathname.includes('\0') || pathname.split('/').includes('..')) return refuse(res, 400);
        path = join(dir, pathname);
        if (!path.startsWith(dir + sep) && path !== dir) return refuse(res, 400);
      } catch {
        return refuse(res, 400);
      }
      try {
        let stats = await stat(path);
        if (stats.isDirectory()) {
          path = join(path, 'index.html');
          stats = await stat(path);
        }
        if (!stats.isFile()) return refuse(res);
        const body = await readFile(path);
        res.writeHead(200, {
          'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
          'content-length': body.length,
          etag: `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`,
        });
        res.end(body);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return refuse(res);
        counts.failed(error);
        res.destroy();
      }
    })();
  };
}

async function handlerFor(name: string | undefined, dir: string): Promise<RequestListener> {
  if (name === 'fs') return fsHandler(dir);
  if (name === 'sirv') {
    const { default: sirv } = await import('sirv');
    const serve = sirv(dir, { etag: true });
    return (req, res) => serve(req, res);
  }
  if (name === 'serve-static') {
    const { default: serveStatic } = await import('serve-static');
    const serve = serveStatic(dir);
    // `next()`: nothing to serve there; `next(error)`: it failed, counted.
    return (req, res) =>
      serve(req, res, (error) => {
        if (error === undefined) return refuse(res);
        counts.failed(error);
        res.destroy();
      });
  }
  throw new Error(`Expected --handler to be one of fs, sirv, serve-static, got ${JSON.stringify(name)}`);
}

const handler = await handlerFor(handlerName, root).catch(die);
listenNodeHttp(handler, backlog, counts);
