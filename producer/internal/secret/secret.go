// Package secret reads the secrets of target blocks (passwords, tokens,
// API keys), given inline, by environment variable or by file, for the
// nats, kafka, pulsar and pulsar-ws (and macrometa) targets. Errors name
// the field, the variable or the file, never the value.
package secret

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Source is one secret's places. They are tried in the order Value, Env,
// File; the callers' validation makes sure at most one is set.
type Source struct {
	// Field is the secret's field as the scenario names it, without the
	// _env or _file suffix: "target.auth.password". Errors name
	// Field+"_env" or Field+"_file".
	Field string
	// Value is the secret given inline (a literal in the scenario, or a
	// properties file's sasl.jaas.config); used as it is.
	Value string
	// Env names an environment variable holding the secret.
	Env string
	// File is a file holding the secret.
	File string
	// TrimSpace removes white space around a secret read from Env or
	// File, for secrets that never hold any (tokens, keys). Without it
	// only a file's trailing line breaks go, and a password keeps its
	// blanks.
	TrimSpace bool
}

// Read returns the secret, "" when s names no place. A variable that is
// unset or empty, a file that cannot be read or holds nothing (after
// trimming) is an error such as
//
//	target.auth.password_env: environment variable NATS_PW is not set or empty
//	target.token_file: cannot read /run/token: no such file or directory
//	target.token_file: /run/token is empty
//
// which holds no part of the secret.
func Read(s Source) (string, error) {
	switch {
	case s.Value != "":
		return s.Value, nil
	case s.Env != "":
		v := os.Getenv(s.Env)
		if s.TrimSpace {
			v = strings.TrimSpace(v)
		}
		if v == "" {
			return "", fmt.Errorf("%s_env: environment variable %s is not set or empty", s.Field, s.Env)
		}
		return v, nil
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			// The path is named once, below; a *PathError's own text
			// would name it again.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return "", fmt.Errorf("%s_file: cannot read %s: %v", s.Field, s.File, err)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if s.TrimSpace {
			v = strings.TrimSpace(v)
		}
		if v == "" {
			return "", fmt.Errorf("%s_file: %s is empty", s.Field, s.File)
		}
		return v, nil
	}
	return "", nil
}
