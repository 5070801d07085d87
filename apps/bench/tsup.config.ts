import { packageConfig } from '../../tsup.config.base.js';

/**
 * One entry for the runner and one per contender, so each contender is a script the runner starts in a fresh
 * process. Every contender imports its library's published build: zokio's layers from their `dist/` (turbo builds
 * them first: `bench` depends on `build`), `effect`, `effection` and the worker pools from `node_modules`, as a user
 * would load them.
 */
export default packageConfig({
  entry: {
    run: 'src/run.ts',
    dispatch: 'src/dispatch.ts',
    'task-switch': 'src/task-switch.ts',
    'contenders/promise': 'src/contenders/promise.ts',
    'contenders/effect': 'src/contenders/effect.ts',
    'contenders/effection': 'src/contenders/effection.ts',
    'contenders/zokio': 'src/contenders/zokio.ts',
    // The I/O scenarios' contenders: zokio's raw driver (both backends), Node's fs reads, and fio.
    'io/zokio': 'src/io/zokio.ts',
    'io/node': 'src/io/node.ts',
    'io/fio': 'src/io/fio.ts',
    // The fs scenarios' contenders: @zokio/fs on a runtime, and Node's file APIs.
    'fs/zokio': 'src/fs/zokio.ts',
    'fs/node': 'src/fs/node.ts',
    // The TCP scenarios: the child that runs the load client against a server, and the two servers.
    'net/bench': 'src/net/bench.ts',
    'net/zokio-server': 'src/net/zokio-server.ts',
    'net/node-server': 'src/net/node-server.ts',
    // The HTTP scenarios: the child that runs wrk against a server, and http_hello's three servers.
    'http/bench': 'src/http/bench.ts',
    'http/zokio-server': 'src/http/zokio-server.ts',
    'http/node-http-server': 'src/http/node-http-server.ts',
    'http/node-net-server': 'src/http/node-net-server.ts',
    // serve_static's static file servers: @zokio/serve, and node:http with fs.promises, sirv or serve-static.
    'http/static-zokio-server': 'src/http/static-zokio-server.ts',
    'http/static-node-server': 'src/http/static-node-server.ts',
    // The worker-pool scenarios: one script per contender, and the modules their threads load by URL (each its own
    // file beside them): the jobs, workerpool's worker script, and zokio's nested fork-join job.
    'pool/piscina': 'src/pool/piscina.ts',
    'pool/tinypool': 'src/pool/tinypool.ts',
    'pool/workerpool': 'src/pool/workerpool.ts',
    'pool/zokio': 'src/pool/zokio.ts',
    'pool/jobs': 'src/pool/jobs.ts',
    'pool/workerpool-worker': 'src/pool/workerpool-worker.ts',
    'pool/zokio-jobs': 'src/pool/zokio-jobs.ts',
  },
  format: ['esm'],
  dts: false,
  // The runner formats its reports with the monorepo's own Prettier, when there (see run.ts).
  external: ['prettier'],
});
