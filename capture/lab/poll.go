package lab

import (
	"net/netip"
	"sync"
	"time"

	"github.com/tcpviz/tcpviz/capture/kernel"
	"github.com/tcpviz/tcpviz/fsm"
)

// poller finds transitions by comparing sock_diag snapshots, where the
// tracepoint is not available. It sees only states that last longer than
// its interval.
type poller struct {
	quit chan struct{}
	wg   sync.WaitGroup
}

type sockKey struct{ local, remote netip.AddrPort }

func startPoller(l *Lab, every time.Duration, f func(Transition)) *poller {
	p := &poller{quit: make(chan struct{})}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		var last [2]map[sockKey]kernel.LinuxState
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			for _, s := range []fsm.Side{fsm.Client, fsm.Server} {
				tab, err := l.Snapshot(s)
				if err != nil {
					continue
				}
				last[s] = diffTables(l.Since(), s, last[s], tab, f)
			}
			select {
			case <-tick.C:
			case <-p.quit:
				return
			}
		}
	}()
	return p
}

// diffTables reports each socket whose state differs from before and
// returns the states now.
func diffTables(at time.Duration, side fsm.Side, before map[sockKey]kernel.LinuxState, tab *kernel.Table, f func(Transition)) map[sockKey]kernel.LinuxState {
	now := make(map[sockKey]kernel.LinuxState, tab.Len())
	report := func(k sockKey, old, neu kernel.LinuxState) {
		t := transition(at, side, kernel.Transition{Local: k.local, Remote: k.remote, Old: old, New: neu}, true)
		if t.Old != t.New {
			f(t)
		}
	}
	for _, s := range tab.Sockets() {
		k := sockKey{s.Local, s.Remote}
		now[k] = s.Linux
		old, ok := before[k]
		if !ok {
			old = kernel.TCPClose
		}
		if old != s.Linux {
			report(k, old, s.Linux)
		}
	}
	for k, old := range before {
		if _, ok := now[k]; !ok {
			report(k, old, kernel.TCPClose)
		}
	}
	return now
}

func (p *poller) stop() {
	close(p.quit)
	p.wg.Wait()
}
