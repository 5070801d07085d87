import { packageConfig } from '../../tsup.config.base.js';

export default packageConfig({
  entry: ['src/demo.ts', 'src/readme.ts', 'src/sync-readme.ts'],
  format: ['esm'],
  dts: false,
});
