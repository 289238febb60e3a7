package nats

import (
	"fmt"
	"net"
	"os"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/prodbench/prodbench/producer/internal/listen"
)

// DefaultListen is where `prodbench broker --kind nats` listens by
// default: the NATS client port on loopback.
const DefaultListen = "127.0.0.1:4222"

// EmbeddedOptions configures StartEmbedded.
type EmbeddedOptions struct {
	// Listen is the host:port for clients. "" means 127.0.0.1 with a
	// random free port; port 0 also picks one; an empty host means
	// 127.0.0.1 (never every interface unless named).
	Listen string
	// StoreDir is the JetStream store directory. "" means a new temporary
	// directory, removed by Close.
	StoreDir string
	// MaxPayload is the largest message the server accepts, in bytes; 0
	// means the server's default (1 MiB).
	MaxPayload int32
}

// Embedded is a NATS server (github.com/nats-io/nats-server/v2) running
// in this process with JetStream on: the real server, not a stand-in.
type Embedded struct {
	srv     *server.Server
	opts    server.Options
	dir     string
	tempDir bool
}

// StartEmbedded starts a NATS server with JetStream as configured by opts
// and waits until it accepts connections. Errors name the listen address
// or the store directory. Close it when done.
func StartEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	_, host, p, err := listen.Addr("nats: embedded server", opts.Listen)
	if err != nil {
		return nil, err
	}
	e := &Embedded{dir: opts.StoreDir}
	if e.dir == "" {
		d, err := os.MkdirTemp("", "prodbench-nats-*")
		if err != nil {
			return nil, fmt.Errorf("nats: embedded server: store directory: %w", err)
		}
		e.dir, e.tempDir = d, true
	}
	sp := int(p)
	if sp == 0 {
		sp = server.RANDOM_PORT
	}
	e.opts = server.Options{
		ServerName: "prodbench",
		Host:       host,
		Port:       sp,
		JetStream:  true,
		StoreDir:   e.dir,
		NoLog:      true,
		NoSigs:     true,
		MaxPayload: opts.MaxPayload,
	}
	if err := e.start(); err != nil {
		e.removeDir()
		return nil, err
	}
	// A restart listens on the same port.
	e.opts.Port = e.srv.Addr().(*net.TCPAddr).Port
	return e, nil
}

func (e *Embedded) start() error {
	o := e.opts
	srv, err := server.NewServer(&o)
	if err != nil {
		return fmt.Errorf("nats: embedded server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(30 * time.Second) {
		srv.Shutdown()
		return fmt.Errorf("nats: embedded server cannot listen on %s:%d (port in use?)", e.opts.Host, e.opts.Port)
	}
	e.srv = srv
	return nil
}

// URL returns the client URL, nats://127.0.0.1:PORT.
func (e *Embedded) URL() string { return e.srv.ClientURL() }

// Addr returns host:port.
func (e *Embedded) Addr() string { return e.srv.Addr().String() }

// StoreDir returns the JetStream store directory.
func (e *Embedded) StoreDir() string { return e.dir }

// Server returns the running nats-server, for tests.
func (e *Embedded) Server() *server.Server { return e.srv }

// Restart shuts the server down (JetStream flushes its file store) and
// starts it again on the same port and store directory, as an operator's
// restart would: file streams keep their messages, memory streams lose
// them.
func (e *Embedded) Restart() error {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
	var err error
	for i := 0; i < 50; i++ { // the port may take a moment to be free again
		if err = e.start(); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

// Close stops the server and removes a temporary store directory. It is
// idempotent.
func (e *Embedded) Close() error {
	if e.srv != nil {
		e.srv.Shutdown()
		e.srv.WaitForShutdown()
	}
	e.removeDir()
	return nil
}

func (e *Embedded) removeDir() {
	if e.tempDir && e.dir != "" {
		_ = os.RemoveAll(e.dir)
		e.dir = ""
	}
}
