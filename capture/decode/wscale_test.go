package decode

import (
	"testing"

	"github.com/tcpviz/tcpviz/fsm"
)

func TestWindowScale(t *testing.T) {
	for _, c := range []struct {
		name           string
		cliOpt, srvOpt int8
		want           uint32 // the client's ACK's window 64, after both SYNs
	}{
		{"both sides scale", 7, 7, 64 << 7},
		{"client only: off (RFC 7323 §2.2)", 7, -1, 64},
		{"neither", -1, -1, 64},
		{"shift 0", 0, 7, 64},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := NewWindowScale()
			syn := fsm.Segment{Flags: fsm.SYN, Window: 65495}
			if got := w.Scale(fsm.Client, &syn, c.cliOpt); got != 65495 {
				t.Errorf("a SYN's window is never scaled: got %d", got)
			}
			synack := fsm.Segment{Flags: fsm.SYN | fsm.ACK, Window: 65483}
			w.Scale(fsm.Server, &synack, c.srvOpt)
			ack := fsm.Segment{Flags: fsm.ACK, Window: 64}
			if got := w.Scale(fsm.Client, &ack, -1); got != c.want {
				t.Errorf("got %d, want %d", got, c.want)
			}
		})
	}
}
