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
// ladder's default numbers (relative, a SYN's ISN in full) and says what
// the numbers mean.
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
		{1, EN, "The client sends SYN (initial sequence number 1000, relative seq=0) to open a connection; a SYN takes one sequence number, so its acknowledgment will be ack=1. The client moves CLOSED → SYN-SENT."},
		{1, ZH, "客户端发送 SYN（初始序号 1000，相对 seq=0）：请求建立连接；SYN 占用一个序号，所以对它的确认是 ack=1。客户端：CLOSED → SYN-SENT。"},
		{2, EN, "The server sends 5 bytes (seq=1 numbers the first byte) with ack=6: everything the client sent before sequence number 6 has arrived. The client moves SYN-SENT → ESTABLISHED. The server moves LISTEN → ESTABLISHED."},
		{3, EN, "A retransmission: the server sends 5 bytes (seq=1 numbers the first byte) with ack=6: everything the client sent before sequence number 6 has arrived."},
		{3, ZH, "重传：服务器发送 5 字节数据（seq=1 是第一个字节的序号），ack=6：客户端在序号 6 之前发送的都已收到。"},
	} {
		if got := Note(tl, c.i, c.lang); got != c.want {
			t.Errorf("step %d lang %d:\n got %q\nwant %q", c.i, c.lang, got, c.want)
		}
	}
}

// TestSendNoteKinds checks what each kind of segment is said to mean.
func TestSendNoteKinds(t *testing.T) {
	est := [2]fsm.State{fsm.Established, fsm.Established}
	for _, c := range []struct {
		seg  fsm.Segment
		dir  fsm.Dir
		want string
	}{
		{fsm.Segment{Seq: 5000, Ack: 1001, Flags: fsm.SYN | fsm.ACK}, fsm.S2C,
			"The server sends SYN,ACK: its own SYN (initial sequence number 5000, relative seq=0) and ack=1, which acknowledges the client's SYN."},
		{fsm.Segment{Seq: 1006, Ack: 5006, Flags: fsm.FIN | fsm.ACK}, fsm.C2S,
			"The client sends FIN (seq=6, ack=6): it will send no more data; the FIN takes one sequence number after the data, so its acknowledgment will be ack=7."},
		{fsm.Segment{Seq: 1001, Ack: 5001, Flags: fsm.FIN | fsm.ACK | fsm.PSH, Len: 5, Payload: []byte("hello")}, fsm.C2S,
			`The client sends 5 bytes "hello" then FIN (seq=1, ack=1): it will send no more data; the FIN takes one sequence number after the data, so its acknowledgment will be ack=7.`},
		{fsm.Segment{Seq: 5001, Ack: 1006, Flags: fsm.ACK}, fsm.S2C,
			"The server sends a bare ACK (no data, seq=1 ack=6): everything the client sent before sequence number 6 has arrived."},
		{fsm.Segment{Seq: 5001, Ack: 1006, Flags: fsm.RST | fsm.ACK}, fsm.S2C, "The server sends RST (seq=1)."},
		{fsm.Segment{Seq: 1001, Ack: 5001, Flags: fsm.ACK}, fsm.C2S,
			"The client sends a bare ACK (no data, seq=1 ack=1): the server's SYN has arrived, and no data yet."},
	} {
		tl := &timeline.Timeline{
			ISN: [2]fsm.Seq{1000, 5000}, HasISN: [2]bool{true, true},
			Steps: []timeline.Step{
				{Event: timeline.Init, States: est},
				{Event: timeline.Send, Dir: c.dir, Seg: c.seg, States: est},
			},
		}
		if got := Note(tl, 1, EN); got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.seg.Flags, got, c.want)
		}
		if zh := Note(tl, 1, ZH); strings.ContainsAny(zh, "{}") || !strings.HasSuffix(zh, "。") {
			t.Errorf("%s: Chinese note %q", c.seg.Flags, zh)
		}
	}
}
