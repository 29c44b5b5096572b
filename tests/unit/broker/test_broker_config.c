/* test_broker_config.c - `rill serve` properties: table of inputs and the
 * resulting settings or errors. */
#include <string.h>

#include "base/config.h"
#include "broker/broker.h"
#include "../../harness.h"

struct ccase {
    const char *text;
    int ok; /* 1 = applies, 0 = ERR_INVALID */
    const char *host;
    int port;
    const char *adv_host;
    int adv_port;
    int32_t parts;
    bool autocreate;
    int64_t retention_ms;
};

static const struct ccase cases[] = {
    {"", 1, "127.0.0.1", 9092, "", 0, 1, true, 7LL * 24 * 3600 * 1000},
    {"listeners=PLAINTEXT://0.0.0.0:19092\n", 1, "0.0.0.0", 19092, "", 0, 1,
     true, 7LL * 24 * 3600 * 1000},
    {"listeners=:9999\nadvertised.listeners=PLAINTEXT://kafka.local:29092\n", 1,
     "127.0.0.1", 9999, "kafka.local", 29092, 1, true, 7LL * 24 * 3600 * 1000},
    {"num.partitions=8\nauto.create.topics.enable=false\n", 1, "127.0.0.1",
     9092, "", 0, 8, false, 7LL * 24 * 3600 * 1000},
    {"log.retention.hours=2\n", 1, "127.0.0.1", 9092, "", 0, 1, true,
     2 * 3600000LL},
    {"log.retention.hours=2\nlog.retention.ms=5000\n", 1, "127.0.0.1", 9092, "",
     0, 1, true, 5000},
    {"log.retention.ms=-1\n", 1, "127.0.0.1", 9092, "", 0, 1, true, -1},
    {"num.partitions=0\n", 0, NULL, 0, NULL, 0, 0, false, 0},
    {"num.partitions=abc\n", 0, NULL, 0, NULL, 0, 0, false, 0},
    {"listeners=nonsense\n", 0, NULL, 0, NULL, 0, 0, false, 0},
    {"listeners=host:99999\n", 0, NULL, 0, NULL, 0, 0, false, 0},
    {"auto.create.topics.enable=maybe\n", 0, NULL, 0, NULL, 0, 0, false, 0},
    {"max.connections=0\n", 0, NULL, 0, NULL, 0, 0, false, 0},
    {"message.max.bytes=10\n", 0, NULL, 0, NULL, 0, 0, false, 0},
};

TEST(config_table)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct ccase *c = &cases[i];
        struct config props;
        char err[256] = "";
        config_init(&props);
        CHECK_EQ_INT(config_parse(&props, c->text, err, sizeof(err)), 0);
        struct broker_config cfg;
        broker_config_defaults(&cfg);
        int rc = broker_config_apply(&cfg, &props, err, sizeof(err));
        if (!c->ok) {
            CHECK(rc < 0);
            CHECK(err[0] != '\0');
        } else {
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_STR(cfg.listen_host, c->host);
            CHECK_EQ_INT(cfg.listen_port, c->port);
            CHECK_EQ_STR(cfg.advertised_host, c->adv_host);
            CHECK_EQ_INT(cfg.advertised_port, c->adv_port);
            CHECK_EQ_INT(cfg.num_partitions, c->parts);
            CHECK_EQ_INT(cfg.auto_create_topics, c->autocreate);
            CHECK_EQ_INT(cfg.retention_ms, c->retention_ms);
        }
        if (rc != (c->ok ? 0 : rc))
            fprintf(stderr, "  case %zu: %s\n", i, err);
        config_fini(&props);
    }
}

TEST(frame_limit_covers_message_limit)
{
    struct config props;
    char err[256];
    config_init(&props);
    config_set(&props, "message.max.bytes", "5000000");
    config_set(&props, "socket.request.max.bytes", "2000");
    struct broker_config cfg;
    broker_config_defaults(&cfg);
    CHECK_EQ_INT(broker_config_apply(&cfg, &props, err, sizeof(err)), 0);
    CHECK(cfg.max_frame_bytes >= cfg.message_max_bytes + 1024);
    config_fini(&props);
}

TEST(read_durable)
{
    static const struct {
        const char *value;
        int ok;
        bool want;
    } t[] = {{NULL, 1, false},
             {"true", 1, true},
             {"false", 1, false},
             {"1", 1, true},
             {"maybe", 0, false}};
    for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct config props;
        char err[256] = "";
        config_init(&props);
        if (t[i].value)
            config_set(&props, "rill.read.durable", t[i].value);
        struct broker_config cfg;
        broker_config_defaults(&cfg);
        int rc = broker_config_apply(&cfg, &props, err, sizeof(err));
        if (t[i].ok) {
            CHECK_EQ_INT(rc, 0);
            CHECK_EQ_INT(cfg.read_durable, t[i].want);
        } else {
            CHECK(rc < 0);
            CHECK(strstr(err, "rill.read.durable") != NULL);
        }
        config_fini(&props);
    }
}

int main(void)
{
    RUN(config_table);
    RUN(read_durable);
    RUN(frame_limit_covers_message_limit);
    return harness_summary("test_broker_config");
}
