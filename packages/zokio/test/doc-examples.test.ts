/**
 * Every `@example` in the public packages' doc comments type-checks as a program of its own: each ```ts block is
 * written to a module in a temporary folder and the lot compiled with the repository's strict settings, `@zokio/*`
 * and `zokio` resolving to their sources. An example that drifts from the API it documents fails here.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const packages = join(root, 'packages');
const out = mkdtempSync(join(tmpdir(), 'zokio-doc-examples-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** `@example` followed (after any prose lines) by a ```ts fence, inside a `/** … *\/` comment. */
const EXAMPLE = /@example\s*\n((?:\s*\*.*\n)*?)\s*\*\s*```ts\n((?:\s*\*.*\n)*?)\s*\*\s*```/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Writes each example to `out` as a module; returns how many. */
function extract(): number {
  let count = 0;
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
        writeFileSync(
          join(out, `${where.replace(/[/.]/g, '_')}_L${line}.ts`),
          `// ${where}:${line}\n${code}\nexport {};\n`,
        );
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
});
