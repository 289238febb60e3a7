package kafkasys

import (
	"context"
	"fmt"
	"testing"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/producer/registry"
)

// TestReadBackCommittedOnly: for a transactional producer the read back
// uses read_committed: records of an aborted transaction are never
// delivered, the committed ones are, each once, and the read ends although
// a partition's last offset is a commit marker; read_uncommitted sees both.
func TestReadBackCommittedOnly(t *testing.T) {
	t.Parallel()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, "tx"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.TransactionalID("rb-test"), kgo.DefaultProduceTopic("tx"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, commit := range []bool{true, false, true} {
		if err := cl.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for i := range 10 {
			r := &kgo.Record{Key: []byte(fmt.Sprint(i)), Value: []byte(fmt.Sprint(commit))}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := cl.EndTransaction(ctx, kgo.TransactionEndTry(commit)); err != nil {
			t.Fatal(err)
		}
	}
	count := func(transactional bool) (committed, aborted int) {
		err := readBack(c.ListenAddrs(), nil, transactional)(ctx, []string{"tx"}, func(r *registry.ReadRecord) error {
			if string(r.Value) == "true" {
				committed++
			} else {
				aborted++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return committed, aborted
	}
	if c, a := count(true); c != 20 || a != 0 {
		t.Errorf("read_committed: %d committed, %d aborted records, want 20 and 0", c, a)
	}
	if c, a := count(false); c != 20 || a != 10 {
		t.Errorf("read_uncommitted: %d committed, %d aborted records, want 20 and 10", c, a)
	}
}
