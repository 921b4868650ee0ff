package index

import (
	"testing"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui/internal/fixture"
)

func TestRowsJoinSendAndArrivalOfOneSegment(t *testing.T) {
	tl := fixture.Echo()
	ix := New(tl)
	tests := []struct {
		name      string
		step      int
		row       int
		kind      Kind
		start     int
		end       int
		visibleAt int
	}{
		{"init opens row 0", 0, 0, KindInit, 0, 0, 1},
		{"a call is its own row", 1, 1, KindApp, 1, 1, 2},
		{"the SYN's send opens a segment row", 3, 3, KindSegment, 3, 4, 4},
		{"the SYN's arrival joins its send's row", 4, 3, KindSegment, 3, 4, 4},
		{"the SYN,ACK is the next row", 5, 4, KindSegment, 5, 6, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := int(ix.StepRow[tt.step])
			if r != tt.row {
				t.Fatalf("step %d is on row %d, want %d", tt.step, r, tt.row)
			}
			got := ix.Rows[r]
			if got.Kind != tt.kind || got.Start != tt.start || got.End != tt.end {
				t.Errorf("row %d = %+v, want kind %d start %d end %d", r, got, tt.kind, tt.start, tt.end)
			}
			if v := ix.Visible(tt.step); v != tt.visibleAt {
				t.Errorf("Visible(%d) = %d, want %d", tt.step, v, tt.visibleAt)
			}
		})
	}
}

func TestUpdateIndexesOnlyNewStepsAndMatchesAFullBuild(t *testing.T) {
	full := fixture.Echo()
	grow := &timeline.Timeline{Source: full.Source}
	ix := &Index{}
	for i := range full.Steps {
		grow.Steps = append(grow.Steps, full.Steps[i])
		ix.Update(grow)
	}
	want := New(full)
	if len(ix.Rows) != len(want.Rows) {
		t.Fatalf("grown index has %d rows, full build %d", len(ix.Rows), len(want.Rows))
	}
	for i := range want.Rows {
		if ix.Rows[i] != want.Rows[i] {
			t.Errorf("row %d: grown %+v, full %+v", i, ix.Rows[i], want.Rows[i])
		}
	}
}

func TestDuplicateDeliveryGetsARowAndCallsAreListedPerSide(t *testing.T) {
	p := fixture.NewPlayer(fixture.Echo())
	tl, err := p.Inject(3, 1, timeline.FaultDuplicate) // the SYN
	if err != nil {
		t.Fatal(err)
	}
	ix := New(tl)
	if k := ix.Rows[ix.StepRow[5]].Kind; k != KindCopy {
		t.Errorf("the second arrival of the SYN should be a copy row, got kind %d", k)
	}
	if got := len(ix.CallsUpTo(fsm.Client, 2)); got != 1 {
		t.Errorf("the client made 1 call by step 2, index says %d", got)
	}
	if got := len(ix.CallsUpTo(fsm.Server, tl.Len()-1)); got != 3 {
		t.Errorf("the server made 3 calls in all, index says %d", got)
	}
}

func BenchmarkUpdate(b *testing.B) {
	tl := fixture.Long(100_000)
	for b.Loop() {
		New(tl)
	}
}
