package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/sim"
)

// TestPickerListsDirectory: with --scenarios DIR the picker offers the
// built-ins, then every .tcps file of DIR by its path (a file called
// echo.tcps does not hide the built-in echo), and each one loads.
func TestPickerListsDirectory(t *testing.T) {
	dir := t.TempDir()
	echo, _ := sim.Lookup("echo")
	lost, _ := sim.Lookup("lost-syn")
	for name, text := range map[string]string{"echo.tcps": lost.Text, "mine.tcps": echo.Text, "notes.txt": "not a scenario"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := newCatalog()
	if err := c.addDir(dir); err != nil {
		t.Fatal(err)
	}
	opts := c.tuiOptions(narrate.EN, "echo", sim.DefaultConfig())
	names := sim.Names()
	want := append(names, filepath.Join(dir, "echo.tcps"), filepath.Join(dir, "mine.tcps"))
	if len(opts.Scenarios) != len(want) {
		t.Fatalf("the picker lists %d scenarios, want %d", len(opts.Scenarios), len(want))
	}
	for i, sc := range opts.Scenarios {
		if sc.Name != want[i] {
			t.Errorf("entry %d is %q, want %q", i, sc.Name, want[i])
		}
		if _, err := opts.Load(sc.Name); err != nil {
			t.Errorf("load %s: %v", sc.Name, err)
		}
	}
	builtin, _ := opts.Load("echo")
	file, _ := opts.Load(filepath.Join(dir, "echo.tcps"))
	if builtin.Timeline().Len() == file.Timeline().Len() {
		t.Error("the file echo.tcps (a copy of lost-syn) replaced the built-in echo")
	}
}
