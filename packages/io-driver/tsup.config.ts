import { packageConfig } from '../../tsup.config.base.js';

// `shims` gives the CJS build an `import.meta.url`, which the addon loader resolves the package root from.
export default packageConfig({ shims: true });
