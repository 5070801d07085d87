/* ops.c: see ops.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ops.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "userdata.h"

const char *const zk_op_names[ZK_OP_COUNT] = {
    "NOP", "READ", "WRITE", "OPENAT", "CLOSE", "FSYNC", "STATX", "UNLINKAT", "RENAMEAT", "MKDIRAT", "TIMEOUT", "CANCEL",
};
const uint8_t zk_op_uring[ZK_OP_COUNT] = {
    IORING_OP_NOP,    IORING_OP_READ,     IORING_OP_WRITE,    IORING_OP_OPENAT,
    IORING_OP_CLOSE,  IORING_OP_FSYNC,    IORING_OP_STATX,    IORING_OP_UNLINKAT,
    IORING_OP_RENAMEAT, IORING_OP_MKDIRAT, IORING_OP_TIMEOUT, IORING_OP_ASYNC_CANCEL,
};

/* The shared resolvers (arena.h), over this ring's arena table. */
static int resolve_buf(const struct zk_prep_ctx *c, uint32_t arena, uint32_t off, uint64_t len, uint8_t **out) {
  return zk_resolve_buf(c->arenas, c->narenas, arena, off, len, out);
}

static int resolve_path(const struct zk_prep_ctx *c, uint32_t arena, uint32_t off, const char **out) {
  return zk_resolve_path(c->arenas, c->narenas, arena, off, out);
}

static int resolve_offset(double off, uint64_t *out) { return zk_resolve_offset(off, out); }

static void fail(struct zk_io_uring_sqe *sqe, uint32_t token, int err) {
  memset(sqe, 0, sizeof *sqe);
  sqe->opcode = IORING_OP_NOP;
  sqe->fd = -1;
  sqe->user_data = zk_ud(token, ZK_TAG_FAILED, (uint32_t)-err);
}

void zk_prep_sqe(struct zk_prep_ctx *c, const struct zk_op_record *rec, struct zk_io_uring_sqe *sqe) {
  uint32_t token = rec->token;
  if (rec->opcode >= ZK_OP_COUNT) {
    fail(sqe, token, -EINVAL);
    return;
  }
  /* Without a probe (pre-5.6 kernels) submit anyway: the kernel answers -EINVAL for what it lacks. */
  if (c->uring->probed && !zk_uring_supports(c->uring, zk_op_uring[rec->opcode])) {
    fail(sqe, token, -EOPNOTSUPP);
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

  switch ((enum zk_op)rec->opcode) {
    case ZK_OP_NOP:
      sqe->fd = -1;
      break;
    case ZK_OP_READ:
    case ZK_OP_WRITE:
      if ((err = resolve_buf(c, rec->buf_arena, rec->buf_offset, rec->buf_length, &buf))) break;
      if ((err = resolve_offset(rec->offset, &off))) break;
      sqe->addr = (uint64_t)(uintptr_t)buf;
      sqe->len = rec->buf_length;
      sqe->off = off;
      break;
    case ZK_OP_OPENAT:
      if ((err = resolve_path(c, rec->path_arena, rec->path_offset, &path))) break;
      sqe->addr = (uint64_t)(uintptr_t)path;
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
      sqe->addr = (uint64_t)(uintptr_t)path;
      sqe->off = (uint64_t)(uintptr_t)buf; /* addr2: the struct statx */
      sqe->len = rec->arg;                  /* STATX_* mask */
      sqe->op_flags = rec->mode;            /* AT_* flags */
      break;
    case ZK_OP_UNLINKAT:
      if ((err = resolve_path(c, rec->path_arena, rec->path_offset, &path))) break;
      sqe->addr = (uint64_t)(uintptr_t)path;
      sqe->op_flags = rec->arg; /* AT_REMOVEDIR */
      break;
    case ZK_OP_RENAMEAT:
      if ((err = resolve_path(c, rec->path_arena, rec->path_offset, &path))) break;
      if ((err = resolve_path(c, rec->path2_arena, rec->path2_offset, &path2))) break;
      sqe->addr = (uint64_t)(uintptr_t)path;
      sqe->off = (uint64_t)(uintptr_t)path2; /* addr2 */
      sqe->len = (uint32_t)rec->fd2;         /* new dirfd */
      sqe->op_flags = rec->arg;              /* RENAME_* flags */
      break;
    case ZK_OP_MKDIRAT:
      if ((err = resolve_path(c, rec->path_arena, rec->path_offset, &path))) break;
      sqe->addr = (uint64_t)(uintptr_t)path;
      sqe->len = rec->mode;
      break;
    case ZK_OP_TIMEOUT: {
      uint32_t slot;
      if ((err = zk_timeouts_take(c->timeouts, token, &slot))) break;
      struct zk_kernel_timespec *ts = zk_timeouts_ts(c->timeouts, slot);
      ts->tv_sec = rec->arg / 1000U;
      ts->tv_nsec = (int64_t)(rec->arg % 1000U) * 1000000;
      sqe->fd = -1;
      sqe->addr = (uint64_t)(uintptr_t)ts;
      sqe->len = 1;        /* one timespec */
      sqe->off = 0;        /* completion count 0: a pure timer, completes only on expiry (-ETIME) or cancel */
      sqe->op_flags = 0;   /* relative */
      sqe->user_data = zk_ud(token, ZK_TAG_TIMEOUT, slot);
      break;
    }
    case ZK_OP_CANCEL: {
      /* The target's user_data is its token, unless it is a live TIMEOUT (whose user_data carries its slot). */
      uint32_t slot;
      uint64_t target = zk_ud(rec->arg, ZK_TAG_PLAIN, 0);
      if (zk_timeouts_find(c->timeouts, rec->arg, &slot)) target = zk_ud(rec->arg, ZK_TAG_TIMEOUT, slot);
      sqe->fd = -1;
      sqe->addr = target;
      break;
    }
    case ZK_OP_COUNT:
      err = -EINVAL;
      break;
  }
  if (err) fail(sqe, token, err);
}
