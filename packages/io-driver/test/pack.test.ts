/**
 * What a user installs: `pnpm pack` of the layers, installed with npm into a fresh project with install scripts
 * disabled, must load the prebuilt addon (no compiler involved) and run a read through io_uring, from ESM and CJS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { packPrebuilt } from '../scripts/pack-prebuilt.mjs';

const packages = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'zokio-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pnpm = (cwd: string, ...args: string[]) =>
  execFileSync('npx', ['--yes', 'pnpm@10.34.9', ...args], { cwd, stdio: 'pipe', encoding: 'utf8' });

const smoke = (requireOrImport: string) => `
${requireOrImport}
const fs = require('node:fs');
const file = require('node:path').join(require('node:os').tmpdir(), 'zokio-pack-smoke-' + process.pid);
fs.writeFileSync(file, 'packed and read');
const { name, factory } = selectBackend('io_uring', {});
const driver = new IoDriver(factory);
const path = driver.encodePath(file);
driver.openat(AT_FDCWD, path, fs.constants.O_RDONLY, 0, {
  complete(fd) {
    const buf = driver.pool.acquire(64);
    driver.read(fd, buf, 0, {
      complete(n) {
        console.log(name + ': ' + Buffer.from(buf.bytes.subarray(0, n)).toString());
        driver.close(fd, { complete: () => driver.shutdown().then(() => fs.rmSync(file)) });
      },
    });
  },
});
`;

describe('the packed package', () => {
  it('installs without scripts, loads the prebuild and reads through io_uring, from ESM and CJS', () => {
    // Prebuild and pack a copy of the package, so the test never rebuilds the addon under the other test files'
    // feet; `workspace:^` ranges are pinned to the siblings' versions, as `pnpm pack` does.
    packPrebuilt({ into: work, work });
    expect(readdirSync(join(work, 'io-driver', 'prebuilds', `${process.platform}-${process.arch}`))).toEqual(
      expect.arrayContaining([expect.stringMatching(/\.node$/)]),
    );
    for (const name of ['future', 'memory']) pnpm(join(packages, name), 'pack', '--pack-destination', work);
    const tarballs = readdirSync(work).filter((f) => f.endsWith('.tgz'));
    expect(tarballs).toHaveLength(3);
    const app = join(work, 'app');
    execFileSync('mkdir', ['-p', app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    execFileSync(
      'npm',
      ['install', '--ignore-scripts', '--no-audit', '--no-fund', ...tarballs.map((t) => join(work, t))],
      {
        cwd: app,
        stdio: 'pipe',
      },
    );
    writeFileSync(
      join(app, 'smoke.mjs'),
      smoke(
        "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\nimport { AT_FDCWD, IoDriver, selectBackend } from '@zokio/io-driver';",
      ),
    );
    writeFileSync(
      join(app, 'smoke.cjs'),
      smoke("const { AT_FDCWD, IoDriver, selectBackend } = require('@zokio/io-driver');"),
    );
    for (const script of ['smoke.mjs', 'smoke.cjs']) {
      expect(execFileSync(process.execPath, [script], { cwd: app, encoding: 'utf8' })).toBe(
        'io_uring: packed and read\n',
      );
    }
  });
});
