/* clock.h - wall and monotonic clocks (layer: base).
 *
 * Wall time is Kafka's: int64 milliseconds since the Unix epoch. Monotonic
 * time is for timeouts and latency only. A process-wide virtual clock can
 * replace the wall clock (tests, simulations): clock_set_virtual().
 */
#ifndef RILL_CLOCK_H
#define RILL_CLOCK_H

#include <stdint.h>

int64_t clock_now_ms(void);  /* wall clock, or the virtual one if set */
int64_t clock_now_us(void);  /* wall clock in microseconds */
int64_t clock_mono_ns(void); /* monotonic */
int64_t clock_mono_ms(void);
/* Use a virtual wall clock at ms (ms < 0 turns it off). Thread-safe. */
void clock_set_virtual(int64_t ms);

#endif
