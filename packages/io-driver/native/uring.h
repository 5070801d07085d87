/*
 * uring.h: one io_uring instance over raw syscalls: setup with a flag fallback ladder, the three mmaps, SQE
 * acquisition, submission, and CQ access. Knows nothing about Node: ring.c drives it from the libuv loop.
 *
 * Threading: a ring is touched by exactly one thread (the JS thread of the napi_env that created it), which is also
 * what IORING_SETUP_SINGLE_ISSUER promises the kernel. The only cross-party sharing is with the kernel, through the
 * mmapped head/tail words, hence the acquire/release accesses below.
 */
#ifndef ZOKIO_URING_H
#define ZOKIO_URING_H

#include <stddef.h>
#include <stdint.h>

#include "io_uring_abi.h"

struct zk_uring {
  int fd; /* ring fd, -1 when not set up */
  uint32_t setup_flags; /* the IORING_SETUP_* flags the kernel accepted */
  uint32_t features;    /* IORING_FEAT_* */
  uint32_t sq_entries, cq_entries;

  void *sq_map; size_t sq_map_len; /* SQ ring (also the CQ ring with IORING_FEAT_SINGLE_MMAP) */
  void *cq_map; size_t cq_map_len; /* == sq_map when single-mmapped; then cq_map_len is 0 */
  struct zk_io_uring_sqe *sqes; size_t sqes_len;

  /* SQ: kernel-shared words, and our private tail (published with a release store on submit). */
  uint32_t *sq_khead, *sq_ktail, *sq_kflags, *sq_array;
  uint32_t sq_mask, sq_tail;
  /* CQ: kernel-shared words. */
  uint32_t *cq_khead, *cq_ktail;
  struct zk_io_uring_cqe *cqes;
  uint32_t cq_mask;

  /* Opcodes the kernel supports (IORING_REGISTER_PROBE), one bit per opcode; all zero if probing failed. */
  uint8_t supported[256 / 8];
  int probed;
};

/*
 * Sets up a ring with at least `entries` SQ entries. Returns 0, or a negated errno with *step naming the syscall
 * that failed ("io_uring_setup", "mmap"). On failure nothing is left open.
 */
/* cq_entries 0: the kernel's default (twice entries); else IORING_SETUP_CQSIZE with that many (clamped). */
int zk_uring_init(struct zk_uring *r, unsigned entries, unsigned cq_entries, const char **step);
/* Unmaps and closes; safe on a zeroed or half-initialised ring. Returns 0 or the first negated errno seen. */
int zk_uring_destroy(struct zk_uring *r);

/* Free SQ slots. */
uint32_t zk_uring_sq_space(const struct zk_uring *r);
/* Next free SQE (to be filled completely by the caller), or NULL when the SQ is full. */
struct zk_io_uring_sqe *zk_uring_next_sqe(struct zk_uring *r);
/* SQEs placed but not yet consumed by the kernel. */
uint32_t zk_uring_sq_pending(const struct zk_uring *r);
/*
 * Publishes the SQ tail and submits every pending SQE, retrying on EINTR. Returns how many the kernel consumed,
 * or -EAGAIN / -EBUSY when it took none for lack of resources (the SQEs stay queued; retry after reaping), or
 * another negated errno.
 */
int zk_uring_submit(struct zk_uring *r);
/* io_uring_enter(GETEVENTS) with min_complete: runs pending task work, flushes overflowed CQEs, optionally waits. */
int zk_uring_get_events(struct zk_uring *r, unsigned min_complete);
/* SQ ring flags word (IORING_SQ_TASKRUN, IORING_SQ_CQ_OVERFLOW). */
uint32_t zk_uring_sq_flags(const struct zk_uring *r);

/* CQ: number of ready CQEs, access by index from head, and consumption (release store of the head). */
uint32_t zk_uring_cq_ready(const struct zk_uring *r, uint32_t *head);
static inline const struct zk_io_uring_cqe *zk_uring_cqe_at(const struct zk_uring *r, uint32_t index) {
  return &r->cqes[index & r->cq_mask];
}
void zk_uring_cq_advance(struct zk_uring *r, uint32_t new_head);

static inline int zk_uring_supports(const struct zk_uring *r, unsigned op) {
  return op < 256 && (r->supported[op / 8] >> (op % 8)) & 1;
}

/* Names of accepted setup flags / features, for probe(): fills up to `max` static strings, returns the count. */
size_t zk_uring_setup_flag_names(uint32_t flags, const char **out, size_t max);
size_t zk_uring_feature_names(uint32_t features, const char **out, size_t max);
/* "EPERM", "ENOSYS", ...: a static string for the errno values setup and mmap can produce. */
const char *zk_errno_name(int err);

#endif /* ZOKIO_URING_H */
