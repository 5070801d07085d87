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
    ...overrides,
  });
}
