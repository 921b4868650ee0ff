package track

import "time"

// expiry is a pending TIME-WAIT deadline of one connection.
type expiry struct {
	at  time.Duration
	idx uint32
}

// expiries is a binary min-heap of deadlines, so that only connections whose
// 2·MSL has passed are visited, never a scan of the table. An entry may be
// stale (the connection's deadline moved or passed); it is checked when it
// reaches the top. Written out rather than with container/heap, whose
// interface{} boxing would allocate per push.
type expiries []expiry

func (h *expiries) push(e expiry) {
	*h = append(*h, e)
	s := *h
	for i := len(s) - 1; i > 0; {
		p := (i - 1) / 2
		if s[p].at <= s[i].at {
			break
		}
		s[p], s[i] = s[i], s[p]
		i = p
	}
}

func (h *expiries) pop() expiry {
	s := *h
	top := s[0]
	n := len(s) - 1
	s[0] = s[n]
	s = s[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && s[l].at < s[m].at {
			m = l
		}
		if r := l + 1; r < n && s[r].at < s[m].at {
			m = r
		}
		if m == i {
			break
		}
		s[i], s[m] = s[m], s[i]
		i = m
	}
	*h = s
	return top
}
