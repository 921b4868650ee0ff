package track

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayMergedInterfaces replays a pcapng with two link types, as
// mergecap makes one from a capture on lo (Ethernet) and one on any (Linux
// cooked v2): every packet is decoded by its own interface's link type, so
// the connections of both are found, and as many packets are read as
// tshark reads.
func TestReplayMergedInterfaces(t *testing.T) {
	needCapture(t)
	if _, err := exec.LookPath("mergecap"); err != nil {
		t.Skip("mergecap is not installed (apt-get install wireshark-common): cannot merge captures")
	}
	if _, err := exec.LookPath("tshark"); err != nil {
		t.Skip("tshark is not installed (apt-get install tshark): cannot cross-check the count")
	}
	all := sessions()
	onLo, onAny := all[:2], all[4:5] // client-close and server-close on lo, half-close on any
	lo := captureSessions(t, "lo", "", onLo)
	any := captureSessions(t, "any", "LINUX_SLL2", onAny)
	merged := filepath.Join(t.TempDir(), "merged.pcapng")
	if out, err := exec.Command("mergecap", "-F", "pcapng", "-w", merged, lo, any).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v %s", err, out)
	}
	tr, stats := replayFile(t, merged)
	checkSessions(t, tr, append(onLo, onAny...))
	out, err := exec.Command("tshark", "-r", merged).Output()
	if err != nil {
		t.Fatalf("tshark -r %s: %v", merged, err)
	}
	if want := uint64(strings.Count(string(out), "\n")); stats.Packets != want || stats.Malformed != 0 {
		t.Errorf("%d packets (%d malformed), tshark reads %d", stats.Packets, stats.Malformed, want)
	}
}
