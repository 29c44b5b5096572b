/* test_group_coord.c - the consumer-group state machine on a virtual clock:
 * join/sync/heartbeat/leave, MEMBER_ID_REQUIRED, session and rebalance
 * timeouts, rejoin, two members splitting, one leaving, error codes. */
#include <stdint.h>
#include <stdlib.h>

#include "base/diag.h"
#include "base/mem.h"
#include "broker/group_coord.h"
#include "../../harness.h"

/* Each waiter is a small integer; its last answer is recorded here. */
#define NW 64
struct answer {
    int kind; /* 0 none, 1 join, 2 sync */
    int16_t error;
    int32_t generation;
    char member_id[128];
    char leader[128];
    char protocol[32];
    size_t nmembers;
    char assignment[64];
};
static struct answer ans[NW];

static void on_join(void *ctx, void *waiter, const struct group_join_result *r)
{
    (void)ctx;
    struct answer *a = &ans[(intptr_t)waiter];
    a->kind = 1;
    a->error = r->error;
    a->generation = r->generation_id;
    snprintf(a->member_id, sizeof a->member_id, "%s", r->member_id);
    snprintf(a->leader, sizeof a->leader, "%s", r->leader_id);
    snprintf(a->protocol, sizeof a->protocol, "%s", r->protocol_name);
    a->nmembers = r->nmembers;
}

static void on_sync(void *ctx, void *waiter, int16_t error, struct slice as)
{
    (void)ctx;
    struct answer *a = &ans[(intptr_t)waiter];
    a->kind = 2;
    a->error = error;
    snprintf(a->assignment, sizeof a->assignment, "%.*s", (int)as.len,
             as.len ? (const char *)as.ptr : "");
}

static const struct group_coord_ops ops = {on_join, on_sync};

static struct slice S(const char *s) {
    return slice_make(s, strlen(s));
}

static struct group_coord *
mk(void)
{
    struct group_coord_config c;
    group_coord_config_defaults(&c);
    c.seed = 42;
    struct group_coord *gc;
    group_coord_create(&c, &ops, NULL, &gc);
    memset(ans, 0, sizeof ans);
    return gc;
}

/* A join with protocols "range" then "roundrobin" unless given. */
static void join(struct group_coord *gc, const char *member, int w, int64_t now,
                 bool v4, const char *p1, const char *p2)
{
    struct group_protocol ps[2] = {
        {S(p1 ? p1 : "range"), S("meta")},
        {S(p2 ? p2 : "roundrobin"), S("meta")},
    };
    struct group_join_req r = {0};
    r.group_id = S("g");
    r.member_id = S(member);
    r.client_id = S("cli");
    r.client_host = S("/127.0.0.1");
    r.protocol_type = S("consumer");
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.require_known_member_id = v4;
    r.nprotocols = p2 && !*p2 ? 1 : 2;
    r.protocols = ps;
    ans[w].kind = 0;
    group_coord_join(gc, &r, now, (void *)(intptr_t)w);
}

/* A static member (group.instance.id) join, JoinGroup v5 style. */
static void join_static(struct group_coord *gc, const char *member,
                        const char *instance, int w, int64_t now)
{
    struct group_protocol ps[1] = {{S("range"), S("meta")}};
    struct group_join_req r = {0};
    r.group_id = S("g");
    r.member_id = S(member);
    r.instance_id = S(instance);
    r.client_id = S("cli");
    r.client_host = S("/127.0.0.1");
    r.protocol_type = S("consumer");
    r.session_timeout_ms = 10000;
    r.rebalance_timeout_ms = 30000;
    r.require_known_member_id = true;
    r.nprotocols = 1;
    r.protocols = ps;
    ans[w].kind = 0;
    group_coord_join(gc, &r, now, (void *)(intptr_t)w);
}

static void sync_(struct group_coord *gc, const char *member, int32_t gen,
                  int w, int64_t now, size_t n,
                  const struct group_assignment *as)
{
    ans[w].kind = 0;
    group_coord_sync(gc, S("g"), gen, S(member), n, as, now,
                     (void *)(intptr_t)w);
}

static enum group_state state(struct group_coord *gc)
{
    struct group_info gi;
    if (!group_coord_describe(gc, S("g"), &gi))
        return GROUP_DEAD;
    return gi.state;
}

TEST(single_member_lifecycle)
{
    struct group_coord *gc = mk();
    join(gc, "", 1, 0, false, NULL, NULL);
    CHECK_EQ_INT(ans[1].kind, 1);
    CHECK_EQ_INT(ans[1].error, 0);
    CHECK_EQ_INT(ans[1].generation, 1);
    CHECK_EQ_STR(ans[1].leader, ans[1].member_id);
    CHECK_EQ_STR(ans[1].protocol, "range");
    CHECK_EQ_INT(ans[1].nmembers, 1);
    CHECK(strncmp(ans[1].member_id, "cli-", 4) == 0);
    CHECK_EQ_INT(strlen(ans[1].member_id), 4 + 36);
    CHECK_EQ_INT(state(gc), GROUP_COMPLETING_REBALANCE);
    char id[128];
    strcpy(id, ans[1].member_id);
    /* Heartbeat while completing is fine (Kafka 2.x+). */
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 1, S(id), 10), 0);
    struct group_assignment as = {S(id), S("A0")};
    sync_(gc, id, 1, 2, 20, 1, &as);
    CHECK_EQ_INT(ans[2].kind, 2);
    CHECK_EQ_INT(ans[2].error, 0);
    CHECK_EQ_STR(ans[2].assignment, "A0");
    CHECK_EQ_INT(state(gc), GROUP_STABLE);
    /* Stable: sync again returns the stored assignment. */
    sync_(gc, id, 1, 3, 30, 0, NULL);
    CHECK_EQ_STR(ans[3].assignment, "A0");
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 1, S(id), 40), 0);
    CHECK_EQ_INT(group_coord_commit_check(gc, S("g"), 1, S(id), 50), 0);
    /* Leave: the group becomes Empty with the next generation. */
    CHECK_EQ_INT(group_coord_leave(gc, S("g"), S(id), 60), 0);
    CHECK_EQ_INT(state(gc), GROUP_EMPTY);
    struct group_info gi;
    CHECK(group_coord_describe(gc, S("g"), &gi));
    CHECK_EQ_INT(gi.generation_id, 2);
    CHECK_EQ_INT(gi.nmembers, 0);
    group_coord_destroy(gc);
}

/* Error answers, as a table: each row is one call on a fresh Stable group
 * with one member (generation 1). */
enum op { HB, LEAVE, COMMIT, SYNC };
struct err_row {
    enum op op;
    const char *group;
    int32_t gen;
    const char *member; /* "$" = the real member id */
    int16_t want;
};

TEST(error_table)
{
    static const struct err_row rows[] = {
        {HB, "g", 1, "$", 0},
        {HB, "g", 0, "$", 22},
        {HB, "g", 1, "nobody", 25},
        {HB, "other", 1, "$", 25},
        {LEAVE, "g", 0, "nobody", 25},
        {LEAVE, "other", 0, "$", 25},
        {COMMIT, "g", 1, "$", 0},
        {COMMIT, "g", 7, "$", 22},
        {COMMIT, "g", 1, "nobody", 25},
        {COMMIT, "g", -1, "", 25},    /* simple commit into a live group */
        {COMMIT, "new", -1, "", 0},   /* simple commit: group created */
        {COMMIT, "new2", 3, "x", 22}, /* unknown group, real generation */
        {COMMIT, "", -1, "", 24},
        {SYNC, "g", 2, "$", 22},
        {SYNC, "g", 1, "nobody", 25},
        {SYNC, "other", 1, "$", 25},
        {SYNC, "g", 1, "$", 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct err_row *r = &rows[i];
        struct group_coord *gc = mk();
        join(gc, "", 1, 0, false, NULL, NULL);
        char id[128];
        strcpy(id, ans[1].member_id);
        struct group_assignment as = {S(id), S("A")};
        sync_(gc, id, 1, 2, 0, 1, &as);
        const char *mem = strcmp(r->member, "$") == 0 ? id : r->member;
        int16_t got = -1;
        switch (r->op) {
        case HB:
            got = group_coord_heartbeat(gc, S(r->group), r->gen, S(mem), 1);
            break;
        case LEAVE:
            got = group_coord_leave(gc, S(r->group), S(mem), 1);
            break;
        case COMMIT:
            got = group_coord_commit_check(gc, S(r->group), r->gen, S(mem), 1);
            break;
        case SYNC:
            ans[5].kind = 0;
            group_coord_sync(gc, S(r->group), r->gen, S(mem), 0, NULL, 1,
                             (void *)(intptr_t)5);
            got = ans[5].kind == 2 ? ans[5].error : -2;
            break;
        }
        if (got != r->want)
            fprintf(stderr, "  row %zu: got %d want %d\n", i, got, r->want);
        CHECK_EQ_INT(got, r->want);
        group_coord_destroy(gc);
    }
}

TEST(join_errors)
{
    struct group_coord *gc = mk();
    struct group_join_req r = {0};
    struct group_protocol p = {S("range"), S("m")};
    r.group_id = S("g");
    r.client_id = S("c");
    r.protocol_type = S("consumer");
    r.session_timeout_ms = 1000; /* below the 6000 minimum */
    r.rebalance_timeout_ms = 1000;
    r.nprotocols = 1;
    r.protocols = &p;
    group_coord_join(gc, &r, 0, (void *)(intptr_t)1);
    CHECK_EQ_INT(ans[1].error, 26);
    r.session_timeout_ms = 6000;
    r.member_id = S("ghost"); /* unknown group with a member id */
    group_coord_join(gc, &r, 0, (void *)(intptr_t)2);
    CHECK_EQ_INT(ans[2].error, 25);
    CHECK_EQ_STR(ans[2].member_id, "ghost");
    r.member_id = S("");
    r.group_id = S("");
    group_coord_join(gc, &r, 0, (void *)(intptr_t)3);
    CHECK_EQ_INT(ans[3].error, 24);
    /* A member with no common protocol: 23. */
    join(gc, "", 4, 0, false, "range", "");
    CHECK_EQ_INT(ans[4].error, 0);
    join(gc, "", 5, 0, false, "sticky", "");
    CHECK_EQ_INT(ans[5].error, 23);
    group_coord_destroy(gc);
}

TEST(member_id_required)
{
    struct group_coord *gc = mk();
    join(gc, "", 1, 0, true, NULL, NULL);
    CHECK_EQ_INT(ans[1].error, 79);
    CHECK_EQ_INT(ans[1].generation, -1);
    CHECK(strncmp(ans[1].member_id, "cli-", 4) == 0);
    char id[128];
    strcpy(id, ans[1].member_id);
    CHECK_EQ_INT(state(gc), GROUP_EMPTY);
    /* Rejoin with the handed-out id. */
    join(gc, id, 2, 100, true, NULL, NULL);
    CHECK_EQ_INT(ans[2].error, 0);
    CHECK_EQ_STR(ans[2].member_id, id);
    CHECK_EQ_INT(ans[2].generation, 1);
    /* A made-up id is refused. */
    join(gc, "cli-made-up", 3, 100, true, NULL, NULL);
    CHECK_EQ_INT(ans[3].error, 25);
    /* A pending id expires after the session timeout. */
    join(gc, "", 4, 200, true, NULL, NULL);
    char id2[128];
    strcpy(id2, ans[4].member_id);
    group_coord_tick(gc, 200 + 10000);
    join(gc, id2, 5, 200 + 10001, true, NULL, NULL);
    CHECK_EQ_INT(ans[5].error, 25);
    group_coord_destroy(gc);
}

/* Two members: the second join starts a rebalance; the first finds out by
 * heartbeat (27), rejoins, both get generation 2; the leader assigns. */
TEST(two_members_split_then_one_leaves)
{
    struct group_coord *gc = mk();
    join(gc, "", 1, 0, false, NULL, NULL);
    char a[128], b[128];
    strcpy(a, ans[1].member_id);
    struct group_assignment as1 = {S(a), S("p0,p1,p2,p3")};
    sync_(gc, a, 1, 2, 0, 1, &as1);
    CHECK_EQ_STR(ans[2].assignment, "p0,p1,p2,p3");

    join(gc, "", 3, 1000, false, NULL, NULL); /* b parks */
    CHECK_EQ_INT(ans[3].kind, 0);
    CHECK_EQ_INT(state(gc), GROUP_PREPARING_REBALANCE);
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 1, S(a), 1500), 27);
    /* A commit from the old generation during the join phase is allowed. */
    CHECK_EQ_INT(group_coord_commit_check(gc, S("g"), 1, S(a), 1500), 0);
    join(gc, a, 4, 2000, false, NULL, NULL); /* a rejoins: phase ends */
    CHECK_EQ_INT(ans[3].kind, 1);
    CHECK_EQ_INT(ans[4].kind, 1);
    CHECK_EQ_INT(ans[3].generation, 2);
    CHECK_EQ_INT(ans[4].generation, 2);
    strcpy(b, ans[3].member_id);
    /* The previous leader stays leader and alone gets the member list. */
    CHECK_EQ_STR(ans[4].leader, a);
    CHECK_EQ_STR(ans[3].leader, a);
    CHECK_EQ_INT(ans[4].nmembers, 2);
    CHECK_EQ_INT(ans[3].nmembers, 0);
    /* Commits during CompletingRebalance: 27. */
    CHECK_EQ_INT(group_coord_commit_check(gc, S("g"), 2, S(b), 2100), 27);
    /* Follower syncs first and waits. */
    sync_(gc, b, 2, 5, 2200, 0, NULL);
    CHECK_EQ_INT(ans[5].kind, 0);
    struct group_assignment as2[2] = {{S(a), S("p0,p1")}, {S(b), S("p2,p3")}};
    sync_(gc, a, 2, 6, 2300, 2, as2);
    CHECK_EQ_STR(ans[6].assignment, "p0,p1");
    CHECK_EQ_INT(ans[5].kind, 2);
    CHECK_EQ_STR(ans[5].assignment, "p2,p3");
    CHECK_EQ_INT(state(gc), GROUP_STABLE);
    /* An old generation's heartbeat: 22. */
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 1, S(b), 2400), 22);

    /* The leader leaves; b learns by heartbeat, rejoins alone, leads. */
    CHECK_EQ_INT(group_coord_leave(gc, S("g"), S(a), 3000), 0);
    CHECK_EQ_INT(state(gc), GROUP_PREPARING_REBALANCE);
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 2, S(b), 3100), 27);
    join(gc, b, 7, 3200, false, NULL, NULL);
    CHECK_EQ_INT(ans[7].generation, 3);
    CHECK_EQ_STR(ans[7].leader, b);
    CHECK_EQ_INT(ans[7].nmembers, 1);
    struct group_assignment as3 = {S(b), S("p0,p1,p2,p3")};
    sync_(gc, b, 3, 8, 3300, 1, &as3);
    CHECK_EQ_STR(ans[8].assignment, "p0,p1,p2,p3");
    group_coord_destroy(gc);
}

TEST(session_timeout_triggers_rebalance)
{
    struct group_coord *gc = mk();
    join(gc, "", 1, 0, false, NULL, NULL);
    char a[128], b[128];
    strcpy(a, ans[1].member_id);
    join(gc, "", 2, 0, false, NULL, NULL); /* parks: a must rejoin */
    join(gc, a, 3, 0, false, NULL, NULL);
    strcpy(b, ans[2].member_id);
    CHECK_EQ_INT(ans[2].generation, 2);
    struct group_assignment as[2] = {{S(a), S("x")}, {S(b), S("y")}};
    sync_(gc, b, 2, 4, 0, 0, NULL);
    sync_(gc, a, 2, 5, 0, 2, as);
    CHECK_EQ_INT(state(gc), GROUP_STABLE);
    /* a keeps heartbeating, b goes silent: after 10 s b is gone. */
    for (int64_t t = 1000; t <= 9000; t += 1000) {
        CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 2, S(a), t), 0);
        group_coord_tick(gc, t);
    }
    CHECK_EQ_INT(state(gc), GROUP_STABLE);
    group_coord_tick(gc, 10000);
    CHECK_EQ_INT(state(gc), GROUP_PREPARING_REBALANCE);
    struct group_info gi;
    group_coord_describe(gc, S("g"), &gi);
    CHECK_EQ_INT(gi.nmembers, 1);
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 2, S(b), 10001), 25);
    join(gc, a, 6, 10100, false, NULL, NULL);
    CHECK_EQ_INT(ans[6].generation, 3);
    group_coord_destroy(gc);
}

TEST(rebalance_timeout_drops_silent_member)
{
    struct group_coord *gc = mk();
    join(gc, "", 1, 0, false, NULL, NULL);
    char a[128];
    strcpy(a, ans[1].member_id);
    struct group_assignment as = {S(a), S("x")};
    sync_(gc, a, 1, 2, 0, 1, &as);
    /* b joins; a never rejoins but its session (10 s) is kept alive by
     * heartbeats answered 27 until the rebalance timeout (30 s). */
    join(gc, "", 3, 1000, false, NULL, NULL);
    for (int64_t t = 2000; t < 31000; t += 2000) {
        group_coord_heartbeat(gc, S("g"), 1, S(a), t);
        group_coord_tick(gc, t);
    }
    CHECK_EQ_INT(ans[3].kind, 0);
    group_coord_tick(gc, 31000);
    CHECK_EQ_INT(ans[3].kind, 1);
    CHECK_EQ_INT(ans[3].error, 0);
    CHECK_EQ_INT(ans[3].generation, 2);
    CHECK_EQ_INT(ans[3].nmembers, 1); /* b is the leader, alone */
    CHECK_EQ_STR(ans[3].leader, ans[3].member_id);
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 1, S(a), 31001), 25);
    group_coord_destroy(gc);
}

TEST(sync_timeout_and_parked_sync_failure)
{
    struct group_coord *gc = mk();
    join(gc, "", 1, 0, false, NULL, NULL);
    char a[128], b[128];
    strcpy(a, ans[1].member_id);
    join(gc, "", 2, 0, false, NULL, NULL);
    join(gc, a, 3, 0, false, NULL, NULL);
    strcpy(b, ans[2].member_id);
    /* Follower b parks a sync; then a third member joins: b gets 27. */
    sync_(gc, b, 2, 4, 100, 0, NULL);
    CHECK_EQ_INT(ans[4].kind, 0);
    join(gc, "", 5, 200, false, NULL, NULL);
    CHECK_EQ_INT(ans[4].kind, 2);
    CHECK_EQ_INT(ans[4].error, 27);
    CHECK_EQ_INT(state(gc), GROUP_PREPARING_REBALANCE);
    join(gc, a, 6, 300, false, NULL, NULL);
    join(gc, b, 7, 400, false, NULL, NULL);
    CHECK_EQ_INT(ans[5].generation, 3);
    CHECK_EQ_INT(ans[6].nmembers, 3);
    /* The leader never syncs: after the rebalance timeout, back to
     * preparing; those who heartbeat are told to rejoin. */
    char c[128];
    strcpy(c, ans[5].member_id);
    for (int64_t t = 5000; t < 30400; t += 5000) {
        CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 3, S(a), t), 0);
        CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 3, S(b), t), 0);
        CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 3, S(c), t), 0);
        group_coord_tick(gc, t);
    }
    CHECK_EQ_INT(state(gc), GROUP_COMPLETING_REBALANCE);
    group_coord_tick(gc, 400 + 30000);
    CHECK_EQ_INT(state(gc), GROUP_PREPARING_REBALANCE);
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 3, S(b), 30500), 27);
    group_coord_destroy(gc);
}

TEST(stable_follower_rejoin_without_rebalance)
{
    struct group_coord *gc = mk();
    join(gc, "", 1, 0, false, NULL, NULL);
    char a[128], b[128];
    strcpy(a, ans[1].member_id);
    join(gc, "", 2, 0, false, NULL, NULL);
    join(gc, a, 3, 0, false, NULL, NULL);
    strcpy(b, ans[2].member_id);
    struct group_assignment as[2] = {{S(a), S("x")}, {S(b), S("y")}};
    sync_(gc, a, 2, 4, 0, 2, as);
    /* b rejoins with unchanged metadata: answered at once, same gen. */
    join(gc, b, 5, 10, false, NULL, NULL);
    CHECK_EQ_INT(ans[5].kind, 1);
    CHECK_EQ_INT(ans[5].generation, 2);
    CHECK_EQ_INT(state(gc), GROUP_STABLE);
    /* Changed metadata (different protocol order) forces a rebalance. */
    join(gc, b, 6, 20, false, "roundrobin", "range");
    CHECK_EQ_INT(ans[6].kind, 0);
    CHECK_EQ_INT(state(gc), GROUP_PREPARING_REBALANCE);
    join(gc, a, 7, 30, false, NULL, NULL);
    CHECK_EQ_INT(ans[6].generation, 3);
    /* Votes: a prefers range, b roundrobin; tie -> the first candidate
     * in member order that everyone supports with the most votes. */
    CHECK(strcmp(ans[7].protocol, "range") == 0 ||
          strcmp(ans[7].protocol, "roundrobin") == 0);
    group_coord_destroy(gc);
}

TEST(protocol_vote)
{
    struct group_coord *gc = mk();
    /* Two members prefer roundrobin, one range: roundrobin wins. */
    join(gc, "", 1, 0, false, "range", "roundrobin");
    char a[128];
    strcpy(a, ans[1].member_id);
    join(gc, "", 2, 0, false, "roundrobin", "range");
    join(gc, "", 3, 0, false, "roundrobin", "range");
    join(gc, a, 4, 0, false, "range", "roundrobin");
    CHECK_EQ_INT(ans[2].kind, 1);
    CHECK_EQ_STR(ans[2].protocol, "roundrobin");
    CHECK_EQ_STR(ans[4].protocol, "roundrobin");
    CHECK_EQ_INT(ans[4].nmembers, 3);
    group_coord_destroy(gc);
}

TEST(cancel_and_listing)
{
    struct group_coord *gc = mk();
    join(gc, "", 1, 0, false, NULL, NULL);
    char a[128];
    strcpy(a, ans[1].member_id);
    join(gc, "", 2, 0, false, NULL, NULL);
    group_coord_cancel(gc, (void *)(intptr_t)2);
    join(gc, a, 3, 0, false, NULL, NULL);
    /* The cancelled waiter got nothing; the member still joined. */
    CHECK_EQ_INT(ans[2].kind, 0);
    CHECK_EQ_INT(ans[3].nmembers, 2);
    group_coord_ensure(gc, S("from-offsets"));
    size_t n = 0, it = 0;
    struct group_info gi;
    while (group_coord_next(gc, &it, &gi))
        n++;
    CHECK_EQ_INT(n, 2);
    struct group_member_info mi;
    group_coord_member(gc, S("g"), 0, &mi);
    CHECK_EQ_STR(mi.client_id, "cli");
    CHECK_EQ_STR(mi.client_host, "/127.0.0.1");
    CHECK_EQ_INT(mi.metadata.len, 4);
    CHECK_EQ_INT(group_coord_delete(gc, S("g")), 68);
    CHECK_EQ_INT(group_coord_delete(gc, S("from-offsets")), 0);
    CHECK_EQ_INT(group_coord_delete(gc, S("from-offsets")), 69);
    CHECK_EQ_STR(group_state_name(GROUP_COMPLETING_REBALANCE),
                 "CompletingRebalance");
    group_coord_destroy(gc);
}

TEST(initial_delay)
{
    struct group_coord_config c;
    group_coord_config_defaults(&c);
    c.initial_rebalance_delay_ms = 3000;
    c.seed = 7;
    struct group_coord *gc;
    group_coord_create(&c, &ops, NULL, &gc);
    memset(ans, 0, sizeof ans);
    join(gc, "", 1, 0, false, NULL, NULL);
    join(gc, "", 2, 1000, false, NULL, NULL);
    CHECK_EQ_INT(ans[1].kind, 0);
    group_coord_tick(gc, 2999);
    CHECK_EQ_INT(ans[1].kind, 0);
    group_coord_tick(gc, 3000);
    CHECK_EQ_INT(ans[1].kind, 1);
    CHECK_EQ_INT(ans[2].kind, 1);
    CHECK_EQ_INT(ans[1].generation, 1);
    group_coord_destroy(gc);
}

TEST(static_member_rejoin)
{
    struct group_coord *gc = mk();
    /* Static members skip the MEMBER_ID_REQUIRED handshake. */
    join_static(gc, "", "i1", 1, 0);
    CHECK_EQ_INT(ans[1].error, 0);
    char a[128], b[128], b2[128], a2[128];
    strcpy(a, ans[1].member_id);
    join_static(gc, "", "i2", 2, 0);
    join_static(gc, a, "i1", 3, 0);
    strcpy(b, ans[2].member_id);
    CHECK_EQ_INT(ans[2].generation, 2);
    struct group_assignment as[2] = {{S(a), S("x")}, {S(b), S("y")}};
    sync_(gc, b, 2, 4, 0, 0, NULL);
    sync_(gc, a, 2, 5, 0, 2, as);
    CHECK_EQ_STR(ans[4].assignment, "y");
    struct group_member_info mi;
    group_coord_member(gc, S("g"), 1, &mi);
    CHECK_EQ_STR(mi.instance_id, "i2");
    /* The follower restarts: same instance id, no member id. It gets a
     * new id and the current generation at once, no rebalance. */
    join_static(gc, "", "i2", 6, 100);
    CHECK_EQ_INT(ans[6].kind, 1);
    CHECK_EQ_INT(ans[6].error, 0);
    CHECK_EQ_INT(ans[6].generation, 2);
    strcpy(b2, ans[6].member_id);
    CHECK(strcmp(b2, b) != 0);
    CHECK_EQ_INT(state(gc), GROUP_STABLE);
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 2, S(b), 200), 25);
    CHECK_EQ_INT(group_coord_heartbeat(gc, S("g"), 2, S(b2), 200), 0);
    sync_(gc, b2, 2, 7, 200, 0, NULL);
    CHECK_EQ_STR(ans[7].assignment, "y");
    /* The leader restarts: new id, leadership follows it, and a
     * rebalance starts (the leader must see the members again). */
    join_static(gc, "", "i1", 8, 300);
    CHECK_EQ_INT(ans[8].kind, 0);
    CHECK_EQ_INT(state(gc), GROUP_PREPARING_REBALANCE);
    join_static(gc, b2, "i2", 9, 400);
    CHECK_EQ_INT(ans[8].kind, 1);
    strcpy(a2, ans[8].member_id);
    CHECK(strcmp(a2, a) != 0);
    CHECK_EQ_STR(ans[8].leader, a2);
    CHECK_EQ_INT(ans[8].generation, 3);
    CHECK_EQ_INT(ans[8].nmembers, 2);
    group_coord_destroy(gc);
}

TEST(abort_parked)
{
    struct group_coord *gc = mk();
    join(gc, "", 1, 0, false, NULL, NULL);
    char a[128];
    strcpy(a, ans[1].member_id);
    join(gc, "", 2, 0, false, NULL, NULL); /* parked */
    CHECK_EQ_INT(ans[2].kind, 0);
    group_coord_abort_parked(gc, GROUP_ERR_NOT_COORDINATOR);
    CHECK_EQ_INT(ans[2].kind, 1);
    CHECK_EQ_INT(ans[2].error, 16);
    /* Answered once only. */
    ans[2].kind = 0;
    group_coord_abort_parked(gc, GROUP_ERR_NOT_COORDINATOR);
    CHECK_EQ_INT(ans[2].kind, 0);
    group_coord_destroy(gc);
}

int main(void)
{
    diag_set_level(DIAG_WARN);
    RUN(single_member_lifecycle);
    RUN(error_table);
    RUN(join_errors);
    RUN(member_id_required);
    RUN(two_members_split_then_one_leaves);
    RUN(session_timeout_triggers_rebalance);
    RUN(rebalance_timeout_drops_silent_member);
    RUN(sync_timeout_and_parked_sync_failure);
    RUN(stable_follower_rejoin_without_rebalance);
    RUN(protocol_vote);
    RUN(cancel_and_listing);
    RUN(initial_delay);
    RUN(static_member_rejoin);
    RUN(abort_parked);
    return harness_summary("test_group_coord");
}
