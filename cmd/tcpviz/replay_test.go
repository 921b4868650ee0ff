package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/tcpviz/tcpviz/internal/testenv"
)

func fixture(name string) string { return filepath.Join("..", "..", "capture", "testdata", name) }

// writePcap writes frames of link type lt as a pcap file.
func writePcap(t *testing.T, lt layers.LinkType, frames ...[]byte) string {
	t.Helper()
	var buf bytes.Buffer
	w := pcapgo.NewWriter(&buf)
	if err := w.WriteFileHeader(65535, lt); err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		ci := pcapgoCI(time.Unix(1700000000, int64(i)*1000), len(f))
		if err := w.WritePacket(ci, f); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestReplayCLI runs the real binary on the committed real captures.
func TestReplayCLI(t *testing.T) {
	bin := buildSimBinary(t)

	t.Run("summary", func(t *testing.T) {
		out, errOut, code := runSimBinary(t, bin, "replay", fixture("lo.pcap"), "--format", "summary")
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		want := [][2]string{{"TIME-WAIT", "CLOSED"}, {"CLOSED", "TIME-WAIT"}, {"CLOSED", "CLOSED"}, {"CLOSED", "CLOSED"}, {"TIME-WAIT", "CLOSED"}, {"TIME-WAIT", "CLOSED"}}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != len(want) {
			t.Fatalf("%d summary lines, want %d:\n%s", len(lines), len(want), out)
		}
		for i, l := range lines {
			var s struct {
				Conn, Client, Server string
				Segments             int
				FirstMs              *float64 `json:"first_ms"`
				LastMs               *float64 `json:"last_ms"`
				BytesC2S             *uint64  `json:"bytes_c2s"`
				BytesS2C             *uint64  `json:"bytes_s2c"`
			}
			if err := json.Unmarshal([]byte(l), &s); err != nil {
				t.Fatal(err)
			}
			if s.Client != want[i][0] || s.Server != want[i][1] || s.Segments == 0 || s.FirstMs == nil || s.LastMs == nil || s.BytesC2S == nil || s.BytesS2C == nil {
				t.Errorf("line %d: %s", i, l)
			}
		}
	})

	t.Run("json covers every segment once in capture order", func(t *testing.T) {
		for _, name := range []string{"any-sll2.pcapng", "lo.pcap"} {
			out, errOut, code := runSimBinary(t, bin, "replay", fixture(name), "--format", "json")
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			segs, last := 0, -1.0
			perConn := map[string]int{}
			for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
				var s struct {
					Step  int     `json:"step"`
					TMs   float64 `json:"t_ms"`
					Event string
					Conn  string
					Note  string
				}
				if err := json.Unmarshal([]byte(l), &s); err != nil {
					t.Fatal(err)
				}
				if s.Step != perConn[s.Conn] {
					t.Errorf("%s: step %d, want %d", s.Conn, s.Step, perConn[s.Conn])
				}
				perConn[s.Conn]++
				if s.Event == "segment" {
					segs++
					if s.TMs < last {
						t.Errorf("t_ms %v after %v", s.TMs, last)
					}
					last = s.TMs
				}
				if s.Note == "" {
					t.Errorf("no note: %s", l)
				}
			}
			if testenv.HaveCommand(t, "tshark") {
				tout, _ := exec.Command("tshark", "-r", fixture(name), "-Y", "tcp").Output()
				if n := strings.Count(string(tout), "\n"); n != segs {
					t.Errorf("%s: %d segment lines, tshark counts %d", name, segs, n)
				}
			}
			if len(perConn) != 6 {
				t.Errorf("%d connections", len(perConn))
			}
		}
	})

	t.Run("text and stdin", func(t *testing.T) {
		f, err := os.Open(fixture("any-sll.pcap"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		cmd := exec.Command(bin, "replay", "-", "--format", "text")
		var o, e bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = f, &o, &e
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v: %s", err, e.String())
		}
		if n := strings.Count(o.String(), "stdin: "); n != 6 {
			t.Errorf("%d connection headers, want 6:\n%s", n, o.String())
		}
		if !strings.Contains(o.String(), "TIME-WAIT") || !strings.Contains(o.String(), "[::1]") {
			t.Errorf("text output lacks states or the IPv6 connection")
		}
	})

	t.Run("filter", func(t *testing.T) {
		out, _, code := runSimBinary(t, bin, "replay", fixture("lo.pcap"), "--format", "summary", "--filter", "host ::1")
		if code != 0 || strings.Count(out, "\n") != 1 || !strings.Contains(out, "[::1]") {
			t.Errorf("exit %d:\n%s", code, out)
		}
		out, _, _ = runSimBinary(t, bin, "replay", fixture("lo.pcap"), "--format", "summary", "--filter", "not (host ::1 or ip6)")
		if strings.Count(out, "\n") != 5 {
			t.Errorf("not ::1:\n%s", out)
		}
	})
}

// TestReplayCLIBadInput checks each kind of bad input gives one line on
// stderr, the right exit status and no stack trace; a truncated capture
// still prints what was read.
func TestReplayCLIBadInput(t *testing.T) {
	bin := buildSimBinary(t)
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("not a capture at all\n"), 0o644)
	empty := filepath.Join(dir, "empty.pcap")
	os.WriteFile(empty, nil, 0o644)
	good, _ := os.ReadFile(fixture("lo.pcap"))
	cut := filepath.Join(dir, "cut.pcap")
	os.WriteFile(cut, good[:len(good)/2], 0o644)
	udp := writePcap(t, layers.LinkTypeRaw, udpPacket())
	radiotap := writePcap(t, layers.LinkType(127), []byte{0, 0, 8, 0, 0, 0, 0, 0})
	// Good Ethernet frames from the fixture, with garbage frames between.
	mixed := writePcap(t, layers.LinkTypeEthernet, []byte{1, 2, 3}, ethernetTCP(), make([]byte, 14), append(make([]byte, 12), 0x08, 0x00, 0x45))
	mixedData, _ := os.ReadFile(mixed)
	mixedCut := filepath.Join(dir, "mixed-cut.pcap")
	os.WriteFile(mixedCut, mixedData[:len(mixedData)-5], 0o644)
	hostile := filepath.Join(dir, "hostile.pcapng")
	os.WriteFile(hostile, fuzzSeed(t, "../../capture/track/testdata/fuzz/FuzzReplay/issue15-92-byte-pcapng"), 0o644)
	badCRC := filepath.Join(dir, "bad-crc.pcap.gz")
	gz := gzipped(good)
	gz[len(gz)-8] ^= 0xff // the CRC-32 of the trailer
	os.WriteFile(badCRC, gz, 0o644)
	gzText := filepath.Join(dir, "notes.txt.gz")
	os.WriteFile(gzText, gzipped([]byte("not a capture at all\n")), 0o644)

	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
		out  bool // something is printed on stdout
	}{
		{"missing file", []string{"replay", filepath.Join(dir, "nope.pcap")}, 1, "no such file", false},
		{"directory", []string{"replay", dir}, 1, "is a directory", false},
		{"not a capture", []string{"replay", text}, 1, "not a pcap or pcapng file", false},
		{"empty file", []string{"replay", empty}, 1, "not a pcap or pcapng file", false},
		{"truncated", []string{"replay", cut, "--format", "summary"}, 1, "capture is truncated: read", true},
		{"no tcp", []string{"replay", udp, "--format", "summary"}, 1, "no TCP segments in " + udp + " (1 packet)", false},
		{"hostile pcapng", []string{"replay", hostile}, 1, "hostile.pcapng: corrupt record at byte 48 after 0 packets: block length 2385143665 is not a multiple of 4", false},
		{"gzip with a bad checksum", []string{"replay", badCRC, "--format", "summary"}, 1, "bad-crc.pcap.gz: damaged gzip stream (gzip: invalid checksum), after 50 packets", true},
		{"gzip of no capture", []string{"replay", gzText}, 1, "notes.txt.gz: gzip-compressed data that is not a pcap or pcapng file", false},
		{"truncated, malformed packets skipped", []string{"replay", mixedCut, "--format", "summary"}, 1, "incomplete (skipped 1 malformed packet of 3)", true},
		{"unsupported link type", []string{"replay", radiotap}, 1, "unsupported link type IEEE802_11_RADIOTAP (127)", false},
		{"malformed packets skipped", []string{"replay", mixed, "--format", "summary"}, 0, "skipped 2 malformed packets of 4", true},
		{"filter matches nothing", []string{"replay", fixture("lo.pcap"), "--format", "json", "--filter", "port 1"}, 1, "match the filter (50 packets, 50 TCP segments)", false},
		{"bad filter", []string{"replay", fixture("lo.pcap"), "--filter", "port eighty"}, 2, "port wants a number", false},
		{"bad format", []string{"replay", fixture("lo.pcap"), "--format", "xml"}, 2, "unknown --format", false},
		{"no file", []string{"replay"}, 2, "replay takes one capture file", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runSimBinary(t, bin, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", code, tc.code, errOut)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, tc.want) {
				t.Errorf("stderr %q, want one line with %q", errOut, tc.want)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stack trace: %s", errOut)
			}
			if (out != "") != tc.out {
				t.Errorf("stdout %q", out)
			}
		})
	}
}

// fuzzSeed is the input of a committed fuzz corpus file.
func fuzzSeed(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	data, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(data)
}

func gzipped(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// TestReplayJSONFromAPipeIsNotHeldBack writes a capture into tcpviz's
// stdin and keeps the pipe open: its JSON lines must come out before the
// input ends.
func TestReplayJSONFromAPipeIsNotHeldBack(t *testing.T) {
	bin := buildSimBinary(t)
	data, err := os.ReadFile(fixture("lo.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "replay", "-", "--format", "json")
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer in.Close()
	in.Write(data) // and no EOF yet
	got := make(chan int, 1)
	go func() {
		buf := make([]byte, 1<<16)
		n := 0
		for n < 50 {
			k, err := out.Read(buf)
			n += bytes.Count(buf[:k], []byte("\n"))
			if err != nil {
				break
			}
		}
		got <- n
	}()
	select {
	case n := <-got:
		if n < 50 {
			t.Errorf("%d lines", n)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no JSON lines while the input stays open")
	}
}
