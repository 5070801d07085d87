/**
 * Every `@example` in the public packages' doc comments type-checks as a program of its own: each ```ts block is
 * written to a module in a temporary folder and the lot compiled with the repository's strict settings, `@zokio/*`
 * and `zokio` resolving to their sources. An example that drifts from the API it documents fails here.
 *
 * Every example also runs, as `node --conditions=@zokio/source --import tsx <module>` in a fresh temporary working
 * directory of its own, and must exit 0 within {@link RUN_TIMEOUT_MS}. The modules are written under this package's
 * git-ignored `.doc-examples/` folder so that `zokio` and `@zokio/*` resolve, through the package's own
 * dependencies, to their sources. A block whose first line starts with `// @no-run:` (followed by the reason) is
 * type-checked but not run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const packages = join(root, 'packages');
const parent = fileURLToPath(new URL('../.doc-examples', import.meta.url));
mkdirSync(parent, { recursive: true });
const out = mkdtempSync(join(parent, 'run-'));
afterAll(() => {
  rmSync(out, { recursive: true, force: true });
  if (readdirSync(parent).length === 0) rmSync(parent, { recursive: true, force: true });
});

/** How long one example may run, and how many run at once (CI machines have two cores). */
const RUN_TIMEOUT_MS = 15_000;
const RUN_CONCURRENCY = 2;
/** tsx's loader by URL: the examples' working directories are outside the repository, where `tsx` does not resolve. */
const TSX = pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href;
const NO_RUN = /^\/\/ @no-run:/;

interface Example {
  /** The module's path in `out`. */
  readonly file: string;
  /** `packages/…/src/….ts:line` of the `@example` tag. */
  readonly where: string;
  readonly run: boolean;
}
const examples: Example[] = [];

/** `@example` followed (after any prose lines) by a ```ts fence, inside a `/** … *\/` comment. */
const EXAMPLE = /@example\s*\n((?:\s*\*.*\n)*?)\s*\*\s*```ts\n((?:\s*\*.*\n)*?)\s*\*\s*```/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Writes each example to `out` as a module and records it in `examples`; returns how many. */
function extract(): number {
  let count = 0;
  examples.length = 0;
  for (const pkg of readdirSync(packages)) {
    const src = join(packages, pkg, 'src');
    if (!existsSync(src)) continue;
    for (const file of sources(src)) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(EXAMPLE)) {
        const code = match[2]!
          .split('\n')
          .map((line) => line.replace(/^\s*\* ?/, ''))
          .join('\n');
        const line = text.slice(0, match.index).split('\n').length;
        const where = relative(root, file);
        // A folder per example: some write modules next to themselves (`new URL('./jobs.js', import.meta.url)`).
        const name = join(`${where.replace(/[/.]/g, '_')}_L${line}`, 'example.ts');
        mkdirSync(join(out, dirname(name)), { recursive: true });
        writeFileSync(join(out, name), `// ${where}:${line}\n${code}\nexport {};\n`);
        examples.push({ file: name, where: `${where}:${line}`, run: !NO_RUN.test(code.trimStart()) });
        count++;
      }
    }
  }
  return count;
}

/** Path mappings from every package's `@zokio/source` exports, so examples compile against the sources. */
function paths(): Record<string, string[]> {
  // Test helpers' examples use vitest, a dev dependency of the repository.
  const mapped: Record<string, string[]> = { vitest: [join(root, 'node_modules/vitest/dist/index.d.ts')] };
  for (const pkg of readdirSync(packages)) {
    const manifest = JSON.parse(readFileSync(join(packages, pkg, 'package.json'), 'utf8')) as {
      name: string;
      exports?: Record<string, unknown>;
    };
    for (const [sub, target] of Object.entries(manifest.exports ?? {})) {
      const source = (target as Record<string, unknown> | null)?.['@zokio/source'];
      if (typeof source === 'string') mapped[manifest.name + sub.slice(1)] = [join(packages, pkg, source)];
    }
  }
  return mapped;
}

describe('doc examples', () => {
  it('every @example in the packages type-checks as a standalone module', () => {
    const count = extract();
    expect(count).toBeGreaterThan(250);
    writeFileSync(
      join(out, 'tsconfig.json'),
      JSON.stringify({
        extends: join(root, 'tsconfig.base.json'),
        compilerOptions: {
          noEmit: true,
          declaration: false,
          declarationMap: false,
          paths: paths(),
          typeRoots: [join(root, 'node_modules/@types')],
        },
        include: ['.'],
      }),
    );
    let output = '';
    try {
      execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(out, 'tsconfig.json')], { encoding: 'utf8' });
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    // On failure, the compiler's errors name each example by its source file and line.
    expect(output).toBe('');
  }, 120_000);

  it('every @example not marked `// @no-run:` runs to a zero exit', async () => {
    if (examples.length === 0) extract();
    const runnable = examples.filter((example) => example.run);
    expect(runnable.length).toBeGreaterThan(250);
    const failures: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < runnable.length) {
        const example = runnable[next++]!;
        const failure = await runExample(example);
        if (failure !== undefined) failures.push(failure);
      }
    };
    await Promise.all(Array.from({ length: RUN_CONCURRENCY }, worker));
    // On failure, each entry names the example by its source file and line, with its stderr.
    expect(failures.sort()).toEqual([]);
  }, 360_000);
});

/** Runs one example in a fresh working directory; resolves to a failure report, or `undefined` when it exits 0. */
function runExample(example: Example): Promise<string | undefined> {
  const cwd = mkdtempSync(join(tmpdir(), 'zokio-doc-example-'));
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--conditions=@zokio/source', '--import', TSX, join(out, example.file)], {
      cwd,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      if (stderr.length < 8_000) stderr += chunk;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, RUN_TIMEOUT_MS);
    const finish = (status: string | undefined): void => {
      clearTimeout(timer);
      rmSync(cwd, { recursive: true, force: true });
      resolve(status === undefined ? undefined : `${example.where}: ${status}\n${stderr.trim()}`);
    };
    child.on('error', (error) => finish(`could not start: ${String(error)}`));
    child.on('close', (code, signal) => {
      if (timedOut) finish(`did not exit within ${RUN_TIMEOUT_MS / 1000} s`);
      else if (code !== 0) finish(`exited with ${code ?? signal}`);
      else finish(undefined);
    });
  });
}
