package connlist

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/table"
)

// KeyMap are the connection list's keys.
type KeyMap struct {
	Table  table.KeyMap
	Open   key.Binding
	Sort   key.Binding
	Filter key.Binding
	Done   key.Binding // ends editing the filter, keeping it
	Clear  key.Binding // ends editing the filter, clearing it
}

// DefaultKeyMap returns the list's default keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Table:  table.DefaultKeyMap(),
		Open:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open connection")),
		Sort:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sort")),
		Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Done:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
		Clear:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Sort, k.Filter}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Table.LineUp, k.Table.LineDown, k.Table.PageUp, k.Table.PageDown},
		{k.Table.GotoTop, k.Table.GotoBottom, k.Open},
		{k.Sort, k.Filter, k.Clear},
	}
}
