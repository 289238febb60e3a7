package kafkasys

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

// Java partitioner classes (partitioner.class) and prodbench's names.
var partitionerClasses = map[string]string{
	"org.apache.kafka.clients.producer.RoundRobinPartitioner":              producer.PartitionerRoundRobin,
	"org.apache.kafka.clients.producer.UniformStickyPartitioner":           producer.PartitionerSticky,
	"org.apache.kafka.clients.producer.internals.DefaultPartitioner":       producer.PartitionerDefault,
	"org.apache.kafka.clients.producer.internals.BuiltInPartitioner":       producer.PartitionerUniformBytes,
	"org.apache.kafka.clients.producer.internals.UniformStickyPartitioner": producer.PartitionerSticky,
}

// jaasOpt matches one option of a sasl.jaas.config login module.
var jaasOpt = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;"]+)`)

// parseJAAS splits "Module required k="v" ...;" into the module class
// and its options. Errors never hold the text (it holds a password).
func parseJAAS(v string) (module string, opts map[string]string, err error) {
	v = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), ";"))
	fields := strings.Fields(v)
	if len(fields) < 2 || !strings.Contains(fields[0], ".") {
		return "", nil, fmt.Errorf("want `<LoginModule class> required key=\"value\" ...;`")
	}
	module = fields[0]
	rest := strings.TrimSpace(strings.TrimPrefix(v, module))
	flag, rest, _ := strings.Cut(rest, " ")
	switch flag {
	case "required", "requisite", "sufficient", "optional":
	default:
		return "", nil, fmt.Errorf("want the control flag `required` after the login module class")
	}
	opts = map[string]string{}
	for _, m := range jaasOpt.FindAllStringSubmatch(rest, -1) {
		val := m[2]
		if strings.HasPrefix(val, `"`) {
			if u, err := strconv.Unquote(val); err == nil {
				val = u
			} else {
				val = strings.Trim(val, `"`)
			}
		}
		opts[m[1]] = val
	}
	return module, opts, nil
}

// honoured serializers: prodbench sends the bytes it generates.
var serializers = map[string]bool{
	"org.apache.kafka.common.serialization.ByteArraySerializer": true,
	"org.apache.kafka.common.serialization.StringSerializer":    true,
	"org.apache.kafka.common.serialization.BytesSerializer":     true,
}

// applyProperties implements registry.System.Properties for Kafka: Java
// client properties onto the target block and the producer options.
// docs/real-clusters.md has the table of what each property maps to.
func applyProperties(c any, p *producer.Config, props []registry.Property) error {
	tc := c.(*TargetConfig)
	var proto *registry.Property
	for i := range props {
		pr := &props[i]
		v := strings.TrimSpace(pr.Value)
		bad := func(format string, args ...any) error {
			return registry.UsageError("%s: property %s: %s", pr.Source, pr.Key, fmt.Sprintf(format, args...))
		}
		ms := func(dst *time.Duration) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return bad("want milliseconds, a whole number >= 0")
			}
			*dst = time.Duration(n) * time.Millisecond
			return nil
		}
		integer := func(dst *int, lo int) error {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < int64(lo) {
				return bad("want a whole number >= %d", lo)
			}
			*dst = int(min(n, int64(^uint32(0)>>1)))
			return nil
		}
		boolean := func(dst *bool) error {
			switch strings.ToLower(v) {
			case "true":
				*dst = true
			case "false":
				*dst = false
			default:
				return bad("want true or false")
			}
			return nil
		}
		tlsc := func() *TLSConfig {
			if tc.TLS == nil {
				tc.TLS = &TLSConfig{}
			}
			return tc.TLS
		}
		saslc := func() *SASLConfig {
			if tc.SASL == nil {
				tc.SASL = &SASLConfig{}
			}
			return tc.SASL
		}
		var err error
		switch pr.Key {
		case "bootstrap.servers":
			bs, perr := ParseBrokers(v)
			if perr != nil {
				return bad("%v", perr)
			}
			tc.Brokers = bs
		case "linger.ms":
			err = ms(&p.Linger)
		case "batch.size":
			err = integer(&p.MaxBatchBytes, 128)
		case "compression.type":
			codec, cerr := producer.ParseCodec(v)
			if cerr != nil || codec == producer.CodecZlib {
				return bad("want none, gzip, snappy, lz4 or zstd")
			}
			p.Compression = codec
		case "compression.gzip.level", "compression.lz4.level", "compression.zstd.level":
			n, perr := strconv.Atoi(v)
			if perr != nil {
				return bad("want a whole number")
			}
			p.CompressionLevel = n
		case "acks":
			a, aerr := producer.ParseAcks(v)
			if aerr != nil {
				return bad("want all, -1, 1 or 0")
			}
			p.Acks = a
		case "enable.idempotence":
			err = boolean(&p.Idempotent)
		case "max.in.flight.requests.per.connection":
			err = integer(&p.MaxInFlight, 1)
		case "buffer.memory":
			var n int
			if err = integer(&n, 0); err == nil {
				p.MaxPendingBytes = int64(n)
			}
		case "delivery.timeout.ms":
			err = ms(&p.SendTimeout)
		case "request.timeout.ms":
			err = ms(&p.RequestTimeout)
		case "retries":
			err = integer(&p.Retries, 0)
		case "retry.backoff.ms":
			err = ms(&p.RetryBackoff)
		case "retry.backoff.max.ms":
			err = ms(&p.MaxRetryBackoff)
		case "partitioner.class":
			name, ok := partitionerClasses[v]
			if !ok {
				tc.Warnings = append(tc.Warnings, fmt.Sprintf("%s: property partitioner.class: custom partitioner classes cannot run in prodbench; using %s", pr.Source, p.Partitioner))
				continue
			}
			p.Partitioner = name
		case "transactional.id":
			p.TransactionalID = v
		case "key.serializer", "value.serializer":
			if !serializers[v] {
				tc.Warnings = append(tc.Warnings, fmt.Sprintf("%s: property %s: prodbench sends raw bytes; the serializer is ignored", pr.Source, pr.Key))
			}
		case "security.protocol":
			switch strings.ToUpper(v) {
			case "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL":
				proto = pr
			default:
				return bad("want PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL")
			}
		case "sasl.mechanism":
			saslc().Mechanism = v
			if _, merr := tc.SASL.mechanism(); merr != nil {
				return bad("%v", merr)
			}
		case "sasl.jaas.config":
			module, opts, jerr := parseJAAS(pr.Value)
			if jerr != nil {
				return bad("%v", jerr)
			}
			s := saslc()
			switch {
			case strings.HasSuffix(module, ".PlainLoginModule"), strings.HasSuffix(module, ".ScramLoginModule"):
				if opts["username"] == "" || opts["password"] == "" {
					return bad("login module needs username and password options")
				}
				s.Username, s.Password, s.PasswordEnv, s.PasswordFile = opts["username"], opts["password"], "", ""
			case strings.HasSuffix(module, ".OAuthBearerLoginModule"):
				switch {
				case opts["unsecuredLoginStringClaim_sub"] != "":
					s.UnsecuredSub, s.Token, s.TokenEnv, s.TokenFile = opts["unsecuredLoginStringClaim_sub"], "", "", ""
				default:
					// Token endpoints (clientId/clientSecret) are not
					// fetched by prodbench.
					tc.Warnings = append(tc.Warnings, fmt.Sprintf("%s: property sasl.jaas.config: OAuthBearerLoginModule without unsecuredLoginStringClaim_sub needs a token prodbench cannot fetch; give sasl.token_file in the scenario's target block", pr.Source))
				}
			case strings.HasSuffix(module, ".IAMLoginModule"):
				s.Mechanism = MechAWSMSKIAM
			default:
				tc.Warnings = append(tc.Warnings, fmt.Sprintf("%s: property sasl.jaas.config: login module %s is not supported (PLAIN, SCRAM and AWS MSK IAM are; for an OAUTHBEARER token use sasl.token_file in the scenario's target block)", pr.Source, module))
			}
		case "sasl.client.callback.handler.class":
			if !strings.HasSuffix(v, "IAMClientCallbackHandler") {
				tc.Warnings = append(tc.Warnings, fmt.Sprintf("%s: property %s is not supported and is ignored", pr.Source, pr.Key))
			}
		case "ssl.truststore.type", "ssl.keystore.type":
			if !strings.EqualFold(v, "PEM") {
				return bad("prodbench reads PEM only (convert with openssl or keytool -exportcert -rfc)")
			}
		case "ssl.truststore.location":
			tlsc().CAFile = v
		case "ssl.truststore.certificates":
			tlsc().CAPEM = pr.Value
		case "ssl.keystore.location":
			t := tlsc()
			t.CertFile, t.KeyFile = v, v
		case "ssl.keystore.certificate.chain":
			tlsc().CertPEM = pr.Value
		case "ssl.keystore.key":
			tlsc().KeyPEM = pr.Value
		case "ssl.endpoint.identification.algorithm":
			switch strings.ToLower(v) {
			case "":
				tlsc().SkipHostnameCheck = true
			case "https":
				if tc.TLS != nil {
					tc.TLS.SkipHostnameCheck = false
				}
			default:
				return bad("want https or empty")
			}
		case "kafka_version":
			tc.KafkaVersion = v
		case "create_topics":
			var b bool
			if err = boolean(&b); err == nil {
				tc.CreateTopics = &b
			}
		case "replication_factor":
			err = integer(&tc.ReplicationFactor, 0)
		default:
			tc.Warnings = append(tc.Warnings, fmt.Sprintf("%s: property %s is not supported by prodbench and is ignored", pr.Source, pr.Key))
		}
		if err != nil {
			return err
		}
	}
	if proto != nil {
		switch strings.ToUpper(strings.TrimSpace(proto.Value)) {
		case "PLAINTEXT":
			tc.TLS, tc.SASL = nil, nil
		case "SSL":
			tlsc := tc.TLS
			if tlsc == nil {
				tlsc = &TLSConfig{}
			}
			tlsc.Enabled = true
			tc.TLS, tc.SASL = tlsc, nil
		case "SASL_PLAINTEXT", "SASL_SSL":
			if tc.SASL == nil || tc.SASL.Mechanism == "" {
				if tc.SASL == nil {
					tc.SASL = &SASLConfig{}
				}
				tc.SASL.Mechanism = "GSSAPI"
				if _, err := tc.SASL.mechanism(); err != nil {
					return registry.UsageError("%s: property security.protocol %s needs sasl.mechanism (Kafka's default GSSAPI/Kerberos is not supported; want one of %s)", proto.Source, proto.Value, strings.Join(Mechanisms, ", "))
				}
			}
			if strings.EqualFold(strings.TrimSpace(proto.Value), "SASL_SSL") {
				if tc.TLS == nil {
					tc.TLS = &TLSConfig{}
				}
				tc.TLS.Enabled = true
			} else {
				tc.TLS = nil
			}
		}
	}
	if field, err := tc.checkSecurity(); err != nil {
		return registry.UsageError("client properties: %s: %v", field, err)
	}
	return nil
}
