/* mem: see mem.h. */
#include "base/mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void mem_fatal(size_t size)
{
    /* stdio's stderr is unbuffered: no allocation on this path. */
    if (size)
        fprintf(stderr, "out of memory (allocating %zu bytes)\n", size);
    else
        fputs("out of memory (a size overflowed)\n", stderr);
    abort();
}

void *mem_alloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        mem_fatal(size);
    return p;
}

void *mem_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        mem_fatal(0);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        mem_fatal(n * size);
    return p;
}

void *mem_realloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q)
        mem_fatal(size);
    return q;
}

char *mem_strndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    if (len == SIZE_MAX)
        mem_fatal(0);
    char *d = mem_alloc(len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

char *mem_strdup(const char *s)
{
    return mem_strndup(s, SIZE_MAX - 1);
}

void *mem_grow(void *items, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return items;
    size_t ncap = *cap < 16 ? 16 : *cap;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2)
            mem_fatal(0);
        ncap *= 2;
    }
    if (size && ncap > SIZE_MAX / size)
        mem_fatal(0);
    items = mem_realloc(items, ncap * size);
    *cap = ncap;
    return items;
}
