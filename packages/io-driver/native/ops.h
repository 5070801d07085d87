/*
 * ops.h: translation of one contract op record (contract.h) into one io_uring SQE.
 *
 * Every record yields exactly one SQE, hence exactly one CQE: a record that names memory outside a registered
 * arena, an unknown opcode, or an op the kernel lacks becomes a NOP tagged FAILED (userdata.h) whose completion
 * carries the error. Nothing is ever submitted with a pointer that was not bounds-checked.
 */
#ifndef ZOKIO_OPS_H
#define ZOKIO_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "contract.h"
#include "io_uring_abi.h"
#include "timeouts.h"
#include "uring.h"


struct zk_prep_ctx {
  const struct zk_arena_view *arenas; /* indexed by arena id */
  uint32_t narenas;
  struct zk_timeouts *timeouts;
  const struct zk_uring *uring; /* for the probe bitmap */
};

/* Fills *sqe completely from *rec. */
void zk_prep_sqe(struct zk_prep_ctx *ctx, const struct zk_op_record *rec, struct zk_io_uring_sqe *sqe);

/* Contract op names, indexed by enum zk_op, and the io_uring opcode each needs. */
extern const char *const zk_op_names[ZK_OP_COUNT];
extern const uint8_t zk_op_uring[ZK_OP_COUNT];

#endif /* ZOKIO_OPS_H */
