/*
 * uring.c: raw io_uring setup, teardown and ring access (see uring.h).
 *
 * Setup flags, and why:
 * - SINGLE_ISSUER (6.0): only this thread submits; lets the kernel skip locking on the submit path.
 * - COOP_TASKRUN (5.19): completions are not delivered by interrupting the thread (IPI) while it runs JS; task
 *   work runs at the next kernel entry. A thread asleep in epoll_wait is still woken, so the ring fd still turns
 *   readable for libuv.
 * - TASKRUN_FLAG (5.19): with COOP_TASKRUN, the kernel sets IORING_SQ_TASKRUN when task work is pending, so the
 *   reaper knows to call io_uring_enter(GETEVENTS) instead of guessing.
 * - SUBMIT_ALL (5.18): a bad SQE completes with its error and submission goes on with the next, rather than
 *   stopping the batch.
 * - CLAMP (5.6): an oversized `entries` is clamped rather than refused.
 * - CQSIZE (5.5): a completion queue larger than twice the SQ. At most cq_entries ops are in the kernel at once
 *   (ring.c keeps the rest queued so the CQ can never overflow), and a server's idle connections each hold a
 *   receive there: the default two-times-256 would stall every op behind ~500 idle receives.
 * Each is dropped in turn, newest first, when the kernel answers -EINVAL; setup_flags records what stuck.
 *
 * Never used, measured inside libuv: DEFER_TASKRUN (completions wait for an io_uring_enter from the submitter,
 * so the ring fd never becomes readable and the loop sleeps forever) and SQPOLL (a kernel thread polls the SQ; its
 * completions likewise stopped waking the loop, and it burns a core).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "uring.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int sys_setup(unsigned entries, struct zk_io_uring_params *p) {
  long r = syscall(__NR_io_uring_setup, entries, p);
  return r < 0 ? -errno : (int)r;
}

static int sys_enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  long r = syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, NULL, (size_t)(_NSIG / 8));
  return r < 0 ? -errno : (int)r;
}

static int sys_register(int fd, unsigned opcode, void *arg, unsigned nr_args) {
  long r = syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
  return r < 0 ? -errno : (int)r;
}

#define BASE_FLAGS (IORING_SETUP_CLAMP)
static const uint32_t kFlagLadder[] = {
    BASE_FLAGS | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
        IORING_SETUP_SINGLE_ISSUER,
    BASE_FLAGS | IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG,
    BASE_FLAGS | IORING_SETUP_SUBMIT_ALL,
    BASE_FLAGS,
    0,
};

static void *map_region(int fd, size_t len, uint64_t off, int *err) {
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, (off_t)off);
  if (p == MAP_FAILED) {
    *err = -errno;
    return NULL;
  }
  return p;
}

static void probe_ops(struct zk_uring *r) {
  /* 256 entries: the largest ops_len the u8 field can report. */
  enum { N = 256 };
  union {
    struct zk_io_uring_probe hdr;
    unsigned char bytes[sizeof(struct zk_io_uring_probe) + N * sizeof(struct zk_io_uring_probe_op)];
  } buf;
  memset(&buf, 0, sizeof buf);
  memset(r->supported, 0, sizeof r->supported);
  if (sys_register(r->fd, IORING_REGISTER_PROBE, &buf, N) < 0) return; /* < 5.6: no probe; treat all as unknown */
  struct zk_io_uring_probe_op ops[N];
  memcpy(ops, buf.bytes + sizeof(struct zk_io_uring_probe), sizeof ops);
  unsigned len = buf.hdr.ops_len;
  for (unsigned i = 0; i < len && i < N; i++) {
    if (ops[i].flags & IO_URING_OP_SUPPORTED) r->supported[ops[i].op / 8] |= (uint8_t)(1U << (ops[i].op % 8));
  }
  r->probed = 1;
}

int zk_uring_init(struct zk_uring *r, unsigned entries, unsigned cq_entries, const char **step) {
  memset(r, 0, sizeof *r);
  r->fd = -1;
  struct zk_io_uring_params p;
  int fd = -EINVAL;
  for (size_t i = 0; i < sizeof kFlagLadder / sizeof kFlagLadder[0]; i++) {
    memset(&p, 0, sizeof p);
    p.flags = kFlagLadder[i];
    /* CQSIZE (5.5) with every rung: the CQ bounds how many ops can be in the kernel at once (see ring.c). */
    if (cq_entries > 0) {
      p.flags |= IORING_SETUP_CQSIZE;
      p.cq_entries = cq_entries < entries * 2 ? entries * 2 : cq_entries;
    }
    fd = sys_setup(entries, &p);
    if (fd != -EINVAL) break; /* success, or an error no flag change will fix (EPERM, ENOSYS, ENOMEM, ...) */
  }
  if (fd < 0) {
    *step = "io_uring_setup";
    return fd;
  }
  r->fd = fd;
  r->setup_flags = p.flags;
  r->features = p.features;
  r->sq_entries = p.sq_entries;
  r->cq_entries = p.cq_entries;

  int err = 0;
  size_t sq_len = p.sq_off.array + (size_t)p.sq_entries * sizeof(uint32_t);
  size_t cq_len = p.cq_off.cqes + (size_t)p.cq_entries * sizeof(struct zk_io_uring_cqe);
  int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single && cq_len > sq_len) sq_len = cq_len;
  r->sq_map = map_region(fd, sq_len, IORING_OFF_SQ_RING, &err);
  if (!r->sq_map) goto fail;
  r->sq_map_len = sq_len;
  if (single) {
    r->cq_map = r->sq_map;
  } else {
    r->cq_map = map_region(fd, cq_len, IORING_OFF_CQ_RING, &err);
    if (!r->cq_map) goto fail;
    r->cq_map_len = cq_len;
  }
  r->sqes_len = (size_t)p.sq_entries * sizeof(struct zk_io_uring_sqe);
  r->sqes = map_region(fd, r->sqes_len, IORING_OFF_SQES, &err);
  if (!r->sqes) goto fail;

  char *sq = r->sq_map, *cq = r->cq_map;
  r->sq_khead = (uint32_t *)(sq + p.sq_off.head);
  r->sq_ktail = (uint32_t *)(sq + p.sq_off.tail);
  r->sq_kflags = (uint32_t *)(sq + p.sq_off.flags);
  r->sq_array = (uint32_t *)(sq + p.sq_off.array);
  r->sq_mask = *(uint32_t *)(sq + p.sq_off.ring_mask);
  r->sq_tail = __atomic_load_n(r->sq_ktail, __ATOMIC_RELAXED);
  r->cq_khead = (uint32_t *)(cq + p.cq_off.head);
  r->cq_ktail = (uint32_t *)(cq + p.cq_off.tail);
  r->cqes = (struct zk_io_uring_cqe *)(cq + p.cq_off.cqes);
  r->cq_mask = *(uint32_t *)(cq + p.cq_off.ring_mask);
  /* SQ slot i always holds SQE i: the indirection array is the identity, written once. */
  for (uint32_t i = 0; i < p.sq_entries; i++) r->sq_array[i] = i;

  probe_ops(r);
  return 0;

fail:
  *step = "mmap";
  zk_uring_destroy(r);
  return err;
}

int zk_uring_destroy(struct zk_uring *r) {
  int first = 0;
  if (r->sqes && munmap(r->sqes, r->sqes_len) != 0 && !first) first = -errno;
  if (r->cq_map && r->cq_map != r->sq_map && munmap(r->cq_map, r->cq_map_len) != 0 && !first) first = -errno;
  if (r->sq_map && munmap(r->sq_map, r->sq_map_len) != 0 && !first) first = -errno;
  /* close(2) is not retried on EINTR: on Linux the fd is released either way. */
  if (r->fd >= 0 && close(r->fd) != 0 && !first && errno != EINTR) first = -errno;
  r->sqes = NULL;
  r->cq_map = r->sq_map = NULL;
  r->fd = -1;
  return first;
}

uint32_t zk_uring_sq_pending(const struct zk_uring *r) {
  return r->sq_tail - __atomic_load_n(r->sq_khead, __ATOMIC_ACQUIRE);
}

uint32_t zk_uring_sq_space(const struct zk_uring *r) { return r->sq_entries - zk_uring_sq_pending(r); }

struct zk_io_uring_sqe *zk_uring_next_sqe(struct zk_uring *r) {
  if (zk_uring_sq_space(r) == 0) return NULL;
  struct zk_io_uring_sqe *sqe = &r->sqes[r->sq_tail & r->sq_mask];
  r->sq_tail++;
  return sqe;
}

int zk_uring_submit(struct zk_uring *r) {
  /* Release: the SQE contents must be visible to the kernel before the tail that exposes them. */
  __atomic_store_n(r->sq_ktail, r->sq_tail, __ATOMIC_RELEASE);
  int total = 0;
  for (;;) {
    uint32_t pending = zk_uring_sq_pending(r);
    if (pending == 0) return total;
    int n = sys_enter(r->fd, pending, 0, 0);
    if (n == -EINTR) continue;
    if (n < 0) return total > 0 ? total : n;
    if (n == 0) return total; /* nothing consumed and no error: leave the rest for the next call */
    total += n;
  }
}

int zk_uring_get_events(struct zk_uring *r, unsigned min_complete) {
  for (;;) {
    int n = sys_enter(r->fd, 0, min_complete, IORING_ENTER_GETEVENTS);
    if (n != -EINTR) return n < 0 ? n : 0;
  }
}

uint32_t zk_uring_sq_flags(const struct zk_uring *r) { return __atomic_load_n(r->sq_kflags, __ATOMIC_ACQUIRE); }

uint32_t zk_uring_cq_ready(const struct zk_uring *r, uint32_t *head) {
  *head = *r->cq_khead; /* only we write the CQ head */
  /* Acquire: CQE contents written by the kernel are visible once we see the tail that covers them. */
  return __atomic_load_n(r->cq_ktail, __ATOMIC_ACQUIRE) - *head;
}

void zk_uring_cq_advance(struct zk_uring *r, uint32_t new_head) {
  /* Release: we are done reading those CQEs before the kernel may overwrite them. */
  __atomic_store_n(r->cq_khead, new_head, __ATOMIC_RELEASE);
}

size_t zk_uring_setup_flag_names(uint32_t flags, const char **out, size_t max) {
  static const struct { uint32_t bit; const char *name; } kNames[] = {
      {IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER"}, {IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
      {IORING_SETUP_TASKRUN_FLAG, "TASKRUN_FLAG"},   {IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL"},
      {IORING_SETUP_CLAMP, "CLAMP"},
  };
  size_t n = 0;
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0] && n < max; i++)
    if (flags & kNames[i].bit) out[n++] = kNames[i].name;
  return n;
}

size_t zk_uring_feature_names(uint32_t features, const char **out, size_t max) {
  static const struct { uint32_t bit; const char *name; } kNames[] = {
      {IORING_FEAT_SINGLE_MMAP, "SINGLE_MMAP"},   {IORING_FEAT_NODROP, "NODROP"},
      {IORING_FEAT_SUBMIT_STABLE, "SUBMIT_STABLE"}, {IORING_FEAT_RW_CUR_POS, "RW_CUR_POS"},
      {IORING_FEAT_CUR_PERSONALITY, "CUR_PERSONALITY"}, {IORING_FEAT_FAST_POLL, "FAST_POLL"},
      {IORING_FEAT_POLL_32BITS, "POLL_32BITS"},   {IORING_FEAT_SQPOLL_NONFIXED, "SQPOLL_NONFIXED"},
      {IORING_FEAT_EXT_ARG, "EXT_ARG"},           {IORING_FEAT_NATIVE_WORKERS, "NATIVE_WORKERS"},
      {IORING_FEAT_RSRC_TAGS, "RSRC_TAGS"},       {IORING_FEAT_CQE_SKIP, "CQE_SKIP"},
      {IORING_FEAT_LINKED_FILE, "LINKED_FILE"},
  };
  size_t n = 0;
  for (size_t i = 0; i < sizeof kNames / sizeof kNames[0] && n < max; i++)
    if (features & kNames[i].bit) out[n++] = kNames[i].name;
  return n;
}

const char *zk_errno_name(int err) {
  switch (err < 0 ? -err : err) {
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case EFAULT: return "EFAULT";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBUSY: return "EBUSY";
    case ENODEV: return "ENODEV";
    default: return "errno";
  }
}
