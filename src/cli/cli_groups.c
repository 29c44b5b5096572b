/* cli_groups.c - `rill groups list|describe|delete|reset-offsets` against
 * a running broker (layer: cli).
 *
 * Talks the Kafka protocol through librdkafka's admin API (ListGroups,
 * DescribeGroups, OffsetFetch via ListConsumerGroupOffsets) plus ListOffsets
 * (query_watermark_offsets) for the log end, so it works against rill or any
 * Kafka broker. librdkafka decodes the consumer-protocol assignment bytes
 * (version, topic -> partitions). delete is DeleteGroups; reset-offsets
 * follows kafka-consumer-groups.sh: it prints the plan, and commits it
 * (AlterConsumerGroupOffsets, i.e. OffsetCommit outside any generation,
 * which the broker accepts only while the group has no members) with
 * --execute. It never touches a data directory.
 */
#include "cli/cli.h"

#include <inttypes.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GROUPS_USAGE                                                           \
    "usage: rill groups list --bootstrap HOST:PORT [--timeout MS]\n"           \
    "       rill groups describe GROUP --bootstrap HOST:PORT [--timeout MS]\n" \
    "       rill groups delete GROUP --bootstrap HOST:PORT [--timeout MS]\n"   \
    "       rill groups reset-offsets GROUP (--topic TOPIC[:P,P...] | "        \
    "--all-topics)\n"                                                          \
    "                  (--to-earliest | --to-latest | --to-current | "         \
    "--to-offset N |\n"                                                        \
    "                   --shift-by N | --to-datetime YYYY-MM-DDTHH:mm:SS.sss " \
    "| --by-duration PnDTnHnMnS)\n"                                            \
    "                  [--dry-run | --execute] --bootstrap HOST:PORT "         \
    "[--timeout MS]\n"                                                         \
    "  GROUP may also be given as --group GROUP (kafka-consumer-groups.sh)\n"

static rd_kafka_t *client_new(const char *bootstrap)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err,
                          sizeof err) != RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "client.id", "rill-groups", err, sizeof err) !=
            RD_KAFKA_CONF_OK ||
        rd_kafka_conf_set(conf, "log_level", "0", err, sizeof err) !=
            RD_KAFKA_CONF_OK) {
        fprintf(stderr, "rill groups: %s\n", err);
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    /* RILL_RDKAFKA_DEBUG=protocol,admin shows what goes over the wire. */
    const char *dbg = getenv("RILL_RDKAFKA_DEBUG");
    if (dbg && *dbg)
        rd_kafka_conf_set(conf, "debug", dbg, err, sizeof err);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (!rk) {
        fprintf(stderr, "rill groups: %s\n", err);
        return NULL;
    }
    return rk;
}

/* Waits for the admin result of `type` on q; NULL on timeout (message
 * printed). The caller destroys the event. */
static rd_kafka_event_t *wait_result(rd_kafka_queue_t *q, int type,
                                     int timeout_ms)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, timeout_ms);
    if (!ev) {
        fprintf(stderr, "rill groups: no answer within %d ms\n", timeout_ms);
        return NULL;
    }
    if (rd_kafka_event_type(ev) != type || rd_kafka_event_error(ev)) {
        fprintf(stderr, "rill groups: %s\n",
                rd_kafka_event_error(ev) ? rd_kafka_event_error_string(ev)
                                         : "unexpected event");
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

static rd_kafka_AdminOptions_t *options(rd_kafka_t *rk, int timeout_ms)
{
    char err[256];
    rd_kafka_AdminOptions_t *o =
        rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_ANY);
    rd_kafka_AdminOptions_set_request_timeout(o, timeout_ms, err, sizeof err);
    return o;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* GROUP STATE MEMBERS ASSIGNOR, one line per group, in ids' order. */
static void print_states(rd_kafka_t *rk, const char **ids, size_t n,
                         int timeout_ms)
{
    const rd_kafka_ConsumerGroupDescription_t **d = NULL;
    rd_kafka_event_t *ev = NULL;
    size_t nd = 0;
    printf("%-40s %-20s %-8s %s\n", "GROUP", "STATE", "MEMBERS", "ASSIGNOR");
    if (n) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
        rd_kafka_DescribeConsumerGroups(rk, ids, n, o, q);
        ev = wait_result(q, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT,
                         timeout_ms);
        if (ev)
            d = rd_kafka_DescribeConsumerGroups_result_groups(
                rd_kafka_event_DescribeConsumerGroups_result(ev), &nd);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_queue_destroy(q);
    }
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_ConsumerGroupDescription_t *g = NULL;
        for (size_t k = 0; k < nd && !g; k++)
            if (strcmp(rd_kafka_ConsumerGroupDescription_group_id(d[k]),
                       ids[i]) == 0 &&
                !rd_kafka_ConsumerGroupDescription_error(d[k]))
                g = d[k];
        if (!g) {
            printf("%-40s %-20s %-8s %s\n", ids[i], "?", "?", "?");
            continue;
        }
        const char *assignor =
            rd_kafka_ConsumerGroupDescription_partition_assignor(g);
        printf("%-40s %-20s %-8zu %s\n", ids[i],
               rd_kafka_consumer_group_state_name(
                   rd_kafka_ConsumerGroupDescription_state(g)),
               rd_kafka_ConsumerGroupDescription_member_count(g),
               assignor && *assignor ? assignor : "-");
    }
    if (ev)
        rd_kafka_event_destroy(ev);
}

static int groups_list(rd_kafka_t *rk, int timeout_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    int rc = 1;
    rd_kafka_ListConsumerGroups(rk, o, q);
    rd_kafka_event_t *ev =
        wait_result(q, RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT, timeout_ms);
    if (!ev)
        goto out;
    const rd_kafka_ListConsumerGroups_result_t *res =
        rd_kafka_event_ListConsumerGroups_result(ev);
    size_t n = 0, nerr = 0;
    const rd_kafka_ConsumerGroupListing_t **l =
        rd_kafka_ListConsumerGroups_result_valid(res, &n);
    const rd_kafka_error_t **errs =
        rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
    /* ListGroups v0-2 carries no state: describe them all for it. */
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    for (size_t i = 0; i < n; i++)
        ids[i] = rd_kafka_ConsumerGroupListing_group_id(l[i]);
    qsort(ids, n, sizeof *ids, cmp_str);
    if (n || !nerr)
        print_states(rk, ids, n, timeout_ms);
    free(ids);
    for (size_t i = 0; i < nerr; i++)
        fprintf(stderr, "rill groups: %s\n", rd_kafka_error_string(errs[i]));
    rc = nerr ? 1 : 0;
    rd_kafka_event_destroy(ev);
out:
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* Who owns topic/partition in the description, or "-". */
static const char *owner(const rd_kafka_ConsumerGroupDescription_t *d,
                         const char *topic, int32_t partition)
{
    size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberDescription_t *m =
            rd_kafka_ConsumerGroupDescription_member(d, i);
        const rd_kafka_topic_partition_list_t *tp =
            rd_kafka_MemberAssignment_partitions(
                rd_kafka_MemberDescription_assignment(m));
        for (int k = 0; tp && k < tp->cnt; k++)
            if (tp->elems[k].partition == partition &&
                strcmp(tp->elems[k].topic, topic) == 0)
                return rd_kafka_MemberDescription_consumer_id(m);
    }
    return "-";
}

static void print_members(const rd_kafka_ConsumerGroupDescription_t *d)
{
    size_t n = rd_kafka_ConsumerGroupDescription_member_count(d);
    printf("\n%-50s %-20s %-16s %s\n", "MEMBER", "CLIENT-ID", "HOST",
           "ASSIGNMENT");
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_MemberDescription_t *m =
            rd_kafka_ConsumerGroupDescription_member(d, i);
        const rd_kafka_topic_partition_list_t *tp =
            rd_kafka_MemberAssignment_partitions(
                rd_kafka_MemberDescription_assignment(m));
        printf("%-50s %-20s %-16s ", rd_kafka_MemberDescription_consumer_id(m),
               rd_kafka_MemberDescription_client_id(m),
               rd_kafka_MemberDescription_host(m));
        /* topic:p,p topic2:p */
        const char *last = NULL;
        for (int k = 0; tp && k < tp->cnt; k++) {
            const char *t = tp->elems[k].topic;
            if (!last || strcmp(last, t) != 0)
                printf("%s%s:%" PRId32, last ? " " : "", t,
                       tp->elems[k].partition);
            else
                printf(",%" PRId32, tp->elems[k].partition);
            last = t;
        }
        printf("%s\n", tp && tp->cnt ? "" : "-");
    }
}

/* Every partition of every (non-internal) topic, from Metadata. */
static rd_kafka_topic_partition_list_t *all_partitions(rd_kafka_t *rk,
                                                       int timeout_ms)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "rill groups: metadata: %s\n", rd_kafka_err2str(e));
        return NULL;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(16);
    for (int t = 0; t < md->topic_cnt; t++) {
        if (md->topics[t].topic[0] == '_' && md->topics[t].topic[1] == '_')
            continue;
        for (int p = 0; p < md->topics[t].partition_cnt; p++)
            rd_kafka_topic_partition_list_add(l, md->topics[t].topic,
                                              md->topics[t].partitions[p].id);
    }
    rd_kafka_metadata_destroy(md);
    return l;
}

static int print_offsets(rd_kafka_t *rk, const char *group,
                         const rd_kafka_ConsumerGroupDescription_t *d,
                         int timeout_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    /* Ask for every partition of every topic: librdkafka 2.0.2 does not
     * send the null topic list that means "all" to the broker. */
    rd_kafka_topic_partition_list_t *all = all_partitions(rk, timeout_ms);
    if (!all) {
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_queue_destroy(q);
        return 1;
    }
    rd_kafka_ListConsumerGroupOffsets_t *req =
        rd_kafka_ListConsumerGroupOffsets_new(group, all);
    rd_kafka_topic_partition_list_destroy(all);
    int rc = 1;
    rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
    rd_kafka_event_t *ev = wait_result(
        q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, timeout_ms);
    if (!ev)
        goto out;
    size_t n = 0;
    const rd_kafka_group_result_t **gr =
        rd_kafka_ListConsumerGroupOffsets_result_groups(
            rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    if (n == 0 || rd_kafka_group_result_error(gr[0])) {
        fprintf(stderr, "rill groups: offsets: %s\n",
                n ? rd_kafka_error_string(rd_kafka_group_result_error(gr[0]))
                  : "no result");
        goto out_event;
    }
    const rd_kafka_topic_partition_list_t *tp =
        rd_kafka_group_result_partitions(gr[0]);
    rd_kafka_topic_partition_list_t *sorted =
        rd_kafka_topic_partition_list_copy(tp);
    rd_kafka_topic_partition_list_sort(sorted, NULL, NULL);
    printf("\n%-30s %-9s %-12s %-12s %-8s %s\n", "TOPIC", "PARTITION",
           "COMMITTED", "LOG-END", "LAG", "MEMBER");
    int64_t total = 0;
    for (int i = 0; i < sorted->cnt; i++) {
        const rd_kafka_topic_partition_t *p = &sorted->elems[i];
        if (p->offset < 0)
            continue; /* nothing committed there */
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
            rk, p->topic, p->partition, &lo, &hi, timeout_ms);
        char end[32] = "?", lag[32] = "?";
        if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
            snprintf(end, sizeof end, "%" PRId64, hi);
            if (p->offset >= 0) {
                snprintf(lag, sizeof lag, "%" PRId64, hi - p->offset);
                total += hi - p->offset;
            } else {
                snprintf(lag, sizeof lag, "-");
            }
        }
        printf("%-30s %-9" PRId32 " %-12" PRId64 " %-12s %-8s %s\n", p->topic,
               p->partition, p->offset, end, lag,
               d ? owner(d, p->topic, p->partition) : "-");
    }
    printf("\ntotal lag: %" PRId64 "\n", total);
    rd_kafka_topic_partition_list_destroy(sorted);
    rc = 0;
out_event:
    rd_kafka_event_destroy(ev);
out:
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

static int groups_describe(rd_kafka_t *rk, const char *group, int timeout_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    int rc = 1;
    const char *groups[1] = {group};
    rd_kafka_DescribeConsumerGroups(rk, groups, 1, o, q);
    rd_kafka_event_t *ev = wait_result(
        q, RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT, timeout_ms);
    if (!ev)
        goto out;
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t **d =
        rd_kafka_DescribeConsumerGroups_result_groups(
            rd_kafka_event_DescribeConsumerGroups_result(ev), &n);
    if (n == 0 || rd_kafka_ConsumerGroupDescription_error(d[0])) {
        fprintf(stderr, "rill groups: %s: %s\n", group,
                n ? rd_kafka_error_string(
                        rd_kafka_ConsumerGroupDescription_error(d[0]))
                  : "no result");
        goto out_event;
    }
    const rd_kafka_Node_t *coord =
        rd_kafka_ConsumerGroupDescription_coordinator(d[0]);
    printf("group:       %s\n",
           rd_kafka_ConsumerGroupDescription_group_id(d[0]));
    printf("state:       %s\n",
           rd_kafka_consumer_group_state_name(
               rd_kafka_ConsumerGroupDescription_state(d[0])));
    const char *assignor =
        rd_kafka_ConsumerGroupDescription_partition_assignor(d[0]);
    printf("assignor:    %s\n", assignor && *assignor ? assignor : "-");
    printf("members:     %zu\n",
           rd_kafka_ConsumerGroupDescription_member_count(d[0]));
    if (coord)
        printf("coordinator: %d %s:%u\n", rd_kafka_Node_id(coord),
               rd_kafka_Node_host(coord), rd_kafka_Node_port(coord));
    print_members(d[0]);
    rc = print_offsets(rk, group, d[0], timeout_ms);
out_event:
    rd_kafka_event_destroy(ev);
out:
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

static int groups_delete(rd_kafka_t *rk, const char *group, int timeout_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    rd_kafka_DeleteGroup_t *dg = rd_kafka_DeleteGroup_new(group);
    int rc = 1;
    rd_kafka_DeleteGroups(rk, &dg, 1, o, q);
    rd_kafka_event_t *ev =
        wait_result(q, RD_KAFKA_EVENT_DELETEGROUPS_RESULT, timeout_ms);
    if (ev) {
        size_t n = 0;
        const rd_kafka_group_result_t **gr =
            rd_kafka_DeleteGroups_result_groups(
                rd_kafka_event_DeleteGroups_result(ev), &n);
        if (n == 1 && !rd_kafka_group_result_error(gr[0])) {
            printf("deleted group %s\n", group);
            rc = 0;
        } else {
            fprintf(
                stderr, "rill groups: delete %s: %s\n", group,
                n ? rd_kafka_error_string(rd_kafka_group_result_error(gr[0]))
                  : "no result");
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_DeleteGroup_destroy(dg);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return rc;
}

struct reset_opts {
    const char *topic; /* TOPIC or TOPIC:P,P,... */
    bool all_topics;
    bool earliest, latest, current, execute;
    const char *to_offset, *shift_by, *to_datetime, *by_duration;
};

/* Kafka's --to-datetime: YYYY-MM-DDTHH:mm:SS.sss with an optional zone
 * (Z, +hh:mm, -hh:mm; none: local time). Milliseconds since the epoch, or
 * -1 if it is not one. */
static int64_t parse_datetime(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms = 0, n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return -1;
    const char *p = s + n;
    if (*p == '.') {
        int k = 0, digits = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, digits++)
            if (digits < 3)
                k = k * 10 + (*p - '0');
        for (; digits < 3; digits++)
            k *= 10;
        ms = k;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t;
    if (*p == '\0') {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    } else if (!strcmp(p, "Z")) {
        t = timegm(&tm);
    } else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
            return -1;
        t = timegm(&tm) - (*p == '+' ? 1 : -1) * (hh * 3600 + mm * 60);
    } else {
        return -1;
    }
    if (t == (time_t)-1)
        return -1;
    return (int64_t)t * 1000 + ms;
}

/* Java's Duration.parse for --by-duration: PnDTnHnMn.nS (each part
 * optional). Milliseconds, or -1 if it is not one. */
static int64_t parse_duration(const char *s)
{
    if (*s != 'P')
        return -1;
    int64_t ms = 0;
    bool time_part = false, any = false;
    for (const char *p = s + 1; *p;) {
        if (*p == 'T' && !time_part) {
            time_part = true;
            p++;
            continue;
        }
        char *end;
        double v = strtod(p, &end);
        if (end == p || v < 0)
            return -1;
        double unit = *end == 'D' && !time_part  ? 86400000.0
                      : *end == 'H' && time_part ? 3600000.0
                      : *end == 'M' && time_part ? 60000.0
                      : *end == 'S' && time_part ? 1000.0
                                                 : -1;
        if (unit < 0)
            return -1;
        ms += (int64_t)(v * unit);
        any = true;
        p = end + 1;
    }
    return any ? ms : -1;
}

/* The group's committed offsets of the partitions in l (offset -1 where
 * there is none), or NULL (message printed). */
static rd_kafka_topic_partition_list_t *
committed(rd_kafka_t *rk, const char *group,
          const rd_kafka_topic_partition_list_t *l, int timeout_ms)
{
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
    rd_kafka_ListConsumerGroupOffsets_t *req =
        rd_kafka_ListConsumerGroupOffsets_new(group, l);
    rd_kafka_topic_partition_list_t *out = NULL;
    rd_kafka_ListConsumerGroupOffsets(rk, &req, 1, o, q);
    rd_kafka_event_t *ev = wait_result(
        q, RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT, timeout_ms);
    if (ev) {
        size_t n = 0;
        const rd_kafka_group_result_t **gr =
            rd_kafka_ListConsumerGroupOffsets_result_groups(
                rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
        if (n == 0 || rd_kafka_group_result_error(gr[0]))
            fprintf(
                stderr, "rill groups: committed offsets: %s\n",
                n ? rd_kafka_error_string(rd_kafka_group_result_error(gr[0]))
                  : "no result");
        else
            out = rd_kafka_topic_partition_list_copy(
                rd_kafka_group_result_partitions(gr[0]));
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_queue_destroy(q);
    return out;
}

/* The partitions to reset: --topic TOPIC (every partition) or
 * TOPIC:P,P,..., or --all-topics (those the group has offsets for). */
static rd_kafka_topic_partition_list_t *
reset_partitions(rd_kafka_t *rk, const char *group, const struct reset_opts *r,
                 int timeout_ms)
{
    if (r->all_topics) {
        rd_kafka_topic_partition_list_t *all = all_partitions(rk, timeout_ms);
        if (!all)
            return NULL;
        rd_kafka_topic_partition_list_t *c =
            committed(rk, group, all, timeout_ms);
        rd_kafka_topic_partition_list_destroy(all);
        if (!c)
            return NULL;
        rd_kafka_topic_partition_list_t *l =
            rd_kafka_topic_partition_list_new(c->cnt ? c->cnt : 1);
        for (int i = 0; i < c->cnt; i++)
            if (c->elems[i].offset >= 0)
                rd_kafka_topic_partition_list_add(l, c->elems[i].topic,
                                                  c->elems[i].partition);
        rd_kafka_topic_partition_list_destroy(c);
        if (l->cnt == 0)
            fprintf(stderr,
                    "rill groups: group %s has no committed offsets "
                    "(--all-topics resets those)\n",
                    group);
        return l;
    }
    char topic[256];
    const char *colon = strchr(r->topic, ':');
    size_t tl = colon ? (size_t)(colon - r->topic) : strlen(r->topic);
    if (tl == 0 || tl >= sizeof topic) {
        fprintf(stderr, "rill groups: bad --topic '%s'\n", r->topic);
        return NULL;
    }
    memcpy(topic, r->topic, tl);
    topic[tl] = '\0';
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(rk, 1, NULL, &md, timeout_ms);
    if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
        fprintf(stderr, "rill groups: metadata: %s\n", rd_kafka_err2str(e));
        return NULL;
    }
    const rd_kafka_metadata_topic_t *t = NULL;
    for (int i = 0; i < md->topic_cnt; i++)
        if (!strcmp(md->topics[i].topic, topic) && !md->topics[i].err)
            t = &md->topics[i];
    if (!t) {
        fprintf(stderr, "rill groups: topic '%s' not found\n", topic);
        rd_kafka_metadata_destroy(md);
        return NULL;
    }
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(
        t->partition_cnt ? t->partition_cnt : 1);
    if (!colon) {
        for (int i = 0; i < t->partition_cnt; i++)
            rd_kafka_topic_partition_list_add(l, topic, t->partitions[i].id);
    } else {
        for (const char *p = colon + 1; *p;) {
            char *end;
            long v = strtol(p, &end, 10);
            bool ok = end != p && (*end == ',' || *end == '\0') && v >= 0 &&
                      v < t->partition_cnt;
            if (!ok) {
                fprintf(stderr,
                        "rill groups: --topic %s: '%s' is not a partition "
                        "of %s (0..%d)\n",
                        r->topic, p, topic, t->partition_cnt - 1);
                rd_kafka_topic_partition_list_destroy(l);
                rd_kafka_metadata_destroy(md);
                return NULL;
            }
            rd_kafka_topic_partition_list_add(l, topic, (int32_t)v);
            p = *end ? end + 1 : end;
        }
    }
    rd_kafka_metadata_destroy(md);
    return l;
}

/* kafka-consumer-groups.sh --reset-offsets: the plan, then (--execute)
 * the commit. Offsets outside the log are clamped into it, as Kafka does;
 * --shift-by and --to-current need a committed offset (a partition without
 * one is an error, not a guess). */
static int groups_reset(rd_kafka_t *rk, const char *group,
                        const struct reset_opts *r, int timeout_ms)
{
    int64_t to = 0, shift = 0, ts = -1;
    if (r->to_offset && cli_parse_i64("to-offset", r->to_offset, &to) != 0)
        return 2;
    if (r->shift_by && cli_parse_i64("shift-by", r->shift_by, &shift) != 0)
        return 2;
    if (r->to_datetime && (ts = parse_datetime(r->to_datetime)) < 0) {
        fprintf(stderr,
                "rill groups: --to-datetime '%s': expected "
                "YYYY-MM-DDTHH:mm:SS.sss (Z or +hh:mm optional)\n",
                r->to_datetime);
        return 2;
    }
    if (r->by_duration) {
        int64_t d = parse_duration(r->by_duration);
        if (d < 0) {
            fprintf(stderr,
                    "rill groups: --by-duration '%s': expected PnDTnHnMnS\n",
                    r->by_duration);
            return 2;
        }
        ts = (int64_t)time(NULL) * 1000 - d;
    }
    rd_kafka_topic_partition_list_t *l =
        reset_partitions(rk, group, r, timeout_ms);
    if (!l)
        return 1;
    if (l->cnt == 0) {
        rd_kafka_topic_partition_list_destroy(l);
        return 1;
    }
    rd_kafka_topic_partition_list_t *cur = NULL, *bytime = NULL;
    int rc = 0;
    if (r->shift_by || r->current) {
        cur = committed(rk, group, l, timeout_ms);
        rc = cur ? 0 : 1;
    }
    if (rc == 0 && ts >= 0) {
        bytime = rd_kafka_topic_partition_list_copy(l);
        for (int i = 0; i < bytime->cnt; i++)
            bytime->elems[i].offset = ts;
        rd_kafka_resp_err_t e =
            rd_kafka_offsets_for_times(rk, bytime, timeout_ms);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "rill groups: offsets by time: %s\n",
                    rd_kafka_err2str(e));
            rc = 1;
        }
    }
    if (rc == 0)
        printf("%-40s %-30s %-9s %s\n", "GROUP", "TOPIC", "PARTITION",
               "NEW-OFFSET");
    for (int i = 0; i < l->cnt && rc == 0; i++) {
        rd_kafka_topic_partition_t *tp = &l->elems[i];
        int64_t lo = -1, hi = -1;
        rd_kafka_resp_err_t e = rd_kafka_query_watermark_offsets(
            rk, tp->topic, tp->partition, &lo, &hi, timeout_ms);
        if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
            fprintf(stderr, "rill groups: %s-%d: %s\n", tp->topic,
                    tp->partition, rd_kafka_err2str(e));
            rc = 1;
            break;
        }
        int64_t off = r->earliest ? lo : r->latest ? hi : to;
        if (cur) {
            const rd_kafka_topic_partition_t *c =
                rd_kafka_topic_partition_list_find(cur, tp->topic,
                                                   tp->partition);
            if (!c || c->offset < 0) {
                fprintf(stderr,
                        "rill groups: %s-%d: the group has no committed "
                        "offset to %s\n",
                        tp->topic, tp->partition,
                        r->current ? "keep" : "shift");
                rc = 1;
                break;
            }
            off = c->offset + (r->shift_by ? shift : 0);
        }
        if (bytime) {
            const rd_kafka_topic_partition_t *b =
                rd_kafka_topic_partition_list_find(bytime, tp->topic,
                                                   tp->partition);
            /* No record at or after the time: the end, as Kafka. */
            off = b && !b->err && b->offset >= 0 ? b->offset : hi;
        }
        off = off < lo ? lo : off > hi ? hi : off;
        tp->offset = off;
        printf("%-40s %-30s %-9d %" PRId64 "\n", group, tp->topic,
               tp->partition, off);
    }
    if (cur)
        rd_kafka_topic_partition_list_destroy(cur);
    if (bytime)
        rd_kafka_topic_partition_list_destroy(bytime);
    if (rc == 0 && !r->execute)
        printf("(dry run: add --execute to commit these offsets)\n");
    if (rc == 0 && r->execute) {
        rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
        rd_kafka_AdminOptions_t *o = options(rk, timeout_ms);
        rd_kafka_AlterConsumerGroupOffsets_t *req =
            rd_kafka_AlterConsumerGroupOffsets_new(group, l);
        rd_kafka_AlterConsumerGroupOffsets(rk, &req, 1, o, q);
        rd_kafka_event_t *ev = wait_result(
            q, RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT, timeout_ms);
        rc = 1;
        if (ev) {
            size_t n = 0;
            const rd_kafka_group_result_t **gr =
                rd_kafka_AlterConsumerGroupOffsets_result_groups(
                    rd_kafka_event_AlterConsumerGroupOffsets_result(ev), &n);
            const rd_kafka_topic_partition_list_t *res =
                n ? rd_kafka_group_result_partitions(gr[0]) : NULL;
            const char *why = NULL;
            if (n == 0)
                why = "no result";
            else if (rd_kafka_group_result_error(gr[0]))
                why = rd_kafka_error_string(rd_kafka_group_result_error(gr[0]));
            for (int i = 0; res && !why && i < res->cnt; i++)
                if (res->elems[i].err)
                    why = rd_kafka_err2str(res->elems[i].err);
            if (why)
                fprintf(stderr,
                        "rill groups: reset-offsets %s: %s (a group with "
                        "members cannot be reset: stop its consumers)\n",
                        group, why);
            else
                printf("committed the new offsets of group %s\n", group);
            rc = why ? 1 : 0;
            rd_kafka_event_destroy(ev);
        }
        rd_kafka_AlterConsumerGroupOffsets_destroy(req);
        rd_kafka_AdminOptions_destroy(o);
        rd_kafka_queue_destroy(q);
    }
    rd_kafka_topic_partition_list_destroy(l);
    return rc;
}

int cli_groups(int argc, char **argv)
{
    struct cli_args a;
    cli_args_init(&a, argc, argv);
    const char *bootstrap = cli_opt(&a, "bootstrap");
    const char *tmo = cli_opt(&a, "timeout");
    struct reset_opts ro;
    ro.topic = cli_opt(&a, "topic");
    ro.all_topics = cli_flag(&a, "all-topics");
    ro.to_offset = cli_opt(&a, "to-offset");
    ro.shift_by = cli_opt(&a, "shift-by");
    ro.to_datetime = cli_opt(&a, "to-datetime");
    ro.by_duration = cli_opt(&a, "by-duration");
    ro.earliest = cli_flag(&a, "to-earliest");
    ro.latest = cli_flag(&a, "to-latest");
    ro.current = cli_flag(&a, "to-current");
    ro.execute = cli_flag(&a, "execute");
    bool dry = cli_flag(&a, "dry-run");
    if (cli_flag(&a, "help")) {
        fputs(GROUPS_USAGE, stdout);
        return 0;
    }
    /* The group as kafka-consumer-groups.sh names it (--group G) or as
     * the argument after the verb; not both. */
    const char *group_opt = cli_opt(&a, "group");
    const char *verb = cli_positional(&a, 0);
    /* cli_positional counts unused arguments: the next one is index 0. */
    const char *group = group_opt ? NULL : cli_positional(&a, 0);
    if (group_opt)
        group = group_opt;
    int64_t timeout_ms = 10000;
    if (tmo && cli_parse_i64("timeout", tmo, &timeout_ms) != 0)
        return 2;
    bool list = verb && !strcmp(verb, "list");
    bool reset = verb && !strcmp(verb, "reset-offsets");
    bool known =
        list || reset ||
        (verb && (!strcmp(verb, "describe") || !strcmp(verb, "delete")));
    if (!known || (list == (group != NULL))) {
        fputs(GROUPS_USAGE, stderr);
        return 2;
    }
    if (!bootstrap) {
        fprintf(stderr, "rill groups: --bootstrap HOST:PORT is required (a "
                        "running rill serve or any Kafka cluster)\n");
        return 2;
    }
    if (reset && (!ro.topic == !ro.all_topics ||
                  ro.earliest + ro.latest + ro.current + !!ro.to_offset +
                          !!ro.shift_by + !!ro.to_datetime + !!ro.by_duration !=
                      1 ||
                  (dry && ro.execute))) {
        fprintf(stderr,
                "rill groups reset-offsets: needs --topic TOPIC[:P,...] or "
                "--all-topics, and one of --to-earliest, --to-latest, "
                "--to-current, --to-offset N, --shift-by N, --to-datetime "
                "T, --by-duration D\n");
        fputs(GROUPS_USAGE, stderr);
        return 2;
    }
    if (cli_check_unused(&a, "rill groups list|describe|delete|reset-offsets "
                             "[GROUP] --bootstrap HOST:PORT") != 0)
        return 2;
    rd_kafka_t *rk = client_new(bootstrap);
    if (!rk)
        return 1;
    int rc;
    if (list)
        rc = groups_list(rk, (int)timeout_ms);
    else if (reset)
        rc = groups_reset(rk, group, &ro, (int)timeout_ms);
    else if (!strcmp(verb, "delete"))
        rc = groups_delete(rk, group, (int)timeout_ms);
    else
        rc = groups_describe(rk, group, (int)timeout_ms);
    rd_kafka_destroy(rk);
    return rc;
}
