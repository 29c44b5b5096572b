/* group_offsets_log.c - binds the committed-offset store to the internal
 * topic __consumer_offsets: create it, replay it at start-up, append each
 * commit (layer: broker). The map and the record format are in
 * group_offsets.c; this file is the only one that touches the log.
 */
#include "broker/group_offsets.h"

#include "base/diag.h"
#include "base/err.h"
#include "log/logdir.h"
#include "log/partition.h"

#define REPLAY_CHUNK (1u << 20)

static int sink_append(void *arg, uint8_t *batch, size_t len)
{
    return partition_append(arg, batch, len, NULL);
}

static int replay_topic(struct group_offsets *go, struct partition *part)
{
    int64_t off = partition_log_start_offset(part);
    int64_t end = partition_high_watermark(part);
    struct buf chunk;
    int rc = 0, total = 0;
    buf_init(&chunk);
    while (off < end) {
        int64_t next = off;
        buf_reset(&chunk);
        rc = partition_read_copy(part, off, REPLAY_CHUNK, &chunk, &next);
        if (rc < 0)
            goto out;
        if (next <= off || chunk.len == 0)
            break;
        rc = group_offsets_replay(go, chunk.data, chunk.len);
        if (rc < 0)
            goto out;
        total += rc;
        off = next;
    }
    diag_info("groups: replayed %d committed offset record(s) from %s", total,
              GROUP_OFFSETS_TOPIC);
    rc = 0;
out:
    buf_fini(&chunk);
    return rc;
}

int group_offsets_open(struct logdir *ld, struct group_offsets **out)
{
    struct group_offsets *go;
    struct partition *part;
    int rc = 0;
    group_offsets_create(&go);
    part = logdir_partition(ld, GROUP_OFFSETS_TOPIC, 0);
    if (!part) {
        struct logdir_topic_config cfg;
        logdir_topic_config_init(&cfg);
        cfg.partitions = 1;
        cfg.retention_ms = -1;
        cfg.segment_bytes = 64 << 20;
        rc = logdir_topic_create(ld, GROUP_OFFSETS_TOPIC, &cfg);
        if (rc < 0 && rc != ERR_EXISTS)
            goto out_close;
        part = logdir_partition(ld, GROUP_OFFSETS_TOPIC, 0);
        if (!part) {
            rc = ERR_NOT_FOUND;
            goto out_close;
        }
    }
    rc = replay_topic(go, part);
    if (rc < 0)
        goto out_close;
    group_offsets_set_sink(go, sink_append, part);
    *out = go;
    return 0;
out_close:
    diag_error("groups: cannot open %s: %s", GROUP_OFFSETS_TOPIC, err_str(rc));
    group_offsets_close(go);
    return rc;
}
