package sim

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// FuzzInject plays a scenario and injects a series of faults chosen by
// the fuzzer (which step, which segment in flight, which fault): the
// simulator must never panic, fail, run away or break a timeline's
// invariants, whatever the link does.
func FuzzInject(f *testing.F) {
	f.Add([]byte{0, 10, 0, 0})
	f.Add([]byte{9, 30, 0, 0, 40, 0, 1})
	f.Add([]byte{6, 5, 0, 2, 25, 1, 0, 50, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		names := Names()
		s, err := Load(names[int(data[0])%len(names)])
		if err != nil {
			t.Fatal(err)
		}
		data = data[1:]
		for k := 0; k < 6 && len(data) >= 3; k++ {
			tl := s.Timeline()
			step := int(data[0]) * tl.Len() / 256
			fl := s.InFlight(step)
			if len(fl) > 0 {
				seg := fl[int(data[1])%len(fl)]
				fault := timeline.Fault(data[2] % 3)
				if _, err := s.Inject(step, seg.SegID, fault); err != nil {
					t.Fatalf("inject %v on segment %d at step %d: %v", fault, seg.SegID, step, err)
				}
			}
			data = data[3:]
		}
		tl := s.Timeline()
		for i, st := range tl.Steps {
			if i > 0 && st.T < tl.Steps[i-1].T {
				t.Fatalf("step %d: time goes back", i)
			}
			for _, x := range st.States {
				if !x.Valid() {
					t.Fatalf("step %d: impossible state %v", i, x)
				}
			}
		}
		last := tl.Steps[len(tl.Steps)-1].States
		for _, x := range last {
			if x != fsm.Closed && x != fsm.Listen && x != fsm.CloseWait && x != fsm.FinWait2 && x != fsm.Established {
				t.Fatalf("the simulation ended with a side in %v", x)
			}
		}
	})
}

// FuzzParse reads arbitrary text as a scenario file: Parse must never
// panic, every error it returns is one FILE:LINE:COL line, and a file it
// accepts plays (or fails with a line) without panicking or running away.
func FuzzParse(f *testing.F) {
	for _, sc := range Builtin() {
		f.Add(sc.Text)
	}
	paths, _ := filepath.Glob(filepath.Join("testdata", "user", "*"+FileExt))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		sc, err := Parse("f.tcps", []byte(text))
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "f.tcps:") {
				t.Fatalf("error %q is not one FILE:LINE:COL line", err)
			}
			return
		}
		if _, err := Play(sc, DefaultConfig()); err != nil && strings.Contains(err.Error(), "\n") {
			t.Fatalf("run error %q is more than one line", err)
		}
	})
}
