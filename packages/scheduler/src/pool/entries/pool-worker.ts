// A work-stealing pool thread (see ../worker.ts). Imports the pool through the package's own name: see ../worker-url.ts.
// No top-level await: the entry is also built as CommonJS. A failed start rejects, which ends the thread with an error.
import { runPoolWorker } from '@zokio/scheduler';

void runPoolWorker();
