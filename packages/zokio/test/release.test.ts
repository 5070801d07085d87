/**
 * The release as users get it: every public package packed (`pnpm pack`, `workspace:^` pinned to versions; the
 * addon prebuilt with prebuildify, as a release ships it), installed with npm into a fresh project with install
 * scripts off, then an ESM and a CommonJS script each read a file, echo over TCP on 127.0.0.1 and run a job on a
 * `multi_thread` runtime's worker — through the `zokio` meta-package.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packPrebuilt } from '../../io-driver/scripts/pack-prebuilt.mjs';

const packages = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'zokio-release-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The public packages: every package under packages/ that is not private. */
const PUBLIC = readdirSync(packages).filter((dir) => {
  const manifest = JSON.parse(readFileSync(join(packages, dir, 'package.json'), 'utf8')) as { private?: boolean };
  return manifest.private !== true;
});

const JOBS = `
export function add(a, b) { return a + b; }
`;

/** The smoke test, as ESM or CJS: `load` binds the names it uses. */
const smoke = (load: string, jobsUrl: string) => `
${load}
const os = require('node:os');
const path = require('node:path');
const fsNode = require('node:fs');
(async () => {
  const file = path.join(os.tmpdir(), 'zokio-release-smoke-' + process.pid);
  fsNode.writeFileSync(file, 'read from a packed zokio');
  const rt = Runtime.create({ flavor: 'multi_thread', workerThreads: 2 });
  const out = await rt.blockOn(fn(function* () {
    const text = (yield* readFile(file)).toString();
    const listener = yield* TcpListener.bind('127.0.0.1:0');
    spawn(fn(function* () {
      const s = yield* listener.accept();
      for (let chunk = yield* s.read(); chunk.length > 0; chunk = yield* s.read()) yield* s.writeAll(chunk);
      yield* s.shutdown();
      s.close();
    })());
    const client = yield* TcpStream.connect(listener.localAddr());
    yield* client.writeAll('echoed');
    yield* client.shutdown();
    const echoed = (yield* client.readToEnd()).toString();
    client.close();
    listener.close();
    const sum = yield* spawnJob(${jobsUrl}, 'add', [40, 2]);
    return [text, echoed, sum, rt.io.kind].join(' | ');
  })());
  await rt.shutdown();
  fsNode.rmSync(file);
  console.log(out);
})();
`;

describe('the release', () => {
  it('installs from tarballs with npm, scripts off, and runs a file read, a TCP echo and a worker job from ESM and CJS', () => {
    // The addon package: a copy, prebuilt, so nothing compiles at install (as a published release).
    const tarballs = join(work, 'tarballs');
    mkdirSync(tarballs);
    packPrebuilt({ into: tarballs, work });
    for (const dir of PUBLIC.filter((d) => d !== 'io-driver'))
      execFileSync('npx', ['--yes', 'pnpm@10.34.9', 'pack', '--pack-destination', tarballs], {
        cwd: join(packages, dir),
        stdio: 'pipe',
      });
    const packed = readdirSync(tarballs);
    expect(packed).toHaveLength(PUBLIC.length);

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    execFileSync(
      'npm',
      ['install', '--ignore-scripts', '--no-audit', '--no-fund', ...packed.map((t) => join(tarballs, t))],
      { cwd: app, stdio: 'pipe' },
    );
    writeFileSync(join(app, 'jobs.mjs'), JOBS);
    const names = 'Runtime, fn, spawn, spawnJob, readFile, TcpListener, TcpStream';
    writeFileSync(
      join(app, 'smoke.mjs'),
      smoke(
        `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\nimport { ${names} } from 'zokio';`,
        "new URL('./jobs.mjs', import.meta.url)",
      ),
    );
    writeFileSync(
      join(app, 'smoke.cjs'),
      smoke(`const { ${names} } = require('zokio');`, "require('node:url').pathToFileURL(__dirname + '/jobs.mjs')"),
    );
    for (const script of ['smoke.mjs', 'smoke.cjs']) {
      expect(execFileSync(process.execPath, [script], { cwd: app, encoding: 'utf8', timeout: 60_000 })).toBe(
        'read from a packed zokio | echoed | 42 | io_uring\n',
      );
    }
  }, 300_000);
});
