package kernel

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tcpviz/tcpviz/capture/osthread"
	"golang.org/x/sys/unix"
)

// ErrNoTracepoint is returned where the kernel's inet_sock_set_state
// tracepoint cannot be read: no tracefs, no such event, or no privileges.
var ErrNoTracepoint = errors.New("the kernel's sock:inet_sock_set_state tracepoint is not available")

const (
	tracefsDir   = "/sys/kernel/tracing"
	tracefsMagic = 0x74726163 // TRACEFS_MAGIC of include/uapi/linux/magic.h
	eventDir     = "events/sock/inet_sock_set_state"
)

var instanceSeq atomic.Uint64

// Tracer reads the kernel's TCP state transitions from a tracefs instance of
// its own (instances/tcpviz-PID-N), so that it shares nothing with other
// tracers: its own buffer, clock (mono) and filter. Close removes the
// instance.
type Tracer struct {
	instances *os.File // the instances directory, to remove ours from
	name      string
	pipe      *os.File // trace_pipe, non-blocking
	wake      [2]int   // a pipe whose write end wakes the reader to stop
	done      chan struct{}
	closeOnce sync.Once
}

// OpenTracer starts reading the transitions of TCP sockets whose local
// address is one of addrs, calling f with each, in order, on a goroutine of
// its own, until Close.
//
// When tracefs is not mounted, it is mounted in a private mount namespace
// of a thread that ends at once: the host's mounts are not touched, and the
// files the tracer keeps open hold the mount until Close.
func OpenTracer(addrs []netip.Addr, f func(Transition)) (*Tracer, error) {
	t := &Tracer{name: fmt.Sprintf("tcpviz-%d-%d", os.Getpid(), instanceSeq.Add(1)), done: make(chan struct{})}
	if err := onTracefs(func(root string) error { return t.open(root, addrs) }); err != nil {
		t.release()
		return nil, err
	}
	if err := unix.Pipe2(t.wake[:], unix.O_CLOEXEC|unix.O_NONBLOCK); err != nil {
		t.release()
		return nil, err
	}
	go t.read(addrs, f)
	return t, nil
}

// onTracefs runs f with tracefs's root: the host's mount if there is one,
// else a mount of its own in a private mount namespace of a locked thread
// that ends with f.
func onTracefs(f func(root string) error) error {
	var st unix.Statfs_t
	if err := unix.Statfs(tracefsDir, &st); err == nil && st.Type == tracefsMagic {
		return f(tracefsDir)
	}
	errc := make(chan error, 1)
	<-osthread.Start(func() {
		errc <- func() error {
			if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
				return fmt.Errorf("%w: unshare(CLONE_NEWNS): %v", ErrNoTracepoint, err)
			}
			if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
				return fmt.Errorf("%w: make / private: %v", ErrNoTracepoint, err)
			}
			if err := unix.Mount("nodev", tracefsDir, "tracefs", 0, ""); err != nil {
				return fmt.Errorf("%w: mount tracefs: %v", ErrNoTracepoint, err)
			}
			return f(tracefsDir)
		}()
	})
	return <-errc
}

// open makes and sets up the instance under root; it keeps the files it
// needs later open.
func (t *Tracer) open(root string, addrs []netip.Addr) error {
	if _, err := os.Stat(filepath.Join(root, eventDir)); err != nil {
		return fmt.Errorf("%w: %v", ErrNoTracepoint, err)
	}
	var err error
	if t.instances, err = os.Open(filepath.Join(root, "instances")); err != nil {
		return fmt.Errorf("%w: %v", ErrNoTracepoint, err)
	}
	if err := unix.Mkdirat(int(t.instances.Fd()), t.name, 0o700); err != nil {
		t.instances.Close()
		t.instances = nil
		return fmt.Errorf("%w: mkdir instances/%s: %v", ErrNoTracepoint, t.name, err)
	}
	dir := filepath.Join(root, "instances", t.name)
	for _, w := range []struct{ file, value string }{
		{"buffer_size_kb", "256"},
		{"trace_clock", "mono"},
		{eventDir + "/filter", traceFilter(addrs)},
		{eventDir + "/enable", "1"},
	} {
		if err := os.WriteFile(filepath.Join(dir, w.file), []byte(w.value), 0); err != nil {
			return fmt.Errorf("%w: write %s: %v", ErrNoTracepoint, w.file, err)
		}
	}
	t.pipe, err = os.OpenFile(filepath.Join(dir, "trace_pipe"), os.O_RDONLY|unix.O_NONBLOCK, 0)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrNoTracepoint, err)
	}
	return nil
}

// traceFilter keeps TCP sockets on addrs in the kernel where the filter
// language can say it: IPv4 addresses compare as the 32-bit number their
// bytes make in the host's order; IPv6 ones cannot be compared, and the
// reader picks them out.
func traceFilter(addrs []netip.Addr) string {
	var terms []string
	v6 := false
	for _, a := range addrs {
		if a.Is4() {
			b := a.As4()
			terms = append(terms, fmt.Sprintf("saddr == 0x%02x%02x%02x%02x", b[3], b[2], b[1], b[0]))
		} else {
			v6 = true
		}
	}
	if v6 {
		terms = append(terms, "family == 10")
	}
	if len(terms) == 0 {
		return "protocol == 6"
	}
	return "protocol == 6 && (" + strings.Join(terms, " || ") + ")"
}

// read passes each transition of addrs to f until Close.
func (t *Tracer) read(addrs []netip.Addr, f func(Transition)) {
	defer close(t.done)
	r := bufio.NewReaderSize(pollReader{t}, 64<<10)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
		tr, ok := ParseTraceLine(line)
		if ok && slicesContain(addrs, tr.Local.Addr()) {
			f(tr)
		}
	}
}

func slicesContain(addrs []netip.Addr, a netip.Addr) bool {
	for _, x := range addrs {
		if x == a {
			return true
		}
	}
	return false
}

// pollReader reads trace_pipe, waiting in poll(2) for data or for Close.
type pollReader struct{ t *Tracer }

func (p pollReader) Read(b []byte) (int, error) {
	fds := []unix.PollFd{{Fd: int32(p.t.pipe.Fd()), Events: unix.POLLIN}, {Fd: int32(p.t.wake[0]), Events: unix.POLLIN}}
	for {
		n, err := unix.Read(int(fds[0].Fd), b)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, unix.EAGAIN) && !errors.Is(err, unix.EINTR) {
			return 0, err
		}
		if _, err := unix.Poll(fds, -1); err != nil && !errors.Is(err, unix.EINTR) {
			return 0, err
		}
		if fds[1].Revents != 0 {
			return 0, io.EOF
		}
	}
}

// Close stops the reader and removes the tracefs instance.
func (t *Tracer) Close() error {
	var err error
	t.closeOnce.Do(func() {
		unix.Write(t.wake[1], []byte{0})
		<-t.done
		err = t.release()
	})
	return err
}

// release closes what open kept and removes the instance (its trace_pipe
// must be closed first: an instance being read cannot be removed).
func (t *Tracer) release() error {
	if t.pipe != nil {
		t.pipe.Close()
	}
	for _, fd := range t.wake {
		if fd > 0 {
			unix.Close(fd)
		}
	}
	if t.instances == nil {
		return nil
	}
	defer t.instances.Close()
	var err error
	for range 50 { // the kernel may still be tearing the reader down
		if err = unix.Unlinkat(int(t.instances.Fd()), t.name, unix.AT_REMOVEDIR); !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("remove tracefs instance %s: %w", t.name, err)
	}
	return nil
}

// MonotonicNow is the kernel's CLOCK_MONOTONIC now, the clock a Tracer's
// transitions are timed by.
func MonotonicNow() time.Duration {
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	return time.Duration(ts.Nano())
}

// String is the transition in ss's words, e.g.
// "192.0.2.1:40000→192.0.2.2:80 SYN_SENT→ESTABLISHED".
func (tr Transition) String() string {
	return tr.Local.String() + "→" + tr.Remote.String() + " " + tr.Old.String() + "→" + tr.New.String() + " at " + strconv.FormatFloat(tr.At.Seconds(), 'f', 6, 64)
}
