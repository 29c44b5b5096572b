/* test_segment.c - one segment and its indexes: index lookups (tables),
 * index files round trip and validation, append + find by offset / byte
 * bound / timestamp, recovery of a torn tail, file name parsing. */
#include "log/segment.h"

#include <fcntl.h>

#include "log/offset_index.h"
#include "log/time_index.h"
#include "log_testlib.h"
#include "../../harness.h"

TEST(test_offset_index_lookup_table)
{
    struct offset_index ix = {.fd = -1};
    /* Entries: batch ending at rel 9 starts at 0, 19 at 500, 29 at 1000. */
    offset_index_add(&ix, 9, 0);
    offset_index_add(&ix, 19, 500);
    offset_index_add(&ix, 29, 1000);
    static const struct {
        uint32_t rel, pos;
    } cases[] = {{0, 0},    {9, 0},    {10, 0},    {19, 0},
                 {20, 500}, {29, 500}, {30, 1000}, {1000, 1000}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_INT(offset_index_lookup(&ix, cases[i].rel), cases[i].pos);
    uint32_t out = 0;
    CHECK(offset_index_lookup_pos(&ix, 0, 700, &out));
    CHECK_EQ_INT(out, 500);
    CHECK(!offset_index_lookup_pos(&ix, 500, 999, &out));
    CHECK(offset_index_lookup_pos(&ix, 499, 5000, &out));
    CHECK_EQ_INT(out, 1000);
    offset_index_close(&ix);
}

TEST(test_index_files_round_trip_and_validation)
{
    char *dir = tl_tmpdir();
    char path[4200];
    snprintf(path, sizeof path, "%s/x.index", dir);
    struct offset_index ix;
    CHECK_EQ_INT(offset_index_open(&ix, path, false), 0);
    for (uint32_t i = 0; i < 1000; i++)
        offset_index_add(&ix, i * 10 + 9, i * 400);
    CHECK_EQ_INT(offset_index_write(&ix), 0);
    CHECK_EQ_INT(tl_file_size(path), 8000);
    offset_index_close(&ix);
    CHECK_EQ_INT(offset_index_open(&ix, path, false), 0);
    CHECK_EQ_INT(offset_index_load(&ix, 400000, 10000), 0);
    CHECK_EQ_INT(ix.count, 1000);
    CHECK_EQ_INT(offset_index_lookup(&ix, 5005), 199600);
    /* Positions beyond the log, offsets beyond the segment: rejected. */
    CHECK_EQ_INT(offset_index_load(&ix, 1000, 10000), ERR_CORRUPT);
    CHECK_EQ_INT(offset_index_load(&ix, 400000, 100), ERR_CORRUPT);
    CHECK_EQ_INT(ix.count, 0);
    offset_index_close(&ix);
    CHECK_EQ_INT(truncate(path, 8003), 0);
    CHECK_EQ_INT(offset_index_open(&ix, path, false), 0);
    CHECK_EQ_INT(offset_index_load(&ix, 400000, 10000), ERR_CORRUPT);
    offset_index_close(&ix);

    snprintf(path, sizeof path, "%s/x.timeindex", dir);
    struct time_index tx;
    CHECK_EQ_INT(time_index_open(&tx, path, false), 0);
    time_index_maybe_add(&tx, 100, 1);
    time_index_maybe_add(&tx, 100, 2); /* not larger: skipped */
    time_index_maybe_add(&tx, 90, 3);  /* smaller: skipped */
    time_index_maybe_add(&tx, 200, 4);
    CHECK_EQ_INT(tx.count, 2);
    CHECK_EQ_INT(time_index_lookup(&tx, 100), -1);
    CHECK_EQ_INT(time_index_lookup(&tx, 101), 1);
    CHECK_EQ_INT(time_index_lookup(&tx, 1000), 4);
    CHECK_EQ_INT(time_index_max_timestamp(&tx), 200);
    CHECK_EQ_INT(time_index_write(&tx), 0);
    time_index_close(&tx);
    CHECK_EQ_INT(tl_file_size(path), 24);
    CHECK_EQ_INT(time_index_open(&tx, path, false), 0);
    CHECK_EQ_INT(time_index_load(&tx, 10), 0);
    CHECK_EQ_INT(tx.count, 2);
    CHECK_EQ_INT(time_index_load(&tx, 3), ERR_CORRUPT);
    time_index_close(&tx);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_segment_append_find_recover)
{
    char *dir = tl_tmpdir();
    struct segment *s;
    CHECK_EQ_INT(segment_create(dir, 100, &s), 0);
    struct buf b;
    buf_init(&b);
    int64_t pos[20];
    for (int i = 0; i < 20; i++) {
        buf_reset(&b);
        tl_batch(&b, 100 + i * 4, 4, 1000 + i * 10, 12);
        record_batch_set_base_offset(b.data, 100 + i * 4);
        pos[i] = s->size;
        CHECK_EQ_INT(segment_append(s, b.data, b.len, 200), 0);
    }
    size_t one = b.len;
    CHECK_EQ_INT(s->next_offset, 180);
    CHECK_EQ_INT(s->max_timestamp, 1000 + 190 + 3);
    CHECK(s->oix.count > 3);
    int64_t p, base;
    for (int i = 0; i < 20; i++) {
        for (int k = 0; k < 4; k++) {
            CHECK_EQ_INT(segment_find_offset(s, 100 + i * 4 + k, &p, &base), 0);
            CHECK_EQ_INT(p, pos[i]);
            CHECK_EQ_INT(base, 100 + i * 4);
        }
    }
    CHECK_EQ_INT(segment_find_offset(s, 180, &p, &base), 0);
    CHECK_EQ_INT(p, s->size);
    /* Byte bounds fall on batch boundaries. */
    int64_t off;
    CHECK_EQ_INT(segment_find_bound(s, 0, (int64_t)(one * 3 + 5), &p, &off), 0);
    CHECK_EQ_INT(p, (int64_t)one * 3);
    CHECK_EQ_INT(off, 112);
    CHECK_EQ_INT(segment_find_bound(s, pos[5], pos[5] + 3, &p, &off), 0);
    CHECK_EQ_INT(p, pos[6]); /* at least one batch */
    CHECK_EQ_INT(segment_find_timestamp(s, 1055, NULL, &off), 0);
    CHECK_EQ_INT(off, 124);
    CHECK_EQ_INT(segment_find_timestamp(s, 5000, NULL, &off), 0);
    CHECK_EQ_INT(off, -1);

    /* Garbage after the last batch: recovery walks, keeps 20 batches. */
    int64_t size = s->size;
    uint8_t junk[100];
    memset(junk, 0xab, sizeof junk);
    CHECK_EQ_INT(pwrite(s->fd, junk, sizeof junk, size), 100);
    bool truncated = false;
    CHECK_EQ_INT(segment_recover(s, 200, 0, &truncated), 0);
    CHECK(truncated);
    CHECK_EQ_INT(s->size, size);
    CHECK_EQ_INT(s->next_offset, 180);
    CHECK_EQ_INT(segment_seal(s), 0);
    char path[4300];
    snprintf(path, sizeof path, "%s/00000000000000000100.log", dir);
    CHECK_EQ_INT(tl_file_size(path), size);
    segment_unref(s);

    /* Reopen below the recovery point: indexes load and validate. */
    CHECK_EQ_INT(segment_open(dir, 100, false, &s), 0);
    CHECK_EQ_INT(segment_load(s, 180, 200), 0);
    CHECK_EQ_INT(s->max_timestamp, 1193);
    CHECK_EQ_INT(segment_find_offset(s, 150, &p, &base), 0);
    CHECK_EQ_INT(base, 148);
    /* Wrong expectations (a later segment claims 190): detected. */
    segment_unref(s);
    CHECK_EQ_INT(segment_open(dir, 100, false, &s), 0);
    CHECK_EQ_INT(segment_load(s, 190, 200), 0);
    CHECK_EQ_INT(s->next_offset, 180);
    CHECK_EQ_INT(segment_unlink(s), 0);
    CHECK_EQ_INT(tl_file_size(path), -1);
    segment_unref(s);
    buf_fini(&b);
    tl_rmrf(dir);
    free(dir);
}

TEST(test_parse_name_table)
{
    static const struct {
        const char *name;
        int64_t want;
    } cases[] = {
        {"00000000000000000000.log", 0},
        {"00000000000000001234.log", 1234},
        {"09223372036854775807.log", INT64_MAX - 0},
        {"0000000000000000123.log", -1},
        {"00000000000000001234.index", -1},
        {"0000000000000000123x.log", -1},
        {"99999999999999999999.log", -1},
        {"", -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK_EQ_INT(segment_parse_name(cases[i].name), cases[i].want);
}

int main(void)
{
    RUN(test_offset_index_lookup_table);
    RUN(test_index_files_round_trip_and_validation);
    RUN(test_segment_append_find_recover);
    RUN(test_parse_name_table);
    return harness_summary("test_segment");
}
