import { packageConfig } from '../../tsup.config.base.js';

export default packageConfig({ entry: ['src/demo.ts'], format: ['esm'], dts: false });
