package tui

import (
	"fmt"
	"strings"

	"charm.land/bubbles/v2/key"

	"github.com/tcpviz/tcpviz/tui/connlist"
	"github.com/tcpviz/tcpviz/tui/endpoint"
	"github.com/tcpviz/tcpviz/tui/ladder"
	"github.com/tcpviz/tcpviz/tui/picker"
	"github.com/tcpviz/tcpviz/tui/stepview"
)

// KeyTableMarkdown renders every key map's bindings as Markdown tables,
// one per screen, for the README (a test keeps its copy current).
func KeyTableMarkdown() string {
	var b strings.Builder
	section := func(title, note string, groups ...[]key.Binding) {
		fmt.Fprintf(&b, "### %s\n\n", title)
		if note != "" {
			b.WriteString(note + "\n\n")
		}
		b.WriteString("| Key | Action |\n|---|---|\n")
		seen := map[string]bool{}
		for _, g := range groups {
			for _, k := range g {
				h := k.Help()
				if h.Key == "" || seen[h.Key+h.Desc] {
					continue
				}
				seen[h.Key+h.Desc] = true
				fmt.Fprintf(&b, "| %s | %s |\n", keyNames(k), h.Desc)
			}
		}
		b.WriteString("\n")
	}
	g := DefaultKeyMap()
	s := stepview.DefaultKeyMap()
	section("Everywhere", "", []key.Binding{g.Quit, g.Help})
	section("Stepping view", "Drop and duplicate work on simulations only (they recompute the rest of the timeline); in the echo session, each action's own key is shown in the actions bar and wins over a letter used here.",
		flatten(s.FullHelp()), []key.Binding{g.Scenario, g.Back, s.Cancel},
		[]key.Binding{key.NewBinding(key.WithKeys("1"), key.WithHelp("1…9", "choose the segment to drop or duplicate when several are in flight"))},
		[]key.Binding{key.NewBinding(key.WithKeys("wheel"), key.WithHelp("mouse wheel", "scroll the ladder"))})
	section("Ladder (focused with tab)", "", flatten(ladder.DefaultKeyMap().FullHelp()))
	section("Endpoint panel (focused with tab)", "", flatten(endpoint.DefaultKeyMap().FullHelp()))
	section("Connection list (replay, live)", "", flatten(connlist.DefaultKeyMap().FullHelp()), []key.Binding{connlist.DefaultKeyMap().Done})
	section("Scenario list", "", flatten(picker.DefaultKeyMap().FullHelp()),
		[]key.Binding{key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter scenarios"))})
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func flatten(groups [][]key.Binding) []key.Binding {
	var out []key.Binding
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// keyNames lists a binding's keys as the user types them, `code` spans
// joined by " / ".
func keyNames(k key.Binding) string {
	names := map[string]string{"right": "→", "left": "←", "up": "↑", "down": "↓", "pgup": "PgUp", "pgdown": "PgDn",
		"home": "Home", "end": "End", "space": "Space", "enter": "Enter", "esc": "Esc", "tab": "Tab", "ctrl+c": "Ctrl+C"}
	keys := k.Keys()
	if len(keys) == 1 && (keys[0] == "1" || keys[0] == "wheel") {
		return "`" + k.Help().Key + "`"
	}
	out := make([]string, len(keys))
	for i, s := range keys {
		if n, ok := names[s]; ok {
			s = n
		}
		if s == "|" {
			s = `\|`
		}
		out[i] = "`" + s + "`"
	}
	return strings.Join(out, " / ")
}
