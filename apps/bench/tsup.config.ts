import { packageConfig } from '../../tsup.config.base.js';

/**
 * One entry for the runner and one per contender, so each contender is a self-contained script the runner starts in
 * a fresh process.
 *
 * Unlike the packages, the bench bundles zokio's own layers in, from their `src/` (the `@zokio/source` condition):
 * `pnpm --filter @zokio/bench build` then measures the zokio in the working tree without building every package
 * first. `effect` and `effection` stay imports of their published builds, as a user would load them.
 */
export default packageConfig({
  entry: {
    run: 'src/run.ts',
    'contenders/promise': 'src/contenders/promise.ts',
    'contenders/effect': 'src/contenders/effect.ts',
    'contenders/effection': 'src/contenders/effection.ts',
    'contenders/zokio': 'src/contenders/zokio.ts',
  },
  format: ['esm'],
  dts: false,
  noExternal: [/^@zokio\//],
  esbuildOptions(options) {
    options.conditions = ['@zokio/source'];
  },
});
