package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const value = "hunter2-secret"

// file returns a new file holding content.
func file(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestRead(t *testing.T) {
	t.Setenv("PB_SECRET_TEST", value)
	t.Setenv("PB_SECRET_PADDED", "  "+value+"\n")
	for _, c := range []struct {
		name string
		s    Source
		want string
	}{
		{"none", Source{Field: "target.token"}, ""},
		{"inline", Source{Field: "target.token", Value: " " + value + "\n", Env: "PB_SECRET_TEST"}, " " + value + "\n"},
		{"env", Source{Field: "target.token", Env: "PB_SECRET_TEST", File: "/nonexistent"}, value},
		{"env kept as is", Source{Field: "target.auth.password", Env: "PB_SECRET_PADDED"}, "  " + value + "\n"},
		{"env trimmed", Source{Field: "target.token", Env: "PB_SECRET_PADDED", TrimSpace: true}, value},
		{"file: line breaks go", Source{Field: "target.auth.password", File: file(t, " "+value+" \r\n\n")}, " " + value + " "},
		{"file trimmed", Source{Field: "target.token", File: file(t, "\t"+value+" \n"), TrimSpace: true}, value},
	} {
		got, err := Read(c.s)
		if err != nil || got != c.want {
			t.Errorf("%s: Read = %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestReadErrors(t *testing.T) {
	t.Setenv("PB_SECRET_EMPTY", "")
	t.Setenv("PB_SECRET_BLANK", " \n")
	os.Unsetenv("PB_SECRET_UNSET")
	missing := filepath.Join(t.TempDir(), "nope")
	for _, c := range []struct {
		name string
		s    Source
		want string
	}{
		{"unset", Source{Field: "target.auth.password", Env: "PB_SECRET_UNSET"},
			"target.auth.password_env: environment variable PB_SECRET_UNSET is not set or empty"},
		{"empty", Source{Field: "target.sasl.password", Env: "PB_SECRET_EMPTY"},
			"target.sasl.password_env: environment variable PB_SECRET_EMPTY is not set or empty"},
		{"blank trimmed", Source{Field: "target.token", Env: "PB_SECRET_BLANK", TrimSpace: true},
			"target.token_env: environment variable PB_SECRET_BLANK is not set or empty"},
		{"missing file", Source{Field: "target.token", File: missing},
			"target.token_file: cannot read " + missing + ": no such file or directory"},
		{"directory", Source{Field: "target.api_key", File: t.TempDir()}, "target.api_key_file: cannot read "},
		{"empty file", Source{Field: "target.auth.token", File: file(t, "\n")}, "target.auth.token_file: "},
		{"blank file trimmed", Source{Field: "target.token", File: file(t, " \t\n"), TrimSpace: true}, " is empty"},
	} {
		got, err := Read(c.s)
		if err == nil || !strings.Contains(err.Error(), c.want) || got != "" {
			t.Errorf("%s: Read = %q, %v; want an error with %q", c.name, got, err, c.want)
			continue
		}
		if c.s.File != "" && strings.Count(err.Error(), c.s.File) > 1 {
			t.Errorf("%s: error names the file twice: %v", c.name, err)
		}
	}
}
