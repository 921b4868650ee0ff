package fsm

import "strings"

// Flags is the set of TCP control bits (RFC 9293 §3.1, RFC 3168 for ECE and
// CWR). The bit values are those of the wire, so a header's flags byte
// converts directly.
type Flags uint8

// The control bits, with their wire values.
const (
	FIN Flags = 1 << iota
	SYN
	RST
	PSH
	ACK
	URG
	ECE
	CWR
)

// flagOrder is the order flags are named in: the timeline spec's order,
// which is also how people say them ("SYN,ACK", "FIN,ACK").
var flagOrder = [...]struct {
	f    Flags
	name string
}{{SYN, "SYN"}, {ACK, "ACK"}, {FIN, "FIN"}, {RST, "RST"}, {PSH, "PSH"}, {URG, "URG"}, {ECE, "ECE"}, {CWR, "CWR"}}

// Has reports whether every flag in g is set in f.
func (f Flags) Has(g Flags) bool { return f&g == g }

// Names returns the names of the flags set, in the order SYN ACK FIN RST PSH
// URG ECE CWR.
func (f Flags) Names() []string {
	names := make([]string, 0, 4)
	for _, o := range flagOrder {
		if f&o.f != 0 {
			names = append(names, o.name)
		}
	}
	return names
}

// String joins the flag names with commas, e.g. "SYN,ACK"; "none" if empty.
// The names of all 256 sets are made once: every segment label and note
// asks for them.
func (f Flags) String() string { return flagStrings[f] }

var flagStrings = func() (t [256]string) {
	t[0] = "none"
	for f := 1; f < len(t); f++ {
		t[f] = strings.Join(Flags(f).Names(), ",")
	}
	return t
}()

// ParseFlags parses a comma-separated list of flag names, e.g. "SYN,ACK".
func ParseFlags(s string) (Flags, bool) {
	var f Flags
	for _, name := range strings.Split(s, ",") {
		found := false
		for _, o := range flagOrder {
			if strings.EqualFold(strings.TrimSpace(name), o.name) {
				f |= o.f
				found = true
			}
		}
		if !found {
			return 0, false
		}
	}
	return f, true
}
