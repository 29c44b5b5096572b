/* decimal.c - rounding a DOUBLE to DECIMAL(p, s) (layer: stream).
 *
 * The digits rounded are the shortest text that reads back as d
 * (row/scalar.h), the text Flink's BigDecimal.valueOf(double) starts
 * from; rounding the binary expansion instead would turn 1.005 (stored as
 * 1.00499999999999989...) into 1.00. Only a value near a half needs that
 * text; others round from d * 10^s directly (test_decimal.c checks the
 * two ways agree). No allocation; no locale.
 */
#include "stream/decimal.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "base/err.h"
#include "row/scalar.h"

/* exact powers of ten up to 10^(DECIMAL_MAX_PRECISION + 1) */
static const double pow10_tab[DECIMAL_MAX_PRECISION + 2] = {
    1e0, 1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7, 1e8,
    1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16};

int decimal_round(double d, int precision, int scale, double *out)
{
    if (precision < 1 || precision > DECIMAL_MAX_PRECISION || scale < 0 ||
        scale > precision)
        return ERR_INVALID;
    if (!isfinite(d))
        return ERR_RANGE;
    double r = d, scaled = fabs(d) * pow10_tab[scale];
    if (d == floor(d) && fabs(d) < 1e15) {
        /* an integer: nothing to round */
    } else if (scaled < 1e15 &&
               fabs(scaled - floor(scaled) - 0.5) > scaled * 1e-13) {
        /* Not near a half: d's shortest text and d itself are within a
         * few ulps of scaled (far below the margin), so both round the
         * same way and no text is needed (the usual case, ~15x faster). */
        double m = floor(scaled);
        if (scaled - m > 0.5)
            m += 1;
        r = m / pow10_tab[scale];
        if (d < 0 && m > 0)
            r = -r;
    } else if (scaled < 4e14 &&
               (double)llround(scaled * 10) / pow10_tab[scale + 1] == fabs(d)) {
        /* Near a half and d is m5 / 10^(s+1) with m5 < 2^52: distinct
         * decimals of s + 1 places are distinct doubles there, so m5's
         * digits are d's shortest text; its last digit decides. */
        long long m5 = llround(scaled * 10);
        double m = (double)(m5 / 10 + (m5 % 10 >= 5));
        r = m / pow10_tab[scale];
        if (d < 0 && m > 0)
            r = -r;
    } else {
        /* text: [-]digits[.digits][e[+-]dd]; value = 0.D * 10^point */
        char text[SCALAR_DOUBLE_MAX];
        size_t n = scalar_format_double(d, text);
        int dig[SCALAR_DOUBLE_MAX], nd = 0, point = 0, exp10 = 0;
        bool neg = text[0] == '-', dot = false;
        for (size_t i = neg ? 1 : 0; i < n; i++) {
            char ch = text[i];
            if (ch >= '0' && ch <= '9') {
                dig[nd++] = ch - '0';
            } else if (ch == '.') {
                point = nd;
                dot = true;
            } else if (ch == 'e' || ch == 'E') {
                exp10 = atoi(text + i + 1);
                break;
            }
        }
        point = (dot ? point : nd) + exp10;
        /* Digit k weighs 10^(point - 1 - k): the first `keep` digits are
         * those down to 10^-scale, and digit `keep` decides HALF_UP. */
        int keep = point + scale;
        if (keep < nd) {
            uint64_t m = 0;
            for (int k = 0; k < keep; k++) /* keep < nd <= 18: fits */
                m = m * 10 + (uint64_t)dig[k];
            if (keep >= 0 && dig[keep] >= 5)
                m++;
            r = (double)m / pow10_tab[scale];
            if (neg && m)
                r = -r;
        }
    }
    if (!(fabs(r) < pow10_tab[precision - scale]))
        return ERR_RANGE;
    *out = r == 0 ? 0.0 : r; /* no -0.0: Flink prints 0.00 */
    return 0;
}
