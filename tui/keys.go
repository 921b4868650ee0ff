package tui

import "charm.land/bubbles/v2/key"

// KeyMap are the keys that work on every screen.
type KeyMap struct {
	Quit     key.Binding
	Help     key.Binding
	Scenario key.Binding // simulation only
	Back     key.Binding // from a connection to the list (captures)
}

// DefaultKeyMap returns the global keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Quit:     key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Help:     key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Scenario: key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "scenarios")),
		Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to list")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Scenario, k.Back, k.Help, k.Quit} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// helpKeys is the help bar's key map for the current screen: the global
// keys after the screen's own.
type helpKeys struct {
	short []key.Binding
	full  [][]key.Binding
}

func (h helpKeys) ShortHelp() []key.Binding  { return h.short }
func (h helpKeys) FullHelp() [][]key.Binding { return h.full }
