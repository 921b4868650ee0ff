package styles

import (
	"image/color"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Styles is the view's palette, named by meaning rather than by colour.
type Styles struct {
	Mono bool // no colours: current states are also bracketed, focus is bold

	Header      lipgloss.Style // the top line
	HeaderKey   lipgloss.Style // "step", "t=" labels in the header
	Status      lipgloss.Style // the status line (errors, prompts)
	Error       lipgloss.Style
	Dim         lipgloss.Style // secondary text
	Title       lipgloss.Style // panel titles
	Frame       Frame          // an unfocused panel's border
	FrameFocus  Frame          // the focused panel's border
	Narration   lipgloss.Style
	StateIdle   lipgloss.Style // a state of the diagram the endpoint is not in
	StateCur    lipgloss.Style // the current state
	StatePrev   lipgloss.Style // the state just left
	Transition  lipgloss.Style // the trigger label of the transition just taken
	Var         lipgloss.Style // a variable's name
	Value       lipgloss.Style // a variable's value
	Changed     lipgloss.Style // a value that changed at this step
	Call        lipgloss.Style // a socket call in the history
	Disagree    lipgloss.Style // kernel/prediction disagreement mark
	Lifeline    lipgloss.Style // the ladder's vertical lines
	Arrow       lipgloss.Style // a delivered segment
	ArrowCur    lipgloss.Style // the segment of the current step
	InFlight    lipgloss.Style // a segment on its way
	Dropped     lipgloss.Style // a lost segment's ✗
	Retrans     lipgloss.Style // the retransmission mark
	Event       lipgloss.Style // app calls and timers on the ladder
	ActionOn    lipgloss.Style // an enabled session action
	ActionOff   lipgloss.Style // a disabled one
	ProgressA   color.Color    // progress bar gradient
	ProgressB   color.Color
	TableHeader lipgloss.Style
	TableSel    lipgloss.Style
	HelpKey     lipgloss.Style
	HelpDesc    lipgloss.Style
	HelpSep     lipgloss.Style
}

// Frame is a panel's border: its characters and their style. Panels draw
// it line by line (Box), which costs far less than a bordered lipgloss
// style re-measuring and re-wrapping the whole panel on every frame.
type Frame struct {
	Border lipgloss.Border
	Style  lipgloss.Style
}

// Box frames content, already cut to (w-2)×(h-2) cells, in a w×h border.
// It returns the box's lines.
func (f Frame) Box(content string, w, h int) []string {
	b := f.Border
	out := make([]string, 0, h)
	out = append(out, f.Style.Render(b.TopLeft+strings.Repeat(b.Top, max(0, w-2))+b.TopRight))
	left, right := f.Style.Render(b.Left), f.Style.Render(b.Right)
	lines := strings.Split(content, "\n")
	for i := 0; i < h-2; i++ {
		var l string
		if i < len(lines) {
			l = lines[i]
		}
		if n := w - 2 - ansi.StringWidth(l); n > 0 {
			l += strings.Repeat(" ", n)
		} else if n < 0 {
			l = ansi.Truncate(l, w-2, "")
		}
		out = append(out, left+l+right)
	}
	return append(out, f.Style.Render(b.BottomLeft+strings.Repeat(b.Bottom, max(0, w-2))+b.BottomRight))
}

// New builds the styles for a dark or light background; mono drops every
// colour (NO_COLOR) and keeps only attributes that monochrome terminals show.
func New(isDark, mono bool) Styles {
	if mono {
		return monochrome()
	}
	ld := lipgloss.LightDark(isDark)
	c := func(light, dark string) color.Color { return ld(lipgloss.Color(light), lipgloss.Color(dark)) }
	fg := c("#1c1c1c", "#e4e4e4")
	dim := c("#8a8a8a", "#6c6c6c")
	accent := c("#005fd7", "#5fafff")
	cur := c("#ffffff", "#000000")
	curBg := c("#008700", "#87d75f")
	warn := c("#af5f00", "#ffaf5f")
	bad := c("#d70000", "#ff5f5f")
	good := c("#008700", "#87d787")
	base := lipgloss.NewStyle()
	return Styles{
		Header:      base.Foreground(fg).Bold(true),
		HeaderKey:   base.Foreground(dim),
		Status:      base.Foreground(warn),
		Error:       base.Foreground(bad).Bold(true),
		Dim:         base.Foreground(dim),
		Title:       base.Foreground(accent).Bold(true),
		Frame:       Frame{lipgloss.RoundedBorder(), base.Foreground(dim)},
		FrameFocus:  Frame{lipgloss.RoundedBorder(), base.Foreground(accent)},
		Narration:   base.Foreground(fg),
		StateIdle:   base.Foreground(dim),
		StateCur:    base.Foreground(cur).Background(curBg).Bold(true),
		StatePrev:   base.Foreground(warn).Underline(true),
		Transition:  base.Foreground(warn).Bold(true),
		Var:         base.Foreground(dim),
		Value:       base.Foreground(fg),
		Changed:     base.Foreground(warn).Bold(true),
		Call:        base.Foreground(accent),
		Disagree:    base.Foreground(bad).Bold(true),
		Lifeline:    base.Foreground(dim),
		Arrow:       base.Foreground(fg),
		ArrowCur:    base.Foreground(good).Bold(true),
		InFlight:    base.Foreground(accent).Italic(true),
		Dropped:     base.Foreground(bad).Bold(true),
		Retrans:     base.Foreground(warn).Bold(true),
		Event:       base.Foreground(accent),
		ActionOn:    base.Foreground(fg).Bold(true),
		ActionOff:   base.Foreground(dim).Strikethrough(false),
		ProgressA:   c("#5f87d7", "#5f87ff"),
		ProgressB:   c("#00af87", "#5fd7af"),
		TableHeader: base.Foreground(accent).Bold(true).Padding(0, 1),
		TableSel:    base.Foreground(cur).Background(accent).Bold(true),
		HelpKey:     base.Foreground(c("#4e4e4e", "#bcbcbc")),
		HelpDesc:    base.Foreground(dim),
		HelpSep:     base.Foreground(dim),
	}
}

func monochrome() Styles {
	b := lipgloss.NewStyle()
	return Styles{
		Mono:        true,
		Header:      b.Bold(true),
		HeaderKey:   b,
		Status:      b.Bold(true),
		Error:       b.Bold(true),
		Dim:         b.Faint(true),
		Title:       b.Bold(true),
		Frame:       Frame{lipgloss.NormalBorder(), b},
		FrameFocus:  Frame{lipgloss.ThickBorder(), b},
		Narration:   b,
		StateIdle:   b,
		StateCur:    b.Reverse(true).Bold(true),
		StatePrev:   b.Underline(true),
		Transition:  b.Bold(true),
		Var:         b,
		Value:       b,
		Changed:     b.Bold(true),
		Call:        b,
		Disagree:    b.Bold(true),
		Lifeline:    b,
		Arrow:       b,
		ArrowCur:    b.Bold(true),
		InFlight:    b.Italic(true),
		Dropped:     b.Bold(true),
		Retrans:     b.Bold(true),
		Event:       b,
		ActionOn:    b.Bold(true),
		ActionOff:   b.Faint(true),
		TableHeader: b.Bold(true).Padding(0, 1),
		TableSel:    b.Reverse(true),
		HelpKey:     b.Bold(true),
		HelpDesc:    b,
		HelpSep:     b,
	}
}

// Paint is a style reduced to the escape sequences around its text, for
// hot loops that colour many short pieces: Render then costs a string
// concatenation instead of a lipgloss layout pass. Only for styles without
// width, padding, margins or borders.
type Paint struct{ pre, post string }

const paintMarker = "\uE000" // a private-use character no text contains

// NewPaint captures st's escape sequences.
func NewPaint(st lipgloss.Style) Paint {
	r := st.Render(paintMarker)
	i := strings.Index(r, paintMarker)
	if i < 0 {
		return Paint{}
	}
	return Paint{pre: r[:i], post: r[i+len(paintMarker):]}
}

// Render wraps s in the style's sequences.
func (p Paint) Render(s string) string {
	if s == "" || p.pre == "" && p.post == "" {
		return s
	}
	return p.pre + s + p.post
}
