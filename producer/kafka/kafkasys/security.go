package kafkasys

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kversion"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/aws"
	"github.com/twmb/franz-go/pkg/sasl/oauth"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/prodbench/prodbench/producer/internal/secret"
)

// TLSConfig is the target block's `tls:` section: TLS to the brokers
// (Kafka's security.protocol SSL or SASL_SSL). Any field set, or Enabled,
// turns TLS on. PEM only (ssl.truststore.type=PEM, ssl.keystore.type=PEM).
//
//	tls: {ca_file: ca.pem}                                       # server auth
//	tls: {ca_file: ca.pem, cert_file: me.pem, key_file: me.key}  # mutual TLS
type TLSConfig struct {
	// Enabled turns TLS on with the system's root CAs when no other field
	// is set.
	Enabled bool `yaml:"enabled,omitempty" json:"enabled,omitempty"`
	// CAFile is a PEM bundle of CA certificates the brokers' certificates
	// must chain to (ssl.truststore.location); default the system roots.
	CAFile string `yaml:"ca_file,omitempty" json:"ca_file,omitempty"`
	// CAPEM is the same bundle inline (ssl.truststore.certificates).
	CAPEM string `yaml:"ca_pem,omitempty" json:"ca_pem,omitempty"`
	// CertFile and KeyFile are the client's PEM certificate chain and
	// private key for mutual TLS (ssl.keystore.location with
	// ssl.keystore.type=PEM); both or neither.
	CertFile string `yaml:"cert_file,omitempty" json:"cert_file,omitempty"`
	KeyFile  string `yaml:"key_file,omitempty" json:"key_file,omitempty"`
	// CertPEM and KeyPEM are the same inline (ssl.keystore.certificate.chain
	// and ssl.keystore.key). KeyPEM is a secret: never written out.
	CertPEM string `yaml:"-" json:"-"`
	KeyPEM  string `yaml:"-" json:"-"`
	// ServerName is the name the brokers' certificates must carry; default
	// each broker's host.
	ServerName string `yaml:"server_name,omitempty" json:"server_name,omitempty"`
	// InsecureSkipVerify accepts any broker certificate
	// (ssl.endpoint.identification.algorithm= does less: it only skips the
	// host name check). Every run with it says so in a warning.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify,omitempty" json:"insecure_skip_verify,omitempty"`
	// SkipHostnameCheck keeps chain verification but skips the host name
	// check (ssl.endpoint.identification.algorithm set to empty).
	SkipHostnameCheck bool `yaml:"skip_hostname_check,omitempty" json:"skip_hostname_check,omitempty"`
}

// on reports whether TLS is asked for.
func (t *TLSConfig) on() bool {
	return t != nil && (t.Enabled || t.CAFile != "" || t.CAPEM != "" || t.CertFile != "" || t.KeyFile != "" ||
		t.CertPEM != "" || t.KeyPEM != "" || t.ServerName != "" || t.InsecureSkipVerify || t.SkipHostnameCheck)
}

// SASL mechanisms, as Kafka's sasl.mechanism names them.
const (
	MechPlain       = "PLAIN"
	MechScram256    = "SCRAM-SHA-256"
	MechScram512    = "SCRAM-SHA-512"
	MechOAuthBearer = "OAUTHBEARER"
	MechAWSMSKIAM   = "AWS_MSK_IAM"
)

// Mechanisms lists the SASL mechanisms prodbench speaks (franz-go's sasl
// packages).
var Mechanisms = []string{MechPlain, MechScram256, MechScram512, MechOAuthBearer, MechAWSMSKIAM}

// SASLConfig is the target block's `sasl:` section:
//
//	sasl: {mechanism: SCRAM-SHA-512, username: bench, password_env: KAFKA_PASSWORD}
//	sasl: {mechanism: OAUTHBEARER, token_file: /run/secrets/token}
//	sasl: {mechanism: AWS_MSK_IAM}      # AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
//
// Secrets are never in the scenario: they come from an environment
// variable or a file (or a properties file's sasl.jaas.config).
type SASLConfig struct {
	// Mechanism is one of Mechanisms (case-insensitive).
	Mechanism string `yaml:"mechanism,omitempty" json:"mechanism,omitempty"`
	// Username is the PLAIN/SCRAM user name.
	Username string `yaml:"username,omitempty" json:"username,omitempty"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `yaml:"password_env,omitempty" json:"password_env,omitempty"`
	// PasswordFile is a file whose content (trailing newline removed) is
	// the password.
	PasswordFile string `yaml:"password_file,omitempty" json:"password_file,omitempty"`
	// Password is the password given inline by a properties file's
	// sasl.jaas.config or --producer-prop; never written out.
	Password string `yaml:"-" json:"-"`
	// TokenEnv and TokenFile give the OAUTHBEARER token; the file is read
	// again at every (re-)authentication, so a sidecar may refresh it.
	TokenEnv  string `yaml:"token_env,omitempty" json:"token_env,omitempty"`
	TokenFile string `yaml:"token_file,omitempty" json:"token_file,omitempty"`
	// Token is an inline OAUTHBEARER token (from properties); never
	// written out.
	Token string `yaml:"-" json:"-"`
	// UnsecuredSub, from a properties file's OAuthBearerLoginModule option
	// unsecuredLoginStringClaim_sub, makes an unsigned token (alg none)
	// for that subject at every authentication, as Kafka's
	// OAuthBearerUnsecuredLoginCallbackHandler does (development
	// clusters only).
	UnsecuredSub string `yaml:"unsecured_sub,omitempty" json:"unsecured_sub,omitempty"`
}

// unsecuredJWT returns an unsigned JWT for sub valid for an hour (KIP-255's
// unsecured tokens).
func unsecuredJWT(sub string) string {
	enc := base64.RawURLEncoding
	now := time.Now().Unix()
	payload, _ := json.Marshal(map[string]any{"sub": sub, "iat": now, "exp": now + 3600})
	return enc.EncodeToString([]byte(`{"alg":"none"}`)) + "." + enc.EncodeToString(payload) + "."
}

// mechanism returns the canonical mechanism name or an error.
func (s *SASLConfig) mechanism() (string, error) {
	for _, m := range Mechanisms {
		if strings.EqualFold(s.Mechanism, m) {
			return m, nil
		}
	}
	return "", fmt.Errorf("unknown SASL mechanism %q (want one of %s)", s.Mechanism, strings.Join(Mechanisms, ", "))
}

// SecurityMode is Kafka's security.protocol with the SASL mechanism, e.g.
// "SASL_SSL/SCRAM-SHA-512", "SSL", "PLAINTEXT"; never a secret.
func (c *TargetConfig) SecurityMode() string {
	proto := "PLAINTEXT"
	if c.TLS.on() {
		proto = "SSL"
	}
	if c.SASL != nil && c.SASL.Mechanism != "" {
		m, err := c.SASL.mechanism()
		if err != nil {
			m = "?"
		}
		if proto == "SSL" {
			return "SASL_SSL/" + m
		}
		return "SASL_PLAINTEXT/" + m
	}
	return proto
}

// checkSecurity validates the tls and sasl sections without reading
// files; the error names the field.
func (c *TargetConfig) checkSecurity() (field string, err error) {
	if t := c.TLS; t != nil {
		if (t.CertFile != "" || t.CertPEM != "") != (t.KeyFile != "" || t.KeyPEM != "") {
			return "target.tls.cert_file", fmt.Errorf("mutual TLS needs both cert_file and key_file")
		}
		if t.CAFile != "" && t.CAPEM != "" {
			return "target.tls.ca_pem", fmt.Errorf("give ca_file or ca_pem, not both")
		}
	}
	if s := c.SASL; s != nil {
		m, err := s.mechanism()
		if err != nil {
			return "target.sasl.mechanism", err
		}
		switch m {
		case MechPlain, MechScram256, MechScram512:
			if s.Username == "" {
				return "target.sasl.username", fmt.Errorf("SASL %s needs a username", m)
			}
			n := 0
			for _, v := range []string{s.PasswordEnv, s.PasswordFile, s.Password} {
				if v != "" {
					n++
				}
			}
			if n != 1 {
				return "target.sasl.password_env", fmt.Errorf("SASL %s needs exactly one of password_env or password_file", m)
			}
		case MechOAuthBearer:
			n := 0
			for _, v := range []string{s.TokenEnv, s.TokenFile, s.Token, s.UnsecuredSub} {
				if v != "" {
					n++
				}
			}
			if n != 1 {
				return "target.sasl.token_file", fmt.Errorf("SASL OAUTHBEARER needs exactly one of token_env or token_file")
			}
		}
	}
	if c.KafkaVersion != "" && kversion.FromString(c.KafkaVersion) == nil {
		return "target.kafka_version", fmt.Errorf("unknown Kafka version %q (e.g. 2.8, 3.7, 4.0)", c.KafkaVersion)
	}
	if c.ReplicationFactor < 0 || c.ReplicationFactor > 32767 {
		return "target.replication_factor", fmt.Errorf("want 1 to 32767 (0: the broker's default), got %d", c.ReplicationFactor)
	}
	return "", nil
}

// kgoOptions returns the kgo options for c's tls, sasl and kafka_version,
// for every client prodbench opens (both engines and the admin client).
// Files are read here; errors name the field and file, never a secret.
func (c *TargetConfig) kgoOptions() ([]kgo.Opt, error) {
	if field, err := c.checkSecurity(); err != nil {
		return nil, fmt.Errorf("%s: %v", field, err)
	}
	var opts []kgo.Opt
	if t := c.TLS; t.on() {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: t.ServerName, InsecureSkipVerify: t.InsecureSkipVerify}
		ca := []byte(t.CAPEM)
		if t.CAFile != "" {
			b, err := os.ReadFile(t.CAFile)
			if err != nil {
				return nil, fmt.Errorf("target.tls.ca_file: %v", err)
			}
			ca = b
		}
		if len(ca) > 0 {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(ca) {
				return nil, fmt.Errorf("target.tls.ca_file: no PEM certificate found")
			}
			tc.RootCAs = pool
		}
		if t.CertFile != "" || t.CertPEM != "" {
			certPEM, keyPEM := []byte(t.CertPEM), []byte(t.KeyPEM)
			if t.CertFile != "" {
				b, err := os.ReadFile(t.CertFile)
				if err != nil {
					return nil, fmt.Errorf("target.tls.cert_file: %v", err)
				}
				certPEM = b
			}
			if t.KeyFile != "" {
				b, err := os.ReadFile(t.KeyFile)
				if err != nil {
					return nil, fmt.Errorf("target.tls.key_file: %v", err)
				}
				keyPEM = b
			}
			cert, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				// crypto/tls's messages describe the PEM, not its bytes.
				return nil, fmt.Errorf("target.tls.cert_file/key_file: %v", err)
			}
			tc.Certificates = []tls.Certificate{cert}
		}
		if t.SkipHostnameCheck && !t.InsecureSkipVerify {
			// Verify the chain but not the name (Kafka's
			// ssl.endpoint.identification.algorithm=).
			roots := tc.RootCAs
			tc.InsecureSkipVerify = true
			tc.VerifyConnection = func(cs tls.ConnectionState) error {
				if len(cs.PeerCertificates) == 0 {
					return fmt.Errorf("broker sent no certificate")
				}
				inter := x509.NewCertPool()
				for _, c := range cs.PeerCertificates[1:] {
					inter.AddCert(c)
				}
				_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
				return err
			}
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	if s := c.SASL; s != nil {
		m, _ := s.mechanism()
		var mech sasl.Mechanism
		switch m {
		case MechPlain, MechScram256, MechScram512:
			pw, err := secret.Read(secret.Source{Field: "target.sasl.password", Value: s.Password, Env: s.PasswordEnv, File: s.PasswordFile})
			if err != nil {
				return nil, err
			}
			switch m {
			case MechPlain:
				mech = plain.Auth{User: s.Username, Pass: pw}.AsMechanism()
			case MechScram256:
				mech = scram.Auth{User: s.Username, Pass: pw}.AsSha256Mechanism()
			default:
				mech = scram.Auth{User: s.Username, Pass: pw}.AsSha512Mechanism()
			}
		case MechOAuthBearer:
			// Checked now so a missing file fails before the run; read
			// again at every authentication.
			tok := secret.Source{Field: "target.sasl.token", Value: s.Token, Env: s.TokenEnv, File: s.TokenFile}
			if _, err := secret.Read(tok); err != nil {
				return nil, err
			}
			sub := s.UnsecuredSub
			mech = oauth.Oauth(func(context.Context) (oauth.Auth, error) {
				if sub != "" {
					return oauth.Auth{Token: unsecuredJWT(sub)}, nil
				}
				t, err := secret.Read(tok)
				return oauth.Auth{Token: t}, err
			})
		case MechAWSMSKIAM:
			if os.Getenv("AWS_ACCESS_KEY_ID") == "" || os.Getenv("AWS_SECRET_ACCESS_KEY") == "" {
				return nil, fmt.Errorf("target.sasl.mechanism: AWS_MSK_IAM needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the environment")
			}
			mech = aws.ManagedStreamingIAM(func(context.Context) (aws.Auth, error) {
				return aws.Auth{AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
					SessionToken: os.Getenv("AWS_SESSION_TOKEN")}, nil
			})
		}
		opts = append(opts, kgo.SASL(mech))
	}
	if c.KafkaVersion != "" {
		opts = append(opts, kgo.MaxVersions(kversion.FromString(c.KafkaVersion)))
	}
	return opts, nil
}

// securityWarnings are the warning lines c's security earns on every run.
func (c *TargetConfig) securityWarnings() []string {
	if c.TLS != nil && c.TLS.InsecureSkipVerify {
		return []string{"kafka: tls.insecure_skip_verify is set: broker certificates are not verified"}
	}
	return nil
}
