package synth

import (
	"bytes"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/internal/testenv"
)

// TestWriteSegmentRoundTrip writes IPv4 and IPv6 segments and decodes them
// back with gopacket: addresses, ports, numbers, flags, lengths and
// checksums as written.
func TestWriteSegmentRoundTrip(t *testing.T) {
	tests := []struct {
		name     string
		src, dst string
		seg      fsm.Segment
	}{
		{"ipv4 SYN", "127.0.0.1:49152", "127.0.0.1:8000", fsm.Segment{Seq: 1000, Flags: fsm.SYN, Window: 65535}},
		{"ipv4 data, payload kept in part", "10.0.0.1:1234", "10.0.0.2:80", fsm.Segment{Seq: 7, Ack: 9, Flags: fsm.ACK | fsm.PSH, Window: 100000, Len: 10, Payload: []byte("hel")}},
		{"ipv6 FIN,ACK", "[::1]:40000", "[::1]:8000", fsm.Segment{Seq: 1 << 31, Ack: 5, Flags: fsm.FIN | fsm.ACK, Window: 512}},
		{"ipv6 RST with payload", "[2001:db8::1]:1", "[2001:db8::2]:2", fsm.Segment{Seq: 3, Flags: fsm.RST, Len: 4, Payload: []byte("abcd")}},
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, tt := range tests {
		if err := w.WriteSegment(Epoch.Add(time.Duration(i)*time.Millisecond), netip.MustParseAddrPort(tt.src), netip.MustParseAddrPort(tt.dst), tt.seg); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if r.LinkType() != layers.LinkTypeEthernet {
		t.Errorf("link type %v", r.LinkType())
	}
	for i, tt := range tests {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if want := Epoch.Add(time.Duration(i) * time.Millisecond); !ci.Timestamp.Equal(want) {
			t.Errorf("%s: timestamp %v, want %v", tt.name, ci.Timestamp, want)
		}
		p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
		if el := p.ErrorLayer(); el != nil {
			t.Fatalf("%s: decode: %v", tt.name, el.Error())
		}
		tcp := p.Layer(layers.LayerTypeTCP).(*layers.TCP)
		src, dst := netip.MustParseAddrPort(tt.src), netip.MustParseAddrPort(tt.dst)
		if uint16(tcp.SrcPort) != src.Port() || uint16(tcp.DstPort) != dst.Port() || tcp.Seq != uint32(tt.seg.Seq) {
			t.Errorf("%s: ports %d→%d seq %d", tt.name, tcp.SrcPort, tcp.DstPort, tcp.Seq)
		}
		if tcp.SYN != tt.seg.Flags.Has(fsm.SYN) || tcp.FIN != tt.seg.Flags.Has(fsm.FIN) || tcp.RST != tt.seg.Flags.Has(fsm.RST) || tcp.ACK != tt.seg.Flags.Has(fsm.ACK) || tcp.PSH != tt.seg.Flags.Has(fsm.PSH) {
			t.Errorf("%s: flags wrong: %+v", tt.name, tcp)
		}
		if len(tcp.Payload) != int(tt.seg.Len) || !bytes.HasPrefix(tcp.Payload, tt.seg.Payload) {
			t.Errorf("%s: payload %q, want %d bytes starting %q", tt.name, tcp.Payload, tt.seg.Len, tt.seg.Payload)
		}
		var ipPayload int
		if ip4, ok := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4); ok {
			ipPayload = int(ip4.Length) - 20
			if !src.Addr().Is4() || netip.AddrFrom4([4]byte(ip4.SrcIP.To4())) != src.Addr() {
				t.Errorf("%s: IPv4 source %v", tt.name, ip4.SrcIP)
			}
		} else if ip6, ok := p.Layer(layers.LayerTypeIPv6).(*layers.IPv6); ok {
			ipPayload = int(ip6.Length)
			if netip.AddrFrom16([16]byte(ip6.DstIP.To16())) != dst.Addr() {
				t.Errorf("%s: IPv6 destination %v", tt.name, ip6.DstIP)
			}
		}
		if want := 20 + int(tt.seg.Len); ipPayload != want {
			t.Errorf("%s: IP payload length %d, want %d", tt.name, ipPayload, want)
		}
	}
	if _, _, err := r.ReadPacketData(); err != io.EOF {
		t.Errorf("after the last packet: %v, want EOF", err)
	}
}

// TestWriteSegmentMixedFamilies: an IPv4 source with an IPv6 destination is
// an error, not a broken packet.
func TestWriteSegmentMixedFamilies(t *testing.T) {
	w, _ := NewWriter(io.Discard)
	err := w.WriteSegment(Epoch, netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("[::1]:2"), fsm.Segment{})
	if err == nil {
		t.Error("mixed families accepted")
	}
}

// TestWriteTimelineCountsEverySegmentSent: dropped segments are in the
// file (the capture point is the sender), duplicated ones twice.
func TestWriteTimelineCountsEverySegmentSent(t *testing.T) {
	s, err := sim.Load("echo")
	if err != nil {
		t.Fatal(err)
	}
	sends := 0
	for _, st := range s.Timeline().Steps {
		if st.Event == timeline.Send {
			sends++
		}
	}
	i := -1
	for j, st := range s.Timeline().Steps {
		if st.Event == timeline.Send && st.Seg.Len > 0 {
			i = j
			break
		}
	}
	tl, err := s.Inject(i, s.Timeline().Steps[i].SegID, timeline.FaultDuplicate)
	if err != nil {
		t.Fatal(err)
	}
	sendsAfter := 0
	for _, st := range tl.Steps {
		if st.Event == timeline.Send {
			sendsAfter++
		}
	}
	var buf bytes.Buffer
	if err := WriteTimeline(&buf, tl); err != nil {
		t.Fatal(err)
	}
	r, err := pcapgo.NewReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for {
		if _, _, err := r.ReadPacketData(); err != nil {
			break
		}
		n++
	}
	if n != sendsAfter+1 {
		t.Errorf("%d packets, want %d sends + 1 duplicate", n, sendsAfter)
	}
}

// tshark runs tshark on file with a display filter and returns the
// matching packets, one line each.
func tshark(t *testing.T, file, filter string) []string {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", file,
		"-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE", "-Y", filter).Output()
	if err != nil {
		t.Fatalf("tshark -Y %q: %v", filter, err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestTsharkReadsTheExport exports scenarios as pcap and asks tshark, with
// checksum validation on: nothing malformed, every checksum good, no
// tcp.analysis warning in echo, and the resend of a lost segment flagged
// as a retransmission.
func TestTsharkReadsTheExport(t *testing.T) {
	testenv.NeedCommand(t, "tshark", "the pcap export is not validated (apt-get install tshark)")
	dir := t.TempDir()
	export := func(name string) (string, int) {
		cfg := sim.DefaultConfig()
		scenario, v6 := strings.CutSuffix(name, "-ipv6")
		if v6 {
			cfg.Client, cfg.Server = netip.MustParseAddrPort("[::1]:49152"), netip.MustParseAddrPort("[::1]:8000")
		}
		sc, ok := sim.Lookup(scenario)
		if !ok {
			t.Fatalf("no scenario %s", scenario)
		}
		s, err := sim.Play(sc, cfg)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name+".pcap")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteTimeline(f, s.Timeline()); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, st := range s.Timeline().Steps {
			if st.Event == timeline.Send {
				n++
			}
		}
		return path, n
	}
	for _, tt := range []struct {
		name    string
		retrans string // flags of the segment whose resend tshark must flag; "" = no analysis flags at all
	}{
		{"echo", ""},
		{"echo-ipv6", ""},
		{"lost-syn", "tcp.flags.syn == 1 && tcp.flags.ack == 0"},
		{"lost-fin", "tcp.flags.fin == 1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path, sends := export(tt.name)
			if got := tshark(t, path, "_ws.malformed || _ws.expert.severity >= error"); len(got) != 0 {
				t.Errorf("malformed packets:\n%s", strings.Join(got, "\n"))
			}
			good := "ip.checksum.status == 1 && tcp.checksum.status == 1"
			if strings.HasSuffix(tt.name, "-ipv6") {
				good = "ipv6 && tcp.checksum.status == 1" // IPv6 has no header checksum
			}
			if got := tshark(t, path, good); len(got) != sends {
				t.Errorf("%d packets with good IP and TCP checksums, want all %d", len(got), sends)
			}
			flagged := tshark(t, path, "tcp.analysis.flags")
			if tt.retrans == "" {
				if len(flagged) != 0 {
					t.Errorf("tcp.analysis warnings:\n%s", strings.Join(flagged, "\n"))
				}
				return
			}
			if got := tshark(t, path, "tcp.analysis.retransmission && "+tt.retrans); len(got) != 1 {
				t.Errorf("%d resends flagged as retransmissions, want 1; flagged:\n%s", len(got), strings.Join(flagged, "\n"))
			}
		})
	}
}

// BenchmarkWriteSegment is the generator's per-packet cost, as the capture
// benchmark uses it to write millions of packets.
func BenchmarkWriteSegment(b *testing.B) {
	w, err := NewWriter(io.Discard)
	if err != nil {
		b.Fatal(err)
	}
	src, dst := netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:80")
	seg := fsm.Segment{Seq: 1, Ack: 1, Flags: fsm.ACK | fsm.PSH, Window: 65535, Len: 100}
	ts := Epoch
	b.ReportAllocs()
	for b.Loop() {
		ts = ts.Add(time.Microsecond)
		seg.Seq += 100
		if err := w.WriteSegment(ts, src, dst, seg); err != nil {
			b.Fatal(err)
		}
	}
}
