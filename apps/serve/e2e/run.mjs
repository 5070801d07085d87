#!/usr/bin/env node
/**
 * End-to-end check of the built server on the built docs site, with real clients:
 *
 * 1. starts `node apps/serve/dist/main.js --root docs/site --port 0 --quiet` and reads its URL;
 * 2. loads the URL in headless Chromium (`--dump-dom`) and checks the page's `<title>` mentions zokio;
 * 3. puts the index page under `wrk -t1 -c256 -d5s` and checks there were no socket errors and no non-2xx
 *    answers;
 * 4. checks the server's open fds (`/proc/PID/fd`) did not grow past the count before wrk (+10);
 * 5. sends SIGTERM and checks the server drains and exits 0.
 *
 * Needs `pnpm build` and `pnpm run docs` first, and the Debian packages `wrk` and `chromium`: without them it fails
 * (exit 1), it never passes silently.
 *
 * Usage: `node apps/serve/e2e/run.mjs [--root DIR]` (default: the repository's `docs/site`).
 */
import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const serverMain = join(repoRoot, 'apps/serve/dist/main.js');
const WRK_ARGS = ['-t1', '-c256', '-d5s', '--latency'];
const FD_SLACK = 10;

function fail(message) {
  console.error(`e2e: FAIL: ${message}`);
  process.exit(1);
}

/** The absolute path of an executable on PATH, or undefined. */
function which(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs a command to its end: { code, stdout, stderr }; fails the run if it cannot start or passes `timeoutMs`. */
function run(file, args, timeoutMs) {
  return new Promise((done) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error !== null && (error.killed || typeof error.code !== 'number'))
        fail(`${file} ${args.join(' ')}: ${error.killed ? `killed after ${timeoutMs} ms` : error.message}\n${stderr}`);
      done({ code: error === null ? 0 : error.code, stdout, stderr });
    });
  });
}

const fdsOf = (pid) => readdirSync(`/proc/${pid}/fd`).length;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------------------------
let options;
try {
  ({ values: options } = parseArgs({ options: { root: { type: 'string' } } }));
} catch (error) {
  fail(`${error.message}\nusage: node apps/serve/e2e/run.mjs [--root DIR]`);
}
const root = options.root === undefined ? join(repoRoot, 'docs/site') : resolve(options.root);

const wrk = which('wrk');
const chromium = which('chromium') ?? which('chromium-browser');
const missing = [wrk === undefined ? 'wrk' : [], chromium === undefined ? 'chromium' : []].flat();
if (missing.length > 0)
  fail(`${missing.join(' and ')} not found on PATH: install them with \`apt-get install wrk chromium\``);
if (!existsSync(serverMain)) fail(`${serverMain} is missing: run \`pnpm build\` first`);
if (!existsSync(join(root, 'index.html'))) fail(`${join(root, 'index.html')} is missing: run \`pnpm run docs\` first`);

// 1. The server.
const server = spawn(process.execPath, [serverMain, '--root', root, '--port', '0', '--quiet'], {
  cwd: repoRoot,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
let err = '';
server.stdout.setEncoding('utf8').on('data', (c) => (out += c));
server.stderr.setEncoding('utf8').on('data', (c) => (err += c));
const exited = new Promise((done) => server.once('close', (code, signal) => done({ code, signal })));
process.on('exit', () => server.exitCode === null && server.kill('SIGKILL'));

let url;
for (const until = Date.now() + 15_000; url === undefined;) {
  const m = / at (http:\/\/\S+) /.exec(out);
  if (m !== null) url = m[1];
  else if (server.exitCode !== null || Date.now() > until)
    fail(`Expected the server to print its URL, got stdout ${JSON.stringify(out)}, stderr ${JSON.stringify(err)}`);
  else await sleep(20);
}
console.log(`e2e: server pid ${server.pid} serving ${root} at ${url}`);

// 2. Chromium.
const profile = mkdtempSync(join(tmpdir(), 'zokio-e2e-chromium-'));
let title;
try {
  const dom = await run(
    chromium,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--dump-dom',
      url,
    ],
    60_000,
  );
  if (dom.code !== 0) fail(`chromium exited ${dom.code}: ${dom.stderr.slice(-2000)}`);
  const m = /<title>([^<]*)<\/title>/i.exec(dom.stdout);
  if (m === null) fail(`Expected a <title> in the DOM, got ${JSON.stringify(dom.stdout.slice(0, 500))}`);
  title = m[1].trim();
  if (!/zokio/i.test(title)) fail(`Expected the title to mention zokio, got ${JSON.stringify(title)}`);
} finally {
  rmSync(profile, { recursive: true, force: true });
}
console.log(`e2e: chromium: title ${JSON.stringify(title)}`);

// 3. wrk, with the server's fds counted before and after.
await sleep(300); // Chromium's connections close
const fdsBefore = fdsOf(server.pid);
const bench = await run(wrk, [...WRK_ARGS, url], 60_000);
if (bench.code !== 0) fail(`wrk exited ${bench.code}: ${bench.stderr}${bench.stdout}`);
const rps = /Requests\/sec:\s+([\d.]+)/.exec(bench.stdout)?.[1];
const latency = /^\s*Latency\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(bench.stdout);
const total = /(\d+) requests in/.exec(bench.stdout)?.[1];
const p99 = /^\s*99%\s+(\S+)/m.exec(bench.stdout)?.[1];
const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(bench.stdout);
const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(bench.stdout);
if (rps === undefined || latency === null || total === undefined)
  fail(`Expected wrk's summary, got ${JSON.stringify(bench.stdout)}`);
if (Number(total) === 0) fail('Expected wrk to complete requests, got 0');
if (socketErrors !== null && socketErrors.slice(1).some((n) => Number(n) > 0))
  fail(`Expected no socket errors, got ${socketErrors[0]}\n${bench.stdout}`);
if (non2xx !== null && Number(non2xx[1]) > 0) fail(`Expected only 2xx answers, got ${non2xx[0]}\n${bench.stdout}`);
console.log(
  `e2e: wrk ${WRK_ARGS.join(' ')}: ${total} requests, ${rps} requests/s, latency avg ${latency[1]} stdev ${latency[2]} max ${latency[3]}${p99 === undefined ? '' : ` p99 ${p99}`}, socket errors 0, non-2xx 0`,
);

// 4. The fds wrk's 256 connections took are given back.
let fdsAfter = fdsOf(server.pid);
for (const until = Date.now() + 3000; fdsAfter > fdsBefore + FD_SLACK && Date.now() < until;) {
  await sleep(50);
  fdsAfter = fdsOf(server.pid);
}
if (fdsAfter > fdsBefore + FD_SLACK)
  fail(`Expected the server's fds to return to ${fdsBefore} (+${FD_SLACK}) after wrk, got ${fdsAfter}`);
console.log(`e2e: server fds: ${fdsBefore} before wrk, ${fdsAfter} after`);

// 5. SIGTERM: a clean exit.
server.kill('SIGTERM');
const exit = await Promise.race([exited, sleep(15_000).then(() => undefined)]);
if (exit === undefined) fail('Expected the server to exit within 15 s of SIGTERM, it did not');
if (exit.code !== 0) fail(`Expected exit code 0 after SIGTERM, got ${exit.code ?? exit.signal}: ${err}`);
const stopped = /stopped after (\d+) connections; (\d+) abandoned/.exec(out);
if (stopped === null) fail(`Expected the "stopped after" line, got ${JSON.stringify(out)}`);
if (Number(stopped[2]) !== 0) fail(`Expected no connection abandoned at shutdown, got ${stopped[2]}`);
if (err !== '') fail(`Expected nothing on the server's stderr, got ${JSON.stringify(err)}`);
console.log(`e2e: SIGTERM: exit 0, ${stopped[0]}`);
console.log('e2e: PASS');
