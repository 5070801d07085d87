import { packageConfig } from '../../tsup.config.base.js';

export default packageConfig({ entry: ['src/index.ts', 'src/testing.ts'] });
