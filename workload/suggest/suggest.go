// Package suggest finds the known name closest to a misspelt one, for
// "did you mean" hints in error messages (scenario fields, metric names).
// It is a leaf package: it imports only the standard library, so that
// workload and report can both use it.
package suggest

import "strings"

// Distance returns the Levenshtein distance between a and b: the fewest
// single-byte insertions, deletions and substitutions that turn a into b.
// It compares bytes, not runes, and allocates two rows of len(b)+1 ints.
func Distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Closest returns the name in known closest to name by Distance, compared
// case-insensitively (both lower-cased), and that distance; the first
// such name on ties. With known empty it returns "", -1. Callers decide
// how close is close enough.
func Closest(name string, known []string) (best string, dist int) {
	dist = -1
	lower := strings.ToLower(name)
	for _, k := range known {
		if d := Distance(lower, strings.ToLower(k)); dist < 0 || d < dist {
			best, dist = k, d
		}
	}
	return best, dist
}
