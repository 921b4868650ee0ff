package filter

import "net/netip"

// Match reports whether a TCP segment from src to dst passes the filter.
// It allocates nothing.
func (e *Expr) Match(src, dst netip.AddrPort) bool {
	switch e.op {
	case opTrue, opTCP:
		return true
	case opAnd:
		return e.l.Match(src, dst) && e.r.Match(src, dst)
	case opOr:
		return e.l.Match(src, dst) || e.r.Match(src, dst)
	case opNot:
		return !e.l.Match(src, dst)
	case opIP:
		return src.Addr().Is4()
	case opIP6:
		return src.Addr().Is6()
	case opHost, opNet:
		return e.side(src, dst, func(a netip.AddrPort) bool { return e.prefix.Contains(a.Addr()) })
	case opPort:
		return e.side(src, dst, func(a netip.AddrPort) bool { return a.Port() == e.port })
	}
	return false
}

func (e *Expr) side(src, dst netip.AddrPort, f func(netip.AddrPort) bool) bool {
	switch e.dir {
	case dirSrc:
		return f(src)
	case dirDst:
		return f(dst)
	}
	return f(src) || f(dst)
}

// String returns the expression in a normal form, parenthesised.
func (e *Expr) String() string {
	d := [...]string{"", "src ", "dst "}[e.dir]
	switch e.op {
	case opTrue:
		return "true"
	case opAnd:
		return "(" + e.l.String() + " and " + e.r.String() + ")"
	case opOr:
		return "(" + e.l.String() + " or " + e.r.String() + ")"
	case opNot:
		return "not " + e.l.String()
	case opTCP:
		return "tcp"
	case opIP:
		return "ip"
	case opIP6:
		return "ip6"
	case opHost:
		return d + "host " + e.prefix.Addr().String()
	case opNet:
		return d + "net " + e.prefix.String()
	case opPort:
		return d + "port " + itoa(int(e.port))
	}
	return "?"
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b [6]byte
	i := len(b)
	for ; n > 0; n /= 10 {
		i--
		b[i] = byte('0' + n%10)
	}
	return string(b[i:])
}
