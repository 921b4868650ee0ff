package tui

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// actionDoneMsg reports a session action's result and the menu after it.
type actionDoneMsg struct {
	id      string
	err     error
	actions []timeline.Action
}

// doAction runs a session action in a command: it blocks on real sockets.
func doAction(s timeline.Session, id string) tea.Cmd {
	return func() tea.Msg {
		err := s.Do(id)
		return actionDoneMsg{id: id, err: err, actions: s.Actions()}
	}
}

// actionKey handles a key that names a session action. Stepping keys that
// are arrows, help and quit never reach here; an action's own key wins
// over a letter the stepping view also uses.
func (m model) actionKey(msg tea.KeyPressMsg) (model, tea.Cmd, bool) {
	k := msg.String()
	for _, a := range m.actions {
		if a.Key == "" || a.Key != k {
			continue
		}
		switch {
		case m.busy:
			m.status = "wait: the last call has not returned yet"
			return m, nil, true
		case !a.Enabled:
			m.status = fmt.Sprintf("%s is not possible now: %s", a.Label, a.Why)
			return m, nil, true
		}
		m.busy = true
		m.status = ""
		m.layout()
		return m, doAction(m.session, a.ID), true
	}
	return m, nil, false
}

func (m model) actionDone(msg actionDoneMsg) model {
	m.busy = false
	m.layout()
	if msg.actions != nil {
		m.actions = msg.actions
		m.layout()
	}
	if msg.err != nil {
		m.status = fmt.Sprintf("%s: %v", msg.id, msg.err)
	}
	return m
}

// followSession shows the session's newest connection and its new steps.
func (m *model) followSession(b timeline.Batch) {
	if len(b.Conns) == 0 {
		return
	}
	id := b.Conns[len(b.Conns)-1].ID
	if id != m.opened {
		c := m.list.Open(id)
		if c == nil {
			return
		}
		m.opened = id
		m.step.SetLive(true)
		m.step.SetTimeline(c.TL, c.IX, nil, m.source)
		m.layout()
		return
	}
	if c := m.list.Conn(id); c != nil {
		c.Index()
		m.step.Grew()
	}
}

// actionsBar lists the session's actions with their keys: enabled ones
// lit, disabled ones greyed.
func (m model) actionsBar() string {
	if len(m.actions) == 0 {
		return m.st.Dim.Render("actions: none now")
	}
	parts := make([]string, 0, len(m.actions))
	for _, a := range m.actions {
		if a.Enabled {
			parts = append(parts, m.st.ActionOn.Render(fmt.Sprintf("[%s] %s", a.Key, a.Label)))
		} else {
			parts = append(parts, m.st.ActionOff.Render(fmt.Sprintf("(%s) %s", a.Key, a.Label)))
		}
	}
	if m.busy {
		parts = append(parts, m.st.Dim.Render("running…"))
	}
	// Wrap between actions, never inside one, on at most maxActionLines.
	var lines []string
	line := m.st.Title.Render("actions")
	for i, p := range parts {
		switch {
		case ansi.StringWidth(line)+3+ansi.StringWidth(p) > m.width && len(lines) < maxActionLines-1:
			lines = append(lines, line)
			line = "       "
		case i > 0:
			line += m.st.Dim.Render(" ·")
		}
		line += " " + p
	}
	lines = append(lines, ansi.Truncate(line, m.width, "…"))
	return strings.Join(lines, "\n")
}

// maxActionLines bounds the actions bar's height.
const maxActionLines = 3

// actionLines is the actions bar's height now.
func (m model) actionLines() int {
	if m.mode != modeSession {
		return 0
	}
	return strings.Count(m.actionsBar(), "\n") + 1
}
