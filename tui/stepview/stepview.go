package stepview

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/endpoint"
	"github.com/tcpviz/tcpviz/tui/index"
	"github.com/tcpviz/tcpviz/tui/ladder"
	"github.com/tcpviz/tcpviz/tui/narration"
	"github.com/tcpviz/tcpviz/tui/styles"
)

// Speeds are the play speeds, in steps per second at 1×.
var Speeds = []float64{0.25, 0.5, 1, 2, 4, 8, 16}

// BaseInterval is the time between steps at 1×; tests set it long so
// that only the ticks they send advance the view.
var BaseInterval = 700 * time.Millisecond

const defaultSpeed = 2 // index of 1× in Speeds

// Panels that take the focus with tab.
const (
	focusClient = iota
	focusLadder
	focusServer
	numFocus
)

// TickMsg advances a playing view by one step. Gen tells a tick of the
// current play apart from one left over from an earlier play.
type TickMsg struct{ Gen int }

// InjectedMsg carries the timeline recomputed after a fault, indexed off
// the UI loop.
type InjectedMsg struct {
	TL    *timeline.Timeline
	IX    *index.Index
	SegID int
	Fault timeline.Fault
	Seg   fsm.Segment
	Dir   fsm.Dir
	Err   error
}

// Model is the stepping view of one timeline.
type Model struct {
	KeyMap KeyMap

	st      styles.Styles
	tl      *timeline.Timeline
	ix      *index.Index
	player  timeline.Player
	source  string
	cur     int
	playing bool
	gen     int
	speed   int
	live    bool // the source is growing
	follow  bool // stay on the newest step as steps arrive
	abs     bool
	focus   int
	status  string
	choose  []timeline.InFlight // segments to choose from for a fault
	fault   timeline.Fault

	width, height int
	ladder        ladder.Model
	ends          [2]endpoint.Model
	note          narration.Model
}

// New returns an empty stepping view.
func New(st styles.Styles, lang narrate.Lang) Model {
	m := Model{
		KeyMap: DefaultKeyMap(),
		st:     st,
		speed:  defaultSpeed,
		focus:  focusLadder,
		ladder: ladder.New(st),
		ends:   [2]endpoint.Model{endpoint.New(fsm.Client, st), endpoint.New(fsm.Server, st)},
		note:   narration.New(st, lang),
	}
	m.KeyMap.SetFaults(false)
	m.ladder.Focus()
	return m
}

// SetStyles replaces the styles everywhere.
func (m *Model) SetStyles(st styles.Styles) {
	m.st = st
	m.ladder.SetStyles(st)
	m.ends[0].SetStyles(st)
	m.ends[1].SetStyles(st)
	m.note.SetStyles(st)
}

// SetTimeline shows tl from its first step (its last when live). player,
// if not nil, is the source of tl and takes faults.
func (m *Model) SetTimeline(tl *timeline.Timeline, ix *index.Index, player timeline.Player, source string) {
	m.tl, m.ix, m.player, m.source = tl, ix, player, source
	m.KeyMap.SetFaults(player != nil)
	m.playing, m.choose, m.status = false, nil, ""
	m.gen++
	m.ladder.SetTimeline(tl, ix)
	m.ends[0].SetTimeline(tl, ix)
	m.ends[1].SetTimeline(tl, ix)
	m.note.SetTimeline(tl)
	m.cur = 0
	if m.follow {
		m.cur = max(0, tl.Len()-1)
	}
	m.setStep(m.cur)
}

// SetLive marks the source as growing: the view follows the newest step
// until the user steps back.
func (m *Model) SetLive(live bool) { m.live, m.follow = live, live }

// Grew tells the view that steps were appended to its timeline (already
// indexed); a following view moves to the newest.
func (m *Model) Grew() {
	if m.tl == nil {
		return
	}
	if m.follow {
		m.setStep(m.tl.Len() - 1)
	}
}

// GoTo moves to step i (clamped), as stepping there would.
func (m *Model) GoTo(i int) {
	m.follow = false
	m.setStep(i)
}

// Timeline returns the timeline shown.
func (m Model) Timeline() *timeline.Timeline { return m.tl }

// Step returns the current step's index.
func (m Model) Step() int { return m.cur }

// Playing reports whether the view is playing.
func (m Model) Playing() bool { return m.playing }

// Gen returns the current play generation, for tests that send TickMsg.
func (m Model) Gen() int { return m.gen }

// Status is the view's one-line message (a prompt, what a fault did).
func (m Model) Status() string { return m.status }

// Choosing reports whether the view waits for the user to pick a segment.
func (m Model) Choosing() bool { return m.choose != nil }

// SetSize lays the panels out in w×h cells.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	side, lad, ph, nh := m.layout()
	m.ends[0].SetSize(side-2, ph-2)
	m.ends[1].SetSize(side-2, ph-2)
	m.ladder.SetSize(lad-2, ph-2)
	m.note.SetSize(w-2, nh)
}

// layout returns the side panels' width, the ladder's, the panels' height
// and the narration's lines.
func (m Model) layout() (side, lad, ph, nh int) {
	side = min(max(m.width/4, 30), 44)
	lad = m.width - 2*side
	nh = 2
	if m.height >= 40 {
		nh = 3
	}
	ph = m.height - 1 - 1 - (nh + 1) // header, status, narration and its rule
	return side, lad, max(ph, 3), nh
}

func (m *Model) setStep(i int) {
	if m.tl == nil || m.tl.Len() == 0 {
		m.cur = 0
		return
	}
	i = min(max(i, 0), m.tl.Len()-1)
	m.cur = i
	m.ladder.SetStep(i)
	m.ends[0].SetStep(i)
	m.ends[1].SetStep(i)
	m.note.SetStep(i)
}

func (m *Model) setAbs(abs bool) {
	m.abs = abs
	m.ladder.SetAbsolute(abs)
	m.ends[0].SetAbsolute(abs)
	m.ends[1].SetAbsolute(abs)
}

func (m Model) last() int { return max(0, m.tl.Len()-1) }

func (m Model) tick() tea.Cmd {
	gen := m.gen
	d := time.Duration(float64(BaseInterval) / Speeds[m.speed])
	return tea.Tick(d, func(time.Time) tea.Msg { return TickMsg{Gen: gen} })
}

// Update handles the stepping keys, play ticks, fault results and the mouse.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if m.tl == nil {
		return m, nil
	}
	switch msg := msg.(type) {
	case TickMsg:
		if !m.playing || msg.Gen != m.gen {
			return m, nil
		}
		if m.cur >= m.last() {
			if m.live {
				return m, m.tick()
			}
			m.playing = false
			return m, nil
		}
		m.setStep(m.cur + 1)
		return m, m.tick()
	case InjectedMsg:
		return m.injected(msg), nil
	case tea.MouseWheelMsg:
		var cmd tea.Cmd
		m.ladder, cmd = m.ladder.Update(msg)
		return m, cmd
	case tea.KeyPressMsg:
		if m.choose != nil {
			return m.chooseKey(msg)
		}
		return m.key(msg)
	}
	return m, nil
}

func (m Model) key(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	k := m.KeyMap
	switch {
	case key.Matches(msg, k.Next):
		m.setStep(m.cur + 1)
		m.status = ""
	case key.Matches(msg, k.Prev):
		m.pause()
		m.follow = false
		m.setStep(m.cur - 1)
		m.status = ""
	case key.Matches(msg, k.First):
		m.pause()
		m.follow = false
		m.setStep(0)
	case key.Matches(msg, k.Last):
		m.follow = m.live
		m.setStep(m.last())
	case key.Matches(msg, k.Play):
		if m.playing {
			m.pause()
			return m, nil
		}
		m.playing = true
		m.gen++
		if m.cur >= m.last() && !m.live {
			m.setStep(0)
		}
		return m, m.tick()
	case key.Matches(msg, k.Faster):
		m.speed = min(m.speed+1, len(Speeds)-1)
	case key.Matches(msg, k.Slower):
		m.speed = max(m.speed-1, 0)
	case key.Matches(msg, k.Relative):
		m.setAbs(!m.abs)
	case key.Matches(msg, k.Focus):
		m.setFocus((m.focus + 1) % numFocus)
	case key.Matches(msg, enabled(k.Drop)):
		return m.startFault(timeline.FaultDrop)
	case key.Matches(msg, enabled(k.Duplicate)):
		return m.startFault(timeline.FaultDuplicate)
	default:
		var cmd tea.Cmd
		switch m.focus {
		case focusLadder:
			m.ladder, cmd = m.ladder.Update(msg)
		case focusClient:
			m.ends[0], cmd = m.ends[0].Update(msg)
		case focusServer:
			m.ends[1], cmd = m.ends[1].Update(msg)
		}
		return m, cmd
	}
	return m, nil
}

// enabled returns b switched on: the fault keys, hidden from the help of a
// source that only records, still answer with why they do nothing.
func enabled(b key.Binding) key.Binding {
	b.SetEnabled(true)
	return b
}

func (m *Model) pause() {
	if m.playing {
		m.playing = false
		m.gen++
	}
}

func (m *Model) setFocus(f int) {
	m.focus = f
	m.ladder.Blur()
	m.ends[0].Blur()
	m.ends[1].Blur()
	switch f {
	case focusLadder:
		m.ladder.Focus()
	case focusClient:
		m.ends[0].Focus()
	case focusServer:
		m.ends[1].Focus()
	}
}

// startFault applies f to the segment in flight, or asks which one.
func (m Model) startFault(f timeline.Fault) (Model, tea.Cmd) {
	if m.player == nil {
		m.status = "faults need the simulator: this source only records"
		return m, nil
	}
	m.pause()
	fl := m.player.InFlight(m.cur)
	switch len(fl) {
	case 0:
		m.status = "no segment is in flight at this step: step until one is sent"
		return m, nil
	case 1:
		return m, m.inject(fl[0], f)
	}
	if len(fl) > 9 {
		fl = fl[:9]
	}
	m.choose, m.fault = fl, f
	m.status = m.prompt()
	return m, nil
}

func (m Model) prompt() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s which segment? ", m.fault)
	for i, f := range m.choose {
		fmt.Fprintf(&b, " %d) %s %s", i+1, f.Dir, f.Seg.Flags)
		if f.Seg.Len > 0 {
			fmt.Fprintf(&b, " len=%d", f.Seg.Len)
		}
	}
	b.WriteString("  (esc cancels)")
	return b.String()
}

func (m Model) chooseKey(msg tea.KeyPressMsg) (Model, tea.Cmd) {
	if key.Matches(msg, m.KeyMap.Cancel) {
		m.choose, m.status = nil, ""
		return m, nil
	}
	s := msg.String()
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= len(m.choose) {
		f := m.choose[n-1]
		m.choose = nil
		m.status = ""
		return m, m.inject(f, m.fault)
	}
	return m, nil
}

// inject recomputes the timeline in a command: the simulator's work never
// runs inside Update.
func (m Model) inject(f timeline.InFlight, fault timeline.Fault) tea.Cmd {
	p, step := m.player, m.cur
	return func() tea.Msg {
		tl, err := p.Inject(step, f.SegID, fault)
		if err != nil {
			return InjectedMsg{Err: err, SegID: f.SegID, Fault: fault}
		}
		return InjectedMsg{TL: tl, IX: index.New(tl), SegID: f.SegID, Fault: fault, Seg: f.Seg, Dir: f.Dir}
	}
}

// injected shows the recomputed timeline at the step where the fault
// takes effect: the drop's ✗, or the duplicate's second arrival.
func (m Model) injected(msg InjectedMsg) Model {
	if msg.Err != nil {
		m.status = fmt.Sprintf("%s failed: %v", msg.Fault, msg.Err)
		return m
	}
	cur := m.cur
	m.tl, m.ix = msg.TL, msg.IX
	m.ladder.SetTimeline(m.tl, m.ix)
	m.ends[0].SetTimeline(m.tl, m.ix)
	m.ends[1].SetTimeline(m.tl, m.ix)
	m.note.SetTimeline(m.tl)
	target := cur
	for i := cur + 1; i < m.tl.Len(); i++ {
		s := &m.tl.Steps[i]
		if s.SegID == msg.SegID && (s.Event == timeline.Drop || s.Event == timeline.Arrive) {
			target = i
			break
		}
	}
	m.setStep(target)
	if msg.Fault == timeline.FaultDrop {
		m.status = fmt.Sprintf("dropped %s %s: step on (→) to watch the retransmission", msg.Dir, msg.Seg.Flags)
	} else {
		m.status = fmt.Sprintf("duplicated %s %s", msg.Dir, msg.Seg.Flags)
	}
	return m
}

// Header is the top line: source, step, time, play state and speed.
func (m Model) Header() string {
	if m.tl == nil {
		return ""
	}
	n := m.tl.Len()
	var t time.Duration
	if n > 0 {
		t = m.tl.Steps[m.cur].T
	}
	state := "⏸ paused"
	switch {
	case m.follow && m.live:
		state = "● live"
	case m.playing:
		state = "▶ playing"
	}
	nums := "relative"
	if m.abs {
		nums = "absolute"
	}
	k := m.st.HeaderKey.Render
	parts := []string{
		m.st.Header.Render(m.source),
		k("step ") + m.st.Header.Render(fmt.Sprintf("%d/%d", m.cur+1, n)),
		k("t=") + m.st.Header.Render(narrate.FormatT(t)),
		m.st.Header.Render(state),
		k("speed ") + m.st.Header.Render(speedLabel(Speeds[m.speed])),
		k(nums),
	}
	return ansi.Truncate(strings.Join(parts, k(" · ")), m.width, "…")
}

func speedLabel(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) + "×" }

// View renders the header, the three panels, the narration and the status.
func (m Model) View() string {
	if m.tl == nil || m.width <= 0 {
		return ""
	}
	side, lad, ph, _ := m.layout()
	frame := func(f int) styles.Frame {
		if m.focus == f {
			return m.st.FrameFocus
		}
		return m.st.Frame
	}
	a := frame(focusClient).Box(m.ends[0].View(), side, ph)
	b := frame(focusLadder).Box(m.ladder.View(), lad, ph)
	c := frame(focusServer).Box(m.ends[1].View(), side, ph)
	rows := make([]string, ph)
	for i := range rows {
		rows[i] = a[i] + b[i] + c[i]
	}
	body := strings.Join(rows, "\n")
	rule := m.st.Dim.Render("─ narration " + strings.Repeat("─", max(0, m.width-12)))
	status := m.st.Status.Render(ansi.Truncate(m.status, m.width, "…"))
	return strings.Join([]string{m.Header(), body, rule, " " + strings.ReplaceAll(m.note.View(), "\n", "\n "), status}, "\n")
}

// PanelHelp returns the keys of the focused panel, for the full help.
func (m Model) PanelHelp() []key.Binding {
	switch m.focus {
	case focusClient:
		return m.ends[0].KeyMap.ShortHelp()
	case focusServer:
		return m.ends[1].KeyMap.ShortHelp()
	}
	return m.ladder.KeyMap.FullHelp()[0]
}
