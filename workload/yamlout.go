package workload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// YAML returns s as a prodbench scenario file: the JSON form (defaults
// applied, fields in the struct's order) written as block-style YAML,
// which Parse reads back to an equal Scenario. A scenario translated from
// OMB files starts with comment lines naming them and holding the note of
// what prodbench does not do, one item per line.
func (s *Scenario) YAML() ([]byte, error) {
	raw, err := json.Marshal(s)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	blockStyle(&doc)
	var b bytes.Buffer
	if o := s.omb; o != nil {
		if o.Workload != "" {
			fmt.Fprintf(&b, "# Translated from the OMB workload %s", o.Workload)
			if o.Name != "" {
				fmt.Fprintf(&b, " (%s)", strings.ReplaceAll(o.Name, "\n", " "))
			}
			b.WriteString("\n")
		}
		if o.DriverFile != "" {
			fmt.Fprintf(&b, "# with the OMB driver %s\n", o.DriverFile)
		}
		if len(o.NotDone) > 0 {
			b.WriteString("# Not done by prodbench:\n")
			for _, n := range o.NotDone {
				fmt.Fprintf(&b, "#   - %s\n", strings.ReplaceAll(n, "\n", " "))
			}
		}
	}
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// blockStyle clears flow styles, so the JSON reads as ordinary YAML;
// strings that YAML would read as another type stay quoted.
func blockStyle(n *yaml.Node) {
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		n.Style &^= yaml.FlowStyle
		// Short lists of scalars read best inline.
		if n.Kind == yaml.SequenceNode && len(n.Content) <= 8 && allScalars(n.Content) {
			n.Style |= yaml.FlowStyle
		}
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!str" {
		n.Style &^= yaml.DoubleQuotedStyle
		if n.Value == "" || needsQuote(n.Value) {
			n.Style |= yaml.DoubleQuotedStyle
		}
	}
	for _, c := range n.Content {
		blockStyle(c)
	}
}

func allScalars(ns []*yaml.Node) bool {
	for _, n := range ns {
		if n.Kind != yaml.ScalarNode {
			return false
		}
	}
	return true
}

// needsQuote reports whether v, unquoted, would not read back as the
// string v.
func needsQuote(v string) bool {
	var out any
	if err := yaml.Unmarshal([]byte(v), &out); err != nil {
		return true
	}
	s, ok := out.(string)
	return !ok || s != v
}
