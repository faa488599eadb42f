#ifndef CSYSTEM_SHIM_H
#define CSYSTEM_SHIM_H

// The C library's calls that Swift's Glibc module does not bring in. All prefixed `csystem_`.

#include <malloc.h>
#include <stddef.h>
#include <sys/types.h>

// glibc declares memmem only under _GNU_SOURCE, and defining that here changes the system
// headers' structs under other modules that include them too (Dispatch's fd_set): declared
// as glibc has it instead.
extern void *memmem(const void *haystack, size_t haystackLength, const void *needle, size_t needleLength);

// Gives the memory glibc holds free in its arenas back to the system: a parse of megabytes
// on one thread would otherwise stay resident in that thread's arena for good.
static inline int csystem_malloc_trim(void) {
    return malloc_trim(0);
}

// Where `needle` first occurs in `haystack` (glibc's memmem, vectorised), as an offset; -1
// where it does not.
static inline ssize_t csystem_find(const void *haystack, size_t length, const void *needle, size_t needleLength) {
    const char *found = memmem(haystack, length, needle, needleLength);
    return found ? (ssize_t)(found - (const char *)haystack) : -1;
}

#endif
