/* bench_util.h - what every benchmark measures the same way.
 *
 * Throughput is per core of the system under test: records divided by the
 * process's user+sys CPU seconds (BENCHMARKS.md), so a load generator's core
 * is not counted. Memory is resident set size from /proc/self/statm.
 * Header-only: each bench/<name>.c is its own program.
 */
#ifndef RILL_BENCH_UTIL_H
#define RILL_BENCH_UTIL_H

#include <stdio.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* User + system CPU seconds this process has used. */
static inline double bench_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
           (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* Monotonic wall-clock seconds. */
static inline double bench_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Resident set size in bytes (0 if /proc is unreadable). */
static inline long bench_rss_bytes(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * sysconf(_SC_PAGESIZE);
}

#endif
