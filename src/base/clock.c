/* clock.c - clock_gettime wrappers and a virtual wall clock (layer: base). */
#include "base/clock.h"

#include <time.h>

static int64_t virtual_ms = -1;

int64_t clock_now_ms(void)
{
    int64_t v = __atomic_load_n(&virtual_ms, __ATOMIC_RELAXED);
    if (v >= 0)
        return v;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clock_mono_ms(void)
{
    return clock_mono_ns() / 1000000;
}

void clock_set_virtual(int64_t ms)
{
    __atomic_store_n(&virtual_ms, ms, __ATOMIC_RELAXED);
}
