package picker

import "testing"

// TestPrefixFirst: a name that starts with what was typed comes first,
// whatever the fuzzy ranking of the descriptions says.
func TestPrefixFirst(t *testing.T) {
	targets := []string{
		"echo the usual session",
		"lost-fin the FIN is lost and resent by its timer",
		"simultaneous-open both sides send SYN",
		"simultaneous-close both sides close at once",
	}
	for _, tt := range []struct {
		term  string
		first []int // the leading indexes, in order
	}{
		{"sim", []int{2, 3}},
		{"lost", []int{1}},
		{"SIM", []int{2, 3}},
		{"ech", []int{0}},
	} {
		ranks := prefixFirst(tt.term, targets)
		if len(ranks) < len(tt.first) {
			t.Fatalf("%q: %d ranks, want at least %d", tt.term, len(ranks), len(tt.first))
		}
		for i, want := range tt.first {
			if ranks[i].Index != want {
				t.Errorf("%q: rank %d is %d, want %d (ranks %v)", tt.term, i, ranks[i].Index, want, ranks)
			}
		}
		seen := map[int]bool{}
		for _, r := range ranks {
			if seen[r.Index] {
				t.Errorf("%q: %d ranked twice", tt.term, r.Index)
			}
			seen[r.Index] = true
		}
	}
}
