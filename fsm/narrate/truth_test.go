package narrate

import (
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

var placeholder = regexp.MustCompile(`\{[a-z]+\}`)

func TestEveryFactIsWordedInBothLanguages(t *testing.T) {
	st := timeline.Step{Event: timeline.App, Call: `client.send("hello")`,
		States: [2]fsm.State{fsm.Established, fsm.Established},
		Truth:  &timeline.Truth{HasKernel: true, Kernel: [2]fsm.State{fsm.FinWait1, fsm.Established}, Predicted: [2]fsm.State{fsm.FinWait2, fsm.Established}}}
	for k := timeline.FactKind(1); k < timeline.FactKinds; k++ {
		f := timeline.Fact{Kind: k, Side: fsm.Client, Dir: fsm.C2S, Flags: fsm.ACK, From: fsm.TimeWait, To: fsm.Closed,
			Local: netip.MustParseAddrPort("127.0.0.1:8000"), Remote: netip.MustParseAddrPort("127.0.0.1:40000"),
			Dur: 42 * time.Millisecond, N: 8000, M: 1, Text: "EPIPE (broken pipe)"}
		en, zh := Fact(&st, &f, EN), Fact(&st, &f, ZH)
		if en == "" || zh == "" || en == zh {
			t.Errorf("fact %d: en %q, zh %q", k, en, zh)
			continue
		}
		if !strings.ContainsFunc(zh, func(r rune) bool { return unicode.Is(unicode.Han, r) }) {
			t.Errorf("fact %d: the Chinese text has no Chinese: %q", k, zh)
		}
		for _, s := range []string{en, zh} {
			if p := placeholder.FindString(s); p != "" {
				t.Errorf("fact %d: placeholder %s left in %q", k, p, s)
			}
		}
	}
}

func TestFactsJoinTheNote(t *testing.T) {
	tl := &timeline.Timeline{Steps: []timeline.Step{{Event: timeline.Init,
		Facts: []timeline.Fact{{Kind: timeline.FactCaptureOff}, {Kind: timeline.FactNewConnection}}}}}
	tests := []struct {
		lang Lang
		want string
	}{
		{EN, "Start: the client is CLOSED and the server is CLOSED. Packet capture is off (--no-capture): the states shown are the kernel's. A new connection: a new client socket with a new port."},
		{ZH, "开始：客户端处于 CLOSED，服务器处于 CLOSED。抓包已关闭（--no-capture）：显示的是内核报告的状态。新的连接：新的客户端套接字，新的端口。"},
	}
	for _, tt := range tests {
		if got := Note(tl, 0, tt.lang); got != tt.want {
			t.Errorf("lang %d:\n got %q\nwant %q", tt.lang, got, tt.want)
		}
	}
}

func TestDisagreementNamesWhoSaysWhat(t *testing.T) {
	es, f1, f2 := fsm.Established, fsm.FinWait1, fsm.FinWait2
	tests := []struct {
		kernel, observed, predicted fsm.State
		kind                        timeline.FactKind
		want                        string
	}{
		{f1, es, es, timeline.FactDisagree, "Disagreement: the kernel says the client is FIN-WAIT-1, the packets and the simulator say ESTABLISHED."},
		{es, f1, es, timeline.FactDisagree, "Disagreement: the packets say the client is FIN-WAIT-1, the kernel and the simulator ESTABLISHED."},
		{f1, f1, f2, timeline.FactDisagree, "Disagreement: the kernel says the client is FIN-WAIT-1, the simulator predicts FIN-WAIT-2."},
		{f1, es, f2, timeline.FactDisagree, "Disagreement: the kernel says the client is FIN-WAIT-1, the packets ESTABLISHED, the simulator FIN-WAIT-2."},
		{f1, es, f2, timeline.FactDisagreeNoCap, "Disagreement: the kernel says the client is FIN-WAIT-1, the simulator predicts FIN-WAIT-2."},
	}
	for _, tt := range tests {
		st := timeline.Step{States: [2]fsm.State{tt.observed, es},
			Truth: &timeline.Truth{HasKernel: true, Kernel: [2]fsm.State{tt.kernel, es}, Predicted: [2]fsm.State{tt.predicted, es}}}
		if got := Fact(&st, &timeline.Fact{Kind: tt.kind, Side: fsm.Client}, EN); got != tt.want {
			t.Errorf("kernel %v packets %v simulator %v:\n got %q\nwant %q", tt.kernel, tt.observed, tt.predicted, got, tt.want)
		}
	}
}
