/**
 * One Vitest configuration for the whole monorepo. Each package and app with a `test/` folder is a project named
 * after its package; `pnpm --filter <pkg> test` runs one, `vitest run` at the root runs all. Tests import sibling
 * packages through the `@zokio/source` export condition, so they run on `src/` without a build.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const conditions = ['@zokio/source', 'node', 'import', 'default'];
const repoRoot = fileURLToPath(new URL('.', import.meta.url));

function projects() {
  return ['packages', 'apps'].flatMap((group) =>
    readdirSync(join(repoRoot, group))
      .map((dir) => join(repoRoot, group, dir))
      .filter((root) => existsSync(join(root, 'test')))
      .map((root) => ({
        extends: true as const,
        test: {
          name: (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name: string }).name,
          root,
          include: ['test/**/*.test.ts'],
        },
      })),
  );
}

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions, externalConditions: ['@zokio/source'] } },
  test: {
    projects: projects(),
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
