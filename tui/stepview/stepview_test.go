package stepview

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/endpoint"
	"github.com/tcpviz/tcpviz/tui/index"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
	"github.com/tcpviz/tcpviz/tui/narration"
	"github.com/tcpviz/tcpviz/tui/styles"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func TestMain(m *testing.M) {
	BaseInterval = time.Hour
	narration.NoteFunc = fixture.Note
	endpoint.TriggerFunc = endpoint.Trigger
	os.Exit(m.Run())
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update to accept):\n%s", name, got)
	}
}

func newView(tl *timeline.Timeline, p timeline.Player, w, h int) Model {
	m := New(styles.New(true, false), narrate.EN)
	m.SetTimeline(tl, index.New(tl), p, tl.Source)
	m.SetSize(w, h)
	return m
}

func press(m Model, keys ...string) Model {
	for _, k := range keys {
		var msg tea.KeyPressMsg
		switch k {
		case "right":
			msg = tea.KeyPressMsg{Code: tea.KeyRight}
		case "left":
			msg = tea.KeyPressMsg{Code: tea.KeyLeft}
		case "space":
			msg = tea.KeyPressMsg{Code: tea.KeySpace, Text: " "}
		case "tab":
			msg = tea.KeyPressMsg{Code: tea.KeyTab}
		case "esc":
			msg = tea.KeyPressMsg{Code: tea.KeyEscape}
		default:
			r := []rune(k)[0]
			msg = tea.KeyPressMsg{Code: r, Text: k}
		}
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		if cmd != nil {
			if im, ok := cmd().(InjectedMsg); ok {
				m, _ = m.Update(im)
			}
		}
	}
	return m
}

func view(m Model) string { return ansi.Strip(m.View()) }

var sizes = []struct {
	name string
	w, h int
}{{"100x30", 100, 30}, {"160x45", 160, 45}}

func TestViewShowsEachSourceAtTwoSizes(t *testing.T) {
	sources := []struct {
		name  string
		tl    *timeline.Timeline
		steps int
	}{
		{"sim", fixture.Echo(), 11},
		{"capture", fixture.Capture(), 4},
		{"session", fixture.Session(), 5},
	}
	for _, src := range sources {
		for _, sz := range sizes {
			t.Run(src.name+"/"+sz.name, func(t *testing.T) {
				m := newView(src.tl, nil, sz.w, sz.h)
				for range src.steps {
					m = press(m, "right")
				}
				got := view(m)
				checkSize(t, got, sz.w, sz.h)
				golden(t, src.name+"-"+sz.name, got)
			})
		}
	}
}

func checkSize(t *testing.T, got string, w, h int) {
	t.Helper()
	lines := strings.Split(got, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i, n, w, l)
		}
	}
}
