package stepview

import "charm.land/bubbles/v2/key"

// KeyMap are the stepping view's keys.
type KeyMap struct {
	Next, Prev, Play, Faster, Slower, First, Last key.Binding
	Drop, Duplicate, Relative, Focus              key.Binding
	Cancel                                        key.Binding // leaves the fault chooser
}

// DefaultKeyMap returns the stepping view's default keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:      key.NewBinding(key.WithKeys("right", "l"), key.WithHelp("→/l", "next step")),
		Prev:      key.NewBinding(key.WithKeys("left", "h"), key.WithHelp("←/h", "prev step")),
		Play:      key.NewBinding(key.WithKeys("space"), key.WithHelp("space", "play/pause")),
		Faster:    key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "faster")),
		Slower:    key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "slower")),
		First:     key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "first step")),
		Last:      key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "last step")),
		Drop:      key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "drop segment")),
		Duplicate: key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "duplicate segment")),
		Relative:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "rel/abs numbers")),
		Focus:     key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next panel")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
	}
}

// SetFaults enables or disables the fault keys (only a timeline.Player
// takes faults), so the help shows them only where they work.
func (k *KeyMap) SetFaults(on bool) {
	k.Drop.SetEnabled(on)
	k.Duplicate.SetEnabled(on)
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Next, k.Prev, k.Play, k.Drop}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Next, k.Prev, k.First, k.Last},
		{k.Play, k.Faster, k.Slower},
		{k.Drop, k.Duplicate, k.Relative, k.Focus},
	}
}
