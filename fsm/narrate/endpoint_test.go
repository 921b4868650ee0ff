package narrate

import (
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// TestEveryEndpointReasonHasBothLanguages checks that each reason of the
// endpoint machine and the simulator has an English and a Chinese sentence
// whose placeholders all fill, whatever kind of step it stands on.
func TestEveryEndpointReasonHasBothLanguages(t *testing.T) {
	events := []timeline.Event{timeline.App, timeline.Arrive, timeline.Timer, timeline.Send, timeline.Drop}
	for r := fsm.Reason(1); int(r) < fsm.NumEndpointReasons; r++ {
		tpl, ok := templates[r]
		if !ok || tpl.en == "" || tpl.zh == "" {
			t.Errorf("%s: missing en or zh template", r)
			continue
		}
		if strings.Contains(tpl.zh, "{side}") || strings.Contains(tpl.zh, "{peer}") {
			t.Errorf("%s: the Chinese sentence uses the English side names", r)
		}
		if !strings.Contains(tpl.en, "§") && !strings.Contains(tpl.en, "Linux") && r < fsm.LinkDrop {
			t.Errorf("%s: the English sentence cites no RFC section: %q", r, tpl.en)
		}
		for _, ev := range events {
			tl := &timeline.Timeline{
				ISN: [2]fsm.Seq{1000, 5000}, HasISN: [2]bool{true, true},
				Steps: []timeline.Step{
					{Event: timeline.Init, States: [2]fsm.State{fsm.Established, fsm.Established}},
					{Event: ev, Dir: fsm.S2C, Actor: fsm.Client, Call: `client.send("hello")`,
						Seg:    fsm.Segment{Seq: 5001, Ack: 1006, Flags: fsm.ACK | fsm.PSH, Window: 65535, Len: 5},
						States: [2]fsm.State{fsm.Established, fsm.Established},
						Why:    [2]fsm.Reason{r, fsm.ReasonNone}},
				},
			}
			for _, lang := range []Lang{EN, ZH} {
				note := Note(tl, 1, lang)
				if strings.ContainsAny(note, "{}") {
					t.Errorf("%s (%s, lang %d): unfilled placeholder in %q", r, ev, lang, note)
				}
				if lang == ZH && strings.Contains(strings.ReplaceAll(note, "client.send", ""), "client") {
					t.Errorf("%s: English side name in Chinese note %q", r, note)
				}
			}
		}
	}
}

// TestEndpointNotes checks a few sentences in full.
func TestEndpointNotes(t *testing.T) {
	tl := &timeline.Timeline{
		ISN: [2]fsm.Seq{1000, 5000}, HasISN: [2]bool{true, true},
		Steps: []timeline.Step{
			{Event: timeline.Init, States: [2]fsm.State{fsm.SynSent, fsm.SynReceived}},
			{Event: timeline.Arrive, Dir: fsm.S2C,
				Seg:    fsm.Segment{Seq: 5000, Ack: 1001, Flags: fsm.SYN | fsm.ACK, Window: 65535},
				States: [2]fsm.State{fsm.Established, fsm.Established},
				Why:    [2]fsm.Reason{fsm.RcvSynAck, fsm.ReasonNone}},
			{Event: timeline.Arrive, Dir: fsm.C2S,
				Seg:    fsm.Segment{Seq: 1001, Ack: 5001, Flags: fsm.FIN | fsm.ACK, Window: 65535},
				States: [2]fsm.State{fsm.Established, fsm.CloseWait},
				Why:    [2]fsm.Reason{fsm.ReasonNone, fsm.RcvFin}},
		},
	}
	for _, c := range []struct {
		i    int
		lang Lang
		want string
	}{
		{1, EN, "The client receives a SYN,ACK that acknowledges its SYN (ack=1): both initial sequence numbers are now known, so it sends the last ACK of the three-way handshake and is ESTABLISHED (§3.10.7.3)."},
		{1, ZH, "客户端收到确认了自己 SYN 的 SYN,ACK（ack=1）：双方的初始序列号都已知，于是发送三次握手的最后一个 ACK，进入 ESTABLISHED（§3.10.7.3）。"},
		{2, EN, "The server receives the client's FIN: the client will send no more data, so the server acknowledges the FIN's sequence number at once and moves ESTABLISHED → CLOSE-WAIT (§3.10.7.4, eighth check)."},
		{2, ZH, "服务器收到客户端的 FIN：客户端不会再发送数据；FIN 占用一个序列号，服务器立即确认它，状态 ESTABLISHED → CLOSE-WAIT（§3.10.7.4 第八项检查）。"},
	} {
		if got := Note(tl, c.i, c.lang); got != c.want {
			t.Errorf("step %d lang %d:\n got %s\nwant %s", c.i, c.lang, got, c.want)
		}
	}
}

// TestSendNotesUseLadderNumbers checks that a plain send is told in the
// ladder's default numbers: relative, ack only with ACK, a SYN's ISN in full.
func TestSendNotesUseLadderNumbers(t *testing.T) {
	tl := &timeline.Timeline{
		ISN: [2]fsm.Seq{1000, 5000}, HasISN: [2]bool{true, true},
		Steps: []timeline.Step{
			{Event: timeline.Init, States: [2]fsm.State{fsm.Closed, fsm.Listen}},
			{Event: timeline.Send, Dir: fsm.C2S, Seg: fsm.Segment{Seq: 1000, Flags: fsm.SYN, Window: 65535},
				States: [2]fsm.State{fsm.SynSent, fsm.Listen}},
			{Event: timeline.Send, Dir: fsm.S2C, Seg: fsm.Segment{Seq: 5001, Ack: 1006, Flags: fsm.ACK | fsm.PSH, Window: 65535, Len: 5},
				States: [2]fsm.State{fsm.Established, fsm.Established}},
			{Event: timeline.Send, Dir: fsm.S2C, Seg: fsm.Segment{Seq: 5001, Ack: 1006, Flags: fsm.ACK | fsm.PSH, Window: 65535, Len: 5},
				States: [2]fsm.State{fsm.Established, fsm.Established}, Analysis: timeline.Retransmission},
		},
	}
	for _, c := range []struct {
		i    int
		lang Lang
		want string
	}{
		{1, EN, "The client sends SYN (seq=0 len=0; initial sequence number 1000). The client moves CLOSED → SYN-SENT."},
		{1, ZH, "客户端发送 SYN（seq=0 len=0，初始序号 1000）。客户端：CLOSED → SYN-SENT。"},
		{2, EN, "The server sends ACK,PSH (seq=1 ack=6 len=5). The client moves SYN-SENT → ESTABLISHED. The server moves LISTEN → ESTABLISHED."},
		{3, EN, "The server sends ACK,PSH (seq=1 ack=6 len=5): a retransmission."},
		{3, ZH, "服务器发送 ACK,PSH（seq=1 ack=6 len=5）：这是重传。"},
	} {
		if got := Note(tl, c.i, c.lang); got != c.want {
			t.Errorf("step %d lang %d:\n got %q\nwant %q", c.i, c.lang, got, c.want)
		}
	}
}
