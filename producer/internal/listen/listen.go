// Package listen resolves the listen addresses of prodbench's embedded
// brokers and stand-ins (Kafka, NATS, Pulsar, Pulsar WebSocket), so that
// they all read "host:port" the same way.
package listen

import (
	"fmt"
	"net"
	"strconv"
)

// Addr resolves a stand-in's listen address: "" means 127.0.0.1 with a
// free port (port 0), and an address without a host (":9092") means
// 127.0.0.1, not every interface: a benchmark's stand-in stays on loopback
// unless a host is named. It returns the address to listen on, its host
// and its port (0 for a free one). Errors name what (e.g. "nats: embedded
// server") and the address: not host:port, or a port outside 0–65535.
func Addr(what, listen string) (addr, host string, port uint16, err error) {
	if listen == "" {
		listen = "127.0.0.1:0"
	}
	host, ps, err := net.SplitHostPort(listen)
	if err != nil {
		return "", "", 0, fmt.Errorf("%s: bad listen address %q: %v", what, listen, err)
	}
	p, err := strconv.ParseUint(ps, 10, 16)
	if err != nil {
		return "", "", 0, fmt.Errorf("%s: bad port in listen address %q", what, listen)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, ps), host, uint16(p), nil
}
