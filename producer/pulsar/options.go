package pulsar

import (
	"crypto/tls"
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/apache/pulsar-client-go/pulsar"
	"github.com/spaolacci/murmur3"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/workload/units"
)

// Routing modes (target.routing_mode), as Pulsar's MessageRoutingMode.
const (
	// RoutingRoundRobin sends keyless messages to the partitions in turn,
	// staying on one for a batch's worth of messages (pulsar-client-go's
	// default router, Pulsar's RoundRobinPartition). The default.
	RoutingRoundRobin = "round_robin"
	// RoutingSinglePartition sends every keyless message to one partition
	// chosen once per topic (Pulsar's SinglePartition).
	RoutingSinglePartition = "single_partition"
)

// Hashing schemes for keyed messages (target.hashing_scheme), as
// pulsar.HashingScheme.
const (
	// HashJavaString is Java's String.hashCode() (pulsar.JavaStringHash).
	// The default.
	HashJavaString = "java_string_hash"
	// HashMurmur3 is Murmur3 32-bit, masked to 31 bits as the Java client
	// does (pulsar.Murmur3_32Hash).
	HashMurmur3 = "murmur3_32hash"
)

// maxBatchMessagesUnlimited is what max_batch_messages 0 (no count limit)
// becomes: pulsar-client-go reads 0 as its default of 1,000.
const maxBatchMessagesUnlimited = 1 << BatchIndexBits

// Target is the scenario's `target:` block for kind pulsar:
//
//	target: {kind: pulsar}                                   # embedded stand-in
//	target: {kind: pulsar, url: "pulsar://127.0.0.1:6650"}
//	target: {kind: pulsar, url: "pulsar+ssl://127.0.0.1:6651", token_env: PULSAR_TOKEN,
//	         tls_trust_certs_file: ca.pem, routing_mode: single_partition}
//
// The url (scenario `url:` or --target) is applied by ApplyURL into URL.
type Target struct {
	// URL is the service URL, pulsar://host:port or
	// pulsar+ssl://host:port; "" means the embedded stand-in.
	URL string `yaml:"-" json:"-"`
	// TokenEnv names an environment variable holding a token for token
	// authentication (Pulsar's AuthenticationToken); TokenFile names a
	// file holding one. At most one of them. The token never appears in
	// any output.
	TokenEnv  string `yaml:"token_env,omitempty" json:"token_env,omitempty"`
	TokenFile string `yaml:"token_file,omitempty" json:"token_file,omitempty"`
	// TLSTrustCertsFile is a PEM file of CA certificates to trust
	// (ClientOptions.TLSTrustCertsFilePath).
	TLSTrustCertsFile string `yaml:"tls_trust_certs_file,omitempty" json:"tls_trust_certs_file,omitempty"`
	// TLSCertFile and TLSKeyFile are a client certificate and key for TLS
	// authentication (pulsar.NewAuthenticationTLS); both or neither, and
	// not with a token.
	TLSCertFile string `yaml:"tls_cert_file,omitempty" json:"tls_cert_file,omitempty"`
	TLSKeyFile  string `yaml:"tls_key_file,omitempty" json:"tls_key_file,omitempty"`
	// TLSAllowInsecure accepts any server certificate
	// (ClientOptions.TLSAllowInsecureConnection). Default false.
	TLSAllowInsecure bool `yaml:"tls_allow_insecure,omitempty" json:"tls_allow_insecure,omitempty"`
	// TLSValidateHostname checks the server certificate's host name
	// (ClientOptions.TLSValidateHostname). Default false, as the client.
	TLSValidateHostname bool `yaml:"tls_validate_hostname,omitempty" json:"tls_validate_hostname,omitempty"`
	// RoutingMode is RoutingRoundRobin ("round_robin", the default) or
	// RoutingSinglePartition ("single_partition"); keyed messages always
	// go by the hash of their key.
	RoutingMode string `yaml:"routing_mode,omitempty" json:"routing_mode,omitempty"`
	// HashingScheme is HashJavaString ("java_string_hash", the default)
	// or HashMurmur3 ("murmur3_32hash").
	HashingScheme string `yaml:"hashing_scheme,omitempty" json:"hashing_scheme,omitempty"`
	// ConnectionTimeout bounds establishing a connection
	// (ClientOptions.ConnectionTimeout); 0 means the client's 10 s.
	ConnectionTimeout units.Duration `yaml:"connection_timeout,omitempty" json:"connection_timeout,omitempty"`
	// ProducerName, when set, names the producers "<name>-<topic>"
	// (ProducerOptions.Name); "" lets the broker name them.
	ProducerName string `yaml:"producer_name,omitempty" json:"producer_name,omitempty"`
}

// Options are what New needs besides the producer.Config: the resolved
// target (secrets read).
type Options struct {
	// URL is the service URL (pulsar:// or pulsar+ssl://).
	URL string
	// Token is the authentication token; "" means none.
	Token string
	// TLS fields as in Target; TLSConfig, when not nil, is used as the
	// client's TLS configuration (tests pass the stand-in's CA this way).
	TLSTrustCertsFile   string
	TLSCertFile         string
	TLSKeyFile          string
	TLSAllowInsecure    bool
	TLSValidateHostname bool
	TLSConfig           *tls.Config
	// RoutingMode, HashingScheme and ProducerName as in Target ("" means
	// the default).
	RoutingMode   string
	HashingScheme string
	ProducerName  string
	// ConnectionTimeout as in Target; 0 means the client's default.
	ConnectionTimeout time.Duration

	seed uint64 // single_partition's choice
}

// ParseURL checks a Pulsar service URL: scheme pulsar or pulsar+ssl, a
// host and a port from 1 to 65535, nothing else. Errors never repeat user
// information.
func ParseURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("want pulsar://host:port or pulsar+ssl://host:port: cannot parse the URL")
	}
	if u.Scheme != SchemePulsar && u.Scheme != SchemePulsarSSL {
		return "", fmt.Errorf("want scheme pulsar or pulsar+ssl, got %q", u.Scheme)
	}
	if u.User != nil {
		return "", fmt.Errorf("pulsar URL: user information is not supported (use token_env or token_file)")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("pulsar URL: want no path or query, only %s://host:port", u.Scheme)
	}
	host, port, err := net.SplitHostPort(u.Host)
	p, perr := strconv.Atoi(port)
	if err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
		return "", fmt.Errorf("pulsar URL: want host:port with a port from 1 to 65535, got %q", u.Host)
	}
	return u.Scheme + "://" + u.Host, nil
}

// checkTarget checks a decoded block; field names the failing field
// ("target.routing_mode").
func checkTarget(t *Target) (field string, err error) {
	switch t.RoutingMode {
	case "", RoutingRoundRobin, RoutingSinglePartition:
	default:
		return "target.routing_mode", fmt.Errorf("unknown routing mode %q (want %s or %s)", t.RoutingMode, RoutingRoundRobin, RoutingSinglePartition)
	}
	switch t.HashingScheme {
	case "", HashJavaString, HashMurmur3:
	default:
		return "target.hashing_scheme", fmt.Errorf("unknown hashing scheme %q (want %s or %s)", t.HashingScheme, HashJavaString, HashMurmur3)
	}
	if t.TokenEnv != "" && t.TokenFile != "" {
		return "target.token_file", fmt.Errorf("give token_env or token_file, not both")
	}
	if (t.TLSCertFile == "") != (t.TLSKeyFile == "") {
		return "target.tls_key_file", fmt.Errorf("tls_cert_file and tls_key_file go together")
	}
	if t.TLSCertFile != "" && (t.TokenEnv != "" || t.TokenFile != "") {
		return "target.tls_cert_file", fmt.Errorf("give either a token or a TLS client certificate for authentication, not both")
	}
	if t.ConnectionTimeout < 0 {
		return "target.connection_timeout", fmt.Errorf("must not be negative, got %v", time.Duration(t.ConnectionTimeout))
	}
	if t.URL == "" && (t.TokenEnv != "" || t.TokenFile != "" || t.TLSCertFile != "" || t.TLSTrustCertsFile != "") {
		return "target.url", fmt.Errorf("authentication and TLS options need a url (the embedded stand-in takes none)")
	}
	return "", nil
}

// checkProducerConfig refuses producer options pulsar-client-go cannot
// honour, naming the option. has reports whether the scenario sets a
// field (nil: only values are checked).
func checkProducerConfig(c producer.Config, has func(string) bool) error {
	set := func(f string) bool { return has != nil && has(f) }
	def := producer.DefaultConfig()
	switch {
	case c.Acks != producer.AcksAll:
		return fmt.Errorf("acks: Pulsar acknowledges a message once it is persisted; only acks all is meaningful, got %v", c.Acks)
	case c.Idempotent || c.TransactionalID != "":
		return fmt.Errorf("idempotent: Kafka's idempotent and transactional producer has no pulsar-client-go equivalent here")
	case c.Compression == producer.CodecGzip:
		return fmt.Errorf("compression: Pulsar has no gzip codec (want none, lz4, zlib, zstd or snappy)")
	case c.CompressionLevel != 0 && c.Compression != producer.CodecZstd:
		return fmt.Errorf("compression_level: pulsar-client-go compresses %v at one fixed level; levels apply to zstd only", c.Compression)
	case c.Batching && c.Linger <= 0:
		return fmt.Errorf("linger: pulsar-client-go reads 0 as its 10ms default batching delay; give a positive linger or batching: false")
	case c.Linger > 0 && c.Linger < time.Millisecond && c.Batching:
		return fmt.Errorf("linger: pulsar-client-go flushes batches on a ticker; want at least 1ms, got %v", c.Linger)
	case c.MaxBatchMessages > maxBatchMessagesUnlimited:
		return fmt.Errorf("max_batch_messages: at most %d, got %d", maxBatchMessagesUnlimited, c.MaxBatchMessages)
	case c.MaxPendingMessages > math.MaxInt32:
		return fmt.Errorf("max_pending_messages: at most %d, got %d", math.MaxInt32, c.MaxPendingMessages)
	case c.CustomPartitioner != nil || set("producer.partitioner"):
		return fmt.Errorf("partitioner: Pulsar routes with target.routing_mode (round_robin, single_partition) and target.hashing_scheme")
	case c.AutoCreateTopics:
		return fmt.Errorf("auto_create_topics: Pulsar brokers create topics by their own policy (allowAutoTopicCreation)")
	case c.MaxInFlight != def.MaxInFlight:
		return fmt.Errorf("max_in_flight: pulsar-client-go pipelines up to max_pending_messages per partition; it has no request limit (leave max_in_flight unset)")
	case c.Retries != def.Retries || c.RetryBackoff != def.RetryBackoff || c.MaxRetryBackoff != def.MaxRetryBackoff:
		return fmt.Errorf("retries: pulsar-client-go resends pending messages after reconnecting until send_timeout; it has no retry count or backoff to set (leave retries and retry_backoff unset)")
	}
	return nil
}

// compression maps a codec and level onto pulsar-client-go's; zstd levels
// map to its three: <= 2 Faster, 0 and 3 Default, >= 4 Better.
func compression(c producer.Codec, level int) (pulsar.CompressionType, pulsar.CompressionLevel) {
	var ct pulsar.CompressionType
	switch c {
	case producer.CodecLZ4:
		ct = pulsar.LZ4
	case producer.CodecZlib:
		ct = pulsar.ZLib
	case producer.CodecZstd:
		ct = pulsar.ZSTD
	case producer.CodecSnappy:
		ct = pulsar.SNAPPY
	default:
		ct = pulsar.NoCompression
	}
	lv := pulsar.Default
	if c == producer.CodecZstd {
		switch {
		case level == 0 || level == 3:
		case level <= 2:
			lv = pulsar.Faster
		default:
			lv = pulsar.Better
		}
	}
	return ct, lv
}

func pulsarHashing(s string) pulsar.HashingScheme {
	if s == HashMurmur3 {
		return pulsar.Murmur3_32Hash
	}
	return pulsar.JavaStringHash
}

// hashFunc returns the key hash of a scheme, as pulsar-client-go computes
// it (its own are internal).
func hashFunc(s string) func(string) uint32 {
	if s == HashMurmur3 {
		return Murmur3Hash
	}
	return JavaStringHash
}

// JavaStringHash is Java's String.hashCode() over the key's bytes, as
// pulsar-client-go's JavaStringHash computes it.
func JavaStringHash(s string) uint32 {
	var h uint32
	for i := 0; i < len(s); i++ {
		h = 31*h + uint32(s[i])
	}
	return h
}

// Murmur3Hash is Murmur3 32-bit (seed 0) of the key masked to 31 bits, as
// pulsar-client-go's Murmur3_32Hash computes it.
func Murmur3Hash(s string) uint32 {
	return murmur3.Sum32([]byte(s)) & 0x7fffffff
}

// describe returns "pulsar at URL" or the stand-in, without secrets.
func describe(t *Target) string {
	if t.URL == "" {
		return "pulsar, embedded in-process stand-in (not Pulsar)"
	}
	s := "pulsar at " + redact(t.URL)
	switch {
	case t.TokenEnv != "" || t.TokenFile != "":
		s += ", token auth"
	case t.TLSCertFile != "":
		s += ", TLS client auth"
	}
	return s
}

// trimScheme returns the host:port of a service URL.
func trimScheme(u string) string {
	_, rest, _ := strings.Cut(u, "://")
	return rest
}
