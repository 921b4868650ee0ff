package lab

import (
	"errors"
	"fmt"
	"sync"

	"github.com/tcpviz/tcpviz/capture/osthread"
	"github.com/vishvananda/netns"
)

// ErrClosed is returned by calls made after the lab was closed.
var ErrClosed = errors.New("the lab is closed")

// nsThread is an OS thread of its own (osthread) that lives in a new
// network namespace. It runs the functions given to do, one at a time; no
// other goroutine ever runs in the namespace.
type nsThread struct {
	ns    netns.NsHandle // holds the namespace open; closed by stop
	calls chan func()
	quit  chan struct{}
	done  <-chan struct{} // closed when the thread is gone
	once  sync.Once
}

// newNSThread starts a thread in a new, empty network namespace.
func newNSThread() (*nsThread, error) {
	t := &nsThread{calls: make(chan func()), quit: make(chan struct{})}
	started := make(chan error, 1)
	t.done = osthread.Start(func() { t.serve(started) })
	if err := <-started; err != nil {
		<-t.done
		return nil, err
	}
	return t, nil
}

func (t *nsThread) serve(started chan<- error) {
	ns, err := netns.New() // unshare(CLONE_NEWNET): this thread only
	if err != nil {
		started <- fmt.Errorf("new network namespace: %w", err)
		return
	}
	t.ns = ns
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

// stop ends the thread (and with it the thread's hold on the namespace),
// closes the namespace handle and waits until the thread is gone.
func (t *nsThread) stop() {
	t.once.Do(func() {
		close(t.quit)
		<-t.done
		t.ns.Close()
	})
}
