package connlist

import (
	"reflect"
	"testing"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// TestStepsUnpackAsGiven: a capture's steps come back from packing field
// for field, in batches, previews included; a session's step (a call, the
// kernel's states) turns the connection's storage to full steps, losing
// nothing.
func TestStepsUnpackAsGiven(t *testing.T) {
	capture := []timeline.Step{
		{Event: timeline.Observe, T: 5, Dir: fsm.C2S, Seg: fsm.Segment{Seq: 1, Ack: 2, Flags: fsm.SYN, Window: 65535}, States: [2]fsm.State{fsm.SynSent, fsm.Listen},
			Why: [2]fsm.Reason{3, 0}, TCB: [2]fsm.TCB{{ISS: 1, SndNxt: 2, RcvWnd: 9}}, HasTCB: true},
		{Event: timeline.Observe, T: 6, Dir: fsm.S2C, Seg: fsm.Segment{Seq: 7, Len: 5, Flags: fsm.ACK | fsm.PSH, Payload: []byte("hello")}, Analysis: timeline.Retransmission},
		{Event: timeline.Timer, T: 60e9, Actor: fsm.Server, States: [2]fsm.State{fsm.Closed, fsm.Closed}},
	}
	session := timeline.Step{Event: timeline.App, Call: "client.close()", Truth: &timeline.Truth{HasKernel: true, Kernel: [2]fsm.State{fsm.FinWait1, fsm.Established}}}
	var st steps
	st.add(capture[:1])
	st.add(capture[1:])
	if st.full != nil {
		t.Fatal("a capture's steps were not packed")
	}
	if got := st.unpack(nil); !reflect.DeepEqual(got, capture) {
		t.Errorf("unpacked\n%+v\nwant\n%+v", got, capture)
	}
	if got := st.unpack(st.unpack(nil)[:1]); !reflect.DeepEqual(got, capture) {
		t.Errorf("unpacked from step 1 on\n%+v", got)
	}
	st.add([]timeline.Step{session})
	want := append(append([]timeline.Step(nil), capture...), session)
	if got := st.unpack(nil); !reflect.DeepEqual(got, want) || st.full == nil || st.len() != 4 {
		t.Errorf("after a session step\n%+v\nwant\n%+v", got, want)
	}
}
