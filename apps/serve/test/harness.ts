/**
 * The test harness: the I/O drivers every suite runs on (the pattern of `packages/net/test/drivers.ts`), a real
 * static file server on 127.0.0.1 port 0 on a real runtime, a site of real files in a temp dir, and clients that
 * do not normalise anything away — raw `node:net` sockets and `curl --path-as-is`.
 */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { IoBackendName } from '@zokio/io-driver';
import {
  drivers,
  fdCount,
  fdCountBackTo,
  runtimeOn,
  steadyFdCount,
  tempDir as tempDirOf,
} from '@zokio/runtime/testing';
import type { Runtime } from '@zokio/runtime';
import { HttpServer, type ServeReport, type ServerOptions } from '@zokio/http';
import { staticFiles, type StaticOptions } from '../src/index.js';

export { drivers, fdCount, fdCountBackTo, runtimeOn, steadyFdCount };

/** A fresh temp directory, removed by the returned function. */
export const tempDir = (prefix = 'zokio-serve-') => tempDirOf(prefix);

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** What no response may ever contain: it is only in files outside the root. */
export const MARKER = 'ZOKIO-SECRET-OUTSIDE-THE-ROOT-7f3a';

/** The files of the test site, by URL path (below the root). */
export interface Site {
  /** The temp dir: `root/` is served; `outside/`, `root-evil/` and `secret.txt` are its siblings. */
  readonly base: string;
  readonly root: string;
  readonly files: Readonly<Record<string, Buffer>>;
  readonly big: Buffer;
  cleanup(): void;
}

const BIG_BYTES = 5 * 1024 * 1024 + 12_345;

/** Writes the test site: one file per MIME type, directories with and without an index, a big file, symlinks. */
export function makeSite(): Site {
  const { dir: base, cleanup } = tempDir();
  const root = join(base, 'root');
  const big = randomBytes(BIG_BYTES);
  const text = (title: string, n: number) => Buffer.from(`${title}\n` + 'zokio serves this line of text.\n'.repeat(n));
  const files: Record<string, Buffer> = {
    'index.html': Buffer.from(
      `<!doctype html>\n<html><head><title>zokio test</title></head><body>\n${'<p>root index</p>\n'.repeat(20)}</body></html>\n`,
    ),
    'style.css': text('body { color: #123; }', 12),
    'app.js': text('export const zokio = 1;', 12),
    'data.json': Buffer.from(JSON.stringify({ zokio: true, items: Array.from({ length: 100 }, (_, i) => i) })),
    'logo.svg': Buffer.from(
      `<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8">${'<rect width="1" height="1"/>'.repeat(12)}</svg>\n`,
    ),
    'pic.png': Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), randomBytes(2000)]),
    'blob.zzqx': randomBytes(700),
    'text.txt': text('a text file', 40),
    'small.txt': Buffer.from('short\n'),
    'empty.txt': Buffer.alloc(0),
    'a b.txt': Buffer.from('a file with a space\n'),
    'dir/index.html': Buffer.from('<!doctype html><title>dir</title><p>dir index</p>\n'),
    'dir/page.html': Buffer.from('<!doctype html><title>page</title>\n'),
    'noindex/file.txt': Buffer.from('inside a directory without an index\n'),
    'big.bin': big,
  };
  for (const [path, data] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), data);
  }
  const secret = Buffer.from(`${MARKER}\nroot:x:0:0:root:/root:/bin/bash\n`);
  mkdirSync(join(base, 'outside'));
  writeFileSync(join(base, 'outside', 'secret.txt'), secret);
  writeFileSync(join(base, 'outside', 'index.html'), secret);
  writeFileSync(join(base, 'secret.txt'), secret);
  // A sibling whose name starts with the root's: a prefix check without a separator would let it in.
  mkdirSync(join(base, 'root-evil'));
  writeFileSync(join(base, 'root-evil', 'secret.txt'), secret);
  symlinkSync(join(base, 'outside', 'secret.txt'), join(root, 'link-file.txt'));
  symlinkSync(join(base, 'outside'), join(root, 'link-dir'));
  symlinkSync('../root-evil/secret.txt', join(root, 'link-sibling.txt'));
  symlinkSync('../../outside', join(root, 'dir', 'up-link'));
  // Links that stay inside the root are served.
  symlinkSync('text.txt', join(root, 'link-inside.txt'));
  symlinkSync('dir', join(root, 'link-inside-dir'));
  return { base, root, files, big, cleanup };
}

export interface Running {
  readonly rt: Runtime;
  readonly server: HttpServer;
  readonly port: number;
  /** `http://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  readonly served: Promise<ServeReport>;
  /** `shutdown(graceMs)`, then `serve()`'s report. */
  stop(graceMs?: number): Promise<ServeReport>;
}

/** The static file server for `root` on `driver`: bound to 127.0.0.1 port 0 and serving. */
export async function startServer(
  driver: IoBackendName,
  root: string,
  options: { static?: StaticOptions; server?: ServerOptions } = {},
): Promise<Running> {
  const { rt, run } = runtimeOn(driver);
  const handler = await run(staticFiles(root, options.static));
  const server = await run(HttpServer.bind('127.0.0.1:0', handler, options.server));
  const address = server.address;
  if (address.family === 'unix') throw new Error('Expected a TCP address, got a unix socket');
  const served = run(server.serve());
  let stopped: Promise<ServeReport> | undefined;
  return {
    rt,
    server,
    port: address.port,
    url: `http://127.0.0.1:${address.port}`,
    served,
    stop: (graceMs = 1000) => {
      if (stopped === undefined) {
        server.shutdown(graceMs);
        stopped = served;
      }
      return stopped;
    },
  };
}

/** A parsed response. */
export interface RawResponse {
  readonly status: number;
  /** Header fields by lower-cased name; repeated ones joined with `, `. */
  readonly headers: Record<string, string>;
  readonly body: Buffer;
}

/**
 * Parses the responses in `bytes`, one per entry of `methods` (a `HEAD` response or a `304` has no body), framed
 * by `Content-Length` or chunked. Returns them and the bytes left after the last one.
 */
export function parseResponses(bytes: Buffer, methods: readonly string[]): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  let at = 0;
  for (const method of methods) {
    const end = bytes.indexOf('\r\n\r\n', at, 'latin1');
    if (end < 0)
      throw new Error(
        `Expected a response head at byte ${at}, got ${JSON.stringify(bytes.subarray(at, at + 80).toString('latin1'))}`,
      );
    const lines = bytes.toString('latin1', at, end).split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3}) /.exec(lines[0]!);
    if (m === null) throw new Error(`Expected a status line, got ${JSON.stringify(lines[0])}`);
    const status = Number(m[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    at = end + 4;
    let body: Buffer = Buffer.alloc(0);
    const noBody = method === 'HEAD' || status === 304 || status === 204 || status < 200;
    if (!noBody && headers['transfer-encoding'] === 'chunked') {
      const parts: Buffer[] = [];
      for (;;) {
        const eol = bytes.indexOf('\r\n', at, 'latin1');
        const size = parseInt(bytes.toString('latin1', at, eol), 16);
        at = eol + 2;
        if (size === 0) {
          at += 2;
          break;
        }
        parts.push(bytes.subarray(at, at + size));
        at += size + 2;
      }
      body = Buffer.concat(parts);
    } else if (!noBody && headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (at + length > bytes.length) throw new Error(`Expected ${length} body bytes, got ${bytes.length - at}`);
      body = bytes.subarray(at, at + length);
      at += length;
    } else if (!noBody) {
      body = bytes.subarray(at); // delimited by the close
      at = bytes.length;
    }
    responses.push({ status, headers, body });
  }
  return { responses, rest: bytes.subarray(at) };
}

/**
 * Sends `data` on a fresh connection and collects everything until the server closes it (or `ms` passes, then
 * `closed` is false).
 */
export function rawExchange(
  port: number,
  data: string | Buffer,
  ms = 5000,
): Promise<{ bytes: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = (closed: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => done(false), ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) =>
      e.code === 'ECONNRESET' ? done(true) : (clearTimeout(timer), reject(e)),
    );
    socket.on('end', () => done(true));
    socket.write(data);
  });
}

/** One request on a fresh connection (`Connection: close` added), parsed. */
export async function rawRequest(
  port: number,
  method: string,
  target: string,
  headers: Record<string, string> = {},
): Promise<RawResponse & { rest: Buffer }> {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const { bytes, closed } = await rawExchange(port, lines.join('\r\n') + '\r\n\r\n');
  if (!closed) throw new Error(`Expected the server to close after ${method} ${target}, it did not`);
  const { responses, rest } = parseResponses(bytes, [method]);
  return { ...responses[0]!, rest };
}

/** Runs `curl -s -i` with `args` (each request on its own connection); the response parsed. */
export function curl(args: readonly string[], method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    execFile(
      '/usr/bin/curl',
      ['-s', '-S', '-i', '--max-time', '10', ...args],
      { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error !== null) return reject(new Error(`curl ${args.join(' ')}: ${error.message} ${stderr.toString()}`));
        try {
          // The head as sent; the body as curl wrote it (decoded with --compressed, so not Content-Length's).
          const end = stdout.indexOf('\r\n\r\n') + 4;
          const { status, headers } = parseResponses(stdout.subarray(0, end), ['HEAD']).responses[0]!;
          resolve({ status, headers, body: method === 'HEAD' ? Buffer.alloc(0) : stdout.subarray(end) });
        } catch (e) {
          reject(e);
        }
      },
    );
  });
}

/** Waits until `check()` holds, polling every 10 ms, up to `ms`. */
export async function eventually(check: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('Expected the condition to hold in time, got a timeout');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A keep-alive client on one raw connection: one request at a time, responses framed by `Content-Length`. */
export class KeepAliveClient {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: (() => void) | undefined;
  #ended = false;
  #error: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (c: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? c : Buffer.concat([this.#buffer, c]);
      this.#wake();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on('error', (e) => {
      this.#error = e;
      this.#wake();
    });
  }

  static connect(port: number): Promise<KeepAliveClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new KeepAliveClient(socket));
      });
    });
  }

  get socket(): Socket {
    return this.#socket;
  }

  #wake(): void {
    const w = this.#waiting;
    this.#waiting = undefined;
    w?.();
  }

  /** Sends one request and reads its response. */
  async request(method: string, target: string, headers: Record<string, string> = {}): Promise<RawResponse> {
    let text = `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\n`;
    for (const [name, value] of Object.entries(headers)) text += `${name}: ${value}\r\n`;
    this.#socket.write(text + '\r\n');
    for (;;) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end >= 0) {
        const length = /\r\ncontent-length: (\d+)/i.exec(this.#buffer.toString('latin1', 0, end + 2));
        const total = end + 4 + (method === 'HEAD' || length === null ? 0 : Number(length[1]));
        if (this.#buffer.length >= total) {
          const { responses } = parseResponses(this.#buffer.subarray(0, total), [method]);
          this.#buffer = this.#buffer.subarray(total);
          return responses[0]!;
        }
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) throw new Error(`Expected a response to ${method} ${target}, got the connection closed`);
      await new Promise<void>((resolve) => (this.#waiting = resolve));
    }
  }

  /** Resolves once the server closed the connection. */
  closed(): Promise<void> {
    return new Promise((resolve) => {
      if (this.#ended || this.#socket.destroyed) return resolve();
      this.#socket.once('end', () => resolve());
      this.#socket.once('close', () => resolve());
    });
  }

  destroy(): void {
    this.#socket.destroy();
  }
}
