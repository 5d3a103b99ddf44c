#ifndef AUTHLEDGER_CMEMORY_SHIM_H
#define AUTHLEDGER_CMEMORY_SHIM_H
/* Memory hints the Swift standard library does not expose. */
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

/* Starts loading the cache line at `p` (for writing, kept in all cache levels) without
 * waiting for it: replay issues these a few records ahead of applying them. */
static inline void authledger_prefetch(const void *p) { __builtin_prefetch(p, 1, 3); }

/* Asks for transparent huge pages (2 MiB) over the whole 2 MiB-aligned part of a large,
 * not yet touched allocation. A big table looked up at random misses the TLB on almost
 * every lookup with 4 KiB pages. Only a hint: a no-op where unsupported. */
static inline void authledger_advise_huge_pages(void *p, size_t length) {
#ifdef MADV_HUGEPAGE
    const uintptr_t huge = (uintptr_t)2 << 20;
    uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    uintptr_t end = ((uintptr_t)p + length) & ~(huge - 1);
    if (end > start) (void)madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
    (void)p; (void)length;
#endif
}

#endif
