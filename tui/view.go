package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// layout computes the screen's parts once and pushes the sizes down.
func (m *model) layout() {
	if m.width < MinWidth || m.height < MinHeight {
		return
	}
	m.help.SetWidth(m.width)
	h := m.height - m.helpHeight()
	if m.mode == modeSession {
		h -= m.actionLines() + 1 // the actions bar and the session's status line
	}
	m.step.SetSize(m.width, h)
	m.list.SetSize(m.width, h-1)
	if m.screen == screenPicker {
		m.picker.SetSize(m.width, h-1)
	}
}

func (m model) helpHeight() int {
	if !m.help.ShowAll {
		return 1
	}
	return lipgloss.Height(m.help.View(m.helpKeys()))
}

// helpKeys is what the help bar shows on the current screen.
func (m model) helpKeys() help.KeyMap {
	var h helpKeys
	g := m.keys
	switch m.screen {
	case screenList:
		k := m.list.KeyMap
		h.short = append(k.ShortHelp(), g.Help, g.Quit)
		h.full = append(k.FullHelp(), []key.Binding{g.Help, g.Quit})
	case screenPicker:
		k := m.picker.KeyMap
		h.short = append(k.ShortHelp(), m.picker.HelpKeys()...)
		h.full = [][]key.Binding{k.ShortHelp(), m.picker.HelpKeys(), {g.Quit}}
	default:
		k := m.step.KeyMap
		h.short = append(k.ShortHelp(), g.ShortHelp()...)
		h.full = append(k.FullHelp(), g.ShortHelp())
		h.full = append(h.full, m.step.PanelHelp())
	}
	return h
}

func (m model) View() tea.View {
	var v tea.View
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	v.WindowTitle = "tcpviz"
	if m.width < MinWidth || m.height < MinHeight {
		v.SetContent(fmt.Sprintf("terminal too small: need at least %dx%d, have %dx%d", MinWidth, MinHeight, m.width, m.height))
		return v
	}
	var body string
	switch m.screen {
	case screenList:
		body = m.list.View()
	case screenPicker:
		body = m.picker.View()
	default:
		if m.step.Timeline() == nil {
			body = m.st.Dim.Render(m.waiting())
		} else {
			body = m.step.View()
		}
	}
	parts := []string{body}
	if m.mode == modeSession && m.screen == screenStep {
		parts = append(parts, m.actionsBar(), m.statusLine())
	} else if m.status != "" && m.screen != screenStep {
		parts = append(parts, m.statusLine())
	}
	v.SetContent(fitLines(strings.Join(parts, "\n"), m.height-m.helpHeight()) + "\n" + m.help.View(m.helpKeys()))
	return v
}

func (m model) waiting() string {
	switch {
	case m.status != "":
		return m.status
	case m.mode == modeSim:
		return "loading the scenario…"
	}
	return "waiting for the first step…"
}

func (m model) statusLine() string {
	if m.status == "" {
		return ""
	}
	return m.st.Error.Render(ansi.Truncate(m.status, m.width, "…"))
}

// fitLines pads or cuts s to exactly h lines.
func fitLines(s string, h int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for len(lines) < h {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
