package sim

import "testing"

func TestNearest(t *testing.T) {
	for _, tt := range []struct{ word, want string }{
		{"lost-fn", "lost-fin"},
		{"lostfin", "lost-fin"},
		{"lost-syn", "lost-syn"},
		{"lost-synak", "lost-synack"},
		{"simultaneous", "simultaneous-open"}, // a prefix
		{"ech", "echo"},
		{"nope", ""},
		{"", ""},
		{"x", ""},
	} {
		if got := Nearest(tt.word, Names()); got != tt.want {
			t.Errorf("Nearest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestFindSuggests(t *testing.T) {
	_, err := Find("abotr")
	ue, ok := err.(*UnknownScenarioError)
	if !ok || ue.Nearest != "abort" {
		t.Fatalf("Find(abotr) = %v, want an UnknownScenarioError suggesting abort", err)
	}
	if sc, err := Find("refused"); err != nil || sc.Name != "refused" {
		t.Fatalf("Find(refused) = %v, %v", sc.Name, err)
	}
}
