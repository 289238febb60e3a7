package nats

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/producer/transporttest"
	"github.com/prodbench/prodbench/workload/units"
)

// TestAuthUserPassword: a password from a file connects; a wrong one
// fails with an error that does not contain it.
func TestAuthUserPassword(t *testing.T) {
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoLog: true, NoSigs: true, Username: "app", Password: "right-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		t.Fatal("server not ready")
	}
	defer srv.Shutdown()
	pwFile := transporttest.TempFile(t, "pw", []byte("right-horse-battery\n"))
	pc := producer.DefaultConfig()
	pc.AutoCreateTopics = true
	topics := []registry.Topic{{Name: "auth", Partitions: 1}}
	good := &Config{URL: srv.ClientURL(), Auth: Auth{User: "app", PasswordFile: pwFile}}
	e, _, err := openEngine(context.Background(), good, pc, topics, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := newResult()
	e.Send(context.Background(), &producer.Record{Topic: "auth", Value: []byte("x")}, res.cb)
	if err := e.Close(context.Background()); err != nil || len(res.acked) != 1 {
		t.Fatalf("close %v, acked %d, failures %v", err, len(res.acked), res.errs)
	}
	bad := &Config{URL: srv.ClientURL(), Auth: Auth{User: "app", Password: "wrong-horse-staple"}, ConnectTimeout: units.Duration(2 * time.Second)}
	_, _, err = openEngine(context.Background(), bad, pc, topics, nil)
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	if strings.Contains(err.Error(), "wrong-horse-staple") {
		t.Fatalf("error shows the password: %v", err)
	}
}
