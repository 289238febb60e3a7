package nats

import (
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
	"github.com/prodbench/prodbench/workload/units"
)

// Config is the scenario's `target:` block for kind nats (besides kind and
// url, which the scenario decoder handles: the url reaches URL through
// ApplyURL). The zero value means: the embedded server, file storage, one
// replica, limits retention, discard old, no size limits, a 2-minute
// duplicate window, no store compression, no authentication.
//
//	target:
//	  kind: nats
//	  url: nats://127.0.0.1:4222,127.0.0.1:4223   # none: embedded server
//	  storage: file            # file | memory
//	  replicas: 1
//	  retention: limits        # limits | interest | workqueue
//	  discard: old             # old | new
//	  max_msgs: 0              # 0 = unlimited
//	  max_bytes: 0             # 0 = unlimited
//	  max_age: 0s              # 0 = unlimited
//	  duplicate_window: 2m
//	  compression: s2          # none | s2: the stream's store compression
//	  auth: {user: u, password_env: NATS_PASSWORD}
//	  tls: {ca_file: ca.pem, cert_file: c.pem, key_file: k.pem}
type Config struct {
	// URL is the comma-separated server list from `url:` or --target
	// (nats:// or tls:// URLs, as nats.Connect takes them). Empty means
	// the embedded server. Set only through ApplyURL.
	URL string `yaml:"-" json:"-"`

	// Storage is the stream store: "file" (the default) or "memory"
	// (JetStream's StreamConfig.Storage).
	Storage string `yaml:"storage" json:"storage"`
	// Replicas is the stream's replica count (StreamConfig.Replicas); 0
	// means the topic's replication_factor, else 1. The embedded server
	// is a single node: more than 1 is refused there.
	Replicas int `yaml:"replicas" json:"replicas"`
	// Retention is "limits" (the default), "interest" or "workqueue"
	// (StreamConfig.Retention).
	Retention string `yaml:"retention" json:"retention"`
	// Discard is what a full stream does: "old" (the default) drops the
	// oldest messages, "new" refuses the publish (the ack then fails with
	// nats:max_msgs or nats:max_bytes).
	Discard string `yaml:"discard" json:"discard"`
	// MaxMsgs and MaxBytes limit the stream (StreamConfig.MaxMsgs,
	// MaxBytes; max_bytes takes sizes such as 1GiB); 0 means unlimited.
	MaxMsgs  int64      `yaml:"max_msgs" json:"max_msgs"`
	MaxBytes units.Size `yaml:"max_bytes" json:"max_bytes"`
	// MaxAge limits message age (StreamConfig.MaxAge); 0 means
	// unlimited.
	MaxAge units.Duration `yaml:"max_age" json:"max_age"`
	// DuplicateWindow is the stream's duplicate window
	// (StreamConfig.Duplicates): resends with the same Nats-Msg-Id within
	// it are acknowledged as duplicates and not stored again. 0 means 2m
	// (the server's default).
	DuplicateWindow units.Duration `yaml:"duplicate_window" json:"duplicate_window"`
	// Compression is the stream's store compression, "none" (the
	// default) or "s2" (StreamConfig.Compression). It is the server's,
	// not the client's: messages travel uncompressed.
	Compression string `yaml:"compression" json:"compression"`
	// KeyHeader, when set, sends each record's key as a NATS header of
	// that name (NATS messages have no key; by default the key only
	// chooses the partition subject).
	KeyHeader string `yaml:"key_header" json:"key_header"`
	// ConnectTimeout bounds connecting to a server. 0 means 5s.
	ConnectTimeout units.Duration `yaml:"connect_timeout" json:"connect_timeout"`
	// StoreDir is the embedded server's JetStream store directory; empty
	// means a new temporary directory, removed when the run ends. Refused
	// with a url.
	StoreDir string `yaml:"store_dir" json:"store_dir"`

	// Auth holds credentials; TLS the TLS settings.
	Auth Auth `yaml:"auth" json:"auth"`
	TLS  TLS  `yaml:"tls" json:"tls"`
}

// Auth is the `auth:` block: at most one method of user/password, token,
// NKey seed file and creds file. A secret is given literally, from an
// environment variable (*_env) or from a file (*_file, trailing newline
// trimmed); an empty one is refused. Secrets never appear in output or
// errors.
type Auth struct {
	User         string `yaml:"user" json:"user"`
	Password     string `yaml:"password" json:"password"`
	PasswordEnv  string `yaml:"password_env" json:"password_env"`
	PasswordFile string `yaml:"password_file" json:"password_file"`
	Token        string `yaml:"token" json:"token"`
	TokenEnv     string `yaml:"token_env" json:"token_env"`
	TokenFile    string `yaml:"token_file" json:"token_file"`
	// NKeySeedFile is a file holding an NKey user seed (SU...).
	NKeySeedFile string `yaml:"nkey_seed_file" json:"nkey_seed_file"`
	// CredsFile is a NATS creds file (user JWT and NKey seed).
	CredsFile string `yaml:"creds_file" json:"creds_file"`
}

// TLS is the `tls:` block. Any field set makes the connection use TLS.
type TLS struct {
	// CAFile is a PEM file of CA certificates that verify the server.
	CAFile string `yaml:"ca_file" json:"ca_file"`
	// CertFile and KeyFile are the client certificate and key (PEM), for
	// servers that verify clients.
	CertFile string `yaml:"cert_file" json:"cert_file"`
	KeyFile  string `yaml:"key_file" json:"key_file"`
}

func (t *TLS) enabled() bool { return t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" }

// defaultWindow is the async window when max_pending_messages is 0: the
// nats.go default of PublishAsyncMaxPending (4,000) — nats bench's too.
const defaultWindow = 4000

// defaultDupWindow is the server's default duplicate window.
const defaultDupWindow = 2 * time.Minute

// applyURL sets cfg.URL from a --target or `url:` value: one or more
// comma-separated nats:// or tls:// URLs. Errors name the bad part without
// the user information (which may hold a password).
func applyURL(c any, raw string) error {
	cfg := c.(*Config)
	if raw == "" {
		cfg.URL = ""
		return nil
	}
	for _, part := range strings.Split(raw, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return registry.UsageError("nats: empty server in target URL list")
		}
		if !strings.Contains(part, "://") {
			part = "nats://" + part
		}
		u, err := url.Parse(part)
		if err != nil {
			return registry.UsageError("nats: bad server URL %s", redact(part))
		}
		switch u.Scheme {
		case "nats", "tls":
		default:
			return registry.UsageError("nats: server URL scheme %q not supported (want nats or tls)", u.Scheme)
		}
		if u.Hostname() == "" {
			return registry.UsageError("nats: server URL %s has no host", redact(part))
		}
	}
	cfg.URL = raw
	return nil
}

// redact returns raw with any user information replaced by "***".
func redact(raw string) string {
	out := make([]string, 0, 2)
	for _, part := range strings.Split(raw, ",") {
		if i := strings.Index(part, "://"); i >= 0 {
			rest := part[i+3:]
			if at := strings.LastIndex(rest, "@"); at >= 0 {
				part = part[:i+3] + "***@" + rest[at+1:]
			}
		} else if at := strings.LastIndex(part, "@"); at >= 0 {
			part = "***@" + part[at+1:]
		}
		out = append(out, part)
	}
	return strings.Join(out, ",")
}

// refusedOption is a producer option NATS JetStream has no meaning for.
type refusedOption struct {
	field string // dotted, as in scenario files
	set   func(p *producer.Config, d *producer.Config) bool
	why   string
}

// refused lists the producer options the nats target refuses when set,
// with the reason printed.
var refused = []refusedOption{
	{"producer.linger", func(p, d *producer.Config) bool { return p.Linger != d.Linger },
		"JetStream publishes every message on its own (no client batches)"},
	{"producer.max_batch_bytes", func(p, d *producer.Config) bool { return p.MaxBatchBytes != d.MaxBatchBytes },
		"JetStream publishes every message on its own (no client batches)"},
	{"producer.max_batch_messages", func(p, d *producer.Config) bool { return p.MaxBatchMessages != d.MaxBatchMessages },
		"JetStream publishes every message on its own (no client batches)"},
	{"producer.batching", func(p, d *producer.Config) bool { return p.Batching != d.Batching },
		"JetStream publishes every message on its own (no client batches)"},
	{"producer.compression", func(p, d *producer.Config) bool { return p.Compression != d.Compression },
		"NATS clients do not compress messages; use target.compression: s2 for the stream's store compression"},
	{"producer.compression_level", func(p, d *producer.Config) bool { return p.CompressionLevel != d.CompressionLevel },
		"NATS clients do not compress messages"},
	{"producer.acks", func(p, d *producer.Config) bool { return p.Acks != d.Acks },
		"a JetStream publish is acknowledged once the stream has stored it (its replicas' quorum); there are no acks levels"},
	{"producer.max_in_flight", func(p, d *producer.Config) bool { return p.MaxInFlight != d.MaxInFlight },
		"the async window is producer.max_pending_messages"},
	{"producer.max_pending_bytes", func(p, d *producer.Config) bool { return p.MaxPendingBytes != d.MaxPendingBytes },
		"the async window counts messages (producer.max_pending_messages), not bytes"},
	{"producer.transactional_id", func(p, d *producer.Config) bool { return p.TransactionalID != d.TransactionalID },
		"JetStream has no producer transactions"},
	{"producer.transaction_max_messages", func(p, d *producer.Config) bool { return p.TransactionMaxMessages != d.TransactionMaxMessages },
		"JetStream has no producer transactions"},
	{"producer.transaction_interval", func(p, d *producer.Config) bool { return false },
		"JetStream has no producer transactions"},
}

// validate checks cfg and p for the nats target (registry.System.Validate).
func validate(c any, p producer.Config, sc registry.Scope) error {
	cfg := c.(*Config)
	d := producer.DefaultConfig()
	for _, r := range refused {
		if sc.Has(r.field) || r.set(&p, &d) {
			return sc.Errorf(r.field, "%s is not supported by target kind nats: %s", strings.TrimPrefix(r.field, "producer."), r.why)
		}
	}
	if p.CustomPartitioner == nil {
		switch p.Partitioner {
		case producer.PartitionerDefault, producer.PartitionerRoundRobin:
		default:
			return sc.Errorf("producer.partitioner", "partitioner %q is not supported by target kind nats (want %s or %s: there are no batches to stick to)",
				p.Partitioner, producer.PartitionerDefault, producer.PartitionerRoundRobin)
		}
	}
	if err := p.Validate(); err != nil {
		return sc.Errorf("producer", "%v", err)
	}
	for _, f := range []struct {
		name, value, want string
		values            []string // "" is valid too: the default
	}{
		{"storage", cfg.Storage, "file or memory", []string{"file", "memory"}},
		{"retention", cfg.Retention, "limits, interest or workqueue", []string{"limits", "interest", "workqueue"}},
		{"discard", cfg.Discard, "old or new", []string{"old", "new"}},
		{"compression", cfg.Compression, "none or s2 (the stream's store compression)", []string{"none", "s2"}},
	} {
		if f.value != "" && !slices.Contains(f.values, f.value) {
			return sc.Errorf("target."+f.name, "%s %q: want %s", f.name, f.value, f.want)
		}
	}
	switch {
	case cfg.Replicas < 0 || cfg.Replicas > 5:
		return sc.Errorf("target.replicas", "replicas must be 0 (default) to 5, got %d", cfg.Replicas)
	case cfg.MaxMsgs < 0:
		return sc.Errorf("target.max_msgs", "max_msgs must not be negative, got %d", cfg.MaxMsgs)
	case cfg.MaxBytes < 0:
		return sc.Errorf("target.max_bytes", "max_bytes must not be negative, got %d", cfg.MaxBytes)
	case cfg.MaxAge < 0:
		return sc.Errorf("target.max_age", "max_age must not be negative, got %v", cfg.MaxAge)
	case cfg.DuplicateWindow < 0:
		return sc.Errorf("target.duplicate_window", "duplicate_window must not be negative, got %v", cfg.DuplicateWindow)
	case cfg.ConnectTimeout < 0:
		return sc.Errorf("target.connect_timeout", "connect_timeout must not be negative, got %v", cfg.ConnectTimeout)
	case cfg.URL != "" && cfg.StoreDir != "":
		return sc.Errorf("target.store_dir", "store_dir is for the embedded server; it cannot be used with a url")
	case cfg.URL == "" && cfg.Replicas > 1:
		return sc.Errorf("target.replicas", "the embedded server is a single node: replicas must be 1, got %d", cfg.Replicas)
	case cfg.KeyHeader != "" && strings.ContainsAny(cfg.KeyHeader, ": \r\n"):
		return sc.Errorf("target.key_header", "key_header %q: a header name has no colon, space or line break", cfg.KeyHeader)
	}
	if err := validateAuth(&cfg.Auth, sc); err != nil {
		return err
	}
	if (cfg.TLS.CertFile == "") != (cfg.TLS.KeyFile == "") {
		return sc.Errorf("target.tls", "cert_file and key_file go together")
	}
	return nil
}

func validateAuth(a *Auth, sc registry.Scope) error {
	methods := 0
	if a.User != "" {
		methods++
	}
	if a.Token != "" || a.TokenEnv != "" || a.TokenFile != "" {
		methods++
	}
	if a.NKeySeedFile != "" {
		methods++
	}
	if a.CredsFile != "" {
		methods++
	}
	if methods > 1 {
		return sc.Errorf("target.auth", "give one of user/password, token, nkey_seed_file or creds_file")
	}
	if n := count(a.Password, a.PasswordEnv, a.PasswordFile); n > 1 {
		return sc.Errorf("target.auth.password", "give one of password, password_env or password_file")
	} else if n == 1 && a.User == "" {
		return sc.Errorf("target.auth.user", "a password needs a user")
	}
	if count(a.Token, a.TokenEnv, a.TokenFile) > 1 {
		return sc.Errorf("target.auth.token", "give one of token, token_env or token_file")
	}
	return nil
}

func count(ss ...string) int {
	n := 0
	for _, s := range ss {
		if s != "" {
			n++
		}
	}
	return n
}
