/**
 * # @zokio/net
 *
 * Sockets on zokio's completion-based I/O driver: TCP streams and listeners (IPv4, IPv6, Unix), UDP. Every operation
 * is a lazy, cancellable future; reads and accepts are cancel-safe (nothing received is lost); writes to one stream
 * from several tasks go out whole and in order; errors have Node's shape and are `ZokioError`s.
 *
 * @packageDocumentation
 */
export { formatAddress, lookupHost, type AddressLike, type SocketAddress } from './address.js';
export { ConnectTimeoutError, IoError, NetArgumentError, UnexpectedEofError } from './errors.js';
export { TcpListener, type BindOptions } from './tcp-listener.js';
export { Incoming } from './incoming.js';
export { TcpStream, type ConnectOptions } from './tcp-stream.js';
export { ReadHalf, WriteHalf } from './split.js';
export { toDuplex } from './duplex.js';
export { UdpSocket, type Datagram, type UdpBindOptions } from './udp-socket.js';
export { UnixListener, UnixStream } from './unix.js';
