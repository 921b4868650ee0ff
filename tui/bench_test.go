package tui

import (
	"fmt"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
)

func longModel(b *testing.B, n int) model {
	tl := fixture.Long(n)
	opts := SimOptions{Lang: narrate.EN, Initial: "long", Load: func(string) (timeline.Player, error) {
		return fixture.NewPlayer(tl), nil
	}}
	m := sized(newSimModel(opts, false), 160, 45)
	if m.step.Timeline().Len() < n {
		b.Fatalf("timeline has %d steps, want %d", m.step.Timeline().Len(), n)
	}
	return m
}

// BenchmarkView renders the whole screen at the last step and in the
// middle of timelines of 20 and 100,000 steps: the cost must not grow
// with the timeline (only the rows on screen are rendered).
func BenchmarkView(b *testing.B) {
	for _, n := range []int{20, 100_000} {
		for _, at := range []string{"last", "middle"} {
			b.Run(fmt.Sprintf("steps=%d/at=%s", n, at), func(b *testing.B) {
				m := longModel(b, n)
				if at == "last" {
					m = keys(m, "G")
				} else {
					m.step.GoTo(n / 2)
				}
				b.ResetTimer()
				for b.Loop() {
					_ = m.View()
				}
			})
		}
	}
}

// BenchmarkScroll is one mouse-wheel notch and the render after it.
func BenchmarkScroll(b *testing.B) {
	for _, n := range []int{20, 100_000} {
		b.Run(fmt.Sprintf("steps=%d", n), func(b *testing.B) {
			m := keys(longModel(b, n), "G")
			up := tea.MouseWheelMsg{Button: tea.MouseWheelUp}
			down := tea.MouseWheelMsg{Button: tea.MouseWheelDown}
			i := 0
			for b.Loop() {
				msg := up
				if i%2 == 1 {
					msg = down
				}
				i++
				r, _ := m.Update(msg)
				m = r.(model)
				_ = m.View()
			}
		})
	}
}
