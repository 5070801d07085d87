/*
 * pbuf_ring.h: provided-buffer rings (IORING_REGISTER_PBUF_RING, Linux 5.19) behind Backend.createBufferGroup and
 * Backend.provideBuffer, for RECVs that let the kernel pick the buffer (contract.ts, "Provided buffers").
 *
 * A group is a ring of `entries` (a power of two) 16-byte io_uring_buf entries in page-aligned anonymous memory that
 * we own and the kernel reads: we write an entry at our private tail and publish tail+1 with a release store of the
 * u16 that overlays entry 0's `resv`; the kernel takes entries from its head (which it does not share) when a
 * selecting receive needs one, and names the buffer id in the CQE (IORING_CQE_F_BUFFER, id in the upper 16 bits).
 *
 * Invariants:
 * - `held[bid]` is 1 while the ring holds buffer `bid` (published, no CQE has named it yet). provide() refuses a
 *   held bid, so each id is in the ring at most once and the ring never holds more than `entries` live entries:
 *   the entry we overwrite at tail is always one the kernel has already consumed. Consumption is only learnt from
 *   CQEs, which come after the kernel committed its head, so our count is never below the kernel's.
 * - The contract says a completion without data (res <= 0) consumes no buffer, but the kernel commits the buffer it
 *   had selected even for EOF or an error; such a buffer is published again at once (republish) and stays held.
 * - The kernel pins the ring memory while it is registered; teardown unregisters each group, then unmaps, after the
 *   ring has quiesced (no SQE in the kernel).
 * - Only the ring's JS thread touches a group (like everything of a ring), so nothing but the tail needs atomics.
 * Groups are few (one per buffer size, in practice); lookup is a linear scan over a small pointer array.
 */
#ifndef ZOKIO_PBUF_RING_H
#define ZOKIO_PBUF_RING_H

#include <stddef.h>
#include <stdint.h>

#include "io_uring_abi.h"

struct zk_pbuf_group {
  uint16_t gid;
  uint32_t entries; /* power of two */
  uint16_t tail;    /* private tail; the kernel sees it once published */
  struct zk_io_uring_buf *ring;
  size_t ring_len; /* bytes mapped (a whole number of pages) */
  struct zk_pbuf_shadow {
    uint64_t addr;
    uint32_t len;
  } *shadow;     /* per bid: the buffer last provided, for republish */
  uint8_t *held; /* per bid: 1 while the ring holds it */
};

struct zk_pbuf_groups {
  struct zk_pbuf_group **items;
  uint32_t n, cap;
  int unsupported; /* the kernel refused PBUF_RING registration: selecting receives complete with -EOPNOTSUPP */
};

/*
 * Creates and registers group `gid` with `entries` buffers on ring fd `ring_fd`. 0, or -EINVAL (gid above 65535,
 * entries not a power of two in 1..32768), -EEXIST (gid in use), -EOPNOTSUPP (kernel without PBUF_RING), -ENOMEM,
 * or the kernel's errno.
 */
int zk_pbuf_create(struct zk_pbuf_groups *g, int ring_fd, uint32_t gid, uint32_t entries);
struct zk_pbuf_group *zk_pbuf_find(const struct zk_pbuf_groups *g, uint32_t gid);
/* Publishes buffer `bid` (addr, len already bounds-checked): 0, or -EINVAL (bid out of range, already held, len 0). */
int zk_pbuf_provide(struct zk_pbuf_group *grp, uint32_t bid, void *addr, uint32_t len);
/* A CQE named `bid` as consumed. With data (`had_data`) the buffer now belongs to JS; without, it is republished. */
void zk_pbuf_consumed(struct zk_pbuf_group *grp, uint32_t bid, int had_data);
/* Unregisters (while ring_fd is open) and frees every group. */
void zk_pbuf_free_all(struct zk_pbuf_groups *g, int ring_fd);

#endif /* ZOKIO_PBUF_RING_H */
