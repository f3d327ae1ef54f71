/* mem: the process's allocation functions and its out-of-memory policy.
 *
 * Policy: running out of memory ends the process. Every allocation of ours
 * goes through mem_* (json-c values through jsontext's json_put family),
 * which print "out of memory" and abort() instead of returning NULL, so no
 * caller checks for NULL and no error path exists that was never run. This
 * is safe because nothing is lost when a process dies: a model-day commits
 * whole or not at all, a restarted traderd resumes its job, the supervisor
 * restarts an API worker, and a request in flight changes nothing. Sizes
 * computed from counts are checked for overflow the same way. */
#ifndef TRADER_MEM_H
#define TRADER_MEM_H

#include <stddef.h>

/* Never return NULL; the caller owns the result (free()). */
void *mem_alloc(size_t size);
void *mem_calloc(size_t n, size_t size);
void *mem_realloc(void *p, size_t size);
char *mem_strdup(const char *s);
char *mem_strndup(const char *s, size_t n);

/* Growable arrays: makes room for `need` elements of `size` bytes in items,
 * whose capacity is *cap elements, doubling it (16 at least). Returns the
 * (possibly moved) array; *cap is updated. Use through ARRAY_RESERVE. */
void *mem_grow(void *items, size_t *cap, size_t need, size_t size);

/* ARRAY_RESERVE(a, cap, need): a is a T *, cap a size_t lvalue. */
#define ARRAY_RESERVE(a, cap, need) ((a) = mem_grow((a), &(cap), (need), sizeof(*(a))))

/* Ends the process after an allocation of `size` bytes failed (0: a size
 * that overflowed). */
_Noreturn void mem_fatal(size_t size);

#endif
