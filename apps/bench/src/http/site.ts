/**
 * The site `serve_static` serves: four generated files of fixed sizes and contents (`SITE_FILES`, `siteFile`), the
 * two of them wrk requests (`SERVE_TARGETS`, one per variant), the site written into a temporary directory
 * (`writeSite`), and the check the bench makes of each server's answer before loading it (`checkFileResponse`).
 * Pure but for `writeSite`, so that the test can pin them down.
 *
 * @module
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseHead, type HelloCheck } from './hello.js';

/** One file of the site: its path under the root, its size, and the media type every server must answer with. */
export interface SiteFile {
  readonly path: string;
  readonly bytes: number;
  /** The media type (no parameters) a server must send for it: `text/html`. */
  readonly type: string;
}

/**
 * The site: an `index.html` of 18 KiB (the docs site's index page is 18.1 KiB), the 2 KiB stylesheet and the
 * 100 KiB script it links, and a 1 MiB binary. Text files are ASCII, so their length in characters is their size.
 */
export const SITE_FILES: readonly SiteFile[] = [
  { path: 'index.html', bytes: 18 * 1024, type: 'text/html' },
  { path: 'assets/style.css', bytes: 2 * 1024, type: 'text/css' },
  { path: 'assets/app.js', bytes: 100 * 1024, type: 'text/javascript' },
  { path: 'assets/data.bin', bytes: 1024 * 1024, type: 'application/octet-stream' },
];

/** What a variant of `serve_static` requests: the URL path wrk asks for, and the file that answers it. */
export interface ServeTarget {
  /** The variant's value: the file's size in KiB. */
  readonly kib: number;
  readonly url: string;
  readonly file: SiteFile;
}

function siteFileAt(path: string): SiteFile {
  const file = SITE_FILES.find((f) => f.path === path);
  if (file === undefined) throw new Error(`Expected a file of the site at ${path}, got none`);
  return file;
}

/** The requests `serve_static` measures, one per variant: `GET /` (the index page) and `GET /assets/app.js`. */
export const SERVE_TARGETS: readonly ServeTarget[] = [
  { kib: 18, url: '/', file: siteFileAt('index.html') },
  { kib: 100, url: '/assets/app.js', file: siteFileAt('assets/app.js') },
];

/** The request of variant `kib`; throws if there is none. */
export function serveTarget(kib: number): ServeTarget {
  const target = SERVE_TARGETS.find((t) => t.kib === kib);
  if (target === undefined) {
    throw new Error(`Expected a file size of ${SERVE_TARGETS.map((t) => t.kib).join(', ')} KiB, got ${kib}`);
  }
  return target;
}

/** `head`, then as many `unit(i)` as fit before `tail`, then spaces to exactly `bytes` characters. */
function filled(bytes: number, head: string, unit: (i: number) => string, tail: string): string {
  let text = head;
  for (let i = 0; ; i++) {
    const next = unit(i);
    if (text.length + next.length + tail.length > bytes) break;
    text += next;
  }
  const pad = bytes - text.length - tail.length;
  if (pad < 0) throw new RangeError(`Expected ${bytes} bytes to hold the file's head and tail, got too few`);
  return text + ' '.repeat(pad) + tail;
}

const WORDS = (
  'the runtime polls each task until it is ready, parks the thread on the driver when nothing is, and wakes ' +
  'whatever the kernel completed; a file read goes to io_uring, a socket to the same ring, and the scheduler ' +
  'keeps every waker it was given'
).split(' ');

function sentence(i: number, words: number): string {
  const picked = Array.from({ length: words }, (_, k) => WORDS[(i * 7 + k * 3) % WORDS.length]);
  return `${picked.join(' ')}.`;
}

function indexHtml(bytes: number): string {
  const head =
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n' +
    '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>zokio</title>\n' +
    '<link rel="stylesheet" href="assets/style.css">\n<script src="assets/app.js" defer></script>\n' +
    '</head>\n<body>\n<nav><a href="/">zokio</a> <a href="modules.html">Modules</a></nav>\n<main>\n';
  const section = (i: number) =>
    `<section id="s${i}">\n<h2>Section ${i}</h2>\n<p>${sentence(i, 24)} ${sentence(i + 1, 18)}</p>\n` +
    `<pre><code>const rt = Runtime.create({ io: 'io_uring' }); // ${i}</code></pre>\n</section>\n`;
  return filled(bytes, head, section, '\n</main>\n</body>\n</html>\n');
}

function styleCss(bytes: number): string {
  const rule = (i: number) => `.c${i} { margin: ${i % 8}px; color: #${((i * 2654435761) >>> 8).toString(16)}; }\n`;
  return filled(bytes, 'body { font: 16px/1.5 sans-serif; }\n', rule, '\n');
}

function appJs(bytes: number): string {
  const fn = (i: number) => `export function f${i}(x) {\n  // ${sentence(i, 10)}\n  return x * ${i} + ${i % 7};\n}\n`;
  return filled(bytes, "'use strict';\n", fn, '\n');
}

/** `bytes` bytes from a seeded xorshift32: the same in every process, and nothing a compressor could shrink. */
function binary(bytes: number, seed = 0x5eed): Buffer {
  const out = Buffer.alloc(bytes);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The contents of `file`: the same bytes every time, exactly `file.bytes` long. */
export function siteFile(file: SiteFile): Buffer {
  switch (file.path) {
    case 'index.html':
      return Buffer.from(indexHtml(file.bytes), 'latin1');
    case 'assets/style.css':
      return Buffer.from(styleCss(file.bytes), 'latin1');
    case 'assets/app.js':
      return Buffer.from(appJs(file.bytes), 'latin1');
    default:
      return binary(file.bytes);
  }
}

/** Writes the site under `dir` (created if missing). */
export function writeSite(dir: string): void {
  for (const file of SITE_FILES) {
    const path = join(dir, file.path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, siteFile(file));
  }
}

/** The site, written into a fresh directory under `os.tmpdir()`; `remove()` deletes it. */
export function makeSite(parent = tmpdir()): { readonly dir: string; remove(): void } {
  const dir = mkdtempSync(join(parent, 'zokio-bench-site-'));
  try {
    writeSite(dir);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What {@link checkFileResponse} found: {@link HelloCheck}'s, and the size of the head alone. */
export interface FileCheck extends HelloCheck {
  readonly headBytes: number;
}

/**
 * Checks one complete response to a `GET` of `file` (head and body, nothing after), sent without
 * `Accept-Encoding`: status `200`, `content-type` of the file's media type (any parameters), `content-length` of its
 * size, an `etag`, no `content-encoding` other than `identity`, and the body byte for byte `body`. Throws an `Error`
 * saying what differs.
 */
export function checkFileResponse(raw: Buffer, file: SiteFile, body: Buffer): FileCheck {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`Expected a response head ended by an empty line, got ${raw.length} bytes without`);
  const { status, headers } = parseHead(raw.toString('latin1', 0, end));
  if (!/^HTTP\/1\.1 200 /.test(status)) throw new Error(`Expected the status 200, got ${JSON.stringify(status)}`);
  const type = headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (type !== file.type) {
    throw new Error(
      `Expected content-type ${file.type} for ${file.path}, got ${JSON.stringify(headers['content-type'])}`,
    );
  }
  if (headers['content-length'] !== String(file.bytes)) {
    throw new Error(`Expected content-length: ${file.bytes}, got ${JSON.stringify(headers['content-length'])}`);
  }
  if (headers['etag'] === undefined) throw new Error(`Expected an etag for ${file.path}, got none`);
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') {
    throw new Error(`Expected no content-encoding (none was accepted), got ${JSON.stringify(encoding)}`);
  }
  const got = raw.subarray(end + 4);
  if (!got.equals(body)) {
    let at = 0;
    while (at < got.length && at < body.length && got[at] === body[at]) at++;
    throw new Error(
      `Expected the body to be the ${body.length} bytes of ${file.path}, got ${got.length} bytes, ` +
        `the first difference at byte ${at}`,
    );
  }
  return { bytes: raw.length, headBytes: end + 4, headers };
}
