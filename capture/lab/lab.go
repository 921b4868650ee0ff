package lab

import (
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/tcpviz/tcpviz/capture/kernel"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/vishvananda/netns"
)

// The lab's addresses: documentation ranges only (RFC 5737, RFC 3849), on
// a link that leads nowhere but to the other namespace.
var (
	prefix4 = [2]netip.Prefix{netip.MustParsePrefix("192.0.2.1/24"), netip.MustParsePrefix("192.0.2.2/24")}
	prefix6 = [2]netip.Prefix{netip.MustParsePrefix("2001:db8::1/64"), netip.MustParsePrefix("2001:db8::2/64")}
)

// setUp is setUpNamespace; tests make it fail.
var setUp = setUpNamespace

// Config says how to make a lab.
type Config struct {
	IPv6 bool // the sides get 2001:db8::1 and ::2 instead of 192.0.2.1 and .2
	Wire WireConfig
	// OnTransition, if set, is told of every state change the kernel makes
	// to a socket of the lab, in order, on a goroutine of the lab's: from
	// the sock:inet_sock_set_state tracepoint, or where that is not
	// available (TraceUnavailable says why) by polling sock_diag every Poll
	// (0: DefaultPoll).
	OnTransition func(Transition)
	Poll         time.Duration
}

// side is one namespace: its thread and its address.
type side struct {
	thread *nsThread
	addr   netip.Addr
	diag   *diag
}

// Lab is two network namespaces joined by a Wire.
type Lab struct {
	start time.Time
	mono0 time.Duration // CLOCK_MONOTONIC at start: the tracepoint's clock
	sides [2]*side
	wire  *Wire

	tracer   *kernel.Tracer
	traceErr error
	poller   *poller
	timeWait *timeWaitWatch

	closeOnce sync.Once
}

// New makes the two namespaces and starts the wire. Close the lab to
// remove them.
func New(cfg Config) (*Lab, error) {
	if err := CheckPrivileges(); err != nil {
		return nil, err
	}
	l := &Lab{start: time.Now(), mono0: kernel.MonotonicNow()}
	prefixes := prefix4
	if cfg.IPv6 {
		prefixes = prefix6
	}
	var tuns [2]*os.File
	for _, sd := range []fsm.Side{fsm.Client, fsm.Server} {
		t, err := newNSThread()
		if err == nil {
			l.sides[sd] = &side{thread: t, addr: prefixes[sd].Addr()}
			err = t.do(func() (err error) {
				if tuns[sd], err = setUp(prefixes[sd]); err != nil {
					return err
				}
				l.sides[sd].diag, err = newDiag()
				return err
			})
		}
		if err != nil {
			for _, f := range tuns {
				if f != nil {
					f.Close()
				}
			}
			l.stopThreads()
			return nil, fmt.Errorf("%s namespace: %w", sd, err)
		}
	}
	l.wire = newWire(cfg.Wire, l.start, tuns[fsm.Client], tuns[fsm.Server])
	l.watchKernel(cfg.OnTransition, cfg.Poll)
	return l, nil
}

// Wire returns the lab's wire.
func (l *Lab) Wire() *Wire { return l.wire }

// Addr returns side's address.
func (l *Lab) Addr(s fsm.Side) netip.Addr { return l.sides[s].addr }

// Since returns how long ago the lab began: the clock of the wire's events.
func (l *Lab) Since() time.Duration { return time.Since(l.start) }

// Namespace returns side's network namespace handle, e.g. for
// netlink.NewHandleAt. It stays the lab's: do not close it.
func (l *Lab) Namespace(s fsm.Side) netns.NsHandle { return l.sides[s].thread.ns }

// Do runs f on side's thread, inside its namespace, and returns f's error.
// Calls to one side run one at a time, in order. A panic in f is returned
// as an error.
func (l *Lab) Do(s fsm.Side, f func() error) error {
	return l.sides[s].thread.do(f)
}

// Close stops the wire, closes both TUN devices and ends both threads: the
// namespaces and everything in them die with their last reference. Sockets
// made with Do must be closed first, or they keep their namespace alive.
func (l *Lab) Close() error {
	var err error
	l.closeOnce.Do(func() {
		if l.tracer != nil {
			err = l.tracer.Close()
		}
		if l.poller != nil {
			l.poller.stop()
		}
		if l.timeWait != nil {
			l.timeWait.stop()
		}
		l.wire.close()
		l.stopThreads()
	})
	return err
}

func (l *Lab) stopThreads() {
	for _, s := range l.sides {
		if s == nil {
			continue
		}
		if s.diag != nil {
			s.diag.close()
		}
		s.thread.stop()
	}
}
