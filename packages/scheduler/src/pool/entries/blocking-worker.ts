// A blocking-pool thread (see ../blocking-pool.ts). Imports the pool through the package's own name: see ../worker-url.ts.
import { runBlockingWorker } from '@zokio/scheduler';

runBlockingWorker();
