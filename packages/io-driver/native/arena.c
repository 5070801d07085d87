/* arena.c: see arena.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "arena.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <string.h>

int zk_resolve_buf(const struct zk_arena_view *arenas, uint32_t narenas, uint32_t arena, uint32_t off, uint64_t len,
                   uint8_t **out) {
  if (arena >= narenas || arenas[arena].data == NULL) return -EFAULT;
  const struct zk_arena_view *a = &arenas[arena];
  if ((uint64_t)off > a->len || len > a->len - off) return -EFAULT; /* u64: no overflow */
  *out = a->data + off;
  return 0;
}

int zk_resolve_path(const struct zk_arena_view *arenas, uint32_t narenas, uint32_t arena, uint32_t off,
                    const char **out) {
  uint8_t *p;
  int err = zk_resolve_buf(arenas, narenas, arena, off, 0, &p);
  if (err) return err;
  size_t room = arenas[arena].len - off;
  size_t scan = room < (size_t)PATH_MAX ? room : (size_t)PATH_MAX;
  if (memchr(p, 0, scan) == NULL) return room > (size_t)PATH_MAX ? -ENAMETOOLONG : -EFAULT;
  *out = (const char *)p;
  return 0;
}

int zk_resolve_offset(double off, uint64_t *out) {
  if (off == -1.0) {
    *out = (uint64_t)-1;
    return 0;
  }
  if (!(off >= 0.0) || off >= 9223372036854775808.0 || off != floor(off)) return -EINVAL;
  *out = (uint64_t)off;
  return 0;
}
