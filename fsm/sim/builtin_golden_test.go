package sim_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/output"
	"github.com/tcpviz/tcpviz/fsm/sim"
)

var update = flag.Bool("update", false, "rewrite the golden timelines in testdata/builtin")

// TestBuiltinTimelinesUnchanged compares every built-in scenario's JSON
// timeline (English and Chinese, Linux and RFC endpoints) with the one
// recorded in testdata/builtin, so that rewriting how scenarios are
// defined cannot change what they show by one byte.
func TestBuiltinTimelinesUnchanged(t *testing.T) {
	configs := []struct {
		name string
		cfg  func() sim.Config
	}{{"linux", sim.DefaultConfig}, {"rfc", sim.RFCConfig}}
	for _, name := range sim.Names() {
		for _, c := range configs {
			for lang, code := range map[narrate.Lang]string{narrate.EN: "en", narrate.ZH: "zh"} {
				file := filepath.Join("testdata", "builtin", name+"."+c.name+"."+code+".jsonl")
				t.Run(filepath.Base(file), func(t *testing.T) {
					s, err := sim.LoadWith(name, c.cfg())
					if err != nil {
						t.Fatal(err)
					}
					var got bytes.Buffer
					if err := output.NewJSONWriter(&got, lang).WriteTimeline(s.Timeline()); err != nil {
						t.Fatal(err)
					}
					if *update {
						if err := os.WriteFile(file, got.Bytes(), 0o644); err != nil {
							t.Fatal(err)
						}
						return
					}
					want, err := os.ReadFile(file)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got.Bytes(), want) {
						t.Errorf("the timeline differs from %s (run with -update only if the change is meant)", file)
					}
				})
			}
		}
	}
}
