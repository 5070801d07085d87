/**
 * The one tsup configuration every package builds with: ESM + CJS + `.d.ts`, Node 20 target, no bundling of
 * dependencies (sibling `@zokio/*` packages stay imports so one copy of each layer is loaded).
 */
import { defineConfig, type Options } from 'tsup';

export function packageConfig(overrides: Options = {}) {
  return defineConfig({
    entry: ['src/index.ts'],
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    treeshake: true,
    // Classes keep their names: esbuild renames `class ZokioError` to `_ZokioError` inside the bundle, and an
    // error's `name` (from its constructor) is what users and logs see.
    keepNames: true,
    ...overrides,
  });
}
