package index

import (
	"sort"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Kind is what a ladder row shows.
type Kind uint8

// The row kinds.
const (
	KindInit    Kind = iota // the starting states
	KindApp                 // a socket call on the actor's lifeline
	KindTimer               // a timer on the actor's lifeline
	KindSegment             // a segment: Send (+ its Arrive or Drop) or an Observe
	KindCopy                // a duplicate delivery the link made of an earlier segment
)

// Row is one line of the ladder: the step that starts it and, for a
// segment, the step that ends it.
type Row struct {
	Kind  Kind
	Start int // the step that opens the row
	End   int // the Arrive, Drop or Observe step that ends it; -1 while none has
}

// Index is the row layout of one timeline. The zero value is empty; call
// Update after appending steps to the timeline.
type Index struct {
	Rows []Row
	// StepRow[i] is the row step i belongs to (an Arrive belongs to its
	// Send's row).
	StepRow []int32
	// RowsUpTo[i] is how many rows have started at or before step i.
	RowsUpTo []int32
	// Calls lists each side's App steps, in order.
	Calls [2][]int

	open map[int]int // SegID → row of a Send whose Arrive/Drop is pending
	seen map[int]int // SegID → row, for segments already delivered (duplicates)
}

// New indexes every step of tl.
func New(tl *timeline.Timeline) *Index {
	ix := &Index{}
	ix.Update(tl)
	return ix
}

// Update indexes the steps of tl appended since the last call. Cost is
// proportional to the number of new steps.
func (ix *Index) Update(tl *timeline.Timeline) {
	if ix.open == nil {
		ix.open, ix.seen = map[int]int{}, map[int]int{}
	}
	for i := len(ix.StepRow); i < len(tl.Steps); i++ {
		ix.add(tl, i)
	}
}

func (ix *Index) newRow(k Kind, start, end int) int32 {
	ix.Rows = append(ix.Rows, Row{Kind: k, Start: start, End: end})
	return int32(len(ix.Rows) - 1)
}

func (ix *Index) add(tl *timeline.Timeline, i int) {
	s := &tl.Steps[i]
	var row int32
	switch s.Event {
	case timeline.Init:
		row = ix.newRow(KindInit, i, i)
	case timeline.App:
		row = ix.newRow(KindApp, i, i)
		if s.Actor <= fsm.Server {
			ix.Calls[s.Actor] = append(ix.Calls[s.Actor], i)
		}
	case timeline.Timer:
		row = ix.newRow(KindTimer, i, i)
	case timeline.Observe:
		row = ix.newRow(KindSegment, i, i)
	case timeline.Send:
		row = ix.newRow(KindSegment, i, -1)
		if s.SegID != 0 {
			ix.open[s.SegID] = int(row)
		}
	case timeline.Arrive, timeline.Drop:
		if r, ok := ix.open[s.SegID]; ok && s.SegID != 0 {
			ix.Rows[r].End = i
			delete(ix.open, s.SegID)
			ix.seen[s.SegID] = r
			row = int32(r)
		} else if _, dup := ix.seen[s.SegID]; dup && s.SegID != 0 {
			row = ix.newRow(KindCopy, i, i)
		} else {
			// An arrival whose send is not in the timeline: a row of its own.
			row = ix.newRow(KindSegment, i, i)
		}
	default:
		row = ix.newRow(KindTimer, i, i)
	}
	ix.StepRow = append(ix.StepRow, row)
	ix.RowsUpTo = append(ix.RowsUpTo, int32(len(ix.Rows)))
}

// Visible returns how many rows exist as of step cur.
func (ix *Index) Visible(cur int) int {
	if cur < 0 || cur >= len(ix.RowsUpTo) {
		return 0
	}
	return int(ix.RowsUpTo[cur])
}

// CallsUpTo returns side's App steps at or before step cur.
func (ix *Index) CallsUpTo(side fsm.Side, cur int) []int {
	c := ix.Calls[side]
	n := sort.SearchInts(c, cur+1)
	return c[:n]
}
