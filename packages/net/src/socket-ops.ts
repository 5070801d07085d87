/**
 * The rare socket ops as futures, each a {@link SocketOp}: create, bind, listen, connect, shutdown. (Closing is
 * `closeNow` from `@zokio/io-driver`: submitted when called, not when polled.)
 *
 * A socket that a dropped `openSocket` produced anyway is closed (by the driver when the cancel lost the race, here
 * when the result was stored but never observed).
 *
 * @module
 */
import { IGNORE, IoError, SocketOption, type FdGuard, type IoDriver, type SocketAddress } from '@zokio/io-driver';
import type { Future } from '@zokio/future';
import { SocketOp } from './ops.js';

/** `socket(domain, type)` → the fd, owned by `guard` from the moment it is observed. */
export function openSocket(domain: number, type: number, label: string, guard: FdGuard): Future<number> {
  return new SocketOp<number>('socket', label, {
    submit: (driver, op) => driver.socket(domain, type, 0, op),
    value: (fd, _aux, driver) => guard.keep(fd, driver),
    dropped: (fd, _aux, driver) => {
      if (fd >= 0) driver.close(fd, IGNORE);
    },
  });
}

/** `SO_REUSEADDR` on `fd` (before its bind): a synchronous socket option, failing with a typed error. */
export function setReuseAddress(driver: IoDriver, fd: number, label: string): void {
  const res = driver.setSocketOption(fd, SocketOption.REUSEADDR, 1);
  if (res < 0) throw IoError.fromResult(res, 'setsockopt', label);
}

/** An op on `fd` with `address` encoded for it. */
function addressOp(
  syscall: string,
  label: string,
  address: SocketAddress,
  start: (driver: IoDriver, addr: ReturnType<IoDriver['encodeAddress']>, op: SocketOp<void>) => number,
): Future<void> {
  return new SocketOp<void>(syscall, label, {
    submit: (driver, op) => {
      const encoded = driver.encodeAddress(address);
      op.lendBuffer(encoded.buf);
      return start(driver, encoded, op);
    },
    value: () => undefined,
  });
}

/** `bind(fd, address)`. */
export function bindSocket(fd: number, address: SocketAddress, label: string): Future<void> {
  return addressOp('bind', label, address, (driver, { buf, length }, op) => driver.bind(fd, buf, length, op));
}

/** `connect(fd, address)`. */
export function connectSocket(fd: number, address: SocketAddress, label: string): Future<void> {
  return addressOp('connect', label, address, (driver, { buf, length }, op) => driver.connect(fd, buf, length, op));
}

/** `listen(fd, backlog)`. */
export function listenSocket(fd: number, backlog: number, label: string): Future<void> {
  return new SocketOp<void>('listen', label, {
    submit: (driver, op) => driver.listen(fd, backlog, op),
    value: () => undefined,
  });
}

/** `shutdown(fd, how)`. */
export function shutdownSocket(fd: number, how: 0 | 1 | 2, label: string): Future<void> {
  return new SocketOp<void>('shutdown', label, {
    submit: (driver, op) => driver.shutdownSocket(fd, how, op),
    value: () => undefined,
  });
}
