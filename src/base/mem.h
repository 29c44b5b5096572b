/* mem.h - allocation that never returns NULL (layer: base).
 *
 * Out of memory aborts the process (STYLE rule 12): callers never check.
 * Sizes read from the network or disk must be checked against a limit by
 * the caller before they reach these functions.
 */
#ifndef RILL_MEM_H
#define RILL_MEM_H

#include <stddef.h>

void *mem_alloc(size_t n);
void *mem_calloc(size_t count, size_t size);
void *mem_realloc(void *p, size_t n);
char *mem_strdup(const char *s);
/* At most n bytes of s, stopping at a NUL (s need not be terminated). */
char *mem_strndup(const char *s, size_t n);
void mem_free(void *p);

#endif
