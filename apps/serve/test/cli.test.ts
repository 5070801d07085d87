/**
 * The command (`src/main.ts`, run on its sources through tsx with the `@zokio/source` condition): it prints its
 * URL (the real port for `--port 0`), serves, logs, and on SIGTERM drains and exits 0 saying what it served; bad
 * arguments exit 2 with a message. The runtime's I/O driver is chosen per run with `ZOKIO_IO_DRIVER`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drivers, makeSite, rawRequest, type Site } from './harness.js';

const APP = fileURLToPath(new URL('..', import.meta.url));
const URL_LINE = /^zokio-serve: serving (.+) at (http:\/\/127\.0\.0\.1:(\d+)\/) \(Ctrl-C to stop\)$/m;

interface Cli {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** The exit code (or the signal's name). */
  readonly exited: Promise<number | string>;
}

function cli(args: readonly string[], env: Record<string, string> = {}): Cli {
  const child = spawn(process.execPath, ['--conditions=@zokio/source', '--import', 'tsx', 'src/main.ts', ...args], {
    cwd: APP,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const exited = new Promise<number | string>((resolve) =>
    child.once('close', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for the URL line; returns its port. */
async function listening(run: Cli, ms = 15_000): Promise<{ root: string; url: string; port: number }> {
  const until = Date.now() + ms;
  for (;;) {
    const m = URL_LINE.exec(run.stdout());
    if (m !== null) return { root: m[1]!, url: m[2]!, port: Number(m[3]) };
    if (run.child.exitCode !== null || Date.now() > until)
      throw new Error(`Expected the URL line, got stdout ${JSON.stringify(run.stdout())} stderr ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the command', () => {
  let site: Site;
  beforeAll(() => {
    site = makeSite();
  });
  afterAll(() => site?.cleanup());

  describe.each(drivers)('on %s', (driver) => {
    it('prints its URL with the real port, serves and logs, and on SIGTERM drains and exits 0', async () => {
      const run = cli(['--root', site.root, '--port', '0'], { ZOKIO_IO_DRIVER: driver });
      try {
        const { root, url, port } = await listening(run);
        expect(root).toBe(site.root);
        expect(port).toBeGreaterThan(0);
        expect(url).toBe(`http://127.0.0.1:${port}/`);
        const res = await rawRequest(port, 'GET', '/text.txt', { 'User-Agent': 'cli-test' });
        expect(res.status).toBe(200);
        expect(res.body.equals(site.files['text.txt']!)).toBe(true);
        const missing = await rawRequest(port, 'GET', '/nope');
        expect(missing.status).toBe(404);
        run.child.kill('SIGTERM');
        expect(await run.exited).toBe(0);
        const lines = run.stdout().trimEnd().split('\n');
        expect(lines).toEqual([
          expect.stringMatching(URL_LINE),
          expect.stringMatching(
            new RegExp(
              `^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] "GET /text.txt HTTP/1.1" 200 ${site.files['text.txt']!.length} "-" "cli-test" \\d+\\.\\d{2}ms$`,
            ),
          ),
          expect.stringMatching(/^127\.0\.0\.1 - - \[[^\]]+\] "GET \/nope HTTP\/1.1" 404 \d+ "-" "-" \d+\.\d{2}ms$/),
          'zokio-serve: SIGTERM: finishing in-flight requests (up to 5000 ms)',
          'zokio-serve: stopped after 2 connections; 0 abandoned at the deadline',
        ]);
        expect(run.stderr()).toBe('');
      } finally {
        run.child.kill('SIGKILL');
      }
    });

    it('--quiet logs no requests; --grace-ms shows in the shutdown line; SIGINT works too', async () => {
      const run = cli(['--root', site.root, '--port', '0', '--quiet', '--grace-ms', '250'], {
        ZOKIO_IO_DRIVER: driver,
      });
      try {
        const { port } = await listening(run);
        expect((await rawRequest(port, 'GET', '/')).status).toBe(200);
        run.child.kill('SIGINT');
        expect(await run.exited).toBe(0);
        expect(run.stdout().trimEnd().split('\n').slice(1)).toEqual([
          'zokio-serve: SIGINT: finishing in-flight requests (up to 250 ms)',
          'zokio-serve: stopped after 1 connections; 0 abandoned at the deadline',
        ]);
      } finally {
        run.child.kill('SIGKILL');
      }
    });
  });

  // Concurrently: each is a process start, mostly waiting.
  it.concurrent.for<[string[], RegExp]>([
    [
      ['--root', '/nonexistent'],
      /^zokio-serve: Expected --root \/nonexistent to be a directory \(build the docs site with `pnpm run docs`\): .*ENOENT/,
    ],
    [['--root', 'package.json'], /^zokio-serve: Expected --root package\.json to be a directory/],
    [['--port', '99999'], /^zokio-serve: Expected --port to be 0–65535, got 99999$/],
    [['--port', 'http'], /^zokio-serve: Expected --port to be 0–65535, got http$/],
    [['--grace-ms=-1'], /^zokio-serve: Expected --grace-ms to be a number ≥ 0, got -1$/],
    [['--grace-ms', 'soon'], /^zokio-serve: Expected --grace-ms to be a number ≥ 0, got soon$/],
    [['--bogus'], /^zokio-serve: Unknown option '--bogus'/],
  ])('%j exits 2 with a message', async ([args, message], { expect }) => {
    const run = cli([...args, ...(args.includes('--port') ? [] : ['--port', '0'])]);
    expect(await run.exited).toBe(2);
    expect(run.stderr().trim()).toMatch(message);
    expect(run.stdout()).toBe('');
  });

  it.concurrent('a port in use exits 2 with a message, not a stack trace', async ({ expect }) => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const { port } = taken.address() as { port: number };
    try {
      const run = cli(['--root', site.root, '--port', String(port)]);
      expect(await run.exited).toBe(2);
      expect(run.stderr().trim()).toMatch(
        new RegExp(`^zokio-serve: Expected to listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
      );
    } finally {
      taken.close();
    }
  });
});
