/*
 * ops.h: translation of one contract op record (contract.h) into one io_uring SQE.
 *
 * Every record yields exactly one SQE, hence exactly one *final* CQE (multishot ops may post earlier ones with
 * IORING_CQE_F_MORE): a record that names memory outside a registered arena, an unknown opcode, or an op the kernel
 * lacks becomes a NOP tagged RESULT (userdata.h) whose completion carries the error; so does BIND/LISTEN on kernels
 * without them, done synchronously here (they never block) with the syscall's result. Nothing is ever submitted with
 * a pointer that was not bounds-checked, and every pointer an SQE carries stays valid until the op's final CQE:
 * arena memory is pinned for the ring's life, and what is not in an arena (a socklen_t, a msghdr) lives in an op
 * slot (op_slots.h) released by the reaper at the final CQE.
 */
#ifndef ZOKIO_OPS_H
#define ZOKIO_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "contract.h"
#include "io_uring_abi.h"
#include "pbuf_ring.h"
#include "op_slots.h"
#include "uring.h"

struct zk_prep_ctx {
  const struct zk_arena_view *arenas; /* indexed by arena id */
  uint32_t narenas;
  struct zk_slots *slots;
  const struct zk_uring *uring;        /* for the probe bitmap */
  const struct zk_pbuf_groups *pbufs;  /* provided-buffer groups, for buffer-select RECVs */
  const uint8_t *fixed;                /* per arena id: 1 when registered as fixed buffer `id`; NULL: none */
  uint32_t nfixed;
};

/* Fills *sqe completely from *rec. */
void zk_prep_sqe(struct zk_prep_ctx *ctx, const struct zk_op_record *rec, struct zk_io_uring_sqe *sqe);

/* Whether contract op `op` can run on this ring (the kernel has its opcode, or the backend has a fallback). */
int zk_op_available(const struct zk_uring *u, unsigned op);

/* Contract op names, indexed by enum zk_op, and the io_uring opcode each needs. */
extern const char *const zk_op_names[ZK_OP_COUNT];
extern const uint8_t zk_op_uring[ZK_OP_COUNT];

#endif /* ZOKIO_OPS_H */
