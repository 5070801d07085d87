/* pbuf_ring.c: see pbuf_ring.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "pbuf_ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static int sys_register(int fd, unsigned opcode, void *arg, unsigned nr_args) {
  long r = syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
  return r < 0 ? -errno : (int)r;
}

static uint16_t *tail_word(struct zk_pbuf_group *grp) {
  return (uint16_t *)(void *)((uint8_t *)grp->ring + ZK_IO_URING_BUF_RING_TAIL_OFFSET);
}

static void free_group(struct zk_pbuf_group *grp) {
  if (grp->ring) munmap(grp->ring, grp->ring_len);
  free(grp->shadow);
  free(grp->held);
  free(grp);
}

struct zk_pbuf_group *zk_pbuf_find(const struct zk_pbuf_groups *g, uint32_t gid) {
  for (uint32_t i = 0; i < g->n; i++)
    if (g->items[i]->gid == gid) return g->items[i];
  return NULL;
}

int zk_pbuf_create(struct zk_pbuf_groups *g, int ring_fd, uint32_t gid, uint32_t entries) {
  if (gid > 0xffffU || entries == 0 || entries > 32768U || (entries & (entries - 1)) != 0) return -EINVAL;
  if (zk_pbuf_find(g, gid)) return -EEXIST;
  if (g->unsupported) return -EOPNOTSUPP;
  if (g->n == g->cap) {
    uint32_t cap = g->cap ? g->cap * 2 : 4;
    struct zk_pbuf_group **items = realloc(g->items, cap * sizeof *items);
    if (!items) return -ENOMEM;
    g->items = items;
    g->cap = cap;
  }
  struct zk_pbuf_group *grp = calloc(1, sizeof *grp);
  if (!grp) return -ENOMEM;
  grp->gid = (uint16_t)gid;
  grp->entries = entries;
  long page = sysconf(_SC_PAGESIZE);
  size_t psz = page > 0 ? (size_t)page : 4096;
  size_t bytes = (size_t)entries * sizeof(struct zk_io_uring_buf);
  grp->ring_len = (bytes + psz - 1) / psz * psz;
  /* Anonymous memory: page aligned (the kernel requires it) and zeroed, so the published tail starts at 0. */
  void *mem = mmap(NULL, grp->ring_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  grp->shadow = calloc(entries, sizeof *grp->shadow);
  grp->held = calloc(entries, 1);
  if (mem == MAP_FAILED || !grp->shadow || !grp->held) {
    if (mem != MAP_FAILED) munmap(mem, grp->ring_len);
    free(grp->shadow);
    free(grp->held);
    free(grp);
    return -ENOMEM;
  }
  grp->ring = mem;
  struct zk_io_uring_buf_reg reg;
  memset(&reg, 0, sizeof reg);
  reg.ring_addr = (uint64_t)(uintptr_t)mem;
  reg.ring_entries = entries;
  reg.bgid = (uint16_t)gid;
  int err = sys_register(ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1);
  if (err < 0) {
    free_group(grp);
    /* Kernels before 5.19 do not know the opcode: EINVAL. Our arguments are valid, so EINVAL means unsupported. */
    if (err == -EINVAL || err == -EOPNOTSUPP) {
      g->unsupported = 1;
      return -EOPNOTSUPP;
    }
    return err;
  }
  g->items[g->n++] = grp;
  return 0;
}

static void publish(struct zk_pbuf_group *grp, uint32_t bid) {
  struct zk_io_uring_buf *e = &grp->ring[grp->tail & (grp->entries - 1)];
  /* Field by field, never `resv`: in entry 0 it is the published tail. */
  e->addr = grp->shadow[bid].addr;
  e->len = grp->shadow[bid].len;
  e->bid = (uint16_t)bid;
  grp->tail++;
  /* Release: the entry must be visible to the kernel before the tail that exposes it. */
  __atomic_store_n(tail_word(grp), grp->tail, __ATOMIC_RELEASE);
}

int zk_pbuf_provide(struct zk_pbuf_group *grp, uint32_t bid, void *addr, uint32_t len) {
  if (bid >= grp->entries || grp->held[bid] || len == 0) return -EINVAL;
  grp->shadow[bid].addr = (uint64_t)(uintptr_t)addr;
  grp->shadow[bid].len = len;
  grp->held[bid] = 1;
  publish(grp, bid);
  return 0;
}

void zk_pbuf_consumed(struct zk_pbuf_group *grp, uint32_t bid, int had_data) {
  if (bid >= grp->entries) return; /* not one of ours: nothing to book */
  if (had_data) {
    grp->held[bid] = 0;
  } else {
    publish(grp, bid); /* still held: back in the ring, as if never taken */
  }
}

void zk_pbuf_free_all(struct zk_pbuf_groups *g, int ring_fd) {
  for (uint32_t i = 0; i < g->n; i++) {
    struct zk_pbuf_group *grp = g->items[i];
    if (ring_fd >= 0) {
      struct zk_io_uring_buf_reg reg;
      memset(&reg, 0, sizeof reg);
      reg.bgid = grp->gid;
      (void)sys_register(ring_fd, IORING_UNREGISTER_PBUF_RING, &reg, 1); /* teardown: nothing to report to */
    }
    free_group(grp);
  }
  free(g->items);
  memset(g, 0, sizeof *g);
}
