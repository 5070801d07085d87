/* op_slots.c: see op_slots.h. */
#include "op_slots.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static uint32_t hash_u32(uint32_t x) {
  /* Murmur3 finalizer: tokens are often sequential; spread them over the table. */
  x ^= x >> 16;
  x *= 0x85ebca6bU;
  x ^= x >> 13;
  x *= 0xc2b2ae35U;
  x ^= x >> 16;
  return x;
}

static void hash_put(struct zk_hash_entry *tab, uint32_t cap, uint32_t token, uint32_t slot) {
  uint32_t i = hash_u32(token) & (cap - 1);
  while (tab[i].slot_plus1 != 0) i = (i + 1) & (cap - 1);
  tab[i].token = token;
  tab[i].slot_plus1 = slot + 1;
}

static int hash_grow(struct zk_slots *t) {
  uint32_t cap = t->hash_cap ? t->hash_cap * 2 : 64;
  struct zk_hash_entry *tab = calloc(cap, sizeof *tab);
  if (!tab) return -ENOMEM;
  for (uint32_t i = 0; i < t->hash_cap; i++)
    if (t->hash[i].slot_plus1) hash_put(tab, cap, t->hash[i].token, t->hash[i].slot_plus1 - 1);
  free(t->hash);
  t->hash = tab;
  t->hash_cap = cap;
  return 0;
}

/* Backward-shift deletion keeps probe chains intact without tombstones. */
static void hash_remove(struct zk_slots *t, uint32_t token, uint32_t slot) {
  if (!t->hash_cap) return;
  uint32_t mask = t->hash_cap - 1, i = hash_u32(token) & mask;
  while (t->hash[i].slot_plus1 != 0) {
    if (t->hash[i].token == token && t->hash[i].slot_plus1 == slot + 1) break;
    i = (i + 1) & mask;
  }
  if (t->hash[i].slot_plus1 == 0) return;
  uint32_t j = i;
  for (;;) {
    t->hash[i].slot_plus1 = 0;
    for (;;) {
      j = (j + 1) & mask;
      if (t->hash[j].slot_plus1 == 0) return;
      uint32_t home = hash_u32(t->hash[j].token) & mask;
      /* Move j into the hole at i unless its home lies cyclically in (i, j]. */
      if (i <= j ? (i < home && home <= j) : (i < home || home <= j)) continue;
      break;
    }
    t->hash[i] = t->hash[j];
    i = j;
  }
}

void zk_slots_init(struct zk_slots *t) {
  memset(t, 0, sizeof *t);
  t->free_head = UINT32_MAX;
}

int zk_slots_take(struct zk_slots *t, uint32_t token, enum zk_slot_kind kind, uint32_t *slot) {
  if ((t->live + 1) * 2 > t->hash_cap && hash_grow(t) != 0) return -ENOMEM;
  if (t->free_head == UINT32_MAX) {
    /* No free slot: add a chunk (chunks never move; only the pointer array may). */
    if ((uint64_t)(t->nchunks + 1) * ZK_SLOT_CHUNK > ZK_SLOT_MAX) return -ENOMEM;
    if (t->nchunks == t->chunks_cap) {
      uint32_t cap = t->chunks_cap ? t->chunks_cap * 2 : 4;
      struct zk_op_slot **chunks = realloc(t->chunks, cap * sizeof *chunks);
      if (!chunks) return -ENOMEM;
      t->chunks = chunks;
      t->chunks_cap = cap;
    }
    struct zk_op_slot *chunk = calloc(ZK_SLOT_CHUNK, sizeof *chunk);
    if (!chunk) return -ENOMEM;
    uint32_t base = t->nchunks * ZK_SLOT_CHUNK;
    for (uint32_t i = 0; i < ZK_SLOT_CHUNK; i++)
      chunk[i].next_free = i + 1 < ZK_SLOT_CHUNK ? base + i + 1 : UINT32_MAX;
    t->chunks[t->nchunks++] = chunk;
    t->free_head = base;
  }
  uint32_t s = t->free_head;
  struct zk_op_slot *e = &t->chunks[s / ZK_SLOT_CHUNK][s % ZK_SLOT_CHUNK];
  t->free_head = e->next_free;
  memset(e, 0, sizeof *e);
  e->token = token;
  e->kind = (uint8_t)kind;
  e->live = 1;
  hash_put(t->hash, t->hash_cap, token, s);
  t->live++;
  *slot = s;
  return 0;
}

struct zk_op_slot *zk_slots_get(struct zk_slots *t, uint32_t slot) {
  if (slot / ZK_SLOT_CHUNK >= t->nchunks) return NULL;
  return &t->chunks[slot / ZK_SLOT_CHUNK][slot % ZK_SLOT_CHUNK];
}

void zk_slots_release(struct zk_slots *t, uint32_t slot) {
  if (slot / ZK_SLOT_CHUNK >= t->nchunks) return; /* not ours: ignore rather than corrupt */
  struct zk_op_slot *e = &t->chunks[slot / ZK_SLOT_CHUNK][slot % ZK_SLOT_CHUNK];
  if (!e->live) return; /* already released: freeing twice would corrupt the free list */
  e->live = 0;
  hash_remove(t, e->token, slot);
  e->next_free = t->free_head;
  t->free_head = slot;
  t->live--;
}

int zk_slots_find(const struct zk_slots *t, uint32_t token, uint32_t *slot) {
  if (!t->hash_cap) return 0;
  uint32_t mask = t->hash_cap - 1;
  for (uint32_t i = hash_u32(token) & mask; t->hash[i].slot_plus1 != 0; i = (i + 1) & mask) {
    if (t->hash[i].token == token) {
      *slot = t->hash[i].slot_plus1 - 1;
      return 1;
    }
  }
  return 0;
}

void zk_slots_free_all(struct zk_slots *t) {
  for (uint32_t i = 0; i < t->nchunks; i++) free(t->chunks[i]);
  free(t->chunks);
  free(t->hash);
  memset(t, 0, sizeof *t);
  t->free_head = UINT32_MAX;
}
