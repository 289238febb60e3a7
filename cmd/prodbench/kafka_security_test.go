package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/prodbench/prodbench/producer/registry"
)

// testPKI is a CA with a server certificate for 127.0.0.1 and a client
// certificate, as PEM files in a temporary directory.
type testPKI struct {
	dir                       string
	caFile, certFile, keyFile string
	pool                      *x509.CertPool
	server                    tls.Certificate
}

func newPKI(t *testing.T) *testPKI {
	t.Helper()
	dir := t.TempDir()
	key := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := key()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "prodbench test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	leaf := func(serial int64, usage x509.ExtKeyUsage) ([]byte, []byte) {
		k := key()
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, ExtKeyUsage: []x509.ExtKeyUsage{usage},
			KeyUsage: x509.KeyUsageDigitalSignature}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &k.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		kder, _ := x509.MarshalECPrivateKey(k)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	}
	p := &testPKI{dir: dir, pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	srvCert, srvKey := leaf(2, x509.ExtKeyUsageServerAuth)
	p.server, err = tls.X509KeyPair(srvCert, srvKey)
	if err != nil {
		t.Fatal(err)
	}
	cliCert, cliKey := leaf(3, x509.ExtKeyUsageClientAuth)
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p.caFile = write("ca.pem", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	p.certFile = write("client.pem", cliCert)
	p.keyFile = write("client.key", cliKey)
	return p
}

// secureCluster starts kfake with TLS (mutual when mtls) and, when mech
// is not "", SASL with one user.
func secureCluster(t *testing.T, p *testPKI, mtls bool, mech, user, pass string) string {
	t.Helper()
	var opts []kfake.Opt
	if p != nil {
		tc := &tls.Config{Certificates: []tls.Certificate{p.server}, MinVersion: tls.VersionTLS12}
		if mtls {
			tc.ClientAuth, tc.ClientCAs = tls.RequireAndVerifyClientCert, p.pool
		}
		opts = append(opts, kfake.TLS(tc))
	}
	if mech != "" {
		opts = append(opts, kfake.EnableSASL(), kfake.Superuser(mech, user, pass))
	}
	return fakeKafka(t, opts...).ListenAddrs()[0]
}

// shortScenario writes testdata/short.yaml with target appended.
func shortScenario(t *testing.T, target string) string {
	t.Helper()
	data := mustRead(t, "testdata/short.yaml")
	path := filepath.Join(t.TempDir(), "sec.yaml")
	if err := os.WriteFile(path, append(data, []byte(target)...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertNoSecret fails when secret is in stdout, stderr or any file under
// dir.
func assertNoSecret(t *testing.T, secret, stdout, stderr, dir string) {
	t.Helper()
	if strings.Contains(stdout, secret) || strings.Contains(stderr, secret) {
		t.Errorf("secret in stdout/stderr:\n%s\n%s", stdout, stderr)
	}
	if dir == "" {
		return
	}
	n := 0
	_ = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		n++
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), secret) {
			t.Errorf("secret in %s", path)
		}
		return nil
	})
	if n == 0 {
		t.Errorf("no output files in %s", dir)
	}
}

// readResult returns result.json of dir as a map.
func readResultMap(t *testing.T, dir string) map[string]any {
	t.Helper()
	b := mustRead(t, filepath.Join(dir, "result.json"))
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestKafkaSecurityRuns(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-Pa55word-xyz"
	pki := newPKI(t)
	type tc struct {
		name  string
		tls   bool
		mtls  bool
		mech  string
		how   string   // scenario, file, prop
		extra []string // more flags
	}
	var cases []tc
	// Every mode from the scenario; the properties file and
	// --producer-prop each over TLS, mutual TLS and every mechanism once.
	cases = []tc{
		{name: "tls-scenario", tls: true, how: "scenario"},
		{name: "mtls-scenario", tls: true, mtls: true, how: "scenario"},
		{name: "plain-scenario", mech: "PLAIN", how: "scenario"},
		{name: "scram256-scenario", tls: true, mech: "SCRAM-SHA-256", how: "scenario"},
		{name: "scram512-scenario", tls: true, mtls: true, mech: "SCRAM-SHA-512", how: "scenario"},
		{name: "mtls-scram512-file", tls: true, mtls: true, mech: "SCRAM-SHA-512", how: "file"},
		{name: "plain-file", mech: "PLAIN", how: "file"},
		{name: "tls-scram256-prop", tls: true, mech: "SCRAM-SHA-256", how: "prop"},
		{name: "mtls-plain-prop", tls: true, mtls: true, mech: "PLAIN", how: "prop"},
		{name: "franz-go-mtls-scram512-file", tls: true, mtls: true, mech: "SCRAM-SHA-512", how: "file", extra: []string{"--engine", "franz-go"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var p *testPKI
			if c.tls {
				p = pki
			}
			addr := secureCluster(t, p, c.mtls, c.mech, "bench", secret)
			out := filepath.Join(t.TempDir(), "out")
			args := []string{"run", "--quiet", "--out", out, "--brokers", addr, "--duration", "500ms"}
			// The three ways to say the same thing.
			var block []string
			props := map[string]string{}
			proto := "PLAINTEXT"
			switch {
			case c.tls && c.mech != "":
				proto = "SASL_SSL"
			case c.tls:
				proto = "SSL"
			case c.mech != "":
				proto = "SASL_PLAINTEXT"
			}
			props["security.protocol"] = proto
			if c.tls {
				block = append(block, fmt.Sprintf("  tls: {ca_file: %q", pki.caFile))
				props["ssl.truststore.type"] = "PEM"
				props["ssl.truststore.location"] = pki.caFile
				if c.mtls {
					block[len(block)-1] += fmt.Sprintf(", cert_file: %q, key_file: %q", pki.certFile, pki.keyFile)
					props["ssl.keystore.type"] = "PEM"
					both := filepath.Join(t.TempDir(), "keystore.pem")
					cert, _ := os.ReadFile(pki.certFile)
					key, _ := os.ReadFile(pki.keyFile)
					if err := os.WriteFile(both, append(key, cert...), 0o600); err != nil {
						t.Fatal(err)
					}
					props["ssl.keystore.location"] = both
				}
				block[len(block)-1] += "}"
			}
			if c.mech != "" {
				pwFile := filepath.Join(t.TempDir(), "pw")
				if err := os.WriteFile(pwFile, []byte(secret+"\n"), 0o600); err != nil {
					t.Fatal(err)
				}
				block = append(block, fmt.Sprintf("  sasl: {mechanism: %s, username: bench, password_file: %q}", c.mech, pwFile))
				module := "org.apache.kafka.common.security.scram.ScramLoginModule"
				if c.mech == "PLAIN" {
					module = "org.apache.kafka.common.security.plain.PlainLoginModule"
				}
				props["sasl.mechanism"] = c.mech
				props["sasl.jaas.config"] = fmt.Sprintf(`%s required username="bench" password="%s";`, module, secret)
			}
			scenario := "testdata/short.yaml"
			switch c.how {
			case "scenario":
				scenario = shortScenario(t, "target:\n  kind: kafka\n"+strings.Join(block, "\n")+"\n")
			case "file":
				var b strings.Builder
				b.WriteString("# client.properties\nlinger.ms=3\n")
				for k, v := range props {
					fmt.Fprintf(&b, "%s=%s\n", k, v)
				}
				path := filepath.Join(t.TempDir(), "client.properties")
				if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
					t.Fatal(err)
				}
				args = append(args, "--producer-config", path)
			case "prop":
				for k, v := range props {
					args = append(args, "--producer-prop", k+"="+v)
				}
			}
			args = append(append(args, c.extra...), scenario)
			code, stdout, stderr := cli(context.Background(), args...)
			if !ranOK(code, stderr) {
				t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
			}
			assertNoSecret(t, secret, stdout, stderr, out)
			res := readResultMap(t, out)
			cl, _ := json.Marshal(res)
			wantMode := proto
			if c.mech != "" {
				wantMode += "/" + c.mech
			}
			if !strings.Contains(string(cl), wantMode) {
				t.Errorf("result.json does not say security %s", wantMode)
			}
			if c.how == "file" {
				// linger.ms=3 from the file reached the producer options.
				opts, _ := json.Marshal(res["options"])
				spec, _ := json.Marshal(res["scenario"])
				if !strings.Contains(string(opts)+string(spec), `"linger":"3ms"`) && !strings.Contains(string(opts), `3000000`) {
					t.Errorf("linger.ms=3 not applied: options %s", opts)
				}
			}
		})
	}
}

func TestKafkaWrongPasswordFailsFast(t *testing.T) {
	t.Parallel()
	const good, bad = "right-password-1", "WRONG-password-2"
	for _, mech := range []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"} {
		t.Run(mech, func(t *testing.T) {
			t.Parallel()
			addr := secureCluster(t, nil, false, mech, "bench", good)
			out := filepath.Join(t.TempDir(), "out")
			start := time.Now()
			code, stdout, stderr := cli(context.Background(), "run", "--quiet", "--out", out, "--brokers", addr,
				"--producer-prop", "security.protocol=SASL_PLAINTEXT", "--producer-prop", "sasl.mechanism="+mech,
				"--producer-prop", `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="bench" password="`+bad+`";`,
				"testdata/short.yaml")
			took := time.Since(start)
			if code != exitFailure {
				t.Fatalf("exit %d, want %d\n%s", code, exitFailure, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], addr) {
				t.Errorf("want one line naming %s, got:\n%s", addr, stderr)
			}
			// A deadlock guard, not a performance bound: the admin
			// connection check gives up after 8 s.
			if took > 60*time.Second {
				t.Errorf("took %v", took)
			}
			t.Logf("failed in %v: %s", took, lines[0])
			assertNoSecret(t, bad, stdout, stderr, "")
			if _, err := os.Stat(out); err == nil {
				t.Errorf("result directory written for a failed connection")
			}
		})
	}
}

// TestKafkaTopicsCreatedAsDeclared: a topic missing on the cluster is
// created with the scenario's partitions (read back from the metadata);
// with --no-create-topics the run refuses.
func TestKafkaTopicsCreatedAsDeclared(t *testing.T) {
	t.Parallel()
	c := fakeKafka(t, kfake.DefaultNumPartitions(1))
	addr := c.ListenAddrs()[0]
	code, _, stderr := cli(context.Background(), "run", "--quiet", "--out", filepath.Join(t.TempDir(), "o"), "--brokers", addr, "--no-create-topics", "testdata/short.yaml")
	if code != exitFailure || !strings.Contains(stderr, "does not exist") {
		t.Fatalf("--no-create-topics: exit %d\n%s", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "out")
	start := time.Now()
	code, stdout, stderr := cli(context.Background(), "run", "--quiet", "--out", out, "--brokers", addr, "--duration", "500ms", "testdata/short.yaml")
	t.Logf("run took %v", time.Since(start))
	if !ranOK(code, stderr) {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	md, err := kadm.NewClient(cl).Metadata(context.Background(), "short")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(md.Topics["short"].Partitions); n != 3 {
		t.Errorf("topic short has %d partitions, want the declared 3", n)
	}
	res := readResultMap(t, out)
	b, _ := json.Marshal(res)
	if !strings.Contains(string(b), `"partitions":3`) || !strings.Contains(string(b), `"leaders":[`) {
		t.Errorf("result has no cluster picture with 3 partitions: %s", b)
	}
	_ = stdout
}

// TestKafkaBrokerThenRun: the embedded broker alone (prodbench broker),
// then a run of the quickstart against it: the declared topic is created
// with its 6 partitions.
func TestKafkaBrokerThenRun(t *testing.T) {
	t.Parallel()
	sys, _ := registry.Lookup("kafka")
	srv, err := sys.Serve(context.Background(), registry.ServeOptions{Listen: "127.0.0.1:0", Partitions: 2, Log: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	addr := strings.TrimPrefix(srv.Addr(), "kafka://")
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := cli(context.Background(), "run", "--quiet", "--out", out, "--brokers", addr,
		"--duration", "2200ms", "--rate", "2000", "../../scenarios/quickstart.yaml")
	if !ranOK(code, stderr) {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	b, _ := json.Marshal(readResultMap(t, out)["options"])
	if !strings.Contains(string(b), `"quickstart: 6 partitions`) && !strings.Contains(string(b), `quickstart: 6 partitions`) {
		t.Errorf("result options do not show quickstart with 6 partitions: %s", b)
	}
}

// TestKafkaAddressAndPropertyErrors: bad broker lists and bad properties
// are usage errors naming the entry, file:line or key, never a value.
func TestKafkaAddressAndPropertyErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	badFile := filepath.Join(dir, "bad.properties")
	if err := os.WriteFile(badFile, []byte("# x\nlinger.ms=5\nacks=most-secret-value\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"empty brokers", []string{"--brokers", ""}, "--brokers is empty"},
		{"comma", []string{"--brokers", ","}, "empty entry"},
		{"port -1", []string{"--brokers", "127.0.0.1:-1"}, `"127.0.0.1:-1"`},
		{"port 65536", []string{"--brokers", "127.0.0.1:65536"}, `"127.0.0.1:65536"`},
		{"scheme", []string{"--brokers", "http://x"}, `http://x`},
		{"bad property in file", []string{"--producer-config", badFile}, badFile + ":3: property acks"},
		{"bad producer-prop", []string{"--producer-prop", "linger.ms=most-secret-value"}, "--producer-prop: property linger.ms"},
		{"no equals", []string{"--producer-prop", "most-secret-value"}, "--producer-prop #1: want KEY=VALUE"},
		{"missing file", []string{"--producer-config", filepath.Join(dir, "nope")}, "nope"},
		{"bad kafka version", []string{"--kafka-version", "9.x"}, "kafka_version"},
		{"unknown mechanism", []string{"--producer-prop", "sasl.mechanism=GSSAPI"}, "unknown SASL mechanism"},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"run", "--quiet", "--out", filepath.Join(t.TempDir(), "o")}, c.args...)
			code, stdout, stderr := cli(context.Background(), append(args, "testdata/short.yaml")...)
			if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
				t.Errorf("exit %d, want %d and one line with %q; stderr:\n%s", code, exitUsage, c.want, stderr)
			}
			assertNoSecret(t, "most-secret-value", stdout, stderr, "")
		})
	}
}

// TestKafkaWarnings: a property prodbench cannot honour and an existing
// topic with another partition count are one warning line each, also in
// the result.
func TestKafkaWarnings(t *testing.T) {
	t.Parallel()
	c := fakeKafka(t, kfake.SeedTopics(5, "short"))
	out := filepath.Join(t.TempDir(), "out")
	code, _, stderr := cli(context.Background(), "run", "--quiet", "--out", out, "--brokers", c.ListenAddrs()[0], "--duration", "500ms",
		"--producer-prop", "interceptor.classes=com.example.Spy", "testdata/short.yaml")
	if !ranOK(code, stderr) {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"warning: --producer-prop: property interceptor.classes is not supported", "warning: kafka: topic short exists with 5 partitions; the scenario declares 3"} {
		if strings.Count(stderr, want) != 1 {
			t.Errorf("stderr has not exactly one %q:\n%s", want, stderr)
		}
	}
	b, _ := json.Marshal(readResultMap(t, out)["options"])
	if !strings.Contains(string(b), "interceptor.classes") || !strings.Contains(string(b), "exists with 5 partitions") {
		t.Errorf("warnings not in result options: %s", b)
	}
}

// TestKafkaVersionAndInsecure: --kafka-version caps the protocol and is
// recorded; tls.insecure_skip_verify (no CA given) connects and warns.
func TestKafkaVersionAndInsecure(t *testing.T) {
	t.Parallel()
	addr := secureCluster(t, newPKI(t), false, "", "", "")
	out := filepath.Join(t.TempDir(), "out")
	scenario := shortScenario(t, "target:\n  kind: kafka\n  tls: {insecure_skip_verify: true}\n")
	code, _, stderr := cli(context.Background(), "run", "--quiet", "--out", out, "--brokers", addr, "--duration", "500ms",
		"--kafka-version", "2.8", scenario)
	if !ranOK(code, stderr) {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if strings.Count(stderr, "insecure_skip_verify is set") != 1 {
		t.Errorf("no insecure_skip_verify warning:\n%s", stderr)
	}
	b, _ := json.Marshal(readResultMap(t, out)["options"])
	if !strings.Contains(string(b), `"kafka_version":"2.8"`) || !strings.Contains(string(b), `insecure_skip_verify is set`) {
		t.Errorf("kafka_version or warning not recorded: %s", b)
	}
	// Without the CA and without insecure_skip_verify: untrusted, exit 1,
	// one line naming the broker.
	code, _, stderr = cli(context.Background(), "run", "--quiet", "--out", filepath.Join(t.TempDir(), "o2"), "--brokers", addr,
		"--producer-prop", "security.protocol=SSL", "testdata/short.yaml")
	if code != exitFailure || !strings.Contains(stderr, addr) || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("untrusted certificate: exit %d\n%s", code, stderr)
	}
}
