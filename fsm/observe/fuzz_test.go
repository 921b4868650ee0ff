package observe

import (
	"testing"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
)

// fuzzRecord is how many input bytes make one segment.
const fuzzRecord = 7

// decodeFuzz turns fuzz input into segments near two ISNs, so that the
// sequence and acknowledgment numbers mostly land where they mean
// something: byte 0 direction and time step, 1 flags, 2–3 seq offset, 4–5
// ack offset, 6 length and window.
func decodeFuzz(data []byte, visit func(t time.Duration, dir fsm.Dir, seg *fsm.Segment)) {
	base := [2]fsm.Seq{0xFFFFFF00, 5000} // the client's wraps
	var now time.Duration
	for len(data) >= fuzzRecord {
		r := data[:fuzzRecord]
		data = data[fuzzRecord:]
		dir := fsm.Dir(r[0] & 1)
		now += time.Duration(r[0]>>1) * 97 * time.Millisecond
		from := dir.From()
		seg := fsm.Segment{
			Flags:  fsm.Flags(r[1]),
			Seq:    base[from].Add(uint32(int16(uint16(r[2])<<8|uint16(r[3])) % 300)),
			Ack:    base[from.Peer()].Add(uint32(int16(uint16(r[4])<<8|uint16(r[5])) % 300)),
			Len:    uint32(r[6] & 0x1F),
			Window: uint32(r[6]>>5) * 8192,
		}
		if r[6]&0x1F == 0x1F {
			seg.Seq += 1 << 31 // now and then, far outside any window
		}
		visit(now, dir, &seg)
	}
}

func FuzzObserve(f *testing.F) {
	enc := func(steps []step) []byte {
		var b []byte
		base := [2]uint32{0xFFFFFF00, 5000}
		for _, s := range steps {
			from := s.dir.From()
			so := int16(s.seq - 1000 + base[from] - base[from])
			if from == fsm.Server {
				so = int16(s.seq - 5000)
			}
			ao := int16(s.ack - 5000)
			if from == fsm.Server {
				ao = int16(s.ack - 1000)
			}
			b = append(b, byte(s.dir)|2, byte(s.flags), byte(uint16(so)>>8), byte(so), byte(uint16(ao)>>8), byte(ao), byte(s.n&0x1F)|0xE0)
		}
		return b
	}
	f.Add(enc(join(handshake(), []step{
		seg(C, PSH|ACK, 1001, 5001, 5), seg(S, ACK, 5001, 1006, 0),
		seg(C, FIN|ACK, 1006, 5001, 0), seg(S, FIN|ACK, 5001, 1007, 0), seg(C, ACK, 1007, 5002, 0),
	})))
	f.Add(enc(join(handshake(), []step{
		seg(C, FIN|ACK, 1001, 5001, 0), seg(S, FIN|ACK, 5001, 1001, 0),
		seg(C, ACK, 1002, 5002, 0), seg(S, ACK, 5002, 1002, 0),
	})))
	f.Add(enc([]step{seg(C, SYN, 1000, 0, 0), seg(S, RST|ACK, 5000, 1001, 0)}))
	f.Add(enc([]step{seg(C, SYN, 1000, 0, 0), seg(S, SYN, 5000, 0, 0), seg(C, SYN|ACK, 1000, 5001, 0)}))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		for _, mid := range []bool{false, true} {
			o := New(Config{TimeWait: time.Second}, mid)
			decodeFuzz(data, func(now time.Duration, dir fsm.Dir, seg *fsm.Segment) {
				for {
					at, armed := o.NextExpiry()
					before := o.States()
					u, ok := o.Expire(now)
					if !ok {
						if armed && at <= now {
							t.Fatalf("NextExpiry %v <= %v but Expire reports nothing", at, now)
						}
						break
					}
					if !armed || at > now {
						t.Fatalf("Expire reported a change due at %v (armed %v) at %v", at, armed, now)
					}
					for i := range u.States {
						if u.States[i] != before[i] && (before[i] != fsm.TimeWait || u.States[i] != fsm.Closed) {
							t.Fatalf("Expire moved %v → %v", before[i], u.States[i])
						}
					}
				}
				before, wasDone := o.States(), o.Done()
				u := o.Observe(now, dir, seg)
				if wasDone && !o.Done() && !seg.Flags.Has(fsm.SYN) {
					t.Fatalf("a finished connection came back to life (%v → %v) on %s", before, o.States(), seg)
				}
				if u.States != o.States() {
					t.Fatalf("Update.States %v != States() %v", u.States, o.States())
				}
				for i, st := range u.States {
					if !st.Valid() {
						t.Fatalf("invalid state %d", st)
					}
					if before[i] == fsm.Closed && st != fsm.Closed && !seg.Flags.Has(fsm.SYN) {
						t.Fatalf("%s left CLOSED for %v on %s without a SYN", fsm.Side(i), st, seg)
					}
					if before[i] == fsm.TimeWait && st != fsm.TimeWait && st != fsm.Closed {
						t.Fatalf("%s left TIME-WAIT for %v on %s", fsm.Side(i), st, seg)
					}
					if before[i].Synchronized() && !st.Synchronized() && st != fsm.Closed && st != fsm.Listen {
						t.Fatalf("%s went back from %v to %v on %s", fsm.Side(i), before[i], st, seg)
					}
					if st != before[i] && u.Why[i] == fsm.ReasonNone {
						t.Fatalf("%s moved %v → %v with no reason on %s", fsm.Side(i), before[i], st, seg)
					}
				}
			})
			_ = o.Uncertain()
			_ = o.TCB()
			_ = o.Done()
		}
	})
}
