// Starts a pool thread from TypeScript sources (tests): registers tsx, and the `@zokio/source` export condition so
// `@zokio/*` imports resolve to `src/` as in the parent thread, then imports the entry in `workerData.script`.
// Published builds never load this file (see worker-url.ts).
import { register } from 'node:module';
import { workerData } from 'node:worker_threads';
import { register as registerTsx } from 'tsx/esm/api';

register(
  'data:text/javascript,' +
    encodeURIComponent(
      'export async function resolve(specifier, context, next) {' +
        '  const conditions = context.conditions.includes("@zokio/source") ? context.conditions : ["@zokio/source", ...context.conditions];' +
        '  return next(specifier, { ...context, conditions });' +
        '}',
    ),
);
registerTsx();
await import(workerData.script);
