/* test_auth.c - SCRAM (RFC 7677's SCRAM-SHA-256 example, bad proofs and
 * messages), PLAIN's password check, the users and ACL files, and Kafka's
 * ACL decision rule as a table. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "broker/auth_acls.h"
#include "broker/auth_quotas.h"
#include "broker/auth_scram.h"
#include "broker/auth_users.h"
#include "../../harness.h"

static const char *rfc_first = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
static const char *rfc_nonce =
    "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
static const char *rfc_final =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

/* The RFC's exchange, with its server nonce put in place of ours. */
static int rfc_exchange(const char *password, const char *final,
                        struct buf *out)
{
    uint8_t salt[32], salted[64];
    int sl =
        auth_base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==", 24, salt, sizeof(salt));
    struct auth_scram_cred c;
    auth_scram_salt_password(AUTH_SCRAM_SHA_256, password, strlen(password),
                             salt, (size_t)sl, 4096, salted);
    if (auth_scram_cred_from_salted(AUTH_SCRAM_SHA_256, salt, (size_t)sl,
                                    salted, 32, 4096, &c) < 0)
        return -99;
    struct auth_scram_server s;
    auth_scram_server_init(&s, AUTH_SCRAM_SHA_256);
    const char *why;
    int rc = auth_scram_server_first(&s, (const uint8_t *)rfc_first,
                                     strlen(rfc_first), &why);
    if (rc == 0) {
        struct buf ignored;
        buf_init(&ignored);
        auth_scram_server_challenge(&s, &c, &ignored);
        buf_fini(&ignored);
        snprintf(s.nonce, sizeof(s.nonce), "%s", rfc_nonce);
        buf_reset(&s.server_first);
        buf_printf(&s.server_first, "r=%s,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                   rfc_nonce);
        rc = auth_scram_server_final(&s, (const uint8_t *) final, strlen(final),
                                     out, &why);
    }
    auth_scram_server_fini(&s);
    return rc;
}

TEST(scram_rfc7677)
{
    struct buf out;
    buf_init(&out);
    CHECK_EQ_INT(rfc_exchange("pencil", rfc_final, &out), 0);
    CHECK(out.len == 46 &&
          !memcmp(out.data,
                  "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", 46));
    buf_reset(&out);
    CHECK(rfc_exchange("pencil2", rfc_final, &out) < 0); /* wrong password */
    /* A proof altered, a nonce altered, the channel binding altered. */
    char bad[256];
    snprintf(bad, sizeof(bad), "%s", rfc_final);
    bad[strlen(bad) - 3] ^= 1;
    CHECK(rfc_exchange("pencil", bad, &out) < 0);
    snprintf(bad, sizeof(bad), "%s", rfc_final);
    bad[12] = 'X';
    CHECK(rfc_exchange("pencil", bad, &out) < 0);
    snprintf(bad, sizeof(bad), "%s", rfc_final);
    bad[2] = 'e';
    CHECK(rfc_exchange("pencil", bad, &out) < 0);
    CHECK(rfc_exchange("pencil", "c=biws", &out) < 0);
    CHECK(rfc_exchange("pencil", "", &out) < 0);
    buf_fini(&out);
}

TEST(scram_first_messages)
{
    static const struct {
        const char *msg;
        int ok;
        const char *user;
    } cases[] = {
        {"n,,n=user,r=abc", 1, "user"},
        {"y,,n=a=2Cb=3Dc,r=abc", 1, "a,b=c"},
        {"n,a=user,n=user,r=abc", 1, "user"},
        {"n,a=other,n=user,r=abc", 0, NULL},
        {"p=tls-unique,,n=user,r=abc", 0, NULL},
        {"n,,n=user,r=abc,tokenauth=true", 0, NULL},
        {"n,,n=us=xer,r=abc", 0, NULL},
        {"n,,r=abc,n=user", 0, NULL},
        {"n,,n=user", 0, NULL},
        {"n,,n=,r=abc", 0, NULL},
        {"x,,n=user,r=abc", 0, NULL},
        {"", 0, NULL},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct auth_scram_server s;
        auth_scram_server_init(&s, AUTH_SCRAM_SHA_512);
        const char *why;
        int rc = auth_scram_server_first(&s, (const uint8_t *)cases[i].msg,
                                         strlen(cases[i].msg), &why);
        CHECK_EQ_INT(rc == 0, cases[i].ok);
        if (cases[i].ok)
            CHECK_EQ_STR(s.user, cases[i].user);
        auth_scram_server_fini(&s);
    }
}

TEST(plain_password)
{
    struct auth_scram_cred c;
    CHECK_EQ_INT(
        auth_scram_cred_make(AUTH_SCRAM_SHA_512, "s3cret", 6, 4096, &c), 0);
    CHECK(auth_scram_check_password(&c, "s3cret", 6));
    CHECK(!auth_scram_check_password(&c, "s3cret!", 7));
    CHECK(!auth_scram_check_password(&c, "", 0));
    CHECK(auth_scram_cred_make(AUTH_SCRAM_SHA_512, "x", 1, 100, &c) < 0);
    CHECK(auth_scram_cred_make(7, "x", 1, 4096, &c) < 0);
}

static char *tmpdir(void)
{
    static char d[64];
    snprintf(d, sizeof(d), "/tmp/rill-test-auth-XXXXXX");
    return mkdtemp(d);
}

TEST(users_file)
{
    char *dir = tmpdir();
    struct auth_users *u;
    CHECK_EQ_INT(auth_users_open(dir, &u), 0);
    CHECK_EQ_INT(auth_users_count(u), 0);
    struct auth_scram_cred c;
    auth_scram_cred_make(AUTH_SCRAM_SHA_256, "pw", 2, 4096, &c);
    CHECK_EQ_INT(auth_users_set(u, "alice", 5, &c), 0);
    CHECK(auth_users_set(u, "bad name", 8, &c) < 0);
    auth_scram_cred_make(AUTH_SCRAM_SHA_512, "pw", 2, 8192, &c);
    CHECK_EQ_INT(auth_users_set(u, "alice", 5, &c), 0);
    CHECK_EQ_INT(auth_users_save(u), 0);
    char path[128];
    snprintf(path, sizeof(path), "%s/security/users", dir);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

    struct auth_users *v;
    CHECK_EQ_INT(auth_users_open(dir, &v), 0);
    CHECK_EQ_INT(auth_users_count(v), 2);
    const struct auth_scram_cred *f = auth_users_find(v, "alice", 5, 0);
    CHECK(f && f->mech == AUTH_SCRAM_SHA_512 && f->iterations == 8192);
    CHECK(f && auth_scram_check_password(f, "pw", 2));
    CHECK(auth_users_find(v, "alic", 4, 0) == NULL);
    /* Another writer changes the file: refresh sees it. */
    CHECK_EQ_INT(auth_users_remove(u, "alice", 5, AUTH_SCRAM_SHA_512), 0);
    CHECK(auth_users_remove(u, "alice", 5, AUTH_SCRAM_SHA_512) < 0);
    usleep(20000);
    CHECK_EQ_INT(auth_users_save(u), 0);
    auth_users_refresh(v);
    CHECK_EQ_INT(auth_users_count(v), 1);
    CHECK(auth_users_find(v, "alice", 5, AUTH_SCRAM_SHA_512) == NULL);
    auth_users_destroy(u);
    auth_users_destroy(v);
    /* A file that does not parse is refused, not half read. */
    FILE *fp = fopen(path, "w");
    fputs("alice SCRAM-SHA-256 4096 notbase64 x y\n", fp);
    fclose(fp);
    CHECK(auth_users_open(dir, &u) < 0);
    unlink(path);
    snprintf(path, sizeof(path), "%s/security", dir);
    rmdir(path);
    rmdir(dir);
}

static struct auth_acl acl(int perm, const char *principal, int op, int rtype,
                           int pattern, const char *name)
{
    struct auth_acl a = {0};
    a.resource_type = rtype;
    a.pattern_type = pattern;
    a.operation = op;
    a.permission = perm;
    static char names[16][64], principals[16][64];
    static int k;
    k = (k + 1) % 16;
    snprintf(names[k], 64, "%s", name);
    snprintf(principals[k], 64, "%s", principal);
    a.name = names[k];
    a.principal = principals[k];
    static char star[] = "*";
    a.host = star;
    return a;
}

TEST(acl_decisions)
{
    char *dir = tmpdir();
    struct auth_acls *s;
    CHECK_EQ_INT(auth_acls_open(dir, &s), 0);
    struct auth_acl set[] = {
        acl(AUTH_PERM_ALLOW, "User:alice", AUTH_OP_READ, AUTH_RES_TOPIC,
            AUTH_PAT_LITERAL, "orders"),
        acl(AUTH_PERM_ALLOW, "User:alice", AUTH_OP_ALL, AUTH_RES_TOPIC,
            AUTH_PAT_PREFIXED, "app-"),
        acl(AUTH_PERM_DENY, "User:alice", AUTH_OP_WRITE, AUTH_RES_TOPIC,
            AUTH_PAT_LITERAL, "app-frozen"),
        acl(AUTH_PERM_ALLOW, "User:*", AUTH_OP_WRITE, AUTH_RES_TOPIC,
            AUTH_PAT_LITERAL, "public"),
        acl(AUTH_PERM_ALLOW, "User:bob", AUTH_OP_READ, AUTH_RES_GROUP,
            AUTH_PAT_LITERAL, "*"),
    };
    for (size_t i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
        CHECK(auth_acl_invalid(&set[i]) == NULL);
        auth_acls_add(s, &set[i]);
    }
    auth_acls_add(s, &set[0]); /* not twice */
    CHECK_EQ_INT(auth_acls_count(s), 5);
    static const struct {
        const char *principal;
        int rtype;
        const char *name;
        int op;
        bool allow_if_none, want;
    } cases[] = {
        {"User:alice", AUTH_RES_TOPIC, "orders", AUTH_OP_READ, false, true},
        {"User:alice", AUTH_RES_TOPIC, "orders", AUTH_OP_DESCRIBE, false,
         true}, /* READ implies DESCRIBE */
        {"User:alice", AUTH_RES_TOPIC, "orders", AUTH_OP_WRITE, false, false},
        {"User:bob", AUTH_RES_TOPIC, "orders", AUTH_OP_READ, true,
         false}, /* ACLs exist for the topic: no fallback */
        {"User:alice", AUTH_RES_TOPIC, "app-x", AUTH_OP_DELETE, false, true},
        {"User:alice", AUTH_RES_TOPIC, "app-frozen", AUTH_OP_WRITE, false,
         false}, /* DENY wins */
        {"User:alice", AUTH_RES_TOPIC, "app-frozen", AUTH_OP_READ, false, true},
        {"User:carol", AUTH_RES_TOPIC, "public", AUTH_OP_WRITE, false, true},
        {"User:carol", AUTH_RES_TOPIC, "nothing", AUTH_OP_READ, false, false},
        {"User:carol", AUTH_RES_TOPIC, "nothing", AUTH_OP_READ, true, true},
        {"User:bob", AUTH_RES_GROUP, "any-group", AUTH_OP_READ, false, true},
        {"User:bob", AUTH_RES_GROUP, "any-group", AUTH_OP_DELETE, false, false},
        {"User:root", AUTH_RES_TOPIC, "app-frozen", AUTH_OP_WRITE, false,
         true}, /* super user */
        {"User:alice", AUTH_RES_CLUSTER, "kafka-cluster", AUTH_OP_ALTER, false,
         false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = auth_acls_authorize(
            s, "User:admin; User:root", cases[i].allow_if_none,
            cases[i].principal, "10.0.0.1", cases[i].rtype, cases[i].name,
            strlen(cases[i].name), cases[i].op);
        if (got != cases[i].want)
            fprintf(stderr, "  case %zu\n", i);
        CHECK(got == cases[i].want);
    }
    /* Saved and read back, a name with a space and a percent included. */
    struct auth_acl odd = acl(AUTH_PERM_ALLOW, "User:CN=x y", AUTH_OP_READ,
                              AUTH_RES_GROUP, AUTH_PAT_LITERAL, "g 100%");
    auth_acls_add(s, &odd);
    CHECK_EQ_INT(auth_acls_save(s), 0);
    struct auth_acls *t;
    CHECK_EQ_INT(auth_acls_open(dir, &t), 0);
    CHECK_EQ_INT(auth_acls_count(t), 6);
    CHECK(auth_acls_authorize(t, NULL, false, "User:CN=x y", "1.2.3.4",
                              AUTH_RES_GROUP, "g 100%", 6, AUTH_OP_READ));
    /* Filters: MATCH finds what applies to a name; delete removes it. */
    struct auth_acl f = {
        AUTH_RES_TOPIC, AUTH_PAT_MATCH, AUTH_OP_ANY, AUTH_PERM_ANY,
        NULL,           NULL,           NULL};
    static char fname[] = "app-frozen";
    f.name = fname;
    struct auth_acl *removed;
    size_t n = auth_acls_remove(t, &f, &removed);
    CHECK_EQ_INT(n, 2); /* the prefix app- and the literal app-frozen */
    auth_acl_free_all(removed, n);
    CHECK_EQ_INT(auth_acls_count(t), 4);
    auth_acls_destroy(s);
    auth_acls_destroy(t);
    char path[128];
    snprintf(path, sizeof(path), "%s/security/acls", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/security", dir);
    rmdir(path);
    rmdir(dir);
}

TEST(quota_rate)
{
    /* 100 KB/s: the first 10 s window absorbs 1 MB without a throttle. */
    struct auth_quota_rate r = {0};
    int64_t t = 1000000;
    CHECK_EQ_INT(auth_quota_record(&r, t, 500000, 100000), 0);
    CHECK_EQ_INT(auth_quota_record(&r, t + 10, 500000, 100000), 0);
    /* 1.5 MB over the 10 s minimum window: 150 KB/s, 50% over: 5 s. */
    CHECK_EQ_INT(auth_quota_record(&r, t + 20, 500000, 100000), 5000);
    /* No quota, or unlimited: never throttled. */
    CHECK_EQ_INT(auth_quota_record(&r, t + 30, 1 << 30, -1), 0);
    /* Far over: capped at the 11 s window. */
    CHECK_EQ_INT(auth_quota_record(&r, t + 40, 1 << 30, 100000), 11000);
    /* 11 s later every sample is old: the rate starts again. */
    CHECK_EQ_INT(auth_quota_record(&r, t + 12000, 1000, 100000), 0);
    CHECK(auth_quota_rate_value(&r, t + 12000) < 200.0);
    /* Steady under the quota over a long run: no throttle (exactly at it,
     * the 11th sample tips the 10 s window over, as in Kafka). */
    struct auth_quota_rate s = {0};
    int32_t worst = 0;
    for (int i = 0; i < 60; i++) {
        int32_t ms = auth_quota_record(&s, t + i * 1000, 90000, 100000);
        if (ms > worst)
            worst = ms;
    }
    CHECK_EQ_INT(worst, 0);
}

TEST(quotas_file)
{
    char *dir = tmpdir();
    struct auth_quotas *q;
    CHECK_EQ_INT(auth_quotas_open(dir, &q), 0);
    auth_quotas_set(q, "User:alice", 1000, AUTH_QUOTA_DEFAULT);
    auth_quotas_set(q, "User:CN=x y", AUTH_QUOTA_DEFAULT, -1);
    auth_quotas_set(q, "User:alice", AUTH_QUOTA_DEFAULT, 2000);
    CHECK_EQ_INT(auth_quotas_save(q), 0);
    struct auth_quotas *r;
    CHECK_EQ_INT(auth_quotas_open(dir, &r), 0);
    CHECK_EQ_INT(auth_quotas_count(r), 2);
    const struct auth_quota_entry *e = auth_quotas_find(r, "User:alice");
    CHECK(e && e->producer_byte_rate == 1000 && e->consumer_byte_rate == 2000);
    e = auth_quotas_find(r, "User:CN=x y");
    CHECK(e && e->producer_byte_rate == AUTH_QUOTA_DEFAULT &&
          e->consumer_byte_rate == -1);
    CHECK_EQ_INT(auth_quotas_remove(q, "User:alice"), 0);
    CHECK(auth_quotas_remove(q, "User:alice") < 0);
    usleep(20000);
    CHECK_EQ_INT(auth_quotas_save(q), 0);
    auth_quotas_refresh(r);
    CHECK(auth_quotas_find(r, "User:alice") == NULL);
    auth_quotas_destroy(q);
    auth_quotas_destroy(r);
    char path[128];
    snprintf(path, sizeof(path), "%s/security/quotas", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/security", dir);
    rmdir(path);
    rmdir(dir);
}

int main(void)
{
    RUN(scram_rfc7677);
    RUN(scram_first_messages);
    RUN(plain_password);
    RUN(users_file);
    RUN(acl_decisions);
    RUN(quota_rate);
    RUN(quotas_file);
    return harness_summary("test_auth");
}
