/*
 * epoll_groups.c: provided-buffer groups for the epoll backend (contract.ts, "Provided buffers"), emulated in
 * user space: io_uring keeps them in a kernel ring, here a group is a FIFO of buffer ids over (pointer, length)
 * pairs.
 *
 * Invariants:
 * - Only the loop thread touches groups: JS creates and stocks them (epoll_addon.c), and a buffer-select RECV, the
 *   only op that takes from them, always runs on the loop thread (epoll_sockets.c), never on the pool.
 * - An id is in its group's FIFO at most once (`held`), so the ring of `cap` entries can never overflow, and a buffer
 *   is never handed to two receives: after zk_group_take it belongs to JS until provided again.
 * - Buffer memory lies in registered arenas, pinned by napi_refs until teardown, so a held pointer never dangles;
 *   zk_groups_free only frees the bookkeeping.
 * - FIFO order: buffers are taken in the order they were provided, as io_uring's provided-buffer ring does.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "epoll.h"

int zk_groups_create(struct zk_bgroups *t, uint32_t id, uint32_t cap) {
  if (id < t->cap && t->by_id[id]) return -EEXIST;
  if (id >= t->cap) {
    /* Grow to the next power of two covering id: group ids are small in practice (the driver hands out the lowest
     * free one), so the table stays small. */
    uint32_t ncap = t->cap ? t->cap : 8;
    while (ncap <= id) ncap *= 2;
    struct zk_bgroup **by_id = realloc(t->by_id, ncap * sizeof *by_id);
    if (!by_id) return -ENOMEM;
    memset(by_id + t->cap, 0, (ncap - t->cap) * sizeof *by_id);
    t->by_id = by_id;
    t->cap = ncap;
  }
  struct zk_bgroup *g = calloc(1, sizeof *g);
  if (!g) return -ENOMEM;
  g->cap = cap;
  g->ring = calloc(cap, sizeof *g->ring);
  g->bufs = calloc(cap, sizeof *g->bufs);
  if (!g->ring || !g->bufs) {
    free(g->ring);
    free(g->bufs);
    free(g);
    return -ENOMEM;
  }
  t->by_id[id] = g;
  return 0;
}

struct zk_bgroup *zk_groups_get(const struct zk_bgroups *t, uint32_t id) { return id < t->cap ? t->by_id[id] : NULL; }

void zk_group_provide(struct zk_bgroup *g, uint32_t bid, uint8_t *data, uint32_t len) {
  struct zk_pbuf *b = &g->bufs[bid];
  b->data = data;
  b->len = len;
  if (b->held) return; /* already queued: keep its place, never queue an id twice */
  b->held = 1;
  g->ring[(g->head + g->count) & (g->cap - 1)] = (uint16_t)bid;
  g->count++;
}

struct zk_pbuf *zk_group_peek(struct zk_bgroup *g, uint32_t *bid) {
  if (g->count == 0) return NULL;
  *bid = g->ring[g->head & (g->cap - 1)];
  return &g->bufs[*bid];
}

void zk_group_take(struct zk_bgroup *g) {
  uint32_t bid = g->ring[g->head & (g->cap - 1)];
  g->bufs[bid].held = 0;
  g->head = (g->head + 1) & (g->cap - 1);
  g->count--;
}

void zk_groups_free(struct zk_bgroups *t) {
  for (uint32_t i = 0; i < t->cap; i++) {
    struct zk_bgroup *g = t->by_id[i];
    if (!g) continue;
    free(g->ring);
    free(g->bufs);
    free(g);
  }
  free(t->by_id);
  t->by_id = NULL;
  t->cap = 0;
}
