package tui

import (
	"fmt"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/connlist"
	"github.com/tcpviz/tcpviz/tui/index"
	"github.com/tcpviz/tcpviz/tui/picker"
	"github.com/tcpviz/tcpviz/tui/stepview"
	"github.com/tcpviz/tcpviz/tui/styles"
)

// The smallest terminal the view lays out in.
const (
	MinWidth  = 100
	MinHeight = 30
)

type mode uint8

const (
	modeSim mode = iota
	modeCapture
	modeSession
)

type screen uint8

const (
	screenStep screen = iota
	screenList
	screenPicker
)

// loadedMsg carries a scenario's player, built off the UI loop.
type loadedMsg struct {
	name   string
	player timeline.Player
	tl     *timeline.Timeline
	ix     *index.Index
	err    error
}

// batchMsg is one batch from a growing source; ok is false once its
// channel is closed. actions is the session's menu as of this batch.
type batchMsg struct {
	b       timeline.Batch
	ok      bool
	actions []timeline.Action
}

// model is the root: it routes messages to the screen in front and lays
// the screen out.
type model struct {
	keys   KeyMap
	st     styles.Styles
	isDark bool
	mono   bool
	lang   narrate.Lang
	mode   mode
	screen screen
	width  int
	height int
	help   help.Model
	step   stepview.Model
	list   connlist.Model
	picker picker.Model
	status string
	source string // the capture's or session's name, for the header

	// simulation
	sim      SimOptions
	scenario string

	// capture and session
	updates <-chan timeline.Batch
	live    bool
	opened  int // the connection in the stepping view; -1 for none

	// session
	session timeline.Session
	actions []timeline.Action
	busy    bool // a session action is running
}

func newModel(m mode, lang narrate.Lang, mono bool) model {
	st := styles.New(true, mono)
	r := model{
		keys:   DefaultKeyMap(),
		st:     st,
		isDark: true,
		mono:   mono,
		lang:   lang,
		mode:   m,
		help:   help.New(),
		step:   stepview.New(st, lang),
		list:   connlist.New(st, ""),
		opened: -1,
	}
	r.keys.Scenario.SetEnabled(m == modeSim)
	r.keys.Back.SetEnabled(m == modeCapture)
	r.setStyles(true)
	return r
}

// setStyles rebuilds every style for the background now known.
func (m *model) setStyles(isDark bool) {
	m.isDark = isDark
	m.st = styles.New(isDark, m.mono)
	m.step.SetStyles(m.st)
	m.list.SetStyles(m.st)
	hs := help.DefaultStyles(isDark)
	hs.ShortKey, hs.FullKey = m.st.HelpKey, m.st.HelpKey
	hs.ShortDesc, hs.FullDesc = m.st.HelpDesc, m.st.HelpDesc
	hs.ShortSeparator, hs.FullSeparator = m.st.HelpSep, m.st.HelpSep
	m.help.Styles = hs
}

func (m model) Init() tea.Cmd {
	cmds := []tea.Cmd{tea.RequestBackgroundColor}
	switch m.mode {
	case modeSim:
		cmds = append(cmds, m.load(m.scenario))
	case modeCapture, modeSession:
		cmds = append(cmds, waitBatch(m.updates, m.session))
	}
	return tea.Batch(cmds...)
}

// load builds a scenario's player in a command.
func (m model) load(name string) tea.Cmd {
	load := m.sim.Load
	return func() tea.Msg {
		if load == nil {
			return loadedMsg{name: name, err: fmt.Errorf("no scenarios to load")}
		}
		p, err := load(name)
		if err != nil {
			return loadedMsg{name: name, err: err}
		}
		tl := p.Timeline()
		return loadedMsg{name: name, player: p, tl: tl, ix: index.New(tl)}
	}
}

// waitBatch reads the next batch; Update re-arms it after every message
// (bubbletea's examples/realtime).
func waitBatch(ch <-chan timeline.Batch, s timeline.Session) tea.Cmd {
	if ch == nil {
		return nil
	}
	return func() tea.Msg {
		b, ok := <-ch
		msg := batchMsg{b: b, ok: ok}
		if s != nil {
			msg.actions = s.Actions()
		}
		return msg
	}
}

func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.BackgroundColorMsg:
		m.setStyles(msg.IsDark())
		if m.screen == screenPicker {
			m.picker = m.newPicker()
		}
		return m, nil
	case loadedMsg:
		if msg.err != nil {
			m.status = fmt.Sprintf("scenario %s: %v", msg.name, msg.err)
			return m, nil
		}
		m.scenario = msg.name
		m.step.SetTimeline(msg.tl, msg.ix, msg.player, sourceName(msg.tl, msg.name))
		m.screen, m.status = screenStep, ""
		m.layout()
		return m, nil
	case batchMsg:
		return m.batch(msg)
	case actionDoneMsg:
		return m.actionDone(msg), nil
	case picker.ChosenMsg:
		m.screen = screenStep
		return m, m.load(msg.Name)
	case picker.CancelMsg:
		m.screen = screenStep
		return m, nil
	case tea.KeyPressMsg:
		return m.key(msg)
	case tea.MouseWheelMsg:
		if m.screen == screenStep {
			var cmd tea.Cmd
			m.step, cmd = m.step.Update(msg)
			return m, cmd
		}
		return m, nil
	}
	// Ticks, fault results and the rest belong to the screen in front.
	return m.route(msg)
}

func (m model) route(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch m.screen {
	case screenStep:
		m.step, cmd = m.step.Update(msg)
	case screenList:
		m.list, cmd = m.list.Update(msg)
	case screenPicker:
		m.picker, cmd = m.picker.Update(msg)
	}
	return m, cmd
}

// typing reports whether keys are text for a filter right now.
func (m model) typing() bool {
	return m.screen == screenList && m.list.Editing() || m.screen == screenPicker && m.picker.Filtering()
}

func (m model) key(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" || !m.typing() && key.Matches(msg, m.keys.Quit) {
		return m, tea.Quit
	}
	if m.typing() {
		return m.route(msg)
	}
	switch {
	case key.Matches(msg, m.keys.Help):
		m.help.ShowAll = !m.help.ShowAll
		m.layout()
		return m, nil
	case m.screen == screenStep && key.Matches(msg, m.keys.Scenario):
		m.picker = m.newPicker()
		m.screen = screenPicker
		m.layout()
		return m, nil
	case m.screen == screenStep && m.mode == modeCapture && key.Matches(msg, m.keys.Back) && !m.step.Choosing():
		m.screen, m.opened = screenList, -1
		m.layout()
		return m, nil
	case m.screen == screenList && key.Matches(msg, m.list.KeyMap.Open):
		return m.open(), nil
	case m.screen == screenStep && m.mode == modeSession:
		if r, cmd, ok := m.actionKey(msg); ok {
			return r, cmd
		}
	}
	return m.route(msg)
}

func (m model) newPicker() picker.Model {
	sc := make([]picker.Scenario, len(m.sim.Scenarios))
	for i, s := range m.sim.Scenarios {
		sc[i] = picker.Scenario{Name: s.Name, Description: s.Description}
	}
	p := picker.New(sc, m.scenario, m.isDark)
	p.SetSize(m.width, max(5, m.height-m.helpHeight()))
	return p
}

// open shows the connection under the list's cursor in the stepping view.
func (m model) open() model {
	c := m.list.Selected()
	if c == nil {
		return m
	}
	c = m.list.Open(c.ID)
	m.opened = c.ID
	m.step.SetLive(m.live)
	m.step.SetTimeline(c.TL, c.IX, nil, m.source+" "+c.TL.Conn.String())
	m.screen = screenStep
	m.layout()
	return m
}

// batch takes in a batch and re-arms the reader.
func (m model) batch(msg batchMsg) (tea.Model, tea.Cmd) {
	if !msg.ok {
		m.live = false
		m.step.SetLive(false)
		if m.mode == modeSession {
			m.actions = nil
			m.status = "the session has ended"
		}
		return m, nil
	}
	if msg.actions != nil {
		m.actions = msg.actions
		m.layout()
	}
	m.list.Apply(msg.b)
	if msg.b.Err != nil {
		m.status = "source stopped: " + msg.b.Err.Error()
	}
	if msg.b.Done {
		m.live = false
		m.step.SetLive(false)
	}
	switch m.mode {
	case modeCapture:
		if c := m.list.Conn(m.opened); c != nil && c.IX != nil {
			m.step.Grew() // Apply brought the opened timeline up to date
		}
	case modeSession:
		m.followSession(msg.b)
	}
	if msg.b.Done {
		return m, nil
	}
	return m, waitBatch(m.updates, m.session)
}

func sourceName(tl *timeline.Timeline, name string) string {
	if tl.Source != "" {
		return tl.Source
	}
	return name
}
