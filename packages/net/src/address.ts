/**
 * Socket addresses as `@zokio/net` takes them — `'127.0.0.1:8080'`, `'[::1]:8080'`, `{ host, port }`, a
 * `SocketAddress` from `@zokio/io-driver`, or a Unix socket path (`{ path }`) — and {@link lookupHost} for names.
 *
 * Hosts must be IP literals (or `localhost`, which is `127.0.0.1`): resolving a name is a separate, explicit step
 * (`lookupHost`), as in Rust's `ToSocketAddrs`, so a connect never blocks on DNS unseen.
 *
 * @module
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { fromPromise, type Future } from '@zokio/future';
import type { SocketAddress } from '@zokio/io-driver';
import { invalidArgument } from './errors.js';

export type { SocketAddress };

/** What the functions of `@zokio/net` take as an address. @category Addresses */
export type AddressLike =
  SocketAddress | string | { readonly host: string; readonly port: number } | { readonly path: string };

function fromHostPort(host: string, port: unknown, where: string, argument: string): SocketAddress {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalidArgument(where, argument, 'a port from 0 to 65535', port);
  }
  const address = host === 'localhost' ? '127.0.0.1' : host;
  const version = isIP(address);
  if (version === 4) return { family: 'ipv4', address, port };
  if (version === 6) return { family: 'ipv6', address, port };
  throw invalidArgument(where, argument, 'an IP address (resolve names with lookupHost)', host);
}

/** An optional 32-bit unsigned field of an IPv6 address (`scopeId`, `flowinfo`). */
function checkU32(value: unknown, where: string, argument: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number') throw invalidArgument(where, argument, 'an integer', value, 'ERR_INVALID_ARG_TYPE');
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw invalidArgument(where, argument, 'an integer from 0 to 4294967295', value);
  }
  return value;
}

/** Checks and converts `input` to a `SocketAddress`. @internal */
export function toSocketAddress(input: unknown, where: string, argument = 'address'): SocketAddress {
  if (typeof input === 'string') {
    const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(input);
    if (v6 !== null) {
      // Brackets are for IPv6 literals only.
      if (isIP(v6[1]!) !== 6) throw invalidArgument(where, argument, "'[ipv6]:port' with an IPv6 address", input);
      return fromHostPort(v6[1]!, Number(v6[2]), where, argument);
    }
    const colon = input.lastIndexOf(':');
    if (colon <= 0 || input.indexOf(':') !== colon || !/^\d+$/.test(input.slice(colon + 1))) {
      throw invalidArgument(where, argument, "'host:port' or '[ipv6]:port'", input);
    }
    return fromHostPort(input.slice(0, colon), Number(input.slice(colon + 1)), where, argument);
  }
  if (typeof input === 'object' && input !== null) {
    const o = input as Record<string, unknown>;
    if (o['family'] === 'ipv4') return fromHostPort(String(o['address']), o['port'], where, argument);
    if (o['family'] === 'ipv6') {
      const address = fromHostPort(String(o['address']), o['port'], where, argument);
      // A link-local address needs its interface (scope id), as `peerAddr()` decodes it: kept, not dropped.
      const scopeId = checkU32(o['scopeId'], where, `${argument}.scopeId`);
      const flowinfo = checkU32(o['flowinfo'], where, `${argument}.flowinfo`);
      if (scopeId === undefined && flowinfo === undefined) return address;
      return {
        ...address,
        ...(scopeId === undefined ? {} : { scopeId }),
        ...(flowinfo === undefined ? {} : { flowinfo }),
      };
    }
    if (o['family'] === 'unix' || (typeof o['path'] === 'string' && o['host'] === undefined)) {
      const path = o['path'];
      if (typeof path !== 'string' || path.length === 0 || path.includes('\0') || Buffer.byteLength(path) > 107) {
        throw invalidArgument(where, argument, 'a Unix socket path of 1 to 107 bytes without NUL', path);
      }
      return { family: 'unix', path };
    }
    if (typeof o['host'] === 'string') return fromHostPort(o['host'], o['port'], where, argument);
  }
  throw invalidArgument(
    where,
    argument,
    "an address ('host:port', { host, port }, { path } or a SocketAddress)",
    input,
    'ERR_INVALID_ARG_TYPE',
  );
}

/** `'1.2.3.4:80'`, `'[::1]:80'` or the Unix path: for errors and logs. @category Addresses */
export function formatAddress(address: SocketAddress): string {
  const family = (address as Partial<SocketAddress> | null | undefined)?.family;
  if (family !== 'ipv4' && family !== 'ipv6' && family !== 'unix') {
    throw invalidArgument(
      'formatAddress',
      'address',
      "a SocketAddress ({ family: 'ipv4' | 'ipv6' | 'unix', … })",
      address,
      'ERR_INVALID_ARG_TYPE',
    );
  }
  if (address.family === 'unix') return address.path;
  return address.family === 'ipv6' ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

/**
 * Resolves `host` (a name or an IP literal) to its addresses with `port`, IPv4 and IPv6, in the resolver's order
 * (`getaddrinfo` on libuv's thread pool, as Node's `dns.lookup`).
 *
 * **Cancel-safe**: dropping it discards the answer.
 *
 * @example
 * ```ts
 * import { lookupHost, TcpListener, TcpStream } from '@zokio/net';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   using listener = yield* TcpListener.bind('127.0.0.1:0');
 *   const local = listener.localAddr();
 *   if (local.family === 'unix') throw new Error('not a TCP address');
 *   const addresses = yield* lookupHost('localhost', local.port); // fails with ENOTFOUND if the name has no address
 *   // 'localhost' may list ::1 as well, where nothing listens here: connect to its IPv4 address.
 *   using stream = yield* TcpStream.connect(addresses.find((a) => a.family === 'ipv4')!, { timeout: 5_000 });
 *   console.log('connected to', stream.peerAddr());
 * });
 * ```
 * @category Addresses
 */
export function lookupHost(host: string, port = 0): Future<SocketAddress[]> {
  if (typeof host !== 'string')
    throw invalidArgument('lookupHost', 'host', 'a host name', host, 'ERR_INVALID_ARG_TYPE');
  if (host.length === 0) throw invalidArgument('lookupHost', 'host', 'a non-empty host name', host);
  if (typeof port !== 'number') {
    throw invalidArgument('lookupHost', 'port', 'a port from 0 to 65535', port, 'ERR_INVALID_ARG_TYPE');
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalidArgument('lookupHost', 'port', 'a port from 0 to 65535', port);
  }
  return fromPromise(async () => {
    const found = await lookup(host, { all: true, verbatim: true });
    return found.map((a): SocketAddress =>
      a.family === 6 ? { family: 'ipv6', address: a.address, port } : { family: 'ipv4', address: a.address, port },
    );
  });
}
