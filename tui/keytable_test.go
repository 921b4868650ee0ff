package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/tui/stepview"
)

// Markers around the generated key table in the README.
const (
	keysBegin = "<!-- keys:begin (generated from the key maps: go test ./tui -run TestKeyTable -update) -->\n"
	keysEnd   = "<!-- keys:end -->"
)

// TestKeyTableIsCurrent fails when the README's key table no longer
// matches the key maps; -update rewrites it.
func TestKeyTableIsCurrent(t *testing.T) {
	path := filepath.Join("..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	i, j := strings.Index(text, keysBegin), strings.Index(text, keysEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the key table markers %q … %q", keysBegin, keysEnd)
	}
	current := text[i+len(keysBegin) : j]
	want := KeyTableMarkdown()
	if updating() && current != want {
		text = text[:i+len(keysBegin)] + want + text[j:]
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if current != want {
		t.Errorf("the README's key table is stale: run go test ./tui -run TestKeyTable -update")
	}
}

func TestKeyTableListsEveryStepBinding(t *testing.T) {
	table := KeyTableMarkdown()
	for _, group := range stepview.DefaultKeyMap().FullHelp() {
		for _, k := range group {
			if !strings.Contains(table, "| "+k.Help().Desc+" |") {
				t.Errorf("the key table lacks %q", k.Help().Desc)
			}
		}
	}
}
