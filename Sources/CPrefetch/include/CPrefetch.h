#ifndef CPREFETCH_H
#define CPREFETCH_H

/// Asks the processor to bring `bytes` bytes from `start` into its caches ahead of use (a hint: it never faults, so
/// it may run past the end of a buffer). Swift has no prefetch of its own; this inline function compiles to one
/// `prefetcht0` per 64-byte line.
static inline void cairn_prefetch(const void *start, long bytes) {
    const char *p = (const char *)start;
    for (long i = 0; i < bytes; i += 64) __builtin_prefetch(p + i, 0, 3);
}

#endif
