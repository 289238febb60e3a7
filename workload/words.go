package workload

import (
	_ "embed"
	"strings"
)

// wordsText is words.txt: the built-in word list, separated by white
// space, in the order payloads draw from.
//
//go:embed words.txt
var wordsText string

// defaultWords is the text payload's built-in word list: 497 common English
// words, so that text payloads compress roughly as prose does.
var defaultWords = strings.Fields(wordsText)
