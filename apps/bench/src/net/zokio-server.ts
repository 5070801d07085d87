/**
 * The zokio echo server of the TCP scenarios: `node --expose-gc dist/net/zokio-server.js --backend io_uring|epoll|js
 * --backlog N`. `@zokio/net` as a program uses it: `Runtime.create({ io })`, one `rt.blockOn` for
 * the server, `TcpListener.bind('127.0.0.1:0')`, and one spawned task per accepted connection that sets
 * `setNoDelay()` and loops `read()` → `writeAll(chunk)` until the peer closes. See `server-control.ts`
 * for how the bench drives it.
 *
 * @module
 */
import { fn, FutureBase, type Context } from '@zokio/future';
import { ioDriverOf, type IoDriver } from '@zokio/io-driver';
import { TcpListener, type TcpStream } from '@zokio/net';
import { Runtime } from '@zokio/runtime';
import { spawn } from '@zokio/scheduler';
import { formatBytes } from '../stats.js';
import { Counts, die, flag, integerFlag, serveCommands } from './server-control.js';

const argv = process.argv.slice(2);
const backend = flag(argv, 'backend');
if (backend !== 'io_uring' && backend !== 'epoll' && backend !== 'js') {
  process.stderr.write(`Expected --backend to be one of io_uring, epoll, js, got ${JSON.stringify(backend)}\n`);
  process.exit(2);
}
const backlog = integerFlag(argv, 'backlog');

// The row is labelled with its backend: ZOKIO_IO_DRIVER, which overrides the config's `io`, must not swap it.
delete process.env['ZOKIO_IO_DRIVER'];
const rt = Runtime.create({ io: backend });
const io = /^\s*io:\s*(\S+)/m.exec(rt.describe())?.[1];
if (io !== backend) die(new Error(`Expected the runtime's I/O backend to be ${backend}, got ${io ?? 'none'}`));

const counts = new Counts();

/** The driver of the task polling it: to report the buffer pool's size with each memory sample. */
class CurrentDriver extends FutureBase<IoDriver> {
  poll(cx: Context): IoDriver {
    return ioDriverOf(cx);
  }
}

const serve = fn(function* (stream: TcpStream) {
  counts.open++;
  try {
    stream.setNoDelay();
    for (let chunk = yield* stream.read(); chunk.length > 0; chunk = yield* stream.read())
      yield* stream.writeAll(chunk);
  } catch (error) {
    counts.failed(error);
  } finally {
    counts.open--;
    stream[Symbol.dispose]();
  }
});

const main = fn(function* () {
  const listener = yield* TcpListener.bind('127.0.0.1:0', { backlog });
  try {
    const driver = yield* new CurrentDriver();
    const address = listener.localAddr();
    if (address.family === 'unix') throw new Error(`Expected a TCP address, got ${address.path}`);
    counts.detail = () => {
      const pool = driver.pool.stats();
      return (
        `buffer pool ${formatBytes(pool.reservedBytes)} reserved in ${pool.arenas} arenas, ` +
        `${formatBytes(pool.inUseBytes)} in use; ${driver.inFlight} ops in flight`
      );
    };
    serveCommands(address.port, counts);
    for (;;) {
      const stream = yield* listener.accept();
      counts.accepted++;
      spawn(serve(stream));
    }
  } finally {
    listener[Symbol.dispose]();
  }
});

rt.blockOn(main()).catch(die);
