/**
 * Socket addresses as the kernel takes them: {@link encodeSockaddr} writes a `struct sockaddr_in`, `sockaddr_in6`
 * or `sockaddr_un` into bytes an op can name, and {@link decodeSockaddr} reads one back (from `ACCEPT`, `RECVMSG`
 * or `socketAddress`). Every backend speaks these bytes, the `js` backend included, so the layers above never
 * care which backend runs.
 *
 * Layouts (Linux, x86-64 and arm64 alike): `sa_family` is a host-order u16 at byte 0; ports and IPv4 addresses are
 * in network order; `sockaddr_in` is 16 bytes, `sockaddr_in6` 28 (flowinfo at 4, address at 8, scope id at 24),
 * `sockaddr_un` 2 + the path + a NUL (at most 108 path bytes with the NUL).
 *
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';
import { expected } from '@zokio/future';

/** `AF_UNIX`. */
export const AF_UNIX = 1;
/** `AF_INET`. */
export const AF_INET = 2;
/** `AF_INET6`. */
export const AF_INET6 = 10;
/** `SOCK_STREAM`. */
export const SOCK_STREAM = 1;
/** `SOCK_DGRAM`. */
export const SOCK_DGRAM = 2;
/** Bytes that hold any socket address (`sizeof(struct sockaddr_storage)`). */
export const SOCKADDR_MAX_BYTES = 128;
/** Bytes a Unix socket path may take, its NUL included. */
const UNIX_PATH_MAX = 108;

/** An IPv4 or IPv6 address and port, or a Unix socket path. */
export type SocketAddress =
  | { readonly family: 'ipv4'; readonly address: string; readonly port: number }
  | {
      readonly family: 'ipv6';
      readonly address: string;
      readonly port: number;
      readonly flowinfo?: number;
      readonly scopeId?: number;
    }
  | { readonly family: 'unix'; readonly path: string };

/** The `AF_*` domain of `address`. */
export function domainOf(address: SocketAddress): number {
  switch ((address as { family?: unknown } | null)?.family) {
    case 'ipv4':
      return AF_INET;
    case 'ipv6':
      return AF_INET6;
    case 'unix':
      return AF_UNIX;
    default:
      return expected("a socket address ({ family: 'ipv4' | 'ipv6' | 'unix', … })", address, 'domainOf');
  }
}

/** The bytes `where` may write or read: a Uint8Array over a live (not detached) buffer, of at least `min` bytes. */
function checkBytes(bytes: unknown, min: number, where: string, what: string): asserts bytes is Uint8Array {
  if (!(bytes instanceof Uint8Array)) expected(`${what} as a Uint8Array`, bytes, where);
  // A detached buffer reads as 0 bytes long: refused here as too short, rather than by DataView, without "Expected".
  if (bytes.byteLength < min)
    expected(`${what} of at least ${min} bytes`, `${bytes.byteLength} bytes (a detached buffer reads as 0)`, where);
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) expected('a port from 0 to 65535', port, 'encodeSockaddr');
}

/** Parses an IPv6 text address into 16 bytes at `out[at..]`. The input is known valid (`isIPv6`). */
function writeIpv6(text: string, out: Uint8Array, at: number): void {
  let s = text;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const lastColon = s.lastIndexOf(':');
  const tail = s.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a, b, c, d] = tail.split('.').map(Number) as [number, number, number, number];
    s = `${s.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, rest] = s.includes('::') ? (s.split('::') as [string, string]) : [s, undefined];
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...new Array<string>(zeros).fill('0'), ...restGroups];
  for (let i = 0; i < 8; i++) {
    const g = parseInt(groups[i]!, 16);
    out[at + 2 * i] = g >> 8;
    out[at + 2 * i + 1] = g & 0xff;
  }
}

function readIpv6(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]!);
  // IPv4-mapped: ::ffff:a.b.c.d, as Node prints it.
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${bytes[at + 12]}.${bytes[at + 13]}.${bytes[at + 14]}.${bytes[at + 15]}`;
  }
  // Compress the longest run of two or more zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * Writes `address` as a `struct sockaddr` into `out` (at least {@link SOCKADDR_MAX_BYTES} bytes is always enough);
 * returns its length. Throws a TypeError ("Expected … got …") for a malformed address.
 *
 * @example
 * ```ts
 * import { SOCKADDR_MAX_BYTES, decodeSockaddr, encodeSockaddr } from '@zokio/io-driver';
 * const out = new Uint8Array(SOCKADDR_MAX_BYTES);
 * const length = encodeSockaddr({ family: 'ipv4', address: '127.0.0.1', port: 8080 }, out); // 16
 * decodeSockaddr(out, length); // { family: 'ipv4', address: '127.0.0.1', port: 8080 }
 * ```
 */
export function encodeSockaddr(address: SocketAddress, out: Uint8Array): number {
  // 28 bytes hold an IPv6 sockaddr; a Unix one is checked against its own length below.
  checkBytes(out, (address as { family?: unknown } | null)?.family === 'unix' ? 3 : 28, 'encodeSockaddr', 'out');
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
  switch (address?.family) {
    case 'ipv4': {
      if (!isIPv4(address.address)) expected('an IPv4 address', address.address, 'encodeSockaddr');
      checkPort(address.port);
      out.fill(0, 0, 16);
      v.setUint16(0, AF_INET, true);
      v.setUint16(2, address.port, false);
      const parts = address.address.split('.').map(Number);
      for (let i = 0; i < 4; i++) out[4 + i] = parts[i]!;
      return 16;
    }
    case 'ipv6': {
      if (!isIPv6(address.address)) expected('an IPv6 address', address.address, 'encodeSockaddr');
      checkPort(address.port);
      out.fill(0, 0, 28);
      v.setUint16(0, AF_INET6, true);
      v.setUint16(2, address.port, false);
      v.setUint32(4, address.flowinfo ?? 0, false);
      writeIpv6(address.address, out, 8);
      v.setUint32(24, address.scopeId ?? 0, true);
      return 28;
    }
    case 'unix': {
      if (typeof address.path !== 'string' || address.path.includes('\0')) {
        expected('a Unix socket path without NUL bytes', address.path, 'encodeSockaddr');
      }
      const bytes = Buffer.from(address.path, 'utf8');
      if (bytes.length === 0 || bytes.length + 1 > UNIX_PATH_MAX) {
        expected(`a Unix socket path of 1 to ${UNIX_PATH_MAX - 1} bytes`, address.path, 'encodeSockaddr');
      }
      checkBytes(out, 2 + bytes.length + 1, 'encodeSockaddr', 'out');
      v.setUint16(0, AF_UNIX, true);
      out.set(bytes, 2);
      out[2 + bytes.length] = 0;
      return 2 + bytes.length + 1;
    }
    default:
      return expected("a socket address ({ family: 'ipv4' | 'ipv6' | 'unix', … })", address, 'encodeSockaddr');
  }
}

/** Reads a `struct sockaddr` of `length` bytes from `bytes`. Throws a TypeError for an unknown family. */
export function decodeSockaddr(bytes: Uint8Array, length: number): SocketAddress {
  checkBytes(bytes, 2, 'decodeSockaddr', 'bytes');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const family = length >= 2 ? v.getUint16(0, true) : -1;
  if (family === AF_INET && length >= 16) {
    return { family: 'ipv4', address: `${bytes[4]}.${bytes[5]}.${bytes[6]}.${bytes[7]}`, port: v.getUint16(2, false) };
  }
  if (family === AF_INET6 && length >= 28) {
    return {
      family: 'ipv6',
      address: readIpv6(bytes, 8),
      port: v.getUint16(2, false),
      flowinfo: v.getUint32(4, false),
      scopeId: v.getUint32(24, true),
    };
  }
  if (family === AF_UNIX) {
    let end = 2;
    while (end < length && bytes[end] !== 0) end++;
    return { family: 'unix', path: Buffer.from(bytes.subarray(2, end)).toString('utf8') };
  }
  return expected(
    'a sockaddr of family AF_INET, AF_INET6 or AF_UNIX',
    `family ${family}, ${length} bytes`,
    'decodeSockaddr',
  );
}

/** An IPv4 address (`'239.1.2.3'`) packed in a number, `a << 24 | b << 16 | c << 8 | d` (unsigned); `undefined` if it is not one. */
export function ipv4ToNumber(address: string): number | undefined {
  if (typeof address !== 'string') expected('an IPv4 address as a string', address, 'ipv4ToNumber');
  const parts = address.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    n = n * 256 + Number(part);
  }
  return n;
}

/** The dotted form of an IPv4 address packed by {@link ipv4ToNumber}. */
export function numberToIpv4(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    expected('an IPv4 address packed in an integer from 0 to 2^32 - 1', n, 'numberToIpv4');
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
