/*
 * timeouts.h: native storage for TIMEOUT ops' __kernel_timespec, plus a token -> slot index so that a CANCEL can
 * name a timeout's exact user_data.
 *
 * Ownership: a slot is taken when a TIMEOUT record is prepared (flush) and released when its final CQE is reaped.
 * The kernel copies the timespec when it prepares the SQE, but the SQE may wait in the overflow queue first, so the
 * slot lives until completion, and slots never move: they are carved from fixed chunks that are only freed with
 * the table. Slot numbers fit in 24 bits (they ride in user_data, see userdata.h).
 */
#ifndef ZOKIO_TIMEOUTS_H
#define ZOKIO_TIMEOUTS_H

#include <stdint.h>

#include "io_uring_abi.h"

#define ZK_TIMEOUT_CHUNK 256U
#define ZK_TIMEOUT_MAX_SLOTS (1U << 24)

struct zk_timeout_slot {
  struct zk_kernel_timespec ts;
  uint32_t token;
  uint32_t next_free; /* free-list link while free */
};

struct zk_hash_entry {
  uint32_t token;
  uint32_t slot_plus1; /* 0 = empty */
};

struct zk_timeouts {
  struct zk_timeout_slot **chunks;
  uint32_t nchunks, chunks_cap;
  uint32_t free_head; /* UINT32_MAX when empty */
  uint32_t live;
  struct zk_hash_entry *hash; /* open addressing, linear probing, load <= 1/2 */
  uint32_t hash_cap;          /* power of two, or 0 */
};

void zk_timeouts_init(struct zk_timeouts *t);
/* Takes a slot for `token`: returns 0 and the slot, or -ENOMEM. */
int zk_timeouts_take(struct zk_timeouts *t, uint32_t token, uint32_t *slot);
struct zk_kernel_timespec *zk_timeouts_ts(struct zk_timeouts *t, uint32_t slot);
/* Releases a slot taken by zk_timeouts_take (its final CQE was reaped). */
void zk_timeouts_release(struct zk_timeouts *t, uint32_t slot);
/* Finds a live timeout's slot by token: 1 if found. */
int zk_timeouts_find(const struct zk_timeouts *t, uint32_t token, uint32_t *slot);
void zk_timeouts_free_all(struct zk_timeouts *t);

#endif /* ZOKIO_TIMEOUTS_H */
