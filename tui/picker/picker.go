package picker

import (
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/list"
	tea "charm.land/bubbletea/v2"
)

// Scenario is one entry: a name and what it shows.
type Scenario struct{ Name, Description string }

type item struct{ s Scenario }

func (i item) Title() string       { return i.s.Name }
func (i item) Description() string { return i.s.Description }
func (i item) FilterValue() string { return i.s.Name + " " + i.s.Description }

// KeyMap are the picker's own keys (the list brings its moving and
// filtering keys).
type KeyMap struct {
	Choose, Cancel key.Binding
}

// DefaultKeyMap returns the picker's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open scenario")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back to the view")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Choose, k.Cancel} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Choose, k.Cancel}} }

// ChosenMsg says the user chose a scenario.
type ChosenMsg struct{ Name string }

// CancelMsg says the user left the picker without choosing.
type CancelMsg struct{}

// Model is the scenario chooser.
type Model struct {
	KeyMap KeyMap
	list   list.Model
}

// New returns a picker over scenarios, the cursor on current.
func New(scenarios []Scenario, current string, isDark bool) Model {
	items := make([]list.Item, len(scenarios))
	sel := 0
	for i, s := range scenarios {
		items[i] = item{s}
		if s.Name == current {
			sel = i
		}
	}
	d := list.NewDefaultDelegate()
	d.Styles = list.NewDefaultItemStyles(isDark)
	l := list.New(items, d, 60, 20)
	l.Title = "Choose a scenario"
	l.Filter = prefixFirst
	l.Styles = list.DefaultStyles(isDark)
	l.SetShowHelp(false)
	l.DisableQuitKeybindings()
	l.Select(sel)
	return Model{KeyMap: DefaultKeyMap(), list: l}
}

// prefixFirst ranks the scenarios whose name starts with the term first,
// in list order (typing "sim" means simultaneous-…, not the fuzzy best
// match among descriptions), then bubbles' fuzzy matches of the rest.
func prefixFirst(term string, targets []string) []list.Rank {
	var ranks []list.Rank
	prefixed := make(map[int]bool)
	lower := strings.ToLower(term)
	for i, t := range targets {
		if lower != "" && strings.HasPrefix(strings.ToLower(t), lower) {
			ranks = append(ranks, list.Rank{Index: i, MatchedIndexes: seq(len(term))})
			prefixed[i] = true
		}
	}
	for _, r := range list.DefaultFilter(term, targets) {
		if !prefixed[r.Index] {
			ranks = append(ranks, r)
		}
	}
	return ranks
}

// seq is 0, 1, …, n-1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// SetSize sets the picker's size.
func (m *Model) SetSize(w, h int) { m.list.SetSize(w, h) }

// Filtering reports whether the user is typing a filter (keys are text).
func (m Model) Filtering() bool { return m.list.SettingFilter() }

// Update moves, filters and chooses.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && !m.list.SettingFilter() {
		switch {
		case key.Matches(k, m.KeyMap.Choose):
			if it, ok := m.list.SelectedItem().(item); ok {
				return m, func() tea.Msg { return ChosenMsg{Name: it.s.Name} }
			}
		case key.Matches(k, m.KeyMap.Cancel) && !m.list.IsFiltered():
			return m, func() tea.Msg { return CancelMsg{} }
		}
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	return m, cmd
}

// View renders the list.
func (m Model) View() string { return m.list.View() }

// HelpKeys returns the list's own bindings, for the help bar.
func (m Model) HelpKeys() []key.Binding { return m.list.ShortHelp() }
