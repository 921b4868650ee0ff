package fsm

// Seq is a 32-bit TCP sequence number. Comparisons are modulo 2^32 (RFC 9293
// §3.4): a is "less than" b when b is less than 2^31 ahead of a.
type Seq uint32

// LessThan reports whether s comes before o in sequence space.
func (s Seq) LessThan(o Seq) bool { return int32(s-o) < 0 }

// LessThanEq reports whether s comes before or is o.
func (s Seq) LessThanEq(o Seq) bool { return s == o || s.LessThan(o) }

// Add returns s advanced by n octets, wrapping at 2^32.
func (s Seq) Add(n uint32) Seq { return s + Seq(n) }

// Sub returns the number of octets from o to s (s - o modulo 2^32).
func (s Seq) Sub(o Seq) uint32 { return uint32(s - o) }

// InRange reports whether a <= s < b in sequence space.
func (s Seq) InRange(a, b Seq) bool { return a.LessThanEq(s) && s.LessThan(b) }

// InWindow reports whether s lies in the window [start, start+size).
func (s Seq) InWindow(start Seq, size uint32) bool {
	return s.Sub(start) < size
}
