package sim

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// playFile parses and plays a file of testdata/user.
func playFile(t *testing.T, name string) *timeline.Timeline {
	t.Helper()
	path := filepath.Join("testdata", "user", name)
	text, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := Parse(path, text)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Play(sc, DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return s.Timeline()
}

// find returns the first step that fits, or fails.
func find(t *testing.T, tl *timeline.Timeline, what string, fits func(timeline.Step) bool) timeline.Step {
	t.Helper()
	for _, s := range tl.Steps {
		if fits(s) {
			return s
		}
	}
	t.Fatalf("no step: %s", what)
	return timeline.Step{}
}

func segOf(ev timeline.Event, dir fsm.Dir, f fsm.Flags) func(timeline.Step) bool {
	return func(s timeline.Step) bool { return s.Event == ev && s.Dir == dir && s.Seg.Flags == f }
}

// TestUserFiles plays files written as a user would, one for each call,
// condition, fault and setting of the format, and checks the states each
// endpoint passes through (RFC 9293 Figure 5) and the step that shows the
// word at work.
func TestUserFiles(t *testing.T) {
	active := []S{cl, ss, es, fw1, fw2, tw, cl}
	passive := []S{li, sr, es, cw, la, cl}
	tests := []struct {
		file           string
		client, server []S
		check          func(t *testing.T, tl *timeline.Timeline)
	}{
		{"bulk.tcps", active, passive, func(t *testing.T, tl *timeline.Timeline) {
			var lens []uint32
			var reads []string
			for _, s := range tl.Steps {
				if s.Event == timeline.Send && s.Dir == fsm.C2S && s.Seg.Len > 0 {
					lens = append(lens, s.Seg.Len)
				}
				if strings.HasPrefix(s.Call, "server.recv") {
					reads = append(reads, s.Call)
				}
			}
			if !reflect.DeepEqual(lens, []uint32{1460, 1460, 80}) {
				t.Errorf("3000 bytes went as %v, want segments of MSS 1460", lens)
			}
			if want := []string{"server.recv(1000)", "server.recv(1000)", "server.recv()", "server.recv()"}; !reflect.DeepEqual(reads, want) {
				t.Errorf("reads %q, want %q", reads, want)
			}
		}},
		{"shut-rd.tcps", []S{cl, ss, es, cw, la, cl}, []S{li, sr, es, fw1, fw2, tw, cl}, func(t *testing.T, tl *timeline.Timeline) {
			sh := find(t, tl, "shutdown(SHUT_RD)", func(s timeline.Step) bool { return s.Call == "server.shutdown(SHUT_RD)" })
			if sh.States[server] != es {
				t.Errorf("SHUT_RD moved the server to %v", sh.States[server])
			}
			find(t, tl, "recv returns 0 at once", func(s timeline.Step) bool {
				return s.Call == "server.recv()" && len(s.Facts) == 1 && s.Facts[0].Kind == timeline.FactRecvShutRD
			})
		}},
		{"linger.tcps", []S{cl, ss, es, cl}, []S{li, sr, es, cl}, func(t *testing.T, tl *timeline.Timeline) {
			c := find(t, tl, "close()", func(s timeline.Step) bool { return s.Call == "client.close()" })
			if c.Why[client] != fsm.AppAbort {
				t.Errorf("close() with SO_LINGER 0: %v, want an abort", c.Why[client])
			}
			find(t, tl, "the client's RST", segOf(timeline.Send, fsm.C2S, fsm.RST|fsm.ACK))
		}},
		{"crash.tcps", []S{cl, ss, es, cl}, []S{li, sr, es, cl}, func(t *testing.T, tl *timeline.Timeline) {
			syn := find(t, tl, "the SYN arrives", segOf(timeline.Arrive, fsm.C2S, fsm.SYN))
			if syn.Seg.Seq != 4000000000 || syn.T != 50*time.Millisecond {
				t.Errorf("SYN seq=%d at %v, want isn 4000000000 and latency 50ms", syn.Seg.Seq, syn.T)
			}
			if sa := find(t, tl, "SYN,ACK", segOf(timeline.Send, fsm.S2C, fsm.SYN|fsm.ACK)); sa.Seg.Seq != 7 {
				t.Errorf("SYN,ACK seq=%d, want isn 7", sa.Seg.Seq)
			}
			restart := find(t, tl, "restart", func(s timeline.Step) bool { return s.Call == "server.restart()" })
			send := find(t, tl, "send", func(s timeline.Step) bool { return strings.HasPrefix(s.Call, "client.send") })
			if send.T-restart.T != 2*time.Second {
				t.Errorf("the send came %v after the restart, want after 2s", send.T-restart.T)
			}
			find(t, tl, "the server's RST", segOf(timeline.Send, fsm.S2C, fsm.RST))
		}},
		{"conditions.tcps", active, passive, func(t *testing.T, tl *timeline.Timeline) {
			recv := find(t, tl, "server recv", func(s timeline.Step) bool { return s.Call == "server.recv()" })
			pong := find(t, tl, "pong", func(s timeline.Step) bool { return s.Call == `server.send("pong")` })
			if pong.T-recv.T != 500*time.Millisecond {
				t.Errorf("pong %v after the recv, want 500ms", pong.T-recv.T)
			}
			cr := find(t, tl, "client recv", func(s timeline.Step) bool { return s.Call == "client.recv()" })
			sh := find(t, tl, "shutdown", func(s timeline.Step) bool { return s.Call == "client.shutdown(SHUT_WR)" })
			if sh.T-cr.T != time.Second {
				t.Errorf("shutdown %v after the recv, want quiet and after 1s", sh.T-cr.T)
			}
		}},
		{"rfc-unread.tcps", []S{cl, ss, es, cw, la, cl}, []S{li, sr, es, fw1, fw2, tw, cl}, func(t *testing.T, tl *timeline.Timeline) {
			find(t, tl, "the server's FIN (endpoints rfc)", segOf(timeline.Send, fsm.S2C, fsm.FIN|fsm.ACK))
		}},
		{"drop-synack.tcps", active, passive, func(t *testing.T, tl *timeline.Timeline) {
			find(t, tl, "the SYN,ACK lost", segOf(timeline.Drop, fsm.S2C, fsm.SYN|fsm.ACK))
		}},
		{"duplicate-data.tcps", active, passive, func(t *testing.T, tl *timeline.Timeline) {
			find(t, tl, "a second copy of the data", func(s timeline.Step) bool {
				return s.Event == timeline.Arrive && s.Dir == fsm.C2S && s.Seg.Len > 0 && s.Analysis&timeline.Duplicate != 0
			})
		}},
		{"delay-fin.tcps", active, passive, func(t *testing.T, tl *timeline.Timeline) {
			sent := find(t, tl, "FIN sent", segOf(timeline.Send, fsm.C2S, fsm.FIN|fsm.ACK))
			got := find(t, tl, "FIN in", segOf(timeline.Arrive, fsm.C2S, fsm.FIN|fsm.ACK))
			if d := got.T - sent.T; d != 310*time.Millisecond {
				t.Errorf("the FIN took %v, want 10ms + 300ms", d)
			}
		}},
		{"reorder.tcps", active, passive, func(t *testing.T, tl *timeline.Timeline) {
			var order []fsm.Seq
			for _, s := range tl.Steps {
				if s.Event == timeline.Arrive && s.Dir == fsm.C2S && s.Seg.Len > 0 {
					order = append(order, s.Seg.Seq-1001)
				}
			}
			if !reflect.DeepEqual(order, []fsm.Seq{1460, 0}) {
				t.Errorf("data arrived at relative seq %v, want the second segment first", order)
			}
		}},
		{"drop-nth.tcps", active, passive, func(t *testing.T, tl *timeline.Timeline) {
			d := find(t, tl, "a drop", func(s timeline.Step) bool { return s.Event == timeline.Drop })
			if d.SegID != 3 || d.Seg.Flags != fsm.ACK || d.Seg.Len != 0 {
				t.Errorf("dropped segment %d %v, want segment 3, the handshake's ACK", d.SegID, d.Seg.Flags)
			}
		}},
		{"lossy.tcps", active, passive, func(t *testing.T, tl *timeline.Timeline) {
			drops := 0
			for _, s := range tl.Steps {
				if s.Event == timeline.Drop {
					drops++
				}
			}
			if drops == 0 {
				t.Error("loss 30% lost nothing")
			}
			if again := playFile(t, "lossy.tcps"); !reflect.DeepEqual(again.Steps, tl.Steps) {
				t.Error("the same seed lost different segments")
			}
		}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file] = true
		t.Run(tt.file, func(t *testing.T) {
			tl := playFile(t, tt.file)
			if got := distinct(tl, client); !reflect.DeepEqual(got, tt.client) {
				t.Errorf("client went through %v, want %v", got, tt.client)
			}
			if got := distinct(tl, server); !reflect.DeepEqual(got, tt.server) {
				t.Errorf("server went through %v, want %v", got, tt.server)
			}
			tt.check(t, tl)
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "user", "*"+FileExt))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s is not tested", f)
		}
	}
}

// TestBrokenFiles: one exact line for each kind of mistake, found before
// the run where it can be and by the run where it cannot.
func TestBrokenFiles(t *testing.T) {
	const open = "before: server listen\nclient connect\n"
	tests := []struct{ name, text, want string }{
		{"a typo in a side", "clinet connect", `f.tcps:1:1: unknown word "clinet" (did you mean "client"?)`},
		{"a typo in a call", open + "when client is ESTABLISHED: client sned \"x\"", `f.tcps:3:36: unknown call "sned" (did you mean "send"?)`},
		{"a typo in a state", open + "when client is ESTABLISHD: client close", `f.tcps:3:16: unknown state "ESTABLISHD" (did you mean "ESTABLISHED"?)`},
		{"a typo in a fault", open + "drpo the first SYN", `f.tcps:3:1: unknown word "drpo" (did you mean "drop"?)`},
		{"a typo in a segment", open + "drop the clients FIN", `f.tcps:3:10: unknown segment "clients" (did you mean "client's"?)`},
		{"a call without its side", "connect", `f.tcps:1:1: a call needs its side: client connect or server connect`},
		{"an unterminated string", open + `when client is ESTABLISHED: client send "hi`, `f.tcps:3:41: unterminated string: the closing " is missing`},
		{"a missing colon", open + "when quiet client close", `f.tcps:3:12: expected "and" or ":" after a condition, not "client"`},
		{"a condition cut short", open + "when client is", `f.tcps:3:15: expected a state, e.g. ESTABLISHED`},
		{"a bad duration", "latency 10", `f.tcps:1:9: expected the one-way delay, e.g. 10ms, not "10"`},
		{"a bad loss", "loss 0.3", `f.tcps:1:6: loss is a percentage from 0% to 100%, e.g. 5%, not "0.3"`},
		{"a setting twice", "latency 5ms\nlatency 6ms", `f.tcps:2:1: latency is set twice (first on line 1)`},
		{"words left over", open + "client close now", `f.tcps:3:14: unexpected "now" at the end of the line`},
		{"only listen before", "before: client connect", `f.tcps:1:9: only listen can run before the first step`},
		{"a state never reached", open + "when server is TIME-WAIT: client close", `f.tcps:3:1: this call can never run: the server is never TIME-WAIT: no close or shutdown SHUT_WR by the server comes before`},
		{"data that never comes", open + "when server has data: server recv", `f.tcps:3:1: this call can never run: the server never has data: no send by the client comes before`},
		{"two states at once", open + "when client is ESTABLISHED and client is CLOSED: client close", `f.tcps:3:1: this call can never run: the client cannot be ESTABLISHED and CLOSED at once`},
		{"a call with no connection", "server accept", `f.tcps:1:1: server accept can never succeed: the server has no connection: listen or connect comes first`},
		{"an option not modelled", open + "client setsockopt TCP_NODELAY 1", `f.tcps:3:19: unknown socket option (the simulator models SO_LINGER 0) "TCP_NODELAY"`},
		{"SO_REUSEADDR", "server restart with SO_REUSEADDR", `f.tcps:1:16: restart with SO_REUSEADDR is not modelled yet: the simulator has no listener beside a connection in TIME-WAIT; restart is the host's crash and reboot`},
		{"a fault that never applies", open + "drop the second SYN,ACK", `f.tcps:3:1: fault never applies: the link never sees the 2nd SYN,ACK (1 such segment in the whole run)`},
		{"a call that fails when it runs", open + "when client is ESTABLISHED: server accept", `f.tcps:3:1: scripted call 2 (when the client is ESTABLISHED: server.accept()) at 20ms: accept: no established connection (the server is SYN-RECEIVED)`},
		{"a condition that never comes true", open + "when client is ESTABLISHED: client close\nwhen client is ESTABLISHED: client close",
			`f.tcps:4:1: scripted call never ran: call 3 (when the client is ESTABLISHED: client.close()): nothing left to happen`},
		{"a run past the bound", open + "after 9m: client send \"a\"\nafter 9m: client send \"b\"",
			`f.tcps:4:1: simulation did not finish: still busy after 10m0s of virtual time, call 3 (after 9m0s: client.send("b")) still waiting`},
		{"a connection busy past the bound", open + "when client is ESTABLISHED: client send 100000 bytes\nwhen server is ESTABLISHED: server accept",
			`f.tcps: simulation did not finish: still busy after 10m0s of virtual time`},
		{"not UTF-8", "\xff", `f.tcps:1:1: the file is not UTF-8 text`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := Parse("f.tcps", []byte(tt.text))
			if err == nil {
				_, err = Play(sc, DefaultConfig())
			}
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *FileError", err)
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}
