import { packageConfig } from '../../tsup.config.base.js';

// Thread entries are files of their own beside the bundle (see src/pool/worker-url.ts); they import the pool through
// the package's own name, kept external so a thread and its jobs share one module instance. `shims` gives the CJS
// build the `import.meta.url` the entries are found from.
export default packageConfig({
  entry: {
    index: 'src/index.ts',
    'pool-worker': 'src/pool/entries/pool-worker.ts',
    'blocking-worker': 'src/pool/entries/blocking-worker.ts',
  },
  external: ['@zokio/scheduler'],
  shims: true,
});
