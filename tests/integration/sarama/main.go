// sarama/main.go - Go's sarama (Debian's golang-github-shopify-sarama-dev,
// 1.22) against `rill serve`, configured for Kafka 2.2 and never asking
// ApiVersions: it sends Metadata v5 and the versions of its table as they
// are. Admin (CreateTopic, ListTopics, CreatePartitions, DescribeConfig,
// AlterConfig, DeleteRecords, ListConsumerGroups, DeleteTopic), a sync producer with acks=all, a partition consumer and a
// consumer group with committed offsets. Built offline in GOPATH mode by
// tests/integration/test_sarama.py. Prints "ok: ..." lines; exits 1 on the
// first failure.
package main

import (
	"context"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/Shopify/sarama"
)

func check(cond bool, format string, args ...interface{}) {
	msg := fmt.Sprintf(format, args...)
	if !cond {
		fmt.Fprintln(os.Stderr, "FAIL:", msg)
		os.Exit(1)
	}
	fmt.Println("ok:", msg)
}

type handler struct {
	mu   sync.Mutex
	seen int
	done chan struct{}
	want int
	once sync.Once
}

func (h *handler) Setup(sarama.ConsumerGroupSession) error   { return nil }
func (h *handler) Cleanup(sarama.ConsumerGroupSession) error { return nil }
func (h *handler) ConsumeClaim(s sarama.ConsumerGroupSession, c sarama.ConsumerGroupClaim) error {
	for m := range c.Messages() {
		s.MarkMessage(m, "")
		h.mu.Lock()
		h.seen++
		if h.seen >= h.want {
			h.once.Do(func() { close(h.done) })
		}
		h.mu.Unlock()
	}
	return nil
}

func main() {
	addrs := []string{os.Args[1]}
	cfg := sarama.NewConfig()
	cfg.Version = sarama.V2_2_0_0
	cfg.ClientID = "sarama-test"
	cfg.Producer.RequiredAcks = sarama.WaitForAll
	cfg.Producer.Return.Successes = true
	cfg.Producer.Partitioner = sarama.NewHashPartitioner
	cfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	cfg.Consumer.Offsets.CommitInterval = 100 * time.Millisecond
	cfg.Metadata.Retry.Backoff = 200 * time.Millisecond

	admin, err := sarama.NewClusterAdmin(addrs, cfg)
	check(err == nil, "sarama ClusterAdmin connects (Metadata v5, no ApiVersions): %v", err)
	ret := "3600000"
	err = admin.CreateTopic("gs", &sarama.TopicDetail{NumPartitions: 3, ReplicationFactor: 1,
		ConfigEntries: map[string]*string{"retention.ms": &ret}}, false)
	check(err == nil, "CreateTopic gs (3 partitions, retention.ms): %v", err)
	topics, err := admin.ListTopics()
	check(err == nil && topics["gs"].NumPartitions == 3, "ListTopics (Metadata + DescribeConfigs): %v %v", err, topics["gs"])

	prod, err := sarama.NewSyncProducer(addrs, cfg)
	check(err == nil, "SyncProducer: %v", err)
	perPart := map[int32]int{}
	for i := 0; i < 30; i++ {
		p, _, err := prod.SendMessage(&sarama.ProducerMessage{Topic: "gs",
			Key: sarama.StringEncoder(fmt.Sprintf("k%d", i)), Value: sarama.StringEncoder(fmt.Sprintf("v%d", i))})
		if err != nil {
			check(false, "SendMessage %d: %v", i, err)
		}
		perPart[p]++
	}
	prod.Close()
	check(len(perPart) > 1, "30 keyed records produced with acks=all over %d partitions", len(perPart))

	cons, err := sarama.NewConsumer(addrs, cfg)
	check(err == nil, "Consumer: %v", err)
	got := 0
	for p := int32(0); p < 3; p++ {
		pc, err := cons.ConsumePartition("gs", p, sarama.OffsetOldest)
		check(err == nil, "ConsumePartition %d: %v", p, err)
		for n := 0; n < perPart[p]; n++ {
			select {
			case <-pc.Messages():
				got++
			case <-time.After(10 * time.Second):
				check(false, "partition %d: timed out after %d", p, n)
			}
		}
		pc.Close()
	}
	cons.Close()
	check(got == 30, "a partition consumer read all 30 back (Fetch v4)")

	group, err := sarama.NewConsumerGroup(addrs, "sg", cfg)
	check(err == nil, "ConsumerGroup: %v", err)
	h := &handler{done: make(chan struct{}), want: 30}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		for ctx.Err() == nil {
			group.Consume(ctx, []string{"gs"}, h)
		}
	}()
	select {
	case <-h.done:
	case <-time.After(30 * time.Second):
	}
	time.Sleep(500 * time.Millisecond) // one commit interval
	cancel()
	group.Close()
	check(h.seen >= 30, "a consumer group read all 30 (JoinGroup, SyncGroup, Heartbeat): %d", h.seen)
	offs, err := admin.ListConsumerGroupOffsets("sg", map[string][]int32{"gs": {0, 1, 2}})
	total := int64(0)
	if err == nil {
		for p := int32(0); p < 3; p++ {
			if b := offs.GetBlock("gs", p); b != nil && b.Offset > 0 {
				total += b.Offset
			}
		}
	}
	check(err == nil && total == 30, "the group committed offsets summing to 30: %v %d", err, total)
	groups, err := admin.ListConsumerGroups()
	_, listed := groups["sg"]
	check(err == nil && listed, "ListConsumerGroups lists sg: %v", err)

	err = admin.CreatePartitions("gs", 4, nil, false)
	check(err == nil, "CreatePartitions gs -> 4: %v", err)
	md, err := admin.DescribeTopics([]string{"gs"})
	check(err == nil && len(md) == 1 && len(md[0].Partitions) == 4, "DescribeTopics: 4 partitions: %v", err)
	newret := "7200000"
	err = admin.AlterConfig(sarama.TopicResource, "gs", map[string]*string{"retention.ms": &newret}, false)
	check(err == nil, "AlterConfig retention.ms: %v", err)
	entries, err := admin.DescribeConfig(sarama.ConfigResource{Type: sarama.TopicResource, Name: "gs"})
	val := ""
	for _, e := range entries {
		if e.Name == "retention.ms" {
			val = e.Value
		}
	}
	check(err == nil && val == "7200000", "DescribeConfig shows retention.ms=%s: %v", val, err)
	var p0 int32 = -1
	for p, n := range perPart {
		if n >= 2 {
			p0 = p
		}
	}
	err = admin.DeleteRecords("gs", map[int32]int64{p0: 2})
	check(err == nil, "DeleteRecords gs-%d below 2: %v", p0, err)
	client, err := sarama.NewClient(addrs, cfg)
	check(err == nil, "Client: %v", err)
	oldest, err := client.GetOffset("gs", p0, sarama.OffsetOldest)
	check(err == nil && oldest == 2, "the oldest offset is now 2 (ListOffsets): %d %v", oldest, err)
	client.Close()
	err = admin.DeleteTopic("gs")
	check(err == nil, "DeleteTopic: %v", err)
	admin.Close()
	fmt.Println("sarama: ok")
}
