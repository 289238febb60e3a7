package main

import (
	"strings"
	"testing"

	"github.com/prodbench/prodbench/producer/registry"
)

// FuzzApplyURL feeds --target URLs to every registered system's ApplyURL:
// no panic, and no error echoes a URL's password.
func FuzzApplyURL(f *testing.F) {
	for _, u := range []string{
		"kafka://h1:9092,h2:9092", "kafka://user:s3cretpw@h:9092?sasl=plain&tls=true",
		"nats://h:4222", "pulsar://h:6650", "pulsar+ssl://h:6651", "ws://h:8080/ws", "wss://x:y@h/%zz",
		"sim://?brokers=3&latency=1ms", "nats://user:s3cretpw@h:bad", "pulsar://user:s3cretpw@h:x",
		"ws://user:s3cretpw@h:99999", "sim://user:s3cretpw@h", "kafka://[::1", "kafka://h:99999999999999999999",
	} {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		for _, k := range registry.Kinds() {
			sys, _ := registry.Lookup(k)
			if sys.ApplyURL == nil {
				continue
			}
			own := false
			for _, sc := range sys.Schemes {
				own = own || strings.HasPrefix(raw, sc+"://")
			}
			err := sys.ApplyURL(sys.NewConfig(), raw)
			if own && err != nil && strings.Contains(err.Error(), ":s3cretpw@") {
				t.Fatalf("%s: error %q shows the password", k, err)
			}
		}
	})
}
