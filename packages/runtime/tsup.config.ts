import { packageConfig } from '../../tsup.config.base.js';

// worker-setup is imported by URL inside pool workers, so it is an entry of its own; `shims` gives the CJS build the
// `import.meta.url` it is found from (see src/worker-setup.ts).
export default packageConfig({ entry: ['src/index.ts', 'src/testing.ts', 'src/worker-setup.ts'], shims: true });
