/*
 * op_slots.h: per-op native storage ("op slots") for memory the kernel reads or writes after submission, plus a
 * token -> slot index so that a CANCEL can name such an op's exact user_data. A slot holds:
 *   - TIMEOUT: its __kernel_timespec;
 *   - ACCEPT (single-shot, with an address): the socklen_t the kernel reads as the capacity and writes back as the
 *     peer address's length (reported in the completion's aux);
 *   - RECVMSG / SENDMSG: the struct msghdr and its one struct iovec (the kernel reads them at prep or issue time,
 *     and RECVMSG writes msg_namelen back; reported in aux);
 *   - RECV with a provided buffer: the group id, so that the CQE's buffer id can be booked against its group.
 *
 * Ownership: a slot is taken when its op's record is prepared (flush) and released when the op's *final* CQE is
 * reaped (one without IORING_CQE_F_MORE), cancelled or not: the SQE may wait in the overflow queue, and an async
 * op may be (re)issued from a kernel worker at any time before its final CQE, so nothing shorter is safe. Slots
 * never move: they are carved from fixed chunks that are only freed with the table. Release is idempotent per
 * take (a `live` flag), so a slot can never be freed twice. Slot numbers fit in 24 bits (they ride in user_data,
 * see userdata.h).
 */
#ifndef ZOKIO_OP_SLOTS_H
#define ZOKIO_OP_SLOTS_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "io_uring_abi.h"

#define ZK_SLOT_CHUNK 256U
#define ZK_SLOT_MAX (1U << 24)

enum zk_slot_kind {
  ZK_SLOT_TIMEOUT = 1, /* u.ts */
  ZK_SLOT_ACCEPT = 2,  /* u.addrlen */
  ZK_SLOT_RECVMSG = 3, /* u.msg */
  ZK_SLOT_SENDMSG = 4, /* u.msg */
  ZK_SLOT_SELECT = 5,  /* group */
};

struct zk_op_slot {
  union {
    struct zk_kernel_timespec ts;
    socklen_t addrlen;
    struct {
      struct msghdr hdr;
      struct iovec iov;
    } msg;
  } u;
  uint32_t token;
  uint32_t next_free; /* free-list link while free */
  uint16_t group;     /* ZK_SLOT_SELECT: the provided-buffer group */
  uint8_t kind;       /* enum zk_slot_kind */
  uint8_t live;       /* 1 between take and release */
};

struct zk_hash_entry {
  uint32_t token;
  uint32_t slot_plus1; /* 0 = empty */
};

struct zk_slots {
  struct zk_op_slot **chunks;
  uint32_t nchunks, chunks_cap;
  uint32_t free_head; /* UINT32_MAX when empty */
  uint32_t live;
  struct zk_hash_entry *hash; /* open addressing, linear probing, load <= 1/2 */
  uint32_t hash_cap;          /* power of two, or 0 */
};

void zk_slots_init(struct zk_slots *t);
/* Takes a zeroed slot of `kind` for `token`: returns 0 and the slot, or -ENOMEM. */
int zk_slots_take(struct zk_slots *t, uint32_t token, enum zk_slot_kind kind, uint32_t *slot);
/* The slot's storage, or NULL for a number that was never handed out. */
struct zk_op_slot *zk_slots_get(struct zk_slots *t, uint32_t slot);
/* Releases a slot taken by zk_slots_take (its op's final CQE was reaped); a second release is ignored. */
void zk_slots_release(struct zk_slots *t, uint32_t slot);
/* Finds a live slot by its op's token: 1 if found. */
int zk_slots_find(const struct zk_slots *t, uint32_t token, uint32_t *slot);
void zk_slots_free_all(struct zk_slots *t);

#endif /* ZOKIO_OP_SLOTS_H */
