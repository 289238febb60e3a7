package kafkasys

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/prodbench/prodbench/internal/kafkaprops"
	"github.com/prodbench/prodbench/producer"
	"github.com/prodbench/prodbench/producer/registry"
)

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
	kps := make([]kafkaprops.Prop, len(props))
	for i, pr := range props {
		kps[i] = kafkaprops.Prop{Key: pr.Key, Value: pr.Value}
	}
	uses, perr := kafkaprops.Apply(p, kps)
	if perr != nil {
		return registry.UsageError("%s: %v", props[perr.Index].Source, perr)
	}
	var proto *registry.Property
	for i := range props {
		pr := &props[i]
		if u := uses[i]; u.Field != "" || u.Skipped != "" {
			if u.Skipped != "" {
				tc.Warnings = append(tc.Warnings, fmt.Sprintf("%s: property %s: %s", pr.Source, pr.Key, u.Skipped))
			}
			continue
		}
		v := strings.TrimSpace(pr.Value)
		bad := func(format string, args ...any) error {
			return registry.UsageError("%s: property %s: %s", pr.Source, pr.Key, fmt.Sprintf(format, args...))
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
		switch pr.Key {
		case "bootstrap.servers":
			bs, perr := ParseBrokers(v)
			if perr != nil {
				return bad("%v", perr)
			}
			tc.Brokers = bs
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
			b, berr := kafkaprops.Bool(v)
			if berr != nil {
				return bad("%v", berr)
			}
			tc.CreateTopics = &b
		case "replication_factor":
			n, ierr := kafkaprops.Int(v, 0)
			if ierr != nil {
				return bad("%v", ierr)
			}
			tc.ReplicationFactor = n
		default:
			tc.Warnings = append(tc.Warnings, fmt.Sprintf("%s: property %s is not supported by prodbench and is ignored", pr.Source, pr.Key))
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
