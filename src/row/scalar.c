/* scalar.c - numbers and timestamps as text (layer: row).
 *
 * The number parser validates the JSON grammar itself and computes the value
 * on the fly; only numbers the exact fast path cannot handle are re-read by
 * strtod from a NUL-terminated copy (the input is not NUL-terminated).
 */
#include "row/scalar.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/err.h"
#include "base/mem.h"

static const double pow10_exact[23] = {
    1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
    1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static int slow_double(const char *p, size_t n, double *out)
{
    char stack[512];
    char *s = n < sizeof(stack) ? stack : mem_alloc(n + 1);
    memcpy(s, p, n);
    s[n] = 0;
    errno = 0;
    double d = strtod(s, NULL);
    if (s != stack)
        mem_free(s);
    if (isinf(d))
        return ERR_RANGE;
    *out = d;
    return 0;
}

int scalar_parse_number(const char *p, const char *end,
                        struct scalar_number *out, const char **stop)
{
    const char *start = p;
    bool neg = false;
    if (p < end && *p == '-') {
        neg = true;
        p++;
    }
    if (p >= end || (unsigned)(*p - '0') > 9) {
        *stop = p;
        return ERR_PARSE;
    }
    uint64_t m = 0;
    int sig = 0;     /* significant digits accumulated into m */
    int dropped = 0; /* integer digits beyond 19 significant ones */
    if (*p == '0') {
        p++;
    } else {
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (sig < 19) {
                m = m * 10 + (uint64_t)(*p - '0');
                sig++;
            } else {
                dropped++;
            }
            p++;
        }
    }
    bool integral = true;
    int exp10 = dropped;
    if (p < end && *p == '.') {
        integral = false;
        p++;
        if (p >= end || (unsigned)(*p - '0') > 9) {
            *stop = p;
            return ERR_PARSE;
        }
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (sig < 19) {
                if (m != 0 || *p != '0')
                    sig++;
                m = m * 10 + (uint64_t)(*p - '0');
                exp10--;
            } else {
                dropped++;
            }
            p++;
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integral = false;
        p++;
        bool eneg = false;
        if (p < end && (*p == '+' || *p == '-')) {
            eneg = *p == '-';
            p++;
        }
        if (p >= end || (unsigned)(*p - '0') > 9) {
            *stop = p;
            return ERR_PARSE;
        }
        int e = 0;
        while (p < end && (unsigned)(*p - '0') <= 9) {
            if (e < 100000)
                e = e * 10 + (*p - '0');
            p++;
        }
        exp10 += eneg ? -e : e;
    }
    *stop = p;
    out->integral = integral;
    out->fits = false;
    out->i = 0;
    if (integral && dropped == 0) {
        /* m holds every digit (at most 19, so m < 10^19 < 2^64). */
        if (!neg && m <= (uint64_t)INT64_MAX) {
            out->fits = true;
            out->i = (int64_t)m;
        } else if (neg && m <= (uint64_t)INT64_MAX + 1) {
            out->fits = true;
            out->i = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
        }
    }
    /* Clinger's fast path: both m and 10^|e| are exact doubles, so one
     * IEEE operation gives the correctly rounded result. */
    if (dropped == 0 && m <= (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        double d = (double)m;
        d = exp10 < 0 ? d / pow10_exact[-exp10] : d * pow10_exact[exp10];
        out->d = neg ? -d : d;
        return 0;
    }
    if (m == 0 && dropped == 0) {
        out->d = neg ? -0.0 : 0.0;
        return 0;
    }
    return slow_double(start, (size_t)(p - start), &out->d);
}

int64_t scalar_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void scalar_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
    days += 719468;
    int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    int64_t doe = days - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

/* Reads exactly k digits at p[*i]; returns -1 if any is not a digit. */
static int digits(const char *p, size_t n, size_t *i, int k)
{
    int v = 0;
    for (int j = 0; j < k; j++) {
        if (*i >= n || (unsigned)(p[*i] - '0') > 9)
            return -1;
        v = v * 10 + (p[*i] - '0');
        (*i)++;
    }
    return v;
}

static bool expect(const char *p, size_t n, size_t *i, char c)
{
    if (*i < n && p[*i] == c) {
        (*i)++;
        return true;
    }
    return false;
}

int scalar_parse_timestamp(const char *p, size_t n, int64_t *ms, size_t *bad)
{
    static const unsigned char mdays[13] = {0,  31, 29, 31, 30, 31, 30,
                                            31, 31, 30, 31, 30, 31};
    size_t i = 0, at;
    int year, mon, day, hh = 0, mm = 0, ss = 0, frac = 0;
    at = i;
    if ((year = digits(p, n, &i, 4)) < 0)
        goto bad;
    at = i;
    if (!expect(p, n, &i, '-'))
        goto bad;
    at = i;
    if ((mon = digits(p, n, &i, 2)) < 1 || mon > 12)
        goto bad;
    at = i;
    if (!expect(p, n, &i, '-'))
        goto bad;
    at = i;
    if ((day = digits(p, n, &i, 2)) < 1 || day > mdays[mon])
        goto bad;
    if (mon == 2 && day == 29 &&
        !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)))
        goto bad;
    if (i < n && (p[i] == 'T' || p[i] == 't' || p[i] == ' ')) {
        i++;
        at = i;
        if ((hh = digits(p, n, &i, 2)) < 0 || hh > 23)
            goto bad;
        at = i;
        if (!expect(p, n, &i, ':'))
            goto bad;
        at = i;
        if ((mm = digits(p, n, &i, 2)) < 0 || mm > 59)
            goto bad;
        if (expect(p, n, &i, ':')) {
            at = i;
            if ((ss = digits(p, n, &i, 2)) < 0 || ss > 59)
                goto bad;
            if (expect(p, n, &i, '.') || expect(p, n, &i, ',')) {
                at = i;
                int k = 0;
                while (i < n && (unsigned)(p[i] - '0') <= 9) {
                    if (k < 3)
                        frac = frac * 10 + (p[i] - '0');
                    k++;
                    i++;
                }
                if (k == 0)
                    goto bad;
                for (; k < 3; k++)
                    frac *= 10;
            }
        }
    }
    int64_t zone_s = 0;
    at = i;
    if (i < n && (p[i] == 'Z' || p[i] == 'z')) {
        i++;
    } else if (i < n && (p[i] == '+' || p[i] == '-')) {
        int sign = p[i] == '-' ? -1 : 1;
        i++;
        at = i;
        int zh = digits(p, n, &i, 2), zm = 0;
        if (zh < 0 || zh > 23)
            goto bad;
        if (i < n) {
            expect(p, n, &i, ':');
            at = i;
            if ((zm = digits(p, n, &i, 2)) < 0 || zm > 59)
                goto bad;
        }
        zone_s = sign * (zh * 3600 + zm * 60);
    }
    at = i;
    if (i != n)
        goto bad;
    int64_t days = scalar_days_from_civil(year, (unsigned)mon, (unsigned)day);
    int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - zone_s;
    int64_t v = secs * 1000 + frac;
    at = 0;
    if (v < SCALAR_TS_MIN_MS || v > SCALAR_TS_MAX_MS)
        goto bad; /* a zone offset pushed it past year 0000 or 9999 */
    *ms = v;
    return 0;
bad:
    *bad = at;
    return ERR_PARSE;
}

size_t scalar_format_int(int64_t v, char out[24])
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t k = 0;
    if (v < 0)
        out[k++] = '-';
    while (n)
        out[k++] = tmp[--n];
    out[k] = 0;
    return k;
}

static void put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

size_t scalar_format_timestamp(int64_t ms, char out[SCALAR_TIMESTAMP_MAX])
{
    int64_t secs = ms / 1000, milli = ms % 1000;
    if (milli < 0) {
        milli += 1000;
        secs--;
    }
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    scalar_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        int n = snprintf(
            out, SCALAR_TIMESTAMP_MAX, "%+06lld-%02u-%02uT%02u:%02u:%02u.%03uZ",
            (long long)y, m, d, (unsigned)(sod / 3600),
            (unsigned)(sod / 60 % 60), (unsigned)(sod % 60), (unsigned)milli);
        return (size_t)n;
    }
    unsigned yy = (unsigned)y;
    put2(out, yy / 100);
    put2(out + 2, yy % 100);
    out[4] = '-';
    put2(out + 5, m);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, (unsigned)(sod / 3600));
    out[13] = ':';
    put2(out + 14, (unsigned)(sod / 60 % 60));
    out[16] = ':';
    put2(out + 17, (unsigned)(sod % 60));
    out[19] = '.';
    out[20] = (char)('0' + milli / 100);
    put2(out + 21, (unsigned)(milli % 100));
    out[23] = 'Z';
    out[24] = 0;
    return 24;
}

size_t scalar_format_double(double d, char out[SCALAR_DOUBLE_MAX])
{
    if (!isfinite(d)) {
        memcpy(out, "null", 5);
        return 4;
    }
    /* Integral values that are exact as int64 print as "N.0" directly. */
    if (fabs(d) < 1e15 && d == (double)(int64_t)d) {
        if (d == 0 && signbit(d)) {
            memcpy(out, "-0.0", 5);
            return 4;
        }
        size_t n = scalar_format_int((int64_t)d, out);
        memcpy(out + n, ".0", 3);
        return n + 2;
    }
    /* Fast path for the usual sensor values: the fewest decimal places k
     * such that m / 10^k (m an integer below 2^53, so exact, as is 10^k)
     * rounds back to d. That division is exactly what a correct reader
     * computes for the text "m with k decimals", so the text round-trips. */
    double ad = fabs(d);
    if (ad >= 1e-4 && ad < 1e15) {
        for (int k = 1; k <= 17; k++) {
            double scaled = ad * pow10_exact[k];
            if (scaled >= 9007199254740992.0)
                break;
            int64_t m = llround(scaled);
            if ((double)m / pow10_exact[k] != ad)
                continue;
            char digits[24];
            size_t nd = scalar_format_int(m, digits), o = 0;
            if (d < 0)
                out[o++] = '-';
            if (nd <= (size_t)k) { /* 0.000ddd */
                out[o++] = '0';
                out[o++] = '.';
                for (size_t z = nd; z < (size_t)k; z++)
                    out[o++] = '0';
                memcpy(out + o, digits, nd);
                o += nd;
            } else {
                memcpy(out + o, digits, nd - (size_t)k);
                o += nd - (size_t)k;
                out[o++] = '.';
                memcpy(out + o, digits + nd - (size_t)k, (size_t)k);
                o += (size_t)k;
            }
            /* Drop trailing zeros a rounding m may carry ("0.50" -> "0.5"). */
            while (out[o - 1] == '0' && out[o - 2] != '.')
                o--;
            out[o] = 0;
            return o;
        }
    }
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(out, SCALAR_DOUBLE_MAX, "%.*g", prec, d);
        if (prec == 17 || strtod(out, NULL) == d)
            break;
    }
    if (!strpbrk(out, ".eE") && n + 2 < SCALAR_DOUBLE_MAX) {
        memcpy(out + n, ".0", 3);
        n += 2;
    }
    return (size_t)n;
}
