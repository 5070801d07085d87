/**
 * The drivers every `@zokio/fs` suite runs on: a real runtime per backend (`js` everywhere; `io_uring` and `epoll`
 * where the addon loads — `@zokio/io-driver`'s select test fails if io_uring should load here and does not).
 */
import { tempDir as tempDirOf } from '@zokio/runtime/testing';

export {
  drivers,
  fdCount,
  fdCountBackTo,
  NOTHING_LEFT,
  runtimeOn,
  shutDownAndCount,
  steadyFdCount,
} from '@zokio/runtime/testing';

/** A fresh temp directory, removed by the returned function. */
export const tempDir = (prefix = 'zokio-fs-') => tempDirOf(prefix);
