package track

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/capture/synth"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
)

// TestAnalysisAgreesWithTshark writes every simulated scenario as a pcap
// (its segments as sent, lost ones included), replays it, and compares the
// segments the tracker flags as retransmissions and duplicate ACKs with
// Wireshark's tcp.analysis on the same file, and the inferred final states
// with the simulator's own.
func TestAnalysisAgreesWithTshark(t *testing.T) {
	testenv.NeedCommand(t, "tshark", "nothing to compare with (apt-get install tshark)")
	for _, name := range sim.Names() {
		t.Run(name, func(t *testing.T) {
			sc, _ := sim.Lookup(name)
			s, err := sim.Play(sc, sim.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), name+".pcap")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := synth.WriteTimeline(f, s.Timeline()); err != nil {
				t.Fatal(err)
			}
			f.Close()

			// Ours, per frame in capture order.
			var ours []timeline.Analysis
			tr := New(Options{Timelines: true, OnStep: func(_ *Conn, tl *timeline.Timeline, i int) {
				if tl.Steps[i].Event == timeline.Observe {
					ours = append(ours, tl.Steps[i].Analysis)
				}
			}})
			r, err := pcapfile.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if _, err := Replay(r, tr, ReplayOptions{}); err != nil {
				t.Fatal(err)
			}

			// The observer's final states are the simulator's true states
			// once the last segment has arrived (what the capture ends on).
			tl := s.Timeline()
			for i := len(tl.Steps) - 1; i >= 0; i-- {
				if st := tl.Steps[i]; st.Event == timeline.Arrive {
					if got := tr.Conn(tr.Len() - 1).States(); got != st.States {
						t.Errorf("final states: observed %v/%v, simulated %v/%v", got[0], got[1], st.States[0], st.States[1])
					}
					break
				}
			}

			out, err := exec.Command("tshark", "-r", path, "-T", "fields", "-e", "frame.number",
				"-e", "tcp.analysis.retransmission", "-e", "tcp.analysis.fast_retransmission",
				"-e", "tcp.analysis.spurious_retransmission", "-e", "tcp.analysis.duplicate_ack_num").Output()
			if err != nil {
				t.Fatalf("tshark: %v", err)
			}
			lines := strings.Split(strings.TrimRight(string(out), "\n"), "\n")
			if len(lines) != len(ours) {
				t.Fatalf("%d frames for tshark, %d segments for us", len(lines), len(ours))
			}
			for i, l := range lines {
				fld := strings.Split(l, "\t")
				for len(fld) < 5 {
					fld = append(fld, "")
				}
				theirRe := fld[1] != "" || fld[2] != "" || fld[3] != ""
				theirDup := fld[4] != ""
				ourRe := ours[i]&timeline.Retransmission != 0
				ourDup := ours[i]&timeline.DupAck != 0
				switch {
				case theirRe && !ourRe && ours[i]&timeline.Duplicate != 0:
					// Known difference: an exact copy of a segment within
					// 3 ms is taken for one the link duplicated, where
					// Wireshark counts a retransmission.
					t.Logf("frame %d: Wireshark says retransmission, the observer says duplicate", i+1)
				case theirRe != ourRe:
					t.Errorf("frame %d: retransmission: Wireshark %v, tcpviz %v", i+1, theirRe, ourRe)
				}
				if theirDup != ourDup {
					t.Errorf("frame %d: duplicate ACK: Wireshark %v, tcpviz %v", i+1, theirDup, ourDup)
				}
			}
		})
	}
}
