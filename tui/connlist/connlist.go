package connlist

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/progress"
	"charm.land/bubbles/v2/table"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/index"
	"github.com/tcpviz/tcpviz/tui/styles"
)

// Conn is one connection as the list knows it: its growing steps (packed,
// see steps.go) and the totals of its latest delta.
type Conn struct {
	ID       int
	TL       *timeline.Timeline // the header always; the steps only while opened (Model.Open)
	IX       *index.Index       // built when the connection is opened
	Segments int
	Bytes    uint64
	First    time.Duration
	Last     time.Duration
	Flags    timeline.ConnFlags

	steps  steps
	row    table.Row // the table row, rebuilt when the connection changes
	search string    // what the filter matches, lower case
}

// refreshRow rebuilds the cached row and filter text after a change.
func (c *Conn) refreshRow() {
	c.row = row(c)
	c.search = strings.ToLower(c.row[1] + " " + c.row[2] + " " + c.row[3])
}

// Len is the number of steps the connection has.
func (c *Conn) Len() int { return c.steps.len() }

// Index returns the connection's ladder index, building it on first use
// and bringing it and the timeline up to date. Only an opened connection
// has one.
func (c *Conn) Index() *index.Index {
	c.TL.Steps = c.steps.unpack(c.TL.Steps)
	if c.IX == nil {
		c.IX = index.New(c.TL)
	}
	c.IX.Update(c.TL)
	return c.IX
}

// Open unpacks connection id's steps into its timeline for the stepping
// view, and packs away those of the connection opened before: one
// connection's steps are unpacked at a time. It returns nil for an unknown
// id.
func (m *Model) Open(id int) *Conn {
	if old := m.byID[m.opened]; old != nil && m.opened != id {
		old.TL.Steps, old.IX = nil, nil
	}
	c := m.byID[id]
	if c == nil {
		return nil
	}
	m.opened = id
	c.Index()
	return c
}

// Sort columns, cycled by the Sort key.
type sortBy int

const (
	sortID sortBy = iota
	sortSegments
	sortBytes
	sortDuration
	sortClient
	sortServer
	numSorts
)

var sortNames = [numSorts]string{"#", "segs", "bytes", "duration", "client", "server"}

// Model is the connection list.
type Model struct {
	KeyMap KeyMap

	st       styles.Styles
	conns    []*Conn
	byID     map[int]*Conn
	table    table.Model
	shown    []*Conn // the rows of the table, filtered and sorted
	filter   textinput.Model
	editing  bool
	sort     sortBy
	bar      progress.Model
	progress float64
	stats    timeline.Stats
	done     bool
	err      error
	source   string
	live     bool // a live capture: the kernel's drop counter matters
	opened   int  // the connection whose steps are unpacked (Open)
	width    int
	height   int
}

// New returns an empty list for source (a file or interface name).
func New(st styles.Styles, source string) Model {
	m := Model{KeyMap: DefaultKeyMap(), st: st, byID: map[int]*Conn{}, source: source, progress: -1, opened: -1}
	m.table = table.New(table.WithFocused(true), table.WithKeyMap(m.KeyMap.Table))
	m.filter = textinput.New()
	m.filter.Prompt = "/"
	m.filter.Placeholder = "address, port or state"
	fs := textinput.DefaultStyles(true)
	fs.Cursor.Blink = false
	m.filter.SetStyles(fs)
	m.SetStyles(st)
	// Columns before the first size: a batch can arrive before the
	// terminal's size does, and the table needs a column per cell.
	m.table.SetColumns(m.columns())
	return m
}

// SetLive says the list shows a live capture, whose kernel drop counter
// it then shows.
func (m *Model) SetLive(live bool) { m.live = live }

// SetStyles replaces the styles.
func (m *Model) SetStyles(st styles.Styles) {
	m.st = st
	ts := table.DefaultStyles()
	ts.Header = st.TableHeader.Padding(0, 1, 0, 0)
	ts.Cell = lipgloss.NewStyle().Padding(0, 1, 0, 0)
	ts.Selected = st.TableSel
	m.table.SetStyles(ts)
	opts := []progress.Option{progress.WithWidth(max(10, m.width/3)), progress.WithFillCharacters('█', '░')}
	if st.Mono || st.ProgressA == nil {
		opts = append(opts, progress.WithColors(lipgloss.NoColor{}))
	} else {
		opts = append(opts, progress.WithColors(st.ProgressA, st.ProgressB))
	}
	m.bar = progress.New(opts...)
}

// SetSize lays the list out in w×h cells.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.bar.SetWidth(max(10, w/3))
	m.filter.SetWidth(max(10, w-2))
	m.table.SetWidth(w)
	m.table.SetHeight(max(2, h-3)) // title, status, filter lines
	m.table.SetColumns(m.columns())
	m.refresh()
}

func (m Model) columns() []table.Column {
	fixed := []int{5, 23, 5, 8, 8} // #, states, segs, bytes, duration
	sum := 8                       // 8 columns, a cell of padding each
	for _, f := range fixed {
		sum += f
	}
	addr := min(47, max(8, (m.width-sum-11)/2)) // IPv6 [addr]:port fits in 47
	flags := max(11, m.width-sum-2*addr)
	return []table.Column{
		{Title: "#", Width: fixed[0]},
		{Title: "client", Width: addr},
		{Title: "server", Width: addr},
		{Title: "states", Width: fixed[1]},
		{Title: "segs", Width: fixed[2]},
		{Title: "bytes", Width: fixed[3]},
		{Title: "duration", Width: fixed[4]},
		{Title: "flags", Width: flags},
	}
}

// Apply takes in a batch: new connections, new steps, totals, progress and
// counters. Its cost is proportional to the batch, plus one re-sort of the
// rows.
func (m *Model) Apply(b timeline.Batch) {
	for i := range b.Conns {
		d := &b.Conns[i]
		c := m.byID[d.ID]
		if c == nil {
			c = &Conn{ID: d.ID, TL: &timeline.Timeline{}}
			m.byID[d.ID] = c
			m.conns = append(m.conns, c)
		}
		unpacked := c.TL.Steps
		*c.TL = d.Header
		c.TL.Steps = unpacked
		c.steps.add(d.Steps)
		if c.IX != nil {
			c.Index() // opened: its timeline grows too
		}
		c.Segments, c.Bytes = d.Segments, d.BytesC2S+d.BytesS2C
		c.First, c.Last, c.Flags = d.First, d.Last, d.Flags
		c.refreshRow()
	}
	m.progress, m.stats = b.Progress, b.Stats
	if b.Done {
		m.done, m.err = true, b.Err
	}
	m.refresh()
}

// Conn returns the connection with this ID, or nil.
func (m Model) Conn(id int) *Conn { return m.byID[id] }

// Len returns how many connections the list holds.
func (m Model) Len() int { return len(m.conns) }

// Selected returns the connection under the cursor, or nil.
func (m Model) Selected() *Conn {
	if i := m.table.Cursor(); i >= 0 && i < len(m.shown) {
		return m.shown[i]
	}
	return nil
}

// Editing reports whether the filter has the keyboard.
func (m Model) Editing() bool { return m.editing }

// refresh filters and sorts the rows, keeping the cursor on its connection.
func (m *Model) refresh() {
	var sel int = -1
	if c := m.Selected(); c != nil {
		sel = c.ID
	}
	q := strings.ToLower(strings.TrimSpace(m.filter.Value()))
	m.shown = m.shown[:0]
	for _, c := range m.conns {
		if q == "" || strings.Contains(c.search, q) {
			m.shown = append(m.shown, c)
		}
	}
	by := m.sort
	// Connections arrive in ID order: the default order needs no sort.
	sorted := by == sortID && slices.IsSortedFunc(m.shown, func(a, b *Conn) int { return cmp.Compare(a.ID, b.ID) })
	if !sorted {
		m.sortShown(by)
	}
	rows := make([]table.Row, len(m.shown))
	cursor := 0
	for i, c := range m.shown {
		rows[i] = c.row
		if c.ID == sel {
			cursor = i
		}
	}
	m.table.SetRows(rows)
	m.table.SetCursor(cursor)
}

func (m *Model) sortShown(by sortBy) {
	slices.SortStableFunc(m.shown, func(a, b *Conn) int {
		switch by {
		case sortSegments:
			return cmp.Compare(b.Segments, a.Segments)
		case sortBytes:
			return cmp.Compare(b.Bytes, a.Bytes)
		case sortDuration:
			return cmp.Compare(b.Last-b.First, a.Last-a.First)
		case sortClient:
			return a.TL.Conn.Client.Compare(b.TL.Conn.Client)
		case sortServer:
			return a.TL.Conn.Server.Compare(b.TL.Conn.Server)
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

func states(c *Conn) string {
	s, ok := c.steps.lastStates()
	if !ok {
		return ""
	}
	return s[fsm.Client].String() + "/" + s[fsm.Server].String()
}

func row(c *Conn) table.Row {
	return table.Row{
		strconv.Itoa(c.ID),
		c.TL.Conn.Client.String(),
		c.TL.Conn.Server.String(),
		states(c),
		strconv.Itoa(c.Segments),
		strconv.FormatUint(c.Bytes, 10),
		narrate.FormatT(c.Last - c.First),
		flagText(c.Flags),
	}
}

func flagText(f timeline.ConnFlags) string {
	var out []string
	for _, x := range []struct {
		f    timeline.ConnFlags
		name string
	}{{timeline.ConnRefused, "refused"}, {timeline.ConnReset, "RST"}, {timeline.ConnRetransmission, "retrans"}, {timeline.ConnMidStream, "mid-stream"}} {
		if f&x.f != 0 {
			out = append(out, x.name)
		}
	}
	return strings.Join(out, " ")
}

// Update moves the cursor, cycles the sort column and edits the filter.
// Opening a connection is the root's business (it owns the stepping view).
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return m, nil
	}
	if m.editing {
		switch {
		case key.Matches(k, m.KeyMap.Done):
			m.editing = false
			m.filter.Blur()
		case key.Matches(k, m.KeyMap.Clear):
			m.editing = false
			m.filter.Blur()
			m.filter.SetValue("")
			m.refresh()
		default:
			var cmd tea.Cmd
			m.filter, cmd = m.filter.Update(msg)
			m.refresh()
			return m, cmd
		}
		return m, nil
	}
	switch {
	case key.Matches(k, m.KeyMap.Sort):
		m.sort = (m.sort + 1) % numSorts
		m.refresh()
		return m, nil
	case key.Matches(k, m.KeyMap.Filter):
		m.editing = true
		return m, m.filter.Focus()
	case key.Matches(k, m.KeyMap.Clear) && m.filter.Value() != "":
		m.filter.SetValue("")
		m.refresh()
		return m, nil
	}
	var cmd tea.Cmd
	m.table, cmd = m.table.Update(msg)
	return m, cmd
}

// View renders the title with progress and counters, the table and the
// filter line.
func (m Model) View() string {
	noun := "connections"
	if len(m.conns) == 1 {
		noun = "connection"
	}
	title := m.st.Title.Render(fmt.Sprintf("%s · %d %s", m.source, len(m.conns), noun))
	if len(m.shown) != len(m.conns) {
		title += m.st.Dim.Render(fmt.Sprintf(" (%d shown)", len(m.shown)))
	}
	title += m.st.Dim.Render(" · sorted by " + sortNames[m.sort])
	s := m.stats
	stats := fmt.Sprintf("packets %d · malformed %d · non-TCP %d", s.Packets, s.Malformed, s.NonTCP)
	if m.live {
		stats += fmt.Sprintf(" · kernel drops %d", s.Dropped)
	}
	var status string
	switch {
	case m.err != nil:
		status = m.st.Error.Render("stopped: "+m.err.Error()) + "  " + m.st.Dim.Render(stats)
	case m.progress >= 0 && m.progress < 1 && !m.done:
		status = m.bar.ViewAs(m.progress) + "  " + m.st.Dim.Render(stats)
	case m.done:
		status = m.st.Dim.Render("done · " + stats)
	default:
		status = m.st.Dim.Render(stats)
	}
	filter := m.st.Dim.Render("press / to filter")
	if m.editing || m.filter.Value() != "" {
		filter = m.filter.View()
	}
	if len(m.conns) == 0 {
		filter = m.st.Dim.Render("no TCP connection yet")
	}
	lines := []string{
		ansi.Truncate(title, m.width, "…"),
		m.table.View(),
		ansi.Truncate(status, m.width, "…"),
		ansi.Truncate(filter, m.width, "…"),
	}
	return lipgloss.NewStyle().MaxHeight(m.height).Render(strings.Join(lines, "\n"))
}
