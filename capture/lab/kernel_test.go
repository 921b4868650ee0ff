package lab

import (
	"errors"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/capture/kernel"
	"github.com/tcpviz/tcpviz/capture/sockets"
	"github.com/tcpviz/tcpviz/fsm"
	"golang.org/x/sys/unix"
)

// transitions keeps the kernel's transitions.
type transitions struct {
	mu  sync.Mutex
	all []Transition
}

func (r *transitions) add(t Transition) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.all = append(r.all, t)
}

// path is side's sequence of states for the connection whose ends are
// local and remote, after its listener's LISTEN (for the server).
func (r *transitions) path(side fsm.Side, local, remote netip.AddrPort) []fsm.State {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []fsm.State
	for _, t := range r.all {
		if t.Side != side || t.Local != local {
			continue
		}
		if t.Remote == remote || (t.Remote.Port() == 0 && t.New == fsm.Listen) {
			out = append(out, t.New)
		}
	}
	return out
}

// waitPath waits until side's path ends in last.
func (r *transitions) waitPath(t *testing.T, side fsm.Side, local, remote netip.AddrPort, last fsm.State) []fsm.State {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for {
		p := r.path(side, local, remote)
		if len(p) > 0 && p[len(p)-1] == last {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("the %s's path is %v after 3 s, want it to end in %v; all: %v", side, p, last, r.all)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestKernelTransitionsOfAConnection makes one real connection in the lab,
// the client closing first, and reads the kernel's own transitions.
func TestKernelTransitionsOfAConnection(t *testing.T) {
	cases := []struct {
		name   string
		poll   bool
		client []fsm.State
		server []fsm.State
	}{
		{"tracepoint", false,
			[]fsm.State{fsm.SynSent, fsm.Established, fsm.FinWait1, fsm.FinWait2, fsm.TimeWait},
			[]fsm.State{fsm.Listen, fsm.SynReceived, fsm.Established, fsm.CloseWait, fsm.LastAck, fsm.Closed}},
		// Polling every 2 ms sees the same where each state lasts a
		// latency or more.
		{"polling", true,
			[]fsm.State{fsm.SynSent, fsm.Established, fsm.FinWait1, fsm.FinWait2, fsm.TimeWait},
			[]fsm.State{fsm.Listen, fsm.SynReceived, fsm.Established, fsm.CloseWait, fsm.LastAck, fsm.Closed}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.poll {
				openTracer = func([]netip.Addr, func(kernel.Transition)) (*kernel.Tracer, error) {
					return nil, kernel.ErrNoTracepoint
				}
				defer func() { openTracer = kernel.OpenTracer }()
			}
			var rec transitions
			l := newTestLab(t, Config{Wire: WireConfig{Latency: 20 * time.Millisecond}, OnTransition: rec.add, Poll: 2 * time.Millisecond})
			if err := l.TraceUnavailable(); err != nil && !c.poll {
				if errors.Is(err, kernel.ErrNoTracepoint) {
					t.Skipf("skipped: %v", err)
				}
				t.Fatal(err)
			}
			srv := netip.AddrPortFrom(l.Addr(fsm.Server), 80)
			var lfd, cfd, sfd int
			var cli netip.AddrPort
			do := func(s fsm.Side, f func() error) {
				t.Helper()
				if err := l.Do(s, f); err != nil {
					t.Fatal(err)
				}
			}
			do(fsm.Server, func() (err error) { lfd, _, err = sockets.Listen(srv, false, 1); return err })
			defer unix.Close(lfd)
			do(fsm.Client, func() (err error) {
				if cfd, cli, err = sockets.ClientFrom(l.Addr(fsm.Client)); err != nil {
					return err
				}
				return sockets.StartConnect(cfd, srv)
			})
			do(fsm.Server, func() (err error) { sfd, _, err = sockets.Accept(lfd, 2*time.Second); return err })
			time.Sleep(50 * time.Millisecond) // the handshake's ACK is in
			do(fsm.Client, func() error { return unix.Close(cfd) })
			rec.waitPath(t, fsm.Client, cli, srv, fsm.FinWait2)
			do(fsm.Server, func() error {
				if _, eof, err := sockets.Recv(sfd, 2*time.Second); !eof {
					t.Errorf("the server's recv() did not see the FIN: %v", err)
				}
				return unix.Close(sfd)
			})
			if got := rec.waitPath(t, fsm.Server, srv, cli, fsm.Closed); !slices.Equal(got, c.server) {
				t.Errorf("the server went %v, want %v", got, c.server)
			}
			if got := rec.waitPath(t, fsm.Client, cli, srv, fsm.TimeWait); !slices.Equal(got, c.client) {
				t.Errorf("the client went %v, want %v", got, c.client)
			}
			tab, err := l.Snapshot(fsm.Client)
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := tab.Lookup(cli, srv); s.State != fsm.TimeWait {
				t.Errorf("sock_diag in the client's namespace says %v, want TIME-WAIT", s.State)
			}
		})
	}
}
