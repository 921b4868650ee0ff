package observe

import (
	"testing"
	"time"
	"unsafe"

	"github.com/tcpviz/tcpviz/fsm"
)

// benchConn is one connection as a capture sees it: handshake, a request
// and a reply, a retransmission, a gap, the close.
func benchConn() ([]fsm.Dir, []fsm.Segment) {
	steps := join(handshake(), []step{
		seg(C, PSH|ACK, 1001, 5001, 100),
		seg(S, ACK, 5001, 1101, 0),
		seg(S, PSH|ACK, 5001, 1101, 1000),
		seg(S, PSH|ACK, 7001, 1101, 1000),
		seg(C, ACK, 1101, 6001, 0),
		seg(C, ACK, 1101, 6001, 0),
		seg(S, PSH|ACK, 6001, 1101, 1000),
		seg(C, ACK, 1101, 8001, 0),
		seg(C, FIN|ACK, 1101, 8001, 0),
		seg(S, FIN|ACK, 8001, 1102, 0),
		seg(C, ACK, 1102, 8002, 0),
	})
	dirs := make([]fsm.Dir, len(steps))
	segs := make([]fsm.Segment, len(steps))
	for i, s := range steps {
		dirs[i], segs[i] = s.dir, s.segment()
	}
	return dirs, segs
}

func BenchmarkObserve(b *testing.B) {
	dirs, segs := benchConn()
	cfg := DefaultConfig()
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		o := New(cfg, false)
		for i := range segs {
			if _, ok := o.Expire(time.Duration(i)); ok {
				b.Fatal("unexpected expiry")
			}
			o.Observe(time.Duration(i)*time.Millisecond, dirs[i], &segs[i])
		}
		n += len(segs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/segment")
}

func TestObserveDoesNotAllocate(t *testing.T) {
	dirs, segs := benchConn()
	allocs := testing.AllocsPerRun(100, func() {
		o := New(DefaultConfig(), false)
		for i := range segs {
			o.Expire(time.Duration(i) * time.Millisecond)
			o.Observe(time.Duration(i)*time.Millisecond, dirs[i], &segs[i])
		}
		_ = o.States()
		_ = o.TCB()
		_, _ = o.ISN()
		_ = o.Done()
	})
	if allocs != 0 {
		t.Fatalf("Observe allocates: %v allocs per connection", allocs)
	}
}

func TestObserverIsSmall(t *testing.T) {
	// The tracker keeps one Observer per connection, 100,000s of them.
	size := unsafe.Sizeof(Observer{})
	if size > 128 {
		t.Fatalf("unsafe.Sizeof(Observer{}) = %d, want <= 128", size)
	}
	t.Logf("unsafe.Sizeof(Observer{}) = %d", size)
}
