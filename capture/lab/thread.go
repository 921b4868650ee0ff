package lab

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// ErrClosed is returned by calls made after the lab was closed.
var ErrClosed = errors.New("the lab is closed")

// nsThread is a goroutine locked to an OS thread that lives in a network
// namespace of its own. It runs the functions given to do, one at a time.
//
// The thread is never unlocked: its namespace differs from every other
// thread's, so when the goroutine returns the runtime ends the thread
// instead of reusing it, and no other goroutine ever runs in the namespace.
type nsThread struct {
	ns    netns.NsHandle // holds the namespace open; closed by stop
	calls chan func()
	quit  chan struct{}
	done  chan struct{}
	once  sync.Once
	tid   int
}

// newNSThread starts a thread in a new, empty network namespace.
func newNSThread() (*nsThread, error) {
	t := &nsThread{calls: make(chan func()), quit: make(chan struct{}), done: make(chan struct{})}
	started := make(chan error, 1)
	go t.run(started)
	if err := <-started; err != nil {
		<-t.done
		return nil, err
	}
	return t, nil
}

func (t *nsThread) run(started chan<- error) {
	runtime.LockOSThread()
	if unix.Gettid() == unix.Getpid() {
		// The runtime never ends the main thread (it parks it for good),
		// which would keep the namespace alive: serve from a goroutine
		// that cannot be on the main thread while this one holds it.
		locked := make(chan struct{})
		go t.serve(started, locked)
		<-locked
		runtime.UnlockOSThread()
		return
	}
	t.serve(started, nil)
}

// serve runs on the thread that will be the namespace's. Its lock is
// never undone.
func (t *nsThread) serve(started chan<- error, locked chan<- struct{}) {
	defer close(t.done)
	runtime.LockOSThread()
	if locked != nil {
		close(locked)
	}
	ns, err := netns.New() // unshare(CLONE_NEWNET): this thread only
	if err != nil {
		started <- fmt.Errorf("new network namespace: %w", err)
		return
	}
	t.ns, t.tid = ns, unix.Gettid()
	started <- nil
	for {
		select {
		case f := <-t.calls:
			f()
		case <-t.quit:
			return
		}
	}
}

// do runs f on the thread and returns its error; a panic in f is returned
// as an error, and the thread goes on serving.
func (t *nsThread) do(f func() error) error {
	res := make(chan error, 1)
	call := func() {
		defer func() {
			if r := recover(); r != nil {
				res <- fmt.Errorf("panic in a call inside the namespace: %v", r)
			}
		}()
		res <- f()
	}
	select {
	case t.calls <- call:
	case <-t.quit:
		return ErrClosed
	}
	return <-res
}

// stop ends the thread (and with it the thread's hold on the namespace)
// and closes the namespace handle.
func (t *nsThread) stop() {
	t.once.Do(func() {
		close(t.quit)
		<-t.done
		t.ns.Close()
		waitThreadGone(t.tid)
	})
}

// waitThreadGone waits (up to a second) for thread tid of this process to
// end: the runtime ends a locked thread just after its goroutine, and
// until then the thread keeps its namespace alive.
func waitThreadGone(tid int) {
	if tid == 0 {
		return
	}
	path := "/proc/self/task/" + strconv.Itoa(tid)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, err := os.Stat(path); err != nil {
			return
		}
	}
}
