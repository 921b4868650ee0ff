// Package osthread runs a function on an OS thread of its own that ends
// with it: for work that changes what a thread is (setns into a network
// namespace, unshare a mount namespace), so that no other goroutine ever
// runs on the changed thread.
package osthread

import (
	"os"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"
)

// Start runs f on a new goroutine locked to an OS thread that is not the
// process's main thread, and returns at once. The lock is never undone, so
// when f returns the runtime ends the thread instead of reusing it. done is
// closed once the thread is gone (until then it still holds whatever
// namespaces it joined).
func Start(f func()) (done <-chan struct{}) {
	d := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if unix.Gettid() != unix.Getpid() {
			run(f, d)
			return
		}
		// The runtime never ends the main thread (it parks it for good):
		// run f from a goroutine that cannot be on the main thread while
		// this one holds it.
		locked := make(chan struct{})
		go func() {
			runtime.LockOSThread()
			close(locked)
			run(f, d)
		}()
		<-locked
		runtime.UnlockOSThread()
	}()
	return d
}

// run calls f on this locked thread and, after it, has done closed when
// the thread has ended.
func run(f func(), done chan struct{}) {
	tid := unix.Gettid()
	defer func() { go awaitEnd(tid, done) }()
	f()
}

// awaitEnd closes done when thread tid of this process is gone, or after a
// second.
func awaitEnd(tid int, done chan struct{}) {
	defer close(done)
	path := "/proc/self/task/" + strconv.Itoa(tid)
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if _, err := os.Stat(path); err != nil {
			return
		}
	}
}
