#!/usr/bin/env node
/**
 * Packs `@zokio/io-driver` as a release ships it: a tarball with the addon prebuilt inside (`prebuilds/`, from
 * `prebuildify --napi --strip`), so that installing it compiles nothing.
 *
 * The package is copied first (`package.json`, `binding.gyp`, `README.md`, `native`, `src`, `dist`, with
 * `node_modules` linked), and the copy is prebuilt and packed: the package's own `build/` and `prebuilds/` are never
 * touched, so other tests can keep using the addon built in place. In the copy's `package.json`, `workspace:` ranges
 * of `dependencies` are pinned to `^<the sibling's version>`, as `pnpm pack` does; the tarball is made by `npm pack`.
 * `dist/` must be built already (`pnpm build`).
 *
 * As a CLI: `node scripts/pack-prebuilt.mjs [dest]` (or `pnpm pack:prebuilt [dest]`) writes the tarball into `dest`
 * (default: the current directory) and prints its path. From code: `packPrebuilt({ into, work })`.
 */
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The io-driver package: this script's parent folder. */
const pkg = fileURLToPath(new URL('..', import.meta.url));
/** The folder of the workspace's packages, where the `workspace:` siblings are. */
const packages = fileURLToPath(new URL('../..', import.meta.url));

/** What the copy holds: what the tarball publishes (`files`), less `prebuilds` (made in the copy), plus the manifest. */
const ENTRIES = ['package.json', 'binding.gyp', 'README.md', 'native', 'src', 'dist'];

/**
 * Copies the package into `work/io-driver`, pins its `workspace:` dependency ranges, prebuilds the addon there and
 * packs it into `into`.
 *
 * @param {{ into: string, work: string }} options `into`: the folder the tarball goes to (it must exist); `work`: a
 *   folder for the copy (`work/io-driver`, which must not exist yet), left in place for the caller to inspect or
 *   remove.
 * @returns {string} the tarball's path.
 */
export function packPrebuilt({ into, work }) {
  const copy = join(work, 'io-driver');
  for (const entry of ENTRIES) cpSync(join(pkg, entry), join(copy, entry), { recursive: true });
  symlinkSync(join(pkg, 'node_modules'), join(copy, 'node_modules'));
  const manifest = JSON.parse(readFileSync(join(copy, 'package.json'), 'utf8'));
  for (const [name, range] of Object.entries(manifest.dependencies)) {
    if (!range.startsWith('workspace:')) continue;
    const sibling = JSON.parse(readFileSync(join(packages, name.replace('@zokio/', ''), 'package.json'), 'utf8'));
    manifest.dependencies[name] = `^${sibling.version}`;
  }
  writeFileSync(join(copy, 'package.json'), JSON.stringify(manifest, null, 2));
  execFileSync('npx', ['prebuildify', '--napi', '--strip'], { cwd: copy, stdio: 'pipe' });
  const packed = execFileSync('npm', ['pack', '--json', '--pack-destination', into], {
    cwd: copy,
    stdio: 'pipe',
    encoding: 'utf8',
  });
  return join(into, JSON.parse(packed)[0].filename);
}

// The CLI: only when `node` runs this file, not when a test imports it.
const script = process.argv[1];
if (script !== undefined && existsSync(script) && realpathSync(script) === fileURLToPath(import.meta.url)) {
  const into = resolve(process.argv[2] ?? '.');
  mkdirSync(into, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'zokio-pack-prebuilt-'));
  try {
    console.log(packPrebuilt({ into, work }));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
