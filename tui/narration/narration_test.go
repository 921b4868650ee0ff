package narration

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
	"github.com/tcpviz/tcpviz/tui/styles"
)

// TestNotesWrapToThePanelInBothLanguages renders every step's note in
// English and Chinese (wide characters) and checks no line overflows.
func TestNotesWrapToThePanelInBothLanguages(t *testing.T) {
	tl := fixture.Session()
	for _, lang := range []narrate.Lang{narrate.EN, narrate.ZH} {
		for _, w := range []int{98, 158} {
			m := New(styles.New(true, true), lang)
			m.SetTimeline(tl)
			m.SetSize(w, 3)
			for i := range tl.Steps {
				m.SetStep(i)
				v := ansi.Strip(m.View())
				lines := strings.Split(v, "\n")
				if len(lines) != 3 {
					t.Fatalf("lang %d width %d step %d: %d lines, want 3", lang, w, i, len(lines))
				}
				for _, l := range lines {
					if ansi.StringWidth(l) > w {
						t.Errorf("lang %d step %d: line %q is wider than %d", lang, i, l, w)
					}
				}
				if strings.TrimSpace(lines[0]) == "" {
					t.Errorf("lang %d step %d: no narration", lang, i)
				}
			}
		}
	}
}
