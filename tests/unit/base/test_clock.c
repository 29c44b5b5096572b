/* test_clock.c - wall clock in ms near time(2), monotonic never goes back,
 * the virtual clock replaces the wall clock and turns off again. */
#include "base/clock.h"

#include <time.h>

#include "../../harness.h"

TEST(test_wall_and_monotonic)
{
    int64_t now = clock_now_ms(), t = (int64_t)time(NULL) * 1000;
    CHECK(now > t - 2000 && now < t + 2000);
    int64_t us = clock_now_us();
    CHECK(us / 1000 >= now - 1000 && us / 1000 <= now + 1000);
    int64_t a = clock_mono_ns();
    struct timespec d = {0, 2000000};
    nanosleep(&d, NULL);
    int64_t b = clock_mono_ns();
    CHECK(b - a >= 2000000);
    CHECK(clock_mono_ms() >= a / 1000000);
}

TEST(test_virtual)
{
    clock_set_virtual(1000);
    CHECK_EQ_INT(clock_now_ms(), 1000);
    clock_set_virtual(1732435200221);
    CHECK_EQ_INT(clock_now_ms(), 1732435200221);
    clock_set_virtual(-1);
    CHECK(clock_now_ms() > 1732435200221);
}

int main(void)
{
    RUN(test_wall_and_monotonic);
    RUN(test_virtual);
    return harness_summary("test_clock");
}
