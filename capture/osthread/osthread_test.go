package osthread

import (
	"os"
	"strconv"
	"testing"

	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestTheThreadEndsWithF(t *testing.T) {
	for range 20 { // enough that one lands on the main thread's goroutine
		var tid int
		done := Start(func() { tid = unix.Gettid() })
		<-done
		if tid == os.Getpid() {
			t.Fatal("f ran on the main thread, which never ends")
		}
		if _, err := os.Stat("/proc/self/task/" + strconv.Itoa(tid)); err == nil {
			t.Fatalf("thread %d is still there after done", tid)
		}
	}
}
