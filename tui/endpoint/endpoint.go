package endpoint

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/index"
	"github.com/tcpviz/tcpviz/tui/styles"
)

// KeyMap are the panel's keys while it has the focus.
type KeyMap struct {
	Up, Down key.Binding
}

// DefaultKeyMap returns the panel's default keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:   key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "older calls")),
		Down: key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "newer calls")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Up, k.Down} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding { return [][]key.Binding{{k.Up, k.Down}} }

// Model is one endpoint's panel.
type Model struct {
	KeyMap KeyMap

	side    fsm.Side
	st      styles.Styles
	tl      *timeline.Timeline
	ix      *index.Index
	cur     int
	at      [2]fsm.State // the diagram's places of the states before and at cur
	abs     bool
	width   int
	height  int
	back    int // calls scrolled back from the newest
	focused bool
}

// New returns the panel of side.
func New(side fsm.Side, st styles.Styles) Model {
	return Model{KeyMap: DefaultKeyMap(), side: side, st: st}
}

// SetStyles replaces the styles.
func (m *Model) SetStyles(st styles.Styles) { m.st = st }

// SetSize sets the panel's inner size in cells.
func (m *Model) SetSize(w, h int) { m.width, m.height = w, h }

// SetTimeline shows tl, whose calls ix lists.
func (m *Model) SetTimeline(tl *timeline.Timeline, ix *index.Index) {
	m.tl, m.ix, m.back = tl, ix, 0
	m.place()
}

// SetStep moves to step cur.
func (m *Model) SetStep(cur int) {
	m.cur, m.back = cur, 0
	m.place()
}

// place finds where the diagram draws the states of this step and the one
// before, once per move rather than per frame (placed may look back).
func (m *Model) place() {
	if m.tl == nil || m.cur >= m.tl.Len() {
		return
	}
	m.at = [2]fsm.State{m.placed(max(m.cur-1, 0)), m.placed(m.cur)}
}

// SetAbsolute shows absolute (true) or relative sequence variables.
func (m *Model) SetAbsolute(abs bool) { m.abs = abs }

// Focus gives the panel the keyboard.
func (m *Model) Focus() { m.focused = true }

// Blur takes the keyboard away.
func (m *Model) Blur() { m.focused = false }

// Update scrolls the call history while focused.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && m.focused {
		switch {
		case key.Matches(k, m.KeyMap.Up):
			m.back++
		case key.Matches(k, m.KeyMap.Down):
			m.back = max(0, m.back-1)
		}
	}
	return m, nil
}

// The diagram's rows: Figure 5 of RFC 9293 read top to bottom, the passive
// side on the left; the narrow form folds the three-state row.
var (
	wideRows = [][]fsm.State{
		{fsm.Closed}, {fsm.Listen}, {fsm.SynReceived, fsm.SynSent}, {fsm.Established},
		{fsm.FinWait1, fsm.CloseWait}, {fsm.FinWait2, fsm.Closing, fsm.LastAck}, {fsm.TimeWait, closedAfter},
	}
	narrowRows = [][]fsm.State{
		{fsm.Closed, fsm.Listen}, {fsm.SynReceived, fsm.SynSent}, {fsm.Established},
		{fsm.FinWait1, fsm.CloseWait}, {fsm.FinWait2, fsm.LastAck}, {fsm.Closing, fsm.TimeWait},
	}
)

// closedAfter is CLOSED as a connection ends in it, drawn at the bottom of
// the wide diagram as Figure 5 draws it, where LAST-ACK and TIME-WAIT lead.
// The CLOSED at the top is where a connection starts (and where LISTEN and
// SYN-SENT return).
const closedAfter = fsm.State(fsm.NumStates)

// stateName is a state's name in the diagram.
func stateName(st fsm.State) string {
	if st == closedAfter {
		return fsm.Closed.String()
	}
	return st.String()
}

// placed is side's state at step i as the wide diagram places it: CLOSED
// after a connection is closedAfter.
func (m Model) placed(i int) fsm.State {
	st := m.tl.Steps[i].States[m.side]
	if st != fsm.Closed {
		return st
	}
	for j := i - 1; j >= 0; j-- {
		if was := m.tl.Steps[j].States[m.side]; was != fsm.Closed {
			if was == fsm.Listen || was == fsm.SynSent {
				return fsm.Closed
			}
			return closedAfter
		}
	}
	return fsm.Closed
}

// View renders the panel.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	var lines []string
	title := strings.ToUpper(m.side.String())
	if m.tl != nil {
		if ap := m.addr(); ap != "" {
			title += " " + ap
		}
	}
	lines = append(lines, m.st.Title.Render(ansi.Truncate(title, m.width, "…")))
	if m.tl == nil || m.tl.Len() == 0 || m.cur >= m.tl.Len() {
		return m.fit(lines)
	}
	s := &m.tl.Steps[m.cur]
	prev := m.tl.Prev(m.cur)
	lines = append(lines, m.diagram(m.at[1], m.at[0])...)
	lines = append(lines, m.transition(s, prev)...)
	lines = append(lines, "")
	lines = append(lines, m.vars(s)...)
	if s.HasKernel() {
		lines = append(lines, m.truth(s)...)
	}
	lines = append(lines, m.calls(m.height-len(lines))...)
	return m.fit(lines)
}

func (m Model) addr() string {
	ap := m.tl.Conn.Client
	if m.side == fsm.Server {
		ap = m.tl.Conn.Server
	}
	if !ap.IsValid() {
		return ""
	}
	return ap.String()
}

// fit pads or cuts lines to the panel's size.
func (m Model) fit(lines []string) string {
	if len(lines) > m.height {
		lines = lines[:m.height]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, m.width, "…")
	}
	for len(lines) < m.height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}

// edges are the transitions of Figure 5 drawn between adjacent rows of
// the wide diagram.
var edges = [][2]fsm.State{
	{fsm.Closed, fsm.Listen}, {fsm.Listen, fsm.SynReceived}, {fsm.Listen, fsm.SynSent},
	{fsm.SynReceived, fsm.Established}, {fsm.SynSent, fsm.Established},
	{fsm.Established, fsm.FinWait1}, {fsm.Established, fsm.CloseWait},
	{fsm.FinWait1, fsm.FinWait2}, {fsm.FinWait1, fsm.Closing}, {fsm.CloseWait, fsm.LastAck},
	{fsm.FinWait2, fsm.TimeWait}, {fsm.Closing, fsm.TimeWait}, {fsm.LastAck, closedAfter},
}

// diagram draws the states, cur bracketed and lit, prev marked if left
// now; with room, the edges between them too, the one just taken lit.
func (m Model) diagram(cur, prev fsm.State) []string {
	rows := wideRows
	if m.width < 36 {
		rows = narrowRows
		cur, prev = unplaced(cur), unplaced(prev)
	}
	connectors := m.width >= 36 && m.height >= 28
	// Lay every row out first: the active-open rail needs SYN-SENT's
	// column while it draws the rows above.
	start, center := map[fsm.State]int{}, map[fsm.State]int{}
	for _, r := range rows {
		total := 0
		for _, st := range r {
			total += len(stateName(st)) + 2
		}
		gap := max((m.width-total)/(len(r)+1), 1)
		col := 0
		for _, st := range r {
			col += gap
			start[st], center[st] = col, col+(len(stateName(st))+2)/2
			col += len(stateName(st)) + 2
		}
	}
	rail := -1
	if connectors {
		rail = m.activeOpenRail(start, center)
	}
	railStyle := m.st.Dim
	if prev == fsm.Closed && cur == fsm.SynSent {
		railStyle = m.st.Transition
	}
	out := make([]string, 0, 2*len(rows))
	railDone := false // below SYN-SENT's row
	for ri, r := range rows {
		if connectors && ri > 0 {
			railHere := rail
			if railDone {
				railHere = -1
			}
			out = append(out, m.connector(rows[ri-1], r, center, cur, prev, railHere, railStyle))
		}
		railDone = railDone || slices.Contains(r, fsm.SynSent)
		var b strings.Builder
		col := 0
		for k, st := range r {
			name := stateName(st)
			pad := strings.Repeat(" ", start[st]-col)
			if k > 0 && st == closedAfter {
				// TIME-WAIT → CLOSED on the same row: an arrow between them.
				style := m.st.Dim
				if prev == fsm.TimeWait && cur == closedAfter {
					style = m.st.Transition
				}
				pad = " " + style.Render(strings.Repeat("─", max(len(pad)-3, 0))+"▶") + " "
			}
			b.WriteString(pad)
			col = start[st] + len(name) + 2
			switch {
			case st == cur:
				b.WriteString(m.st.StateCur.Render("[" + name + "]"))
			case st == prev && prev != cur:
				b.WriteString(m.st.StatePrev.Render("(" + name + ")"))
			default:
				b.WriteString(m.st.StateIdle.Render(" " + name + " "))
			}
		}
		// The rail passes right of CLOSED and LISTEN down to SYN-SENT.
		switch {
		case rail < 0:
		case r[0] == fsm.Closed:
			b.WriteString(railStyle.Render(strings.Repeat("─", rail-col) + "╮"))
		case r[0] == fsm.Listen:
			b.WriteString(strings.Repeat(" ", rail-col) + railStyle.Render("│"))
		}
		out = append(out, b.String())
	}
	return out
}

// unplaced folds the bottom CLOSED into the one CLOSED of the narrow
// diagram.
func unplaced(st fsm.State) fsm.State {
	if st == closedAfter {
		return fsm.Closed
	}
	return st
}

// activeOpenRail returns the column of the edge CLOSED → SYN-SENT (an
// active OPEN skips LISTEN, Figure 5), drawn as a rail from CLOSED's right
// down to SYN-SENT, or -1 where the layout has no room for it.
func (m Model) activeOpenRail(start, center map[fsm.State]int) int {
	rail := center[fsm.SynSent]
	for _, st := range []fsm.State{fsm.Closed, fsm.Listen} {
		if rail <= start[st]+len(stateName(st))+2 {
			return -1
		}
	}
	return rail
}

// connector draws the edges from the states of row a to those of row b,
// and the active-open rail at column rail unless that is -1.
func (m Model) connector(a, b []fsm.State, center map[fsm.State]int, cur, prev fsm.State, rail int, railStyle lipgloss.Style) string {
	cells := make([]string, m.width)
	for i := range cells {
		cells[i] = " "
	}
	if rail >= 0 && rail < m.width {
		cells[rail] = railStyle.Render("│")
	}
	for _, e := range edges {
		if !slices.Contains(a, e[0]) || !slices.Contains(b, e[1]) {
			continue
		}
		ca, cb := center[e[0]], center[e[1]]
		col := (ca + cb) / 2
		ch := "│"
		switch {
		case cb-ca > 1:
			ch = "╲"
		case ca-cb > 1:
			ch = "╱"
		}
		if col < 0 || col >= m.width {
			continue
		}
		if e[0] == prev && e[1] == cur {
			cells[col] = m.st.Transition.Render(ch)
		} else {
			cells[col] = m.st.Dim.Render(ch)
		}
	}
	return strings.Join(cells, "")
}

// transition is the line under the diagram: the state change at this step
// with its trigger, or the event that touched this side without one.
// A line too long for the panel puts the trigger on a second line.
func (m Model) transition(s *timeline.Step, prev [2]fsm.State) []string {
	trig := narrate.Trigger(m.tl, m.cur, m.side)
	if prev[m.side] != s.States[m.side] {
		line := prev[m.side].String() + " → " + s.States[m.side].String()
		if trig == "" {
			return []string{m.st.Transition.Render(line)}
		}
		if ansi.StringWidth(line+": "+trig) <= m.width {
			return []string{m.st.Transition.Render(line + ": " + trig)}
		}
		return []string{m.st.Transition.Render(line), m.st.Transition.Render("  " + trig)}
	}
	if trig != "" && s.Why[m.side] != fsm.ReasonNone {
		return []string{m.st.Dim.Render("· " + trig)}
	}
	return []string{""}
}

// vars lists the TCB of RFC 9293 §3.3.1; sequence variables relative to
// ISS and IRS unless absolute numbers are on.
func (m Model) vars(s *timeline.Step) []string {
	if !s.HasTCB {
		return []string{m.st.Dim.Render("variables: no segment yet")}
	}
	t := s.TCB[m.side]
	var old fsm.TCB
	if m.cur > 0 {
		old = m.tl.Steps[m.cur-1].TCB[m.side]
	}
	snd := func(v fsm.Seq) string {
		if m.abs {
			return strconv.FormatUint(uint64(v), 10)
		}
		return strconv.FormatUint(uint64(v.Sub(t.ISS)), 10)
	}
	rcv := func(v fsm.Seq) string {
		if m.abs || t.IRS == 0 && t.RcvNxt == 0 {
			return strconv.FormatUint(uint64(v), 10)
		}
		return strconv.FormatUint(uint64(v.Sub(t.IRS)), 10)
	}
	type kv struct {
		k, v    string
		changed bool
	}
	items := []kv{
		{"ISS", strconv.FormatUint(uint64(t.ISS), 10), t.ISS != old.ISS},
		{"IRS", strconv.FormatUint(uint64(t.IRS), 10), t.IRS != old.IRS},
		{"SND.UNA", snd(t.SndUna), t.SndUna != old.SndUna},
		{"SND.NXT", snd(t.SndNxt), t.SndNxt != old.SndNxt},
		{"RCV.NXT", rcv(t.RcvNxt), t.RcvNxt != old.RcvNxt},
		{"SND.WND", strconv.FormatUint(uint64(t.SndWnd), 10), t.SndWnd != old.SndWnd},
		{"RCV.WND", strconv.FormatUint(uint64(t.RcvWnd), 10), t.RcvWnd != old.RcvWnd},
	}
	cell := func(x kv, w int) string {
		val := m.st.Value
		if x.changed && m.cur > 0 {
			val = m.st.Changed
		}
		v := x.v
		if x.changed && m.cur > 0 && m.st.Mono {
			v += "*"
		}
		return m.st.Var.Render(fmt.Sprintf("%-8s", x.k)) + val.Render(padRight(v, w-8))
	}
	var out []string
	if m.width >= 38 {
		half := m.width / 2
		for i := 0; i < len(items); i += 2 {
			l := cell(items[i], half)
			if i+1 < len(items) {
				l += cell(items[i+1], m.width-half)
			}
			out = append(out, l)
		}
		return out
	}
	for _, x := range items {
		out = append(out, cell(x, m.width))
	}
	return out
}

// truth shows the kernel's and the simulator's view of this side (echo
// session), marked where they disagree with the packets.
func (m Model) truth(s *timeline.Step) []string {
	line := func(name string, st fsm.State) string {
		l := m.st.Var.Render(fmt.Sprintf("%-10s", name)) + m.st.Value.Render(st.String())
		if st != s.States[m.side] {
			l += " " + m.st.Disagree.Render("≠")
		}
		return l
	}
	return []string{"", line("kernel", s.Truth.Kernel[m.side]), line("predicted", s.Truth.Predicted[m.side])}
}

// calls lists the newest socket calls that fit in h lines.
func (m Model) calls(h int) []string {
	if h < 3 || m.ix == nil {
		return nil
	}
	calls := m.ix.CallsUpTo(m.side, m.cur)
	out := []string{"", m.st.Title.Render("socket calls")}
	if len(calls) == 0 {
		return append(out, m.st.Dim.Render("(none yet)"))
	}
	room := h - 2
	end := len(calls) - min(m.back, max(0, len(calls)-room))
	start := max(0, end-room)
	for _, i := range calls[start:end] {
		st := m.st.Call
		mark := "  "
		if i == m.cur {
			st, mark = m.st.Transition, "▸ "
		}
		out = append(out, mark+st.Render(m.tl.Steps[i].CallWithoutSide()))
	}
	return out
}

func padRight(s string, w int) string {
	if n := w - lipgloss.Width(s); n > 0 {
		return s + strings.Repeat(" ", n)
	}
	return s
}
