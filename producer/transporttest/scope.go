package transporttest

import "fmt"

// Scope is a registry.Scope for the validator tests of the systems: the
// fields in the set are "in the scenario file", and Errorf's errors start
// with the field's name and a colon.
type Scope map[string]bool

// Has reports whether field is in s.
func (s Scope) Has(field string) bool { return s[field] }

// Errorf returns "field: message".
func (s Scope) Errorf(field, format string, args ...any) error {
	return fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...))
}
