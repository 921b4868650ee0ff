package narration

import (
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/styles"
)

// Model is the narration panel.
type Model struct {
	st     styles.Styles
	lang   narrate.Lang
	tl     *timeline.Timeline
	cur    int
	width  int
	height int
}

// New returns a narration panel in lang.
func New(st styles.Styles, lang narrate.Lang) Model { return Model{st: st, lang: lang} }

// SetStyles replaces the styles.
func (m *Model) SetStyles(st styles.Styles) { m.st = st }

// SetSize sets the size in cells.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// SetTimeline shows notes for tl.
func (m *Model) SetTimeline(tl *timeline.Timeline) { m.tl = tl }

// SetStep moves to step cur.
func (m *Model) SetStep(cur int) { m.cur = cur }

// View renders the note of the current step.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	text := ""
	if m.tl != nil && m.cur >= 0 && m.cur < m.tl.Len() {
		text = narrate.Note(m.tl, m.cur, m.lang)
	}
	wrapped := lipgloss.Wrap(text, m.width, " ")
	lines := strings.Split(wrapped, "\n")
	if len(lines) > m.height {
		lines = lines[:m.height]
		lines[m.height-1] = ansi.Truncate(lines[m.height-1], m.width-1, "") + "…"
	}
	for i, l := range lines {
		lines[i] = m.st.Narration.Render(l)
	}
	for len(lines) < m.height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
