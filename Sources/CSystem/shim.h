#ifndef CSYSTEM_SHIM_H
#define CSYSTEM_SHIM_H

// The C library's calls that Swift's Glibc module does not bring in. All prefixed `csystem_`.

#include <malloc.h>

// Gives the memory glibc holds free in its arenas back to the system: a parse of megabytes
// on one thread would otherwise stay resident in that thread's arena for good.
static inline int csystem_malloc_trim(void) {
    return malloc_trim(0);
}

#endif
