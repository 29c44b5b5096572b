/* decimal.h - DECIMAL(p, s) values carried as DOUBLE (layer: stream).
 *
 * rill has no decimal column type: a CAST to DECIMAL(p, s) rounds its
 * operand to s decimal places, half up (away from zero, Java's HALF_UP as
 * Flink does), and gives the nearest DOUBLE to that decimal. With
 * p <= DECIMAL_MAX_PRECISION every such decimal is at most 15 significant
 * digits, so the DOUBLE is exact enough to print back as the same digits
 * (1.23, never 1.2299999999999999). A value needing more than p - s
 * integer digits is an overflow: the CAST gives NULL, as in Flink.
 * Pure functions, any thread.
 */
#ifndef RILL_DECIMAL_H
#define RILL_DECIMAL_H

/* DOUBLE holds 15 significant decimal digits exactly (DBL_DIG). */
#define DECIMAL_MAX_PRECISION 15

/* Rounds d to scale decimal places and checks it fits DECIMAL(precision,
 * scale): 0 and *out = the result; ERR_RANGE when it does not fit (or d
 * is not finite); ERR_INVALID for 1 <= precision <= DECIMAL_MAX_PRECISION,
 * 0 <= scale <= precision not holding. The digits rounded are those of
 * d's shortest round-trip text (1.005 rounds to 1.01, as Java's
 * BigDecimal.valueOf(1.005) does), not of its binary expansion. */
int decimal_round(double d, int precision, int scale, double *out);

#endif
