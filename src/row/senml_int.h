/* senml_int.h - what the SenML JSON and CBOR decoders share: the fields
 * of one record, the running base values, and the resolution of a record
 * into a row (layer: row, private to senml_decode.c and senml_cbor.c).
 */
#ifndef RILL_SENML_INT_H
#define RILL_SENML_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "row/row_batch.h"
#include "row/row_error.h"
#include "row/senml_decode.h"

#define SENML_RELATIVE_LIMIT 268435456.0 /* 2^28 seconds */
#define SENML_VERSION 10

struct base {
    struct row_str bn, bu;
    double bt, bv, bs;
};

/* Fields present in one record. */
struct rec {
    unsigned has; /* bit per F_* */
    struct row_str n, u, vs, vd;
    double v, s, t, ut;
    bool vb;
};

enum {
    F_N = 1,
    F_U = 2,
    F_V = 4,
    F_VS = 8,
    F_VB = 16,
    F_VD = 32,
    F_S = 64,
    F_T = 128,
    F_UT = 256
};

/* Resolves record r against base and writes it as row `row` of b (off:
 * the record's byte offset, for errors). 0 or ERR_PARSE / ERR_INVALID. */
int senml_write_row(struct senml_decoder *d, struct row_batch *b, int row,
                    const struct base *base, const struct rec *r,
                    int64_t now_ms, size_t off, struct row_error *err);

#endif
