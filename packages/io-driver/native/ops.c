/* ops.c: see ops.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>

#include "sockets.h"
#include "userdata.h"

const char *const zk_op_names[ZK_OP_COUNT] = {
    "NOP",    "READ",    "WRITE",   "OPENAT",   "CLOSE",   "FSYNC", "STATX",   "UNLINKAT", "RENAMEAT",
    "MKDIRAT", "TIMEOUT", "CANCEL", "READV",    "WRITEV",  "SOCKET", "BIND",   "LISTEN",   "ACCEPT",
    "CONNECT", "RECV",    "SEND",   "RECVMSG",  "SENDMSG", "SHUTDOWN", "POLL_ADD",
};
const uint8_t zk_op_uring[ZK_OP_COUNT] = {
    [ZK_OP_NOP] = IORING_OP_NOP,         [ZK_OP_READ] = IORING_OP_READ,
    [ZK_OP_WRITE] = IORING_OP_WRITE,     [ZK_OP_OPENAT] = IORING_OP_OPENAT,
    [ZK_OP_CLOSE] = IORING_OP_CLOSE,     [ZK_OP_FSYNC] = IORING_OP_FSYNC,
    [ZK_OP_STATX] = IORING_OP_STATX,     [ZK_OP_UNLINKAT] = IORING_OP_UNLINKAT,
    [ZK_OP_RENAMEAT] = IORING_OP_RENAMEAT, [ZK_OP_MKDIRAT] = IORING_OP_MKDIRAT,
    [ZK_OP_TIMEOUT] = IORING_OP_TIMEOUT, [ZK_OP_CANCEL] = IORING_OP_ASYNC_CANCEL,
    [ZK_OP_READV] = IORING_OP_READV,     [ZK_OP_WRITEV] = IORING_OP_WRITEV,
    [ZK_OP_SOCKET] = IORING_OP_SOCKET,   [ZK_OP_BIND] = IORING_OP_BIND,
    [ZK_OP_LISTEN] = IORING_OP_LISTEN,   [ZK_OP_ACCEPT] = IORING_OP_ACCEPT,
    [ZK_OP_CONNECT] = IORING_OP_CONNECT, [ZK_OP_RECV] = IORING_OP_RECV,
    [ZK_OP_SEND] = IORING_OP_SEND,       [ZK_OP_RECVMSG] = IORING_OP_RECVMSG,
    [ZK_OP_SENDMSG] = IORING_OP_SENDMSG, [ZK_OP_SHUTDOWN] = IORING_OP_SHUTDOWN,
    [ZK_OP_POLL_ADD] = IORING_OP_POLL_ADD,
};
_Static_assert(sizeof zk_op_names / sizeof zk_op_names[0] == ZK_OP_COUNT, "a name per op");
_Static_assert(ZK_OP_POLL_ADD + 1 == ZK_OP_COUNT, "zk_op_names/zk_op_uring cover every op");

/* BIND and LISTEN (6.11) fall back to the syscall, done at prep: both return at once, neither ever blocks. */
static int has_sync_fallback(unsigned op) { return op == ZK_OP_BIND || op == ZK_OP_LISTEN; }

static int kernel_has(const struct zk_uring *u, unsigned op) {
  /* Without a probe (pre-5.6 kernels) submit anyway: the kernel answers -EINVAL for what it lacks. */
  return !u->probed || zk_uring_supports(u, zk_op_uring[op]);
}

int zk_op_available(const struct zk_uring *u, unsigned op) {
  return op < ZK_OP_COUNT && (has_sync_fallback(op) || (u->probed && zk_uring_supports(u, zk_op_uring[op])));
}

/* The shared resolvers (arena.h), over this ring's arena table. */
static int resolve_buf(const struct zk_prep_ctx *c, uint32_t arena, uint32_t off, uint64_t len, uint8_t **out) {
  return zk_resolve_buf(c->arenas, c->narenas, arena, off, len, out);
}

static int resolve_path(const struct zk_prep_ctx *c, uint32_t arena, uint32_t off, const char **out) {
  return zk_resolve_path(c->arenas, c->narenas, arena, off, out);
}

static int resolve_offset(double off, uint64_t *out) { return zk_resolve_offset(off, out); }

/* Completes the record at prep with `res` (an errno, or a synchronous result <= 0): a NOP tagged RESULT. */
static void complete_now(struct zk_io_uring_sqe *sqe, uint32_t token, int res) {
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = IORING_OP_NOP;
  sqe->fd = -1;
  sqe->user_data = zk_ud(token, ZK_TAG_RESULT, (uint32_t)-res);
}

static uint64_t ptr(const void *p) { return (uint64_t)(uintptr_t)p; }

/* Takes an op slot and tags the SQE with it; the last step of a prep, so that no later failure can leak it. */
static struct zk_op_slot *take_slot(struct zk_prep_ctx *c, struct zk_io_uring_sqe *sqe, uint32_t token,
                                    enum zk_slot_kind kind, int *err) {
  uint32_t slot;
  if ((*err = zk_slots_take(c->slots, token, kind, &slot))) return NULL;
  sqe->user_data = zk_ud(token, ZK_TAG_SLOT, slot);
  return zk_slots_get(c->slots, slot);
}

static int prep_msg(struct zk_prep_ctx *c, const struct zk_op_record *rec, struct zk_io_uring_sqe *sqe, int send) {
  uint8_t *buf;
  struct sockaddr *addr;
  socklen_t addrlen;
  int err;
  if ((err = resolve_buf(c, rec->buf_arena, rec->buf_offset, rec->buf_length, &buf))) return err;
  if ((err = zk_resolve_addr(c->arenas, c->narenas, rec, &addr, &addrlen))) return err;
  struct zk_op_slot *s = take_slot(c, sqe, rec->token, send ? ZK_SLOT_SENDMSG : ZK_SLOT_RECVMSG, &err);
  if (!s) return err;
  s->u.msg.iov.iov_base = buf;
  s->u.msg.iov.iov_len = rec->buf_length;
  s->u.msg.hdr.msg_name = addr;
  s->u.msg.hdr.msg_namelen = addrlen; /* RECVMSG: capacity in, the source address's length out (aux) */
  s->u.msg.hdr.msg_iov = &s->u.msg.iov;
  s->u.msg.hdr.msg_iovlen = 1;
  sqe->addr = ptr(&s->u.msg.hdr);
  sqe->len = 1;
  sqe->op_flags = rec->arg | (send ? (uint32_t)MSG_NOSIGNAL : 0U);
  return 0;
}

static int prep_recv(struct zk_prep_ctx *c, const struct zk_op_record *rec, struct zk_io_uring_sqe *sqe) {
  int err;
  sqe->op_flags = rec->arg; /* MSG_* */
  if (!(rec->mode & ZK_MODE_BUFFER_SELECT)) {
    uint8_t *buf;
    /* io_uring's multishot recv always selects buffers: without a group there is nothing to receive into. */
    if (rec->mode & ZK_MODE_MULTISHOT) return -EINVAL;
    if ((err = resolve_buf(c, rec->buf_arena, rec->buf_offset, rec->buf_length, &buf))) return err;
    sqe->addr = ptr(buf);
    sqe->len = rec->buf_length;
    return 0;
  }
  uint32_t gid = rec->mode & ZK_GROUP_MASK;
  if (!zk_pbuf_find(c->pbufs, gid)) return c->pbufs->unsupported ? -EOPNOTSUPP : -ENOBUFS;
  sqe->flags |= IOSQE_BUFFER_SELECT;
  sqe->buf_index = (uint16_t)gid;
  sqe->addr = 0;
  sqe->len = 0; /* 0: up to the selected buffer's length */
  if (rec->mode & ZK_MODE_MULTISHOT) sqe->ioprio |= IORING_RECV_MULTISHOT;
  struct zk_op_slot *s = take_slot(c, sqe, rec->token, ZK_SLOT_SELECT, &err);
  if (!s) return err;
  s->group = (uint16_t)gid; /* the reaper books the CQE's buffer id against this group */
  return 0;
}

void zk_prep_sqe(struct zk_prep_ctx *c, const struct zk_op_record *rec, struct zk_io_uring_sqe *sqe) {
  uint32_t token = rec->token;
  if (rec->opcode >= ZK_OP_COUNT) {
    complete_now(sqe, token, -EINVAL);
    return;
  }
  int native = kernel_has(c->uring, rec->opcode);
  if (!native && !has_sync_fallback(rec->opcode)) {
    complete_now(sqe, token, -EOPNOTSUPP);
    return;
  }

  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = zk_op_uring[rec->opcode];
  sqe->fd = rec->fd;
  sqe->user_data = zk_ud(token, ZK_TAG_PLAIN, 0);
  int err = 0;
  uint8_t *buf = NULL;
  const char *path = NULL, *path2 = NULL;
  uint64_t off = 0;
  struct sockaddr *addr = NULL;
  socklen_t addrlen = 0;

  switch ((enum zk_op)rec->opcode) {
    case ZK_OP_NOP:
      sqe->fd = -1;
      break;
    case ZK_OP_READ:
    case ZK_OP_WRITE:
      if ((err = resolve_buf(c, rec->buf_arena, rec->buf_offset, rec->buf_length, &buf))) break;
      if ((err = resolve_offset(rec->offset, &off))) break;
      sqe->addr = ptr(buf);
      sqe->len = rec->buf_length;
      sqe->off = off;
      /* A registered arena is fixed buffer `arena id`: the kernel skips pinning the pages on every op. */
      if (c->fixed && rec->buf_arena < c->nfixed && c->fixed[rec->buf_arena]) {
        sqe->opcode = rec->opcode == ZK_OP_READ ? IORING_OP_READ_FIXED : IORING_OP_WRITE_FIXED;
        sqe->buf_index = (uint16_t)rec->buf_arena;
      }
      break;
    case ZK_OP_READV:
    case ZK_OP_WRITEV: {
      struct iovec *iov;
      uint32_t count = rec->arg;
      if (count == 0 || count > ZK_IOV_MAX) {
        err = -EINVAL;
        break;
      }
      if ((err = resolve_offset(rec->offset, &off))) break;
      if ((err = resolve_buf(c, rec->buf_arena, rec->buf_offset, (uint64_t)count * ZK_IOVEC_ENTRY_BYTES, &buf))) break;
      /* In place: the table is ours until the final CQE (contract rule 2), and the kernel reads it at issue time. */
      if ((err = zk_resolve_iovecs(c->arenas, c->narenas, buf, count, &iov))) break;
      sqe->addr = ptr(iov);
      sqe->len = count;
      sqe->off = off;
      break;
    }
    case ZK_OP_OPENAT:
      if ((err = resolve_path(c, rec->path_arena, rec->path_offset, &path))) break;
      sqe->addr = ptr(path);
      sqe->len = rec->mode;
      /* Always close-on-exec, as libuv and Node's fs do: a child process must not inherit the runtime's fds. */
      sqe->op_flags = rec->arg | (uint32_t)O_CLOEXEC;
      break;
    case ZK_OP_CLOSE:
      break;
    case ZK_OP_FSYNC:
      sqe->op_flags = (rec->arg & 1U) ? IORING_FSYNC_DATASYNC : 0;
      break;
    case ZK_OP_STATX:
      if (rec->buf_length < ZK_STATX_BYTES) {
        err = -EINVAL;
        break;
      }
      if ((err = resolve_buf(c, rec->buf_arena, rec->buf_offset, ZK_STATX_BYTES, &buf))) break;
      if ((err = resolve_path(c, rec->path_arena, rec->path_offset, &path))) break;
      sqe->addr = ptr(path);
      sqe->off = ptr(buf);       /* addr2: the struct statx */
      sqe->len = rec->arg;       /* STATX_* mask */
      sqe->op_flags = rec->mode; /* AT_* flags */
      break;
    case ZK_OP_UNLINKAT:
      if ((err = resolve_path(c, rec->path_arena, rec->path_offset, &path))) break;
      sqe->addr = ptr(path);
      sqe->op_flags = rec->arg; /* AT_REMOVEDIR */
      break;
    case ZK_OP_RENAMEAT:
      if ((err = resolve_path(c, rec->path_arena, rec->path_offset, &path))) break;
      if ((err = resolve_path(c, rec->path2_arena, rec->path2_offset, &path2))) break;
      sqe->addr = ptr(path);
      sqe->off = ptr(path2);         /* addr2 */
      sqe->len = (uint32_t)rec->fd2; /* new dirfd */
      sqe->op_flags = rec->arg;      /* RENAME_* flags */
      break;
    case ZK_OP_MKDIRAT:
      if ((err = resolve_path(c, rec->path_arena, rec->path_offset, &path))) break;
      sqe->addr = ptr(path);
      sqe->len = rec->mode;
      break;
    case ZK_OP_TIMEOUT: {
      struct zk_op_slot *s = take_slot(c, sqe, token, ZK_SLOT_TIMEOUT, &err);
      if (!s) break;
      s->u.ts.tv_sec = rec->arg / 1000U;
      s->u.ts.tv_nsec = (int64_t)(rec->arg % 1000U) * 1000000;
      sqe->fd = -1;
      sqe->addr = ptr(&s->u.ts);
      sqe->len = 1;      /* one timespec */
      sqe->off = 0;      /* completion count 0: a pure timer, completes only on expiry (-ETIME) or cancel */
      sqe->op_flags = 0; /* relative */
      break;
    }
    case ZK_OP_CANCEL: {
      /* The target's user_data is its token, unless it holds a slot (its user_data then carries the slot). */
      uint32_t slot;
      uint64_t target = zk_ud(rec->arg, ZK_TAG_PLAIN, 0);
      if (zk_slots_find(c->slots, rec->arg, &slot)) target = zk_ud(rec->arg, ZK_TAG_SLOT, slot);
      sqe->fd = -1;
      sqe->addr = target;
      break;
    }
    case ZK_OP_SOCKET:
      sqe->fd = (int32_t)rec->arg;                       /* domain */
      sqe->off = (uint64_t)(rec->mode | SOCK_CLOEXEC);   /* type */
      sqe->len = (uint32_t)rec->fd2;                     /* protocol */
      break;
    case ZK_OP_BIND:
      if ((err = zk_resolve_addr(c->arenas, c->narenas, rec, &addr, &addrlen))) break;
      if (!addr) {
        err = -EINVAL;
        break;
      }
      if (!native) {
        complete_now(sqe, token, bind(rec->fd, addr, addrlen) == 0 ? 0 : -errno);
        return;
      }
      sqe->addr = ptr(addr);
      sqe->off = addrlen;
      break;
    case ZK_OP_LISTEN:
      if (!native) {
        complete_now(sqe, token, listen(rec->fd, (int)rec->arg) == 0 ? 0 : -errno);
        return;
      }
      sqe->len = rec->arg; /* backlog */
      break;
    case ZK_OP_ACCEPT:
      sqe->op_flags = SOCK_CLOEXEC; /* accept_flags */
      if (rec->mode & ZK_MODE_MULTISHOT) {
        sqe->ioprio |= IORING_ACCEPT_MULTISHOT; /* no address: one socklen_t could not serve many accepts */
        break;
      }
      if ((err = zk_resolve_addr(c->arenas, c->narenas, rec, &addr, &addrlen))) break;
      if (addr) {
        struct zk_op_slot *s = take_slot(c, sqe, token, ZK_SLOT_ACCEPT, &err);
        if (!s) break;
        s->u.addrlen = addrlen; /* capacity in; the peer address's length out, reported in aux */
        sqe->addr = ptr(addr);
        sqe->off = ptr(&s->u.addrlen); /* addr2 */
      }
      break;
    case ZK_OP_CONNECT:
      if ((err = zk_resolve_addr(c->arenas, c->narenas, rec, &addr, &addrlen))) break;
      if (!addr) {
        err = -EINVAL;
        break;
      }
      sqe->addr = ptr(addr);
      sqe->off = addrlen;
      break;
    case ZK_OP_RECV:
      err = prep_recv(c, rec, sqe);
      break;
    case ZK_OP_SEND:
      if ((err = resolve_buf(c, rec->buf_arena, rec->buf_offset, rec->buf_length, &buf))) break;
      sqe->addr = ptr(buf);
      sqe->len = rec->buf_length;
      sqe->op_flags = rec->arg | (uint32_t)MSG_NOSIGNAL; /* a closed peer is -EPIPE, never a SIGPIPE */
      break;
    case ZK_OP_RECVMSG:
      err = prep_msg(c, rec, sqe, 0);
      break;
    case ZK_OP_SENDMSG:
      err = prep_msg(c, rec, sqe, 1);
      break;
    case ZK_OP_SHUTDOWN:
      sqe->len = rec->arg; /* how */
      break;
    case ZK_OP_POLL_ADD:
      sqe->op_flags = rec->arg; /* poll32_events (little-endian: the plain mask) */
      if (rec->mode & ZK_MODE_MULTISHOT) sqe->len = IORING_POLL_ADD_MULTI;
      break;
    case ZK_OP_COUNT:
      err = -EINVAL;
      break;
  }
  if (err) complete_now(sqe, token, err);
}
