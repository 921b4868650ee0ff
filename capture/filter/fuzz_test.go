package filter

import (
	"path/filepath"
	"testing"

	"github.com/tcpviz/tcpviz/capture/decode"
	"golang.org/x/net/bpf"
)

// FuzzFilter parses arbitrary expressions: no panic, and any expression that
// parses compiles to a BPF program that agrees with Match on every TCP
// frame of a real capture (or is rejected as too long).
func FuzzFilter(f *testing.F) {
	for _, s := range []string{"", "port 80", "src host ::1 and not (dst port 8000 || ip6)", "net 10.0.0.0/8 or tcp",
		"!!!port 1", "((host 127.0.0.1))", "dst net ::/0 && src port 65535"} {
		f.Add(s)
	}
	frames, lt, _, err := loadFrames(filepath.Join("..", "testdata", "lo.pcap"))
	if err != nil {
		lt = decode.LinkEthernet // no frames: parse and compile only
	}
	d, _ := decode.New(lt)
	f.Fuzz(func(t *testing.T, expr string) {
		e, err := Parse(expr)
		if err != nil {
			return
		}
		raw, err := e.Compile(lt)
		if err != nil {
			return // too long for BPF's 8-bit jumps
		}
		prog, ok := bpf.Disassemble(raw)
		if !ok {
			t.Fatalf("%q: does not disassemble", expr)
		}
		vm, err := bpf.NewVM(prog)
		if err != nil {
			t.Fatalf("%q: %v", expr, err)
		}
		for i, fr := range frames {
			var p decode.Packet
			want := d.Decode(fr, &p) == decode.TCP && e.Match(p.Src, p.Dst)
			n, err := vm.Run(fr)
			if err != nil || (n > 0) != want {
				t.Fatalf("%q (%s): frame %d: BPF %d %v, Match %v", expr, e, i, n, err, want)
			}
		}
	})
}
