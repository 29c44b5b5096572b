/* test_progress.c - the runtime's own formats: query progress files (a
 * table of texts and what they parse to, or the refusal) and watermark
 * markers (round trips and refusals).
 */
#include <string.h>

#include "../../harness.h"
#include "base/buf.h"
#include "base/err.h"
#include "stream/marker.h"
#include "stream/progress.h"

TEST(progress_table)
{
    static const struct {
        const char *text;
        int rc;
        int64_t wm, n0, n1;
    } cases[] = {
        {"rill-query-progress 1\nwatermark 5\npartition 0 7\npartition 1 9\n",
         0, 5, 7, 9},
        {"rill-query-progress 1\nwatermark none\npartition 1 3\n", 0, INT64_MIN,
         -1, 3},
        {"rill-query-progress 1\n", 0, INT64_MIN, -1, -1},
        {"rill-query-progress 1\nwatermark -5\n", 0, -5, -1, -1},
        {"rill-query-progress 2\nwatermark 5\n", ERR_PARSE, 0, 0, 0},
        {"rill-query-progress 1\npartition 2 3\n", ERR_PARSE, 0, 0, 0},
        {"rill-query-progress 1\npartition -1 3\n", ERR_PARSE, 0, 0, 0},
        {"rill-query-progress 1\nwatermark 5", ERR_PARSE, 0, 0, 0},
        {"rill-query-progress 1\nwatermark 99999999999999999999\n", ERR_PARSE,
         0, 0, 0},
        {"rill-query-progress 1\npartition 0 7 junk\n", ERR_PARSE, 0, 0, 0},
        {"rill-query-progress 1\nsomething else\n", ERR_PARSE, 0, 0, 0},
        {"", ERR_PARSE, 0, 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t wm = 0, next[2] = {0, 0};
        int rc =
            progress_parse(cases[i].text, strlen(cases[i].text), 2, &wm, next);
        if (rc != cases[i].rc)
            fprintf(stderr, "  case %zu: rc %d\n", i, rc);
        CHECK_EQ_INT(rc, cases[i].rc);
        if (rc == 0 && cases[i].rc == 0) {
            CHECK(wm == cases[i].wm);
            CHECK_EQ_INT(next[0], cases[i].n0);
            CHECK_EQ_INT(next[1], cases[i].n1);
        }
    }
    /* Within the length given: a text without a NUL, cut mid-line. */
    const char *t = "rill-query-progress 1\nwatermark 42\nXXXX";
    int64_t wm, next[1];
    CHECK_EQ_INT(progress_parse(t, strlen(t) - 4, 1, &wm, next), 0);
    CHECK(wm == 42);
}

TEST(progress_round_trip)
{
    int64_t next[3] = {0, 12345678901234LL, -1};
    struct buf b;
    buf_init(&b);
    progress_format(&b, INT64_MIN + 1, next, 3);
    int64_t wm, back[3];
    CHECK_EQ_INT(progress_parse((const char *)b.data, b.len, 3, &wm, back), 0);
    CHECK(wm == INT64_MIN + 1);
    CHECK(!memcmp(back, next, sizeof next));
    buf_fini(&b);
}

TEST(markers)
{
    struct marker m = {3, INT64_MIN, true}, back;
    uint8_t v[MARKER_SIZE];
    marker_encode(&m, v);
    CHECK_EQ_INT(marker_decode(v, sizeof v, &back), 0);
    CHECK(back.task == 3 && back.watermark == INT64_MIN && back.idle);
    CHECK_EQ_INT(marker_decode(v, sizeof v - 1, &back), ERR_PARSE);
    v[12] = 2;
    CHECK_EQ_INT(marker_decode(v, sizeof v, &back), ERR_PARSE);
    v[12] = 0;
    v[0] = 0x80; /* a negative task */
    CHECK_EQ_INT(marker_decode(v, sizeof v, &back), ERR_PARSE);
}

int main(void)
{
    RUN(progress_table);
    RUN(progress_round_trip);
    RUN(markers);
    return harness_summary("test_progress");
}
