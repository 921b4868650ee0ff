package tui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/tui/stepview"
)

// TestKeyTableIsCurrent fails when docs/keys.md no longer matches the key
// maps; -update regenerates it.
func TestKeyTableIsCurrent(t *testing.T) {
	path := filepath.Join("..", "docs", "keys.md")
	got := KeyTableMarkdown()
	if updating() {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./tui -run TestKeyTable -update)", err)
	}
	if string(want) != got {
		t.Errorf("docs/keys.md is stale: run go test ./tui -run TestKeyTable -update")
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
