package output

import (
	"bufio"
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// The vocabulary of ../shared/spec/timeline-json.md.
var (
	specEvents = []string{"init", "app", "send", "arrive", "drop", "timer", "segment"}
	specStates = []string{"CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT"}
	specFlags  = []string{"SYN", "ACK", "FIN", "RST", "PSH", "URG", "ECE", "CWR"}
)

// jsonLines writes a scenario's timeline as JSON and decodes each line.
func jsonLines(t *testing.T, scenario string, lang narrate.Lang) ([]map[string]any, *timeline.Timeline) {
	t.Helper()
	s, err := sim.Load(scenario)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := NewJSONWriter(&buf, lang).WriteTimeline(s.Timeline()); err != nil {
		t.Fatal(err)
	}
	var out []map[string]any
	sc := bufio.NewScanner(&buf)
	for sc.Scan() {
		var m map[string]any
		d := json.NewDecoder(strings.NewReader(sc.Text()))
		d.UseNumber()
		if err := d.Decode(&m); err != nil {
			t.Fatalf("line %d is not one JSON object: %v: %s", len(out), err, sc.Text())
		}
		out = append(out, m)
	}
	return out, s.Timeline()
}

func isInt(v any) bool {
	n, ok := v.(json.Number)
	if !ok {
		return false
	}
	_, err := n.Int64()
	return err == nil
}

// TestJSONFollowsTheSpec checks every line of every scenario's JSON
// against the spec: required fields and their types, step order, RFC
// state names, flag names in the spec's order, relative numbers, and
// nothing of the echo session's on a simulation.
func TestJSONFollowsTheSpec(t *testing.T) {
	for _, name := range sim.Names() {
		lines, tl := jsonLines(t, name, narrate.EN)
		if len(lines) != tl.Len() {
			t.Fatalf("%s: %d lines for %d steps", name, len(lines), tl.Len())
		}
		var prevT float64
		for i, m := range lines {
			where := name + " line " + strconv.Itoa(i)
			if n, ok := m["step"].(json.Number); !ok || n.String() != strconv.Itoa(i) {
				t.Errorf("%s: step = %v", where, m["step"])
			}
			tms, ok := m["t_ms"].(json.Number)
			f, err := tms.Float64()
			if !ok || err != nil || f < prevT {
				t.Errorf("%s: t_ms = %v after %v", where, m["t_ms"], prevT)
			}
			prevT = f
			ev, _ := m["event"].(string)
			if !slices.Contains(specEvents, ev) || ev == "segment" {
				t.Errorf("%s: event %q", where, ev)
			}
			if m["conn"] != "127.0.0.1:49152-127.0.0.1:8000" {
				t.Errorf("%s: conn %v", where, m["conn"])
			}
			for _, side := range []string{"client", "server"} {
				if st, _ := m[side].(string); !slices.Contains(specStates, st) {
					t.Errorf("%s: %s = %v", where, side, m[side])
				}
			}
			if note, _ := m["note"].(string); note == "" {
				t.Errorf("%s: no note", where)
			}
			for _, k := range []string{"kernel", "predicted", "agree"} {
				if _, ok := m[k]; ok {
					t.Errorf("%s: %s on a simulation", where, k)
				}
			}
			step := &tl.Steps[i]
			segment := ev == "send" || ev == "arrive" || ev == "drop"
			for _, k := range []string{"dir", "flags", "seq", "ack", "len", "retransmission"} {
				if _, ok := m[k]; ok != segment {
					t.Errorf("%s: %s event has %s: %v", where, ev, k, ok)
				}
			}
			if _, ok := m["call"]; ok != (ev == "app") {
				t.Errorf("%s: %s event has call: %v", where, ev, ok)
			}
			if !segment {
				continue
			}
			if d := m["dir"]; d != "c2s" && d != "s2c" {
				t.Errorf("%s: dir %v", where, d)
			}
			flags, _ := m["flags"].([]any)
			last := -1
			for _, fl := range flags {
				k := slices.Index(specFlags, fl.(string))
				if k <= last {
					t.Errorf("%s: flags %v not in the spec's order", where, flags)
				}
				last = k
			}
			for _, k := range []string{"seq", "ack", "len"} {
				if !isInt(m[k]) {
					t.Errorf("%s: %s = %v, want an integer", where, k, m[k])
				}
			}
			if _, ok := m["retransmission"].(bool); !ok {
				t.Errorf("%s: retransmission = %v", where, m["retransmission"])
			}
			// Relative numbers: present exactly where the ISN was seen, and
			// equal to the wire value less the ISN.
			from, to := step.Dir.From(), step.Dir.To()
			if _, ok := m["rel_seq"]; ok != tl.HasISN[from] {
				t.Errorf("%s: rel_seq present %v, sender's ISN seen %v", where, ok, tl.HasISN[from])
			} else if ok && m["rel_seq"].(json.Number).String() != strconv.Itoa(int(step.Seg.Seq.Sub(tl.ISN[from]))) {
				t.Errorf("%s: rel_seq %v for seq %d, ISN %d", where, m["rel_seq"], step.Seg.Seq, tl.ISN[from])
			}
			if step.Seg.Flags.Has(fsm.ACK) && tl.HasISN[to] {
				if m["rel_ack"].(json.Number).String() != strconv.Itoa(int(step.Seg.Ack.Sub(tl.ISN[to]))) {
					t.Errorf("%s: rel_ack %v for ack %d, ISN %d", where, m["rel_ack"], step.Seg.Ack, tl.ISN[to])
				}
			}
		}
	}
}

// TestJSONEchoStartsAsTheSpecExample: the spec's example, first steps of
// the default scenario, field for field (notes aside).
func TestJSONEchoStartsAsTheSpecExample(t *testing.T) {
	lines, _ := jsonLines(t, "echo", narrate.EN)
	example := []string{
		`{"step":0,"t_ms":0,"event":"init","conn":"127.0.0.1:49152-127.0.0.1:8000","client":"CLOSED","server":"LISTEN"}`,
		`{"step":1,"t_ms":0,"event":"app","call":"client.connect()","client":"SYN-SENT","server":"LISTEN"}`,
		`{"step":2,"t_ms":0,"event":"send","dir":"c2s","flags":["SYN"],"seq":1000,"ack":0,"rel_seq":0,"rel_ack":0,"len":0,"client":"SYN-SENT","server":"LISTEN"}`,
		`{"step":3,"t_ms":10,"event":"arrive","dir":"c2s","flags":["SYN"],"seq":1000,"ack":0,"len":0,"client":"SYN-SENT","server":"SYN-RECEIVED"}`,
	}
	for i, ex := range example {
		var want map[string]any
		d := json.NewDecoder(strings.NewReader(ex))
		d.UseNumber()
		if err := d.Decode(&want); err != nil {
			t.Fatal(err)
		}
		for k, v := range want {
			got := lines[i][k]
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(v)
			if string(gj) != string(wj) {
				t.Errorf("step %d: %s = %s, want %s", i, k, gj, wj)
			}
		}
	}
	// In Chinese only the notes change.
	zh, _ := jsonLines(t, "echo", narrate.ZH)
	for i := range zh {
		if zh[i]["note"] == lines[i]["note"] {
			t.Errorf("step %d: the Chinese note is the English one: %v", i, zh[i]["note"])
		}
		delete(zh[i], "note")
		delete(lines[i], "note")
		a, _ := json.Marshal(zh[i])
		b, _ := json.Marshal(lines[i])
		if string(a) != string(b) {
			t.Errorf("step %d differs by language beyond the note:\n%s\n%s", i, a, b)
		}
	}
}

// TestJSONFlaglessSegment: a segment with no flag set (a null scan, seen in
// captures) still has "flags", as an empty array.
func TestJSONFlaglessSegment(t *testing.T) {
	tl := &timeline.Timeline{Steps: []timeline.Step{
		{Event: timeline.Init},
		{Event: timeline.Observe, Seg: fsm.Segment{Seq: 1}},
	}}
	var buf bytes.Buffer
	if err := NewJSONWriter(&buf, narrate.EN).WriteTimeline(tl); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if strings.Contains(lines[0], `"flags"`) {
		t.Errorf("init step has flags: %s", lines[0])
	}
	if !strings.Contains(lines[1], `"flags":[]`) {
		t.Errorf("flagless segment: %s", lines[1])
	}
}
