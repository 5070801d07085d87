/**
 * Socket addresses between op records and Node: {@link readAddress} decodes the `struct sockaddr` an op names
 * (with `sockaddr.ts`, as every backend does), and {@link writeAddress} encodes an address Node reports (an IP
 * string and a port, or a Unix path) back into `struct sockaddr` bytes, truncated to the caller's capacity the way
 * `accept(2)`/`recvfrom(2)` truncate, while returning the full length.
 *
 * An `AF_INET6` socket reports IPv4 peers as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), as the kernel does; an address
 * of the wrong family for the socket is `-EAFNOSUPPORT`.
 *
 * @module
 */
import { isIPv4 } from 'node:net';
import {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  decodeSockaddr,
  domainOf,
  encodeSockaddr,
  SOCKADDR_MAX_BYTES,
  type SocketAddress,
} from '../../sockaddr.js';
import type { Arenas } from './arenas.js';
import { E } from './errno.js';
import type { OpRecord } from './op.js';

/** The address an op names (`addrArena`/`addrOffset`/`addrLength`), for a socket of `domain`; or a negated errno. */
export function readAddress(rec: OpRecord, arenas: Arenas, domain: number): SocketAddress | number {
  const length = rec.addrLength;
  if (length === 0 || length > SOCKADDR_MAX_BYTES) return -E.EINVAL;
  const bytes = arenas.bytes(rec.addrArena, rec.addrOffset, length);
  if (bytes === undefined) return -E.EFAULT;
  let address: SocketAddress;
  try {
    address = decodeSockaddr(bytes, length);
  } catch {
    return -E.EINVAL;
  }
  if (domainOf(address) !== domain) return -E.EAFNOSUPPORT;
  if (address.family === 'unix' && address.path === '') return -E.EINVAL;
  return address;
}

/** An address Node reports (IP and port), as a socket of `domain` sees it; undefined when Node has none. */
export function ipAddress(domain: number, ip: string | undefined, port: number | undefined): SocketAddress | undefined {
  if (ip === undefined || port === undefined) return undefined;
  if (domain === AF_INET6) {
    return { family: 'ipv6', address: isIPv4(ip) ? `::ffff:${ip}` : ip, port };
  }
  return { family: 'ipv4', address: ip.startsWith('::ffff:') ? ip.slice(7) : ip, port };
}

/** The unbound address of a socket of `domain`: the wildcard with port 0, or an unnamed Unix socket. */
export function unboundAddress(domain: number): SocketAddress | undefined {
  if (domain === AF_INET) return { family: 'ipv4', address: '0.0.0.0', port: 0 };
  if (domain === AF_INET6) return { family: 'ipv6', address: '::', port: 0 };
  return undefined;
}

const scratch = new Uint8Array(SOCKADDR_MAX_BYTES);

/**
 * Writes `address` into `out` as a `struct sockaddr`, truncated to `out`'s length; `undefined` is an unnamed Unix
 * socket (just the family). Returns the full length.
 */
export function writeAddress(address: SocketAddress | undefined, out: Uint8Array): number {
  let length: number;
  if (address === undefined) {
    scratch[0] = AF_UNIX & 0xff;
    scratch[1] = AF_UNIX >> 8;
    length = 2;
  } else {
    try {
      length = encodeSockaddr(address, scratch);
    } catch {
      // Node reported something sockaddr.ts cannot encode (a scoped or odd address): say it is unnamed.
      return writeAddress(undefined, out);
    }
  }
  out.set(scratch.subarray(0, Math.min(length, out.byteLength)));
  return length;
}
