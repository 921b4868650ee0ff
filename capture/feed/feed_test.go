package feed

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/tcpviz/tcpviz/capture/bench"
	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/fsm/narrate"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// generated is the benchmark generator's capture of conns connections:
// groups of 1,000 that open, talk and close, 700 ms apart.
func generated(t testing.TB, conns int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := bench.Generate(&buf, conns); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fileSource(t testing.TB, data io.Reader, size int64) File {
	t.Helper()
	r, err := pcapfile.NewReader(data, "gen", size)
	if err != nil {
		t.Fatal(err)
	}
	return File{R: r}
}

// lockedBuffer is an output several goroutines look at.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestTextPrintsEachLadderWhenItsConnectionEnds feeds a capture through a
// pipe: the first 1,000 connections' ladders are out, whole, while the
// input is still open (each ended: client TIME-WAIT, server CLOSED), and
// the second group's follow when it ends.
func TestTextPrintsEachLadderWhenItsConnectionEnds(t *testing.T) {
	all, first := generated(t, 2000), generated(t, 1000)
	pr, pw := io.Pipe()
	out := &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		src := fileSource(t, pr, -1)
		_, err := Run(src, Text(out, narrate.EN), nil)
		done <- err
	}()
	go pw.Write(all[:len(first)])
	deadline := time.Now().Add(10 * time.Second)
	for strings.Count(out.String(), "gen: ") < 1000 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := strings.Count(out.String(), "gen: "); n != 1000 {
		t.Fatalf("%d ladders out while the input is open, want the 1000 ended connections'", n)
	}
	pw.Write(all[len(first):])
	pw.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if n := strings.Count(text, "gen: "); n != 2000 {
		t.Errorf("%d ladders, want 2000", n)
	}
	// Each ladder whole: ten segments under its header.
	for i, block := range strings.Split(text, "\n\n") {
		if n := strings.Count(block, "  segment "); n != 10 {
			t.Fatalf("ladder %d has %d segments, want 10:\n%s", i, n, block)
		}
	}
}

// TestJSONNumbersEachConnectionsSteps: every line's step is its place in
// its own connection's history, 0 to 9 here, however the connections'
// segments interleave.
func TestJSONNumbersEachConnectionsSteps(t *testing.T) {
	data := generated(t, 50)
	var out bytes.Buffer
	if _, err := Run(fileSource(t, bytes.NewReader(data), int64(len(data))), JSON(&out, narrate.EN), nil); err != nil {
		t.Fatal(err)
	}
	next, lines := stepsPerConn(t, &out)
	if len(next) != 50 || lines != 500 {
		t.Errorf("%d connections, %d lines", len(next), lines)
	}
}

// stepsPerConn reads JSON Lines, checks that each connection's steps are
// numbered 0, 1, 2, … in order, and returns the steps per connection and
// the lines read.
func stepsPerConn(t *testing.T, r io.Reader) (map[string]int, int) {
	t.Helper()
	next := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	lines := 0
	for sc.Scan() {
		var l struct {
			Step int    `json:"step"`
			Conn string `json:"conn"`
		}
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		if l.Step != next[l.Conn] {
			t.Fatalf("line %d: %s step %d, want %d", lines, l.Conn, l.Step, next[l.Conn])
		}
		next[l.Conn]++
		lines++
	}
	return next, lines
}

type failingWriter struct{ n int }

var errFull = errors.New("no space left on device")

func (w *failingWriter) Write(p []byte) (int, error) {
	w.n++
	return 0, errFull
}

// TestWriteErrorStopsTheInput: a full disk ends the run with its error,
// after one write, not after reading the rest of the capture.
func TestWriteErrorStopsTheInput(t *testing.T) {
	data := generated(t, 20000)
	for name, out := range map[string]func(io.Writer) Output{
		"json": func(w io.Writer) Output { return JSON(w, narrate.EN) },
		"text": func(w io.Writer) Output { return Text(w, narrate.EN) },
	} {
		t.Run(name, func(t *testing.T) {
			w := &failingWriter{}
			stats, err := Run(fileSource(t, bytes.NewReader(data), int64(len(data))), out(w), nil)
			if !errors.Is(err, errFull) {
				t.Fatalf("err = %v", err)
			}
			if stats.Packets >= 200000 || w.n != 1 {
				t.Errorf("read %d of 200000 packets, %d writes after the error", stats.Packets, w.n)
			}
		})
	}
}
