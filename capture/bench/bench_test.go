package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/capture/feed"
	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
)

// Conns is the size of the benchmark capture: 100,000 connections, 1,000,000
// packets.
const Conns = 100_000

var (
	genOnce sync.Once
	genPath string
	genPkts int
	genErr  error
	genDir  string
)

// capture generates the benchmark file once per test process.
func capture(tb testing.TB) (string, int) {
	tb.Helper()
	genOnce.Do(func() {
		genDir, genErr = os.MkdirTemp("", "tcpviz-bench-")
		if genErr != nil {
			return
		}
		genPath = filepath.Join(genDir, "bench.pcap")
		f, err := os.Create(genPath)
		if err != nil {
			genErr = err
			return
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		genPkts, genErr = Generate(bw, Conns)
		if genErr == nil {
			genErr = bw.Flush()
		}
		if cerr := f.Close(); genErr == nil {
			genErr = cerr
		}
	})
	if genErr != nil {
		tb.Fatal(genErr)
	}
	return genPath, genPkts
}

func TestMain(m *testing.M) {
	code := m.Run()
	if genDir != "" {
		os.RemoveAll(genDir)
	}
	os.Exit(code)
}

// cpuTime is the CPU time (user and system) this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// lastCPU is the CPU time of the last replaySummary.
var lastCPU time.Duration

// replaySummary runs decode + track (summary mode) over the file and
// returns the tracker, the time taken and the heap bytes it holds at the end.
func replaySummary(tb testing.TB, path string) (*track.Tracker, time.Duration, uint64) {
	tb.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	start := time.Now()
	r, err := pcapfile.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	tr := track.New(track.Options{Source: path})
	if _, err := track.Replay(r, tr, track.ReplayOptions{}); err != nil {
		tb.Fatal(err)
	}
	r.Close()
	elapsed := time.Since(start)
	lastCPU = cpuTime() - cpu0
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tr)
	return tr, elapsed, after.HeapAlloc - min(after.HeapAlloc, before.HeapAlloc)
}

func checkResult(tb testing.TB, tr *track.Tracker) {
	tb.Helper()
	if tr.Len() != Conns {
		tb.Fatalf("%d connections, want %d", tr.Len(), Conns)
	}
	for _, i := range []int{0, Conns / 2, Conns - 1} {
		c := tr.Conn(i)
		want := fsm.TimeWait
		if c.Last() > 61*time.Second+0 && i < group {
			want = fsm.Closed
		}
		if st := c.States(); st[fsm.Server] != fsm.Closed || (i >= Conns-group && st[fsm.Client] != fsm.TimeWait) || (i < group && st[fsm.Client] != fsm.Closed) {
			tb.Errorf("connection %d ends %v/%v (want client %v: the first groups' TIME-WAIT expires within the capture)", i, st[0], st[1], want)
		}
	}
}

// BenchmarkReplaySummary is `tcpviz replay FILE --format summary` without
// the output: read, decode and track 1,000,000 packets of 100,000
// connections on one goroutine.
func BenchmarkReplaySummary(b *testing.B) {
	path, pkts := capture(b)
	b.ReportAllocs()
	var tr *track.Tracker
	var held uint64
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var d time.Duration
		tr, d, held = replaySummary(b, path)
		total += d
	}
	b.StopTimer()
	checkResult(b, tr)
	b.ReportMetric(float64(pkts)*float64(b.N)/total.Seconds(), "pkts/s")
	b.ReportMetric(float64(held)/float64(tr.Len()), "B/conn")
	b.ReportMetric(float64(pkts), "pkts/op")
}

// TestCompareTshark prints the README's table: tcpviz (in process and the
// real binary) against `tshark -r FILE -q -z conv,tcp` on the same file.
// It takes a minute, so it runs only with TCPVIZ_BENCH=1 (make bench).
func TestCompareTshark(t *testing.T) {
	if os.Getenv("TCPVIZ_BENCH") == "" {
		t.Skip("set TCPVIZ_BENCH=1 to run the capture benchmark against tshark")
	}
	path, pkts := capture(t)
	fi, _ := os.Stat(path)

	best, bestCPU := time.Duration(1<<62), time.Duration(1<<62)
	var tr *track.Tracker
	var held uint64
	for i := 0; i < 3; i++ {
		var d time.Duration
		tr, d, held = replaySummary(t, path)
		best, bestCPU = min(best, d), min(bestCPU, lastCPU)
	}
	checkResult(t, tr)
	perConn := float64(held) / float64(tr.Len())

	bin := filepath.Join(t.TempDir(), "tcpviz")
	build := exec.Command("go", "build", "-o", bin, "../../cmd/tcpviz")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	binTime, binCPU := timeCmd(t, bin, "replay", path, "--format", "summary")

	rows := [][]string{
		{"tcpviz decode+track (1 goroutine)", secs(best), rate(pkts, best), secs(bestCPU), rate(pkts, bestCPU)},
		{"tcpviz replay --format summary (binary)", secs(binTime), rate(pkts, binTime), secs(binCPU), rate(pkts, binCPU)},
	}
	var tsharkTime, tsharkCPU time.Duration
	if _, err := exec.LookPath("tshark"); err == nil {
		tsharkTime, tsharkCPU = timeCmd(t, "tshark", "-r", path, "-q", "-z", "conv,tcp")
		rows = append(rows, []string{"tshark -r FILE -q -z conv,tcp", secs(tsharkTime), rate(pkts, tsharkTime), secs(tsharkCPU), rate(pkts, tsharkCPU)})
	} else {
		t.Log("tshark is not installed: no comparison")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "capture: %d packets, %d connections, %.0f MB, %s/%s, %d CPUs\n\n", pkts, Conns, float64(fi.Size())/1e6, runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	b.WriteString("| what | wall time | packets/s (wall) | CPU time | packets/CPU-s |\n| --- | --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
	}
	if tsharkTime > 0 {
		fmt.Fprintf(&b, "\ntcpviz vs tshark: %.1f× (decode+track, wall), %.1f× (binary, wall), %.1f× (binary, CPU)\n",
			tsharkTime.Seconds()/best.Seconds(), tsharkTime.Seconds()/binTime.Seconds(), tsharkCPU.Seconds()/binCPU.Seconds())
	}
	fmt.Fprintf(&b, "memory: %.0f bytes per tracked connection (summary mode, heap after GC)\n", perConn)
	t.Log("\n" + b.String())
	if perConn >= 300 {
		t.Errorf("%.0f bytes per connection, want < 300", perConn)
	}
	if r := float64(pkts) / best.Seconds(); r < 3e6 {
		t.Logf("WARNING: %.2f M packets/s is under the 3 M target (a loaded machine?)", r/1e6)
	}
}

// timeCmd runs a command and returns its wall time and CPU time.
func timeCmd(t *testing.T, name string, args ...string) (wall, cpu time.Duration) {
	t.Helper()
	cmd := exec.Command(name, args...)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%.500s", name, err, out)
	}
	return time.Since(start), cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
}

func secs(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func rate(pkts int, d time.Duration) string {
	return fmt.Sprintf("%.2f M", float64(pkts)/d.Seconds()/1e6)
}

// benchmarkFeed is `tcpviz replay FILE --format F > /dev/null` in process:
// the same file through capture/feed, the one wiring the binary uses.
func benchmarkFeed(b *testing.B, out func() feed.Output) {
	path, pkts := capture(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r, err := pcapfile.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := feed.Run(feed.File{R: r}, out(), nil); err != nil {
			b.Fatal(err)
		}
		r.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(pkts)*float64(b.N)/b.Elapsed().Seconds(), "pkts/s")
}

// BenchmarkReplayJSON: --format json to /dev/null.
func BenchmarkReplayJSON(b *testing.B) {
	benchmarkFeed(b, func() feed.Output { return feed.JSON(io.Discard, narrate.EN) })
}

// BenchmarkReplayText: --format text to /dev/null.
func BenchmarkReplayText(b *testing.B) {
	benchmarkFeed(b, func() feed.Output { return feed.Text(io.Discard, narrate.EN) })
}
