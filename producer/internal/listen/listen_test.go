package listen

import (
	"strings"
	"testing"
)

func TestAddr(t *testing.T) {
	for _, c := range []struct {
		in, addr, host string
		port           uint16
	}{
		{"", "127.0.0.1:0", "127.0.0.1", 0},
		{":9092", "127.0.0.1:9092", "127.0.0.1", 9092},
		{"0.0.0.0:4222", "0.0.0.0:4222", "0.0.0.0", 4222},
		{"[::1]:6650", "[::1]:6650", "::1", 6650},
	} {
		addr, host, port, err := Addr("x", c.in)
		if err != nil || addr != c.addr || host != c.host || port != c.port {
			t.Errorf("Addr(%q) = %q %q %d %v, want %q %q %d", c.in, addr, host, port, err, c.addr, c.host, c.port)
		}
	}
	for _, in := range []string{"9092", "h:65536", "h:-1", "h:x"} {
		_, _, _, err := Addr("nats: embedded server", in)
		if err == nil || !strings.HasPrefix(err.Error(), "nats: embedded server: bad") || !strings.Contains(err.Error(), in) {
			t.Errorf("Addr(%q): error %v, want one naming the stand-in and the address", in, err)
		}
	}
}
