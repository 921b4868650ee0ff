package filter

import (
	"errors"
	"io"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"golang.org/x/net/bpf"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ expr, want string }{
		{"port", "port wants a number"},
		{"port 80 and", "unexpected end"},
		{"port http", "port wants a number"},
		{"port 70000", "port wants a number"},
		{"host example.com", "host wants an IPv4 or IPv6 address"},
		{"(port 80", "missing )"},
		{"port 80 port 81", `unexpected "port"`},
		{"udp", `unknown primitive "udp"`},
		{"src tcp", "cannot follow src or dst"},
		{"net 10.0.0.0", "net wants a prefix"},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			_, err := Parse(tc.expr)
			if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("Parse(%q) error %v, want one line with %q", tc.expr, err, tc.want)
			}
		})
	}
}

func TestMatch(t *testing.T) {
	c4, s4 := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("10.1.2.3:8000")
	c6, s6 := netip.MustParseAddrPort("[::1]:40001"), netip.MustParseAddrPort("[2001:db8::8]:443")
	for _, tc := range []struct {
		expr  string
		v4c2s bool // 127.0.0.1:40000 → 10.1.2.3:8000
		v4s2c bool
		v6c2s bool // [::1]:40001 → [2001:db8::8]:443
	}{
		{"", true, true, true},
		{"tcp", true, true, true},
		{"port 8000", true, true, false},
		{"src port 8000", false, true, false},
		{"dst port 8000", true, false, false},
		{"host ::1", false, false, true},
		{"host 10.1.2.3", true, true, false},
		{"src host 127.0.0.1", true, false, false},
		{"net 10.0.0.0/8", true, true, false},
		{"dst net 2001:db8::/32", false, false, true},
		{"ip6", false, false, true},
		{"ip and not port 8000", false, false, false},
		{"port 443 or port 8000", true, true, true},
		{"not (port 443 || host 127.0.0.1)", false, false, false},
		{"! port 443 && tcp", true, true, false},
		{"(src port 40000 or src port 40001) and not ip6", true, false, false},
	} {
		t.Run(tc.expr, func(t *testing.T) {
			e, err := Parse(tc.expr)
			if err != nil {
				t.Fatal(err)
			}
			if got := e.Match(c4, s4); got != tc.v4c2s {
				t.Errorf("%s: v4 c2s = %v", e, got)
			}
			if got := e.Match(s4, c4); got != tc.v4s2c {
				t.Errorf("%s: v4 s2c = %v", e, got)
			}
			if got := e.Match(c6, s6); got != tc.v6c2s {
				t.Errorf("%s: v6 c2s = %v", e, got)
			}
		})
	}
}

func TestMatchAllocatesNothing(t *testing.T) {
	e, _ := Parse("(port 8000 or host ::1) and not src net 10.0.0.0/8")
	a, b := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("10.1.2.3:8000")
	if n := testing.AllocsPerRun(1000, func() { e.Match(a, b) }); n != 0 {
		t.Errorf("%v allocations per match", n)
	}
}

// TestBPFAgreesWithMatch runs the compiled program in x/net/bpf's VM over
// every frame of real captures (Ethernet, Linux cooked v1 and v2) and
// checks it accepts exactly the TCP packets Match accepts.
func TestBPFAgreesWithMatch(t *testing.T) {
	exprs := []string{"", "tcp", "ip", "ip6", "host ::1", "host 127.0.0.1", "not host ::1",
		"src host 127.0.0.1 and dst host 127.0.0.1", "net 127.0.0.0/8", "net ::/1", "dst net ::1/128"}
	for _, name := range []string{"lo.pcap", "any-sll2.pcap", "any-sll.pcap", "lo.pcapng"} {
		t.Run(name, func(t *testing.T) {
			frames, lt, ports := readFrames(t, filepath.Join("..", "testdata", name))
			es := append([]string(nil), exprs...)
			for _, p := range ports[:min(3, len(ports))] {
				es = append(es, "port "+itoa(int(p)), "src port "+itoa(int(p)), "dst port "+itoa(int(p))+" or host ::1",
					"not port "+itoa(int(p))+" and (ip6 or port "+itoa(int(ports[len(ports)-1]))+")")
			}
			d, _ := decode.New(lt)
			for _, expr := range es {
				e, err := Parse(expr)
				if err != nil {
					t.Fatal(err)
				}
				raw, err := e.Compile(lt)
				if err != nil {
					t.Fatalf("%s: %v", expr, err)
				}
				prog, _ := bpf.Disassemble(raw)
				vm, err := bpf.NewVM(prog)
				if err != nil {
					t.Fatalf("%s: %v", expr, err)
				}
				accepted := 0
				for i, f := range frames {
					var p decode.Packet
					want := d.Decode(f, &p) == decode.TCP && e.Match(p.Src, p.Dst)
					n, err := vm.Run(f)
					if err != nil {
						t.Fatalf("%s: frame %d: %v", expr, i, err)
					}
					if (n > 0) != want {
						t.Errorf("%s: frame %d (%v → %v): BPF %v, Match %v", expr, i, p.Src, p.Dst, n > 0, want)
					}
					if n > 0 {
						accepted++
					}
				}
				if expr == "" && accepted != len(frames) {
					t.Errorf("empty filter accepted %d of %d TCP frames", accepted, len(frames))
				}
			}
		})
	}
}

func readFrames(t *testing.T, path string) (frames [][]byte, lt decode.LinkType, ports []uint16) {
	t.Helper()
	frames, lt, ports, err := loadFrames(path)
	if err != nil {
		t.Fatalf("fixture: %v", err)
	}
	return frames, lt, ports
}

// loadFrames reads every frame of a capture, and the server ports of the
// SYNs in it.
func loadFrames(path string) (frames [][]byte, lt decode.LinkType, ports []uint16, err error) {
	r, err := pcapfile.Open(path)
	if err != nil {
		return nil, 0, nil, err
	}
	defer r.Close()
	d, err := decode.New(r.LinkType())
	if err != nil {
		return nil, 0, nil, err
	}
	seen := map[uint16]bool{}
	for {
		data, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, nil, err
		}
		frames = append(frames, append([]byte(nil), data...))
		var p decode.Packet
		if d.Decode(data, &p) == decode.TCP && !seen[p.Dst.Port()] && p.Seg.Flags&0x12 == 0x02 {
			seen[p.Dst.Port()] = true
			ports = append(ports, p.Dst.Port())
		}
	}
	return frames, r.LinkType(), ports, nil
}

func TestCompileUnsupportedLink(t *testing.T) {
	if _, err := Compile("port 80", 127); err == nil {
		t.Error("compiled for radiotap")
	}
}
