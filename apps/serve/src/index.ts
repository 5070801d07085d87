/**
 * # @zokio/serve
 *
 * A static file server on `@zokio/http`, `@zokio/net` and `@zokio/fs`: the handler ({@link staticFiles}) and its
 * parts, and `main.ts`, the command that serves zokio's docs site.
 *
 * @packageDocumentation
 */
export { staticFiles, type StaticOptions } from './static-files.js';
export { AccessLog, formatAccess } from './access-log.js';
export { decideRange, type RangeDecision } from './range.js';
export { isNotModified, validatorsOf } from './conditional.js';
export { pathSegments, isInside } from './resolve.js';
export { contentTypeOf, isCompressible } from './mime.js';
export { acceptsGzip } from './compress.js';
