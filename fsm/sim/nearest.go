package sim

import (
	"fmt"
	"strings"
)

// UnknownScenarioError says a scenario name is not a built-in one, and
// names the nearest built-in where one is close enough to be a typo.
type UnknownScenarioError struct {
	Name    string
	Nearest string // "" when no name is close
}

func (e *UnknownScenarioError) Error() string {
	msg := fmt.Sprintf("unknown scenario %q", e.Name)
	if e.Nearest != "" {
		msg += fmt.Sprintf(": did you mean %q?", e.Nearest)
	}
	return msg + " (valid: " + strings.Join(Names(), ", ") + ")"
}

// Find returns the built-in scenario called name, or an
// *UnknownScenarioError suggesting the nearest name.
func Find(name string) (Scenario, error) {
	if sc, ok := Lookup(name); ok {
		return sc, nil
	}
	return Scenario{}, &UnknownScenarioError{Name: name, Nearest: Nearest(name, Names())}
}

// Nearest returns the candidate closest to word by edit distance, if it is
// close enough to be a typo (at most a third of the word's length, and at
// least 1, edits away), or that has word as a prefix; "" otherwise.
func Nearest(word string, candidates []string) string {
	best, bestD := "", len(word)/3+1
	for _, c := range candidates {
		if word != "" && strings.HasPrefix(c, word) {
			return c
		}
		if d := editDistance(word, c); d <= bestD && (best == "" || d < bestD) {
			best, bestD = c, d
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, in bytes
// (scenario and command names are ASCII).
func editDistance(a, b string) int {
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
