/* sockets.c: see sockets.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "sockets.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>

#include "napi_util.h"

_Static_assert(sizeof(struct iovec) == ZK_IOVEC_ENTRY_BYTES, "an iovec entry is rewritten in place as a struct iovec");

int zk_resolve_iovecs(const struct zk_arena_view *arenas, uint32_t narenas, uint8_t *table, uint32_t count,
                      struct iovec **out) {
  if (count == 0 || count > ZK_IOV_MAX) return -EINVAL;
  /* Read every entry before writing any: entry i's iovec overwrites entry i's own bytes only. */
  for (uint32_t i = 0; i < count; i++) {
    struct zk_iovec_entry e;
    memcpy(&e, table + (size_t)i * ZK_IOVEC_ENTRY_BYTES, sizeof e);
    if (e.reserved != 0) return -EINVAL;
    uint8_t *base;
    int err = zk_resolve_buf(arenas, narenas, e.arena, e.offset, e.length, &base);
    if (err) return err;
    struct iovec iov = {.iov_base = base, .iov_len = e.length};
    memcpy(table + (size_t)i * ZK_IOVEC_ENTRY_BYTES, &iov, sizeof iov);
  }
  *out = (struct iovec *)(void *)table;
  return 0;
}

int zk_resolve_addr(const struct zk_arena_view *arenas, uint32_t narenas, const struct zk_op_record *rec,
                    struct sockaddr **addr, socklen_t *len) {
  uint32_t n = zk_addr_length(rec);
  *addr = NULL;
  *len = 0;
  if (n == 0) return 0;
  if (n > sizeof(struct sockaddr_storage)) return -EINVAL;
  uint8_t *p;
  int err = zk_resolve_buf(arenas, narenas, zk_addr_arena(rec), zk_addr_offset(rec), n, &p);
  if (err) return err;
  *addr = (struct sockaddr *)(void *)p;
  *len = (socklen_t)n;
  return 0;
}

static int set_int(int fd, int level, int name, int value) {
  return setsockopt(fd, level, name, &value, sizeof value) == 0 ? 0 : -errno;
}

int zk_set_socket_option(int fd, uint32_t option, int32_t value) {
  switch ((enum zk_sockopt)option) {
    case ZK_SO_NODELAY:
      return set_int(fd, IPPROTO_TCP, TCP_NODELAY, value != 0);
    case ZK_SO_KEEPALIVE: {
      if (value <= 0) return set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 0);
      int err = set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
      if (err) return err;
      return set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, value);
    }
    case ZK_SO_REUSEADDR:
      return set_int(fd, SOL_SOCKET, SO_REUSEADDR, value != 0);
    case ZK_SO_REUSEPORT:
      return set_int(fd, SOL_SOCKET, SO_REUSEPORT, value != 0);
    case ZK_SO_BROADCAST:
      return set_int(fd, SOL_SOCKET, SO_BROADCAST, value != 0);
    case ZK_SO_V6ONLY:
      return set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, value != 0);
    case ZK_SO_RCVBUF:
      return set_int(fd, SOL_SOCKET, SO_RCVBUF, value);
    case ZK_SO_SNDBUF:
      return set_int(fd, SOL_SOCKET, SO_SNDBUF, value);
    case ZK_SO_TTL:
      return set_int(fd, IPPROTO_IP, IP_TTL, value);
    case ZK_SO_MULTICAST_LOOP:
      return set_int(fd, IPPROTO_IP, IP_MULTICAST_LOOP, value != 0);
    case ZK_SO_MULTICAST_TTL:
      return set_int(fd, IPPROTO_IP, IP_MULTICAST_TTL, value);
    case ZK_SO_MULTICAST_IF: {
      struct in_addr iface = {.s_addr = htonl((uint32_t)value)};
      return setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof iface) == 0 ? 0 : -errno;
    }
  }
  return -EINVAL;
}

int zk_set_membership(int fd, int join, uint32_t group, uint32_t iface) {
  struct ip_mreqn mreq;
  memset(&mreq, 0, sizeof mreq);
  mreq.imr_multiaddr.s_addr = htonl(group);
  mreq.imr_address.s_addr = htonl(iface);
  int rc = setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, &mreq, sizeof mreq);
  return rc == 0 ? 0 : -errno;
}

int zk_socket_address(int fd, int peer, void *out, uint32_t cap) {
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  memset(&ss, 0, sizeof ss);
  int rc = peer ? getpeername(fd, (struct sockaddr *)&ss, &len) : getsockname(fd, (struct sockaddr *)&ss, &len);
  if (rc != 0) return -errno;
  if (len > cap) return -ENOSPC;
  memcpy(out, &ss, len);
  return (int)len;
}

static napi_value number(napi_env env, int32_t v) {
  napi_value out;
  ZK_CHECK(env, napi_create_int32(env, v, &out));
  return out;
}

napi_value zk_js_socket_address(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  bool peer;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_bool(env, argv[1], &peer) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "Expected socketAddress(fd: number, peer: boolean, out: Uint8Array)");
    return NULL;
  }
  bool is_typed;
  ZK_CHECK(env, napi_is_typedarray(env, argv[2], &is_typed));
  if (!is_typed) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "Expected a Uint8Array for the address");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  ZK_CHECK(env, napi_get_typedarray_info(env, argv[2], &type, &length, &data, NULL, NULL));
  if (type != napi_uint8_array || data == NULL) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "Expected a Uint8Array (not detached) for the address");
    return NULL;
  }
  return number(env, zk_socket_address(fd, peer, data, (uint32_t)(length > UINT32_MAX ? UINT32_MAX : length)));
}

napi_value zk_js_set_membership(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  bool join;
  uint32_t group, iface;
  if (argc < 4 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_bool(env, argv[1], &join) != napi_ok ||
      napi_get_value_uint32(env, argv[2], &group) != napi_ok ||
      napi_get_value_uint32(env, argv[3], &iface) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "Expected setMembership(fd: number, join: boolean, group: number, iface: number)");
    return NULL;
  }
  return number(env, zk_set_membership(fd, join, group, iface));
}

napi_value zk_js_set_socket_option(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd, value;
  uint32_t option;
  if (argc < 3 || napi_get_value_int32(env, argv[0], &fd) != napi_ok ||
      napi_get_value_uint32(env, argv[1], &option) != napi_ok ||
      napi_get_value_int32(env, argv[2], &value) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE",
                          "Expected setSocketOption(fd: number, option: number, value: number)");
    return NULL;
  }
  return number(env, zk_set_socket_option(fd, option, value));
}
