package styles

import (
	"testing"

	"charm.land/lipgloss/v2"
)

func TestPaintRendersLikeItsStyle(t *testing.T) {
	for _, tc := range []struct {
		name         string
		isDark, mono bool
	}{{"dark", true, false}, {"light", false, false}, {"mono", true, true}} {
		st := New(tc.isDark, tc.mono)
		for name, s := range map[string]lipgloss.Style{
			"Arrow": st.Arrow, "ArrowCur": st.ArrowCur, "InFlight": st.InFlight, "Dropped": st.Dropped,
			"Lifeline": st.Lifeline, "Title": st.Title, "Dim": st.Dim, "StateCur": st.StateCur,
		} {
			for _, text := range []string{"SYN seq=0", "──▶", "[ESTABLISHED]"} {
				if got, want := NewPaint(s).Render(text), s.Render(text); got != want {
					t.Errorf("%s/%s %q: paint %q, style %q", tc.name, name, text, got, want)
				}
			}
		}
	}
}

func TestMonochromeStillMarksTheCurrentState(t *testing.T) {
	st := New(true, true)
	if !st.Mono || !st.StateCur.GetReverse() {
		t.Error("NO_COLOR styles should mark the current state in reverse video")
	}
}
