/* test_web_json.c - the web layer's JSON body readers: a table of bodies
 * and what web_json_members reports for each (members with their kinds,
 * or ERR_INVALID), and web_json_field / web_json_scalar on the same.
 */
#include "../../harness.h"

#include <string.h>

#include "base/buf.h"
#include "base/err.h"
#include "web/web_int.h"

static void collect(void *arg, const char *key, const char *v, size_t vn,
                    int kind)
{
    struct buf *b = arg;
    buf_printf(b, "%s%s%c=%.*s", b->len ? " " : "", key, kind, (int)vn, v);
}

static const struct {
    const char *json;
    int rc;
    const char *members; /* key, kind, '=', value; space separated */
} rows[] = {
    {"{}", 0, ""},
    {" { \"a\" : 1 } ", 0, "an=1"},
    {"{\"retention.ms\": 86400000, \"x\": null, \"p\": \"s\\\"q\"}", 0,
     "retention.msn=86400000 x0=null ps=s\"q"},
    {"{\"a\": [1, {\"b\": 2}], \"t\": true, \"f\": -1.5e3}", 0,
     "ao=[1, {\"b\": 2}] tn=true fn=-1.5e3"},
    {"{\"a\": \"\\u00e9\"}", 0, "as=\xc3\xa9"},
    {"[1]", ERR_INVALID, ""},
    {"", ERR_INVALID, ""},
    {"{\"a\" 1}", ERR_INVALID, ""},
    {"{\"a\": 1,}", ERR_INVALID, "an=1"},
    {"{\"a\": 1} x", ERR_INVALID, "an=1"},
    {"{\"a\": tru}", ERR_INVALID, ""},
    {"{\"a\": \"open}", ERR_INVALID, ""},
    {"{\"a\": 1", ERR_INVALID, "an=1"},
};

TEST(test_members)
{
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        struct buf b;
        buf_init(&b);
        int rc =
            web_json_members(rows[i].json, strlen(rows[i].json), collect, &b);
        buf_put_u8(&b, '\0');
        if (rc != rows[i].rc || strcmp((char *)b.data, rows[i].members))
            fprintf(stderr, "  row %zu: %s -> %d '%s'\n", i, rows[i].json, rc,
                    (char *)b.data);
        CHECK_EQ_INT(rc, rows[i].rc);
        CHECK_EQ_STR((char *)b.data, rows[i].members);
        buf_fini(&b);
    }
}

TEST(test_fields)
{
    const char *j = "{\"topic\": \"r\", \"to\": 3, \"x\": null}";
    struct buf b;
    buf_init(&b);
    CHECK_EQ_INT(web_json_field(j, strlen(j), "topic", &b), 0);
    CHECK_EQ_STR((char *)b.data, "r");
    CHECK_EQ_INT(web_json_scalar(j, strlen(j), "to", &b), 0);
    CHECK_EQ_STR((char *)b.data, "3");
    CHECK_EQ_INT(web_json_scalar(j, strlen(j), "x", &b), ERR_NOT_FOUND);
    CHECK_EQ_INT(web_json_field(j, strlen(j), "nope", &b), ERR_NOT_FOUND);
    buf_fini(&b);
}

int main(void)
{
    RUN(test_members);
    RUN(test_fields);
    return harness_summary("test_web_json");
}
