package lab

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/vishvananda/netlink"
	"go.uber.org/goleak"
	"golang.org/x/sys/unix"
)

// hostState is what the lab must leave as it found it.
type hostState struct {
	links []string // interfaces of the host's namespace
	named []string // /run/netns
	fds   []string // this process's open files (a socket or TUN left open would hold a namespace)
}

func takeHostState(t *testing.T) hostState {
	t.Helper()
	links, err := netlink.LinkList()
	if err != nil {
		t.Fatal(err)
	}
	var h hostState
	for _, l := range links {
		h.links = append(h.links, l.Attrs().Name)
	}
	entries, _ := os.ReadDir("/run/netns")
	for _, e := range entries {
		h.named = append(h.named, e.Name())
	}
	fds, _ := filepath.Glob("/proc/self/fd/*")
	for _, fd := range fds {
		if l, err := os.Readlink(fd); err == nil {
			h.fds = append(h.fds, fd+" "+l)
		}
	}
	slices.Sort(h.links)
	return h
}

// nsInode is the inode that names a namespace in /proc's links
// ("net:[INODE]").
func nsInode(t *testing.T, fd int) string {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("net:[%d]", st.Ino)
}

// referrers lists what in this process still refers to namespace ns: a
// thread in it, or an open file of it.
func referrers(ns string) []string {
	var out []string
	tasks, _ := filepath.Glob("/proc/self/task/*/ns/net")
	fds, _ := filepath.Glob("/proc/self/fd/*")
	for _, p := range append(tasks, fds...) {
		if l, err := os.Readlink(p); err == nil && l == ns {
			out = append(out, p)
		}
	}
	return out
}

// checkNothingLeft fails t if the host's network changed, a goroutine is
// left, or anything still refers to the lab's namespaces.
func checkNothingLeft(t *testing.T, before hostState, namespaces []string) {
	t.Helper()
	if after := takeHostState(t); !slices.Equal(after.links, before.links) || !slices.Equal(after.named, before.named) || !slices.Equal(after.fds, before.fds) {
		t.Errorf("the host changed: %+v, was %+v", after, before)
	}
	for _, ns := range namespaces {
		if r := referrers(ns); len(r) > 0 {
			t.Errorf("namespace %s is still held by %v (pid %d)", ns, r, os.Getpid())
		}
	}
	goleak.VerifyNone(t)
}

func TestNothingLeftBehind(t *testing.T) {
	needRoot(t)
	cases := []struct {
		name string
		use  func(t *testing.T, l *Lab)
	}{
		{"traffic", func(t *testing.T, l *Lab) {
			c, s := udpPair(t, l)
			unix.Write(c, []byte("x"))
			unix.Read(s, make([]byte, 8))
		}},
		{"a failing call", func(t *testing.T, l *Lab) {
			err := l.Do(fsm.Client, func() error {
				return unix.Bind(-1, &unix.SockaddrInet4{})
			})
			if err == nil {
				t.Error("bind on fd -1 did not fail")
			}
		}},
		{"a panicking call", func(t *testing.T, l *Lab) {
			err := l.Do(fsm.Server, func() error { panic("boom") })
			if err == nil || !strings.Contains(err.Error(), "boom") {
				t.Errorf("the panic came back as %v", err)
			}
			if err := l.Do(fsm.Server, func() error { return nil }); err != nil {
				t.Errorf("the side's thread no longer serves after a panic: %v", err)
			}
		}},
		{"a panic in the caller", func(t *testing.T, l *Lab) {
			defer func() { recover() }()
			defer l.Close()
			panic("boom")
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := takeHostState(t)
			l, err := New(Config{OnTransition: func(Transition) {}})
			if err != nil {
				t.Fatal(err)
			}
			namespaces := []string{nsInode(t, int(l.Namespace(fsm.Client))), nsInode(t, int(l.Namespace(fsm.Server)))}
			t.Run("use", func(t *testing.T) { c.use(t, l) }) // its cleanups close its sockets
			l.Close()
			checkNothingLeft(t, before, namespaces)
		})
	}
}

func TestNothingLeftAfterAFailedSetUp(t *testing.T) {
	needRoot(t)
	before := takeHostState(t)
	failure := errors.New("no TUN today")
	setUp = func(p netip.Prefix) (*os.File, error) {
		if p == prefix4[fsm.Server] {
			return nil, failure
		}
		return setUpNamespace(p)
	}
	defer func() { setUp = setUpNamespace }()
	_, err := New(Config{})
	if !errors.Is(err, failure) {
		t.Fatalf("New returned %v, want the set-up's error", err)
	}
	checkNothingLeft(t, before, nil)
	// No thread of this process may be left in a namespace other than the
	// host's.
	host, _ := os.Readlink("/proc/self/ns/net")
	tasks, _ := filepath.Glob("/proc/self/task/*/ns/net")
	for _, p := range tasks {
		if l, err := os.Readlink(p); err == nil && l != host {
			t.Errorf("%s is in %s, not the host's %s", p, l, host)
		}
	}
}
