/* kafka_sasl.c - codecs of SaslHandshake, SaslAuthenticate, Describe/Alter
 * UserScramCredentials and Describe/Create/DeleteAcls; the byte layouts
 * are in kafka_sasl.h (layer: kafka; no I/O).
 */
#include "kafka/kafka_sasl.h"

#include <string.h>

#include "base/err.h"
#include "kafka/kafka_proto.h"
#include "kafka/kafka_wire.h"

/* --- SaslHandshake ------------------------------------------------------- */

int kafka_sasl_handshake_request_decode(struct buf_reader *r, int16_t version,
                                        struct arena *a, struct slice *mech)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_SASL_HANDSHAKE, version);
    if (rc)
        return rc;
    *mech = kafka_wire_read_string(&d, false);
    return kafka_wire_done(&d);
}

void kafka_sasl_handshake_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_sasl_handshake_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_SASL_HANDSHAKE, version);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_string_array(&e, resp->mechanisms, resp->nmechanisms);
}

/* --- SaslAuthenticate ---------------------------------------------------- */

int kafka_sasl_authenticate_request_decode(struct buf_reader *r,
                                           int16_t version, struct arena *a,
                                           struct slice *auth_bytes)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_SASL_AUTHENTICATE, version);
    if (rc)
        return rc;
    *auth_bytes = kafka_wire_read_bytes(&d, false);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_sasl_authenticate_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_sasl_authenticate_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_SASL_AUTHENTICATE, version);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_string(&e, resp->error_message, true);
    kafka_wire_put_bytes(&e, resp->auth_bytes, false);
    if (version >= 1)
        buf_put_i64(out, resp->session_lifetime_ms);
    kafka_wire_put_tags(&e);
}

/* --- DescribeUserScramCredentials ---------------------------------------- */

int kafka_describe_scram_request_decode(struct buf_reader *r, int16_t version,
                                        struct arena *a, bool *users_null,
                                        struct slice **users, size_t *nusers)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_DESCRIBE_USER_SCRAM, version);
    if (rc)
        return rc;
    *nusers = kafka_wire_read_array(&d, 2, true, users_null);
    *users = kafka_wire_alloc(&d, *nusers, sizeof(**users));
    for (size_t i = 0; i < *nusers; i++) {
        (*users)[i] = kafka_wire_read_string(&d, false);
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_describe_scram_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_describe_scram_response *resp)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_USER_SCRAM, version);
    buf_put_i32(out, 0);
    buf_put_i16(out, resp->error_code);
    kafka_wire_put_string(&e, resp->error_message, true);
    kafka_wire_put_array(&e, resp->nresults, false);
    for (size_t i = 0; i < resp->nresults; i++) {
        const struct kafka_describe_scram_result *res = &resp->results[i];
        kafka_wire_put_string(&e, res->user, false);
        buf_put_i16(out, res->error_code);
        kafka_wire_put_string(&e, res->error_message, true);
        kafka_wire_put_array(&e, res->ninfos, false);
        for (size_t j = 0; j < res->ninfos; j++) {
            buf_put_u8(out, (uint8_t)res->infos[j].mechanism);
            buf_put_i32(out, res->infos[j].iterations);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- AlterUserScramCredentials ------------------------------------------- */

int kafka_alter_scram_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a,
                                     struct kafka_scram_alteration **out,
                                     size_t *n)
{
    struct kafka_dec d;
    int rc =
        kafka_wire_dec_begin(&d, r, a, KAFKA_API_ALTER_USER_SCRAM, version);
    if (rc)
        return rc;
    size_t ndel = kafka_wire_read_array(&d, 3, false, NULL);
    struct kafka_scram_alteration *del =
        kafka_wire_alloc(&d, ndel, sizeof(*del));
    for (size_t i = 0; i < ndel; i++) {
        del[i].name = kafka_wire_read_string(&d, false);
        del[i].mechanism = (int8_t)buf_read_u8(r);
        kafka_wire_read_tags(&d);
    }
    size_t nup = kafka_wire_read_array(&d, 9, false, NULL);
    *n = ndel + nup;
    *out = kafka_wire_alloc(&d, *n, sizeof(**out));
    for (size_t i = 0; i < ndel; i++)
        (*out)[i] = del[i];
    for (size_t i = 0; i < nup; i++) {
        struct kafka_scram_alteration *u = &(*out)[ndel + i];
        u->upsert = true;
        u->name = kafka_wire_read_string(&d, false);
        u->mechanism = (int8_t)buf_read_u8(r);
        u->iterations = buf_read_i32(r);
        u->salt = kafka_wire_read_bytes(&d, false);
        u->salted_password = kafka_wire_read_bytes(&d, false);
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

void kafka_alter_scram_response_encode(struct buf *out, int16_t version,
                                       const struct kafka_scram_result *res,
                                       size_t n)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_ALTER_USER_SCRAM, version);
    buf_put_i32(out, 0);
    kafka_wire_put_array(&e, n, false);
    for (size_t i = 0; i < n; i++) {
        kafka_wire_put_string(&e, res[i].user, false);
        buf_put_i16(out, res[i].error_code);
        kafka_wire_put_string(&e, res[i].error_message, true);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- ACLs ---------------------------------------------------------------- */

static void read_acl(struct kafka_dec *d, int16_t version, bool filter,
                     struct kafka_acl *a)
{
    a->resource_type = (int8_t)buf_read_u8(d->r);
    a->resource_name = kafka_wire_read_string(d, filter);
    a->pattern_type = version >= 1 ? (int8_t)buf_read_u8(d->r) : 3;
    a->principal = kafka_wire_read_string(d, filter);
    a->host = kafka_wire_read_string(d, filter);
    a->operation = (int8_t)buf_read_u8(d->r);
    a->permission = (int8_t)buf_read_u8(d->r);
}

static void put_binding(struct kafka_enc *e, int16_t version,
                        const struct kafka_acl *a)
{
    buf_put_u8(e->out, (uint8_t)a->resource_type);
    kafka_wire_put_string(e, a->resource_name, false);
    if (version >= 1)
        buf_put_u8(e->out, (uint8_t)a->pattern_type);
    kafka_wire_put_string(e, a->principal, false);
    kafka_wire_put_string(e, a->host, false);
    buf_put_u8(e->out, (uint8_t)a->operation);
    buf_put_u8(e->out, (uint8_t)a->permission);
}

int kafka_describe_acls_request_decode(struct buf_reader *r, int16_t version,
                                       struct arena *a, struct kafka_acl *out)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, KAFKA_API_DESCRIBE_ACLS, version);
    if (rc)
        return rc;
    read_acl(&d, version, true, out);
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

static bool same_resource(const struct kafka_acl *x, const struct kafka_acl *y)
{
    return x->resource_type == y->resource_type &&
           x->pattern_type == y->pattern_type &&
           x->resource_name.len == y->resource_name.len &&
           (x->resource_name.len == 0 ||
            memcmp(x->resource_name.ptr, y->resource_name.ptr,
                   x->resource_name.len) == 0);
}

void kafka_describe_acls_response_encode(struct buf *out, int16_t version,
                                         int16_t error_code,
                                         struct slice error_message,
                                         const struct kafka_acl *acls, size_t n)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DESCRIBE_ACLS, version);
    buf_put_i32(out, 0);
    buf_put_i16(out, error_code);
    kafka_wire_put_string(&e, error_message, true);
    size_t nres = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || !same_resource(&acls[i - 1], &acls[i]))
            nres++;
    kafka_wire_put_array(&e, nres, false);
    for (size_t i = 0; i < n;) {
        size_t j = i + 1;
        while (j < n && same_resource(&acls[i], &acls[j]))
            j++;
        buf_put_u8(out, (uint8_t)acls[i].resource_type);
        kafka_wire_put_string(&e, acls[i].resource_name, false);
        if (version >= 1)
            buf_put_u8(out, (uint8_t)acls[i].pattern_type);
        kafka_wire_put_array(&e, j - i, false);
        for (size_t k = i; k < j; k++) {
            kafka_wire_put_string(&e, acls[k].principal, false);
            kafka_wire_put_string(&e, acls[k].host, false);
            buf_put_u8(out, (uint8_t)acls[k].operation);
            buf_put_u8(out, (uint8_t)acls[k].permission);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
        i = j;
    }
    kafka_wire_put_tags(&e);
}

static int read_acl_array(struct buf_reader *r, int16_t api_key,
                          int16_t version, struct arena *a, bool filter,
                          struct kafka_acl **out, size_t *n)
{
    struct kafka_dec d;
    int rc = kafka_wire_dec_begin(&d, r, a, api_key, version);
    if (rc)
        return rc;
    *n = kafka_wire_read_array(&d, 9, false, NULL);
    *out = kafka_wire_alloc(&d, *n, sizeof(**out));
    for (size_t i = 0; i < *n; i++) {
        read_acl(&d, version, filter, &(*out)[i]);
        kafka_wire_read_tags(&d);
    }
    kafka_wire_read_tags(&d);
    return kafka_wire_done(&d);
}

int kafka_create_acls_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a, struct kafka_acl **out,
                                     size_t *n)
{
    return read_acl_array(r, KAFKA_API_CREATE_ACLS, version, a, false, out, n);
}

void kafka_create_acls_response_encode(struct buf *out, int16_t version,
                                       const struct kafka_acl_error *res,
                                       size_t n)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_CREATE_ACLS, version);
    buf_put_i32(out, 0);
    kafka_wire_put_array(&e, n, false);
    for (size_t i = 0; i < n; i++) {
        buf_put_i16(out, res[i].error_code);
        kafka_wire_put_string(&e, res[i].error_message, true);
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

int kafka_delete_acls_request_decode(struct buf_reader *r, int16_t version,
                                     struct arena *a, struct kafka_acl **out,
                                     size_t *n)
{
    return read_acl_array(r, KAFKA_API_DELETE_ACLS, version, a, true, out, n);
}

void kafka_delete_acls_response_encode(
    struct buf *out, int16_t version,
    const struct kafka_delete_acls_result *res, size_t n)
{
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, KAFKA_API_DELETE_ACLS, version);
    buf_put_i32(out, 0);
    kafka_wire_put_array(&e, n, false);
    for (size_t i = 0; i < n; i++) {
        buf_put_i16(out, res[i].error_code);
        kafka_wire_put_string(&e, res[i].error_message, true);
        kafka_wire_put_array(&e, res[i].nmatches, false);
        for (size_t j = 0; j < res[i].nmatches; j++) {
            buf_put_i16(out, 0);
            kafka_wire_put_string(&e, slice_make(NULL, 0), true);
            put_binding(&e, version, &res[i].matches[j]);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
    }
    kafka_wire_put_tags(&e);
}

/* --- generic decode ------------------------------------------------------ */

struct any_request {
    struct slice s;
    bool null;
    struct slice *list;
    struct kafka_scram_alteration *alt;
    struct kafka_acl acl, *acls;
    size_t n;
};

int kafka_sasl_request_decode(struct buf_reader *r, int16_t api_key,
                              int16_t version, struct arena *a, void **out)
{
    struct any_request *q = arena_calloc(a, sizeof(*q));
    *out = q;
    switch (api_key) {
    case KAFKA_API_SASL_HANDSHAKE:
        return kafka_sasl_handshake_request_decode(r, version, a, &q->s);
    case KAFKA_API_SASL_AUTHENTICATE:
        return kafka_sasl_authenticate_request_decode(r, version, a, &q->s);
    case KAFKA_API_DESCRIBE_USER_SCRAM:
        return kafka_describe_scram_request_decode(r, version, a, &q->null,
                                                   &q->list, &q->n);
    case KAFKA_API_ALTER_USER_SCRAM:
        return kafka_alter_scram_request_decode(r, version, a, &q->alt, &q->n);
    case KAFKA_API_DESCRIBE_ACLS:
        return kafka_describe_acls_request_decode(r, version, a, &q->acl);
    case KAFKA_API_CREATE_ACLS:
        return kafka_create_acls_request_decode(r, version, a, &q->acls, &q->n);
    case KAFKA_API_DELETE_ACLS:
        return kafka_delete_acls_request_decode(r, version, a, &q->acls, &q->n);
    default:
        *out = NULL;
        return ERR_UNSUPPORTED;
    }
}

/* The request encoders, for kafka_request_encode (the fuzzer's fixed
 * point and the tests): the inverse of the decoders above. */
static void put_acl(struct kafka_enc *e, int16_t version, bool filter,
                    const struct kafka_acl *a)
{
    buf_put_u8(e->out, (uint8_t)a->resource_type);
    kafka_wire_put_string(e, a->resource_name, filter);
    if (version >= 1)
        buf_put_u8(e->out, (uint8_t)a->pattern_type);
    kafka_wire_put_string(e, a->principal, filter);
    kafka_wire_put_string(e, a->host, filter);
    buf_put_u8(e->out, (uint8_t)a->operation);
    buf_put_u8(e->out, (uint8_t)a->permission);
}

void kafka_sasl_request_encode(struct buf *out, int16_t api_key,
                               int16_t version, const void *req)
{
    const struct any_request *q = req;
    struct kafka_enc e;
    kafka_wire_enc_begin(&e, out, api_key, version);
    switch (api_key) {
    case KAFKA_API_SASL_HANDSHAKE:
        kafka_wire_put_string(&e, q->s, false);
        break;
    case KAFKA_API_SASL_AUTHENTICATE:
        kafka_wire_put_bytes(&e, q->s, false);
        kafka_wire_put_tags(&e);
        break;
    case KAFKA_API_DESCRIBE_USER_SCRAM:
        kafka_wire_put_array(&e, q->n, q->null);
        for (size_t i = 0; i < q->n; i++) {
            kafka_wire_put_string(&e, q->list[i], false);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
        break;
    case KAFKA_API_ALTER_USER_SCRAM: {
        size_t ndel = 0;
        while (ndel < q->n && !q->alt[ndel].upsert)
            ndel++;
        kafka_wire_put_array(&e, ndel, false);
        for (size_t i = 0; i < ndel; i++) {
            kafka_wire_put_string(&e, q->alt[i].name, false);
            buf_put_u8(out, (uint8_t)q->alt[i].mechanism);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_array(&e, q->n - ndel, false);
        for (size_t i = ndel; i < q->n; i++) {
            const struct kafka_scram_alteration *u = &q->alt[i];
            kafka_wire_put_string(&e, u->name, false);
            buf_put_u8(out, (uint8_t)u->mechanism);
            buf_put_i32(out, u->iterations);
            kafka_wire_put_bytes(&e, u->salt, false);
            kafka_wire_put_bytes(&e, u->salted_password, false);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
        break;
    }
    case KAFKA_API_DESCRIBE_ACLS:
        put_acl(&e, version, true, &q->acl);
        kafka_wire_put_tags(&e);
        break;
    case KAFKA_API_CREATE_ACLS:
    case KAFKA_API_DELETE_ACLS:
        kafka_wire_put_array(&e, q->n, false);
        for (size_t i = 0; i < q->n; i++) {
            put_acl(&e, version, api_key == KAFKA_API_DELETE_ACLS, &q->acls[i]);
            kafka_wire_put_tags(&e);
        }
        kafka_wire_put_tags(&e);
        break;
    default:
        break;
    }
}
