/* stream_log.c - what stream_log.h does not inline (layer: stream). */
#include "stream/stream_log.h"

#include "base/mem.h"

void stream_log_names_free(char **names, size_t n)
{
    for (size_t i = 0; names && i < n; i++)
        mem_free(names[i]);
    mem_free(names);
}
