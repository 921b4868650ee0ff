package filter

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// op is a node's kind.
type op uint8

const (
	opAnd op = iota
	opOr
	opNot
	opHost
	opNet
	opPort
	opTCP
	opIP
	opIP6
	opTrue
)

// dir restricts host, net and port to the source or the destination.
type dir uint8

const (
	dirAny dir = iota
	dirSrc
	dirDst
)

// Expr is a parsed filter expression.
type Expr struct {
	op     op
	dir    dir
	prefix netip.Prefix // host (a full-length prefix) and net
	port   uint16
	l, r   *Expr
}

// All returns the expression that matches every TCP segment (what the
// empty string parses to).
func All() *Expr { return &Expr{op: opTrue} }

// Port returns the expression "port N": segments with port as their source
// or destination port.
func Port(port uint16) *Expr { return &Expr{op: opPort, port: port} }

// Parse parses an expression; the empty string matches everything. Errors
// are one line and say where the expression went wrong.
func Parse(s string) (*Expr, error) {
	p := &parser{toks: tokenize(s), src: s}
	if len(p.toks) == 0 {
		return All(), nil
	}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, p.errf("unexpected %q", p.toks[p.i])
	}
	return e, nil
}

func tokenize(s string) []string {
	var toks []string
	cur := strings.Builder{}
	flush := func() {
		if cur.Len() > 0 {
			toks = append(toks, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			flush()
		case c == '(' || c == ')' || c == '!':
			flush()
			toks = append(toks, string(c))
		case (c == '&' || c == '|') && i+1 < len(s) && s[i+1] == c:
			flush()
			toks = append(toks, s[i:i+2])
			i++
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return toks
}

type parser struct {
	toks []string
	i    int
	src  string
}

func (p *parser) errf(format string, a ...any) error {
	return fmt.Errorf("--filter %q: %s", p.src, fmt.Sprintf(format, a...))
}

func (p *parser) peek() string {
	if p.i < len(p.toks) {
		return strings.ToLower(p.toks[p.i])
	}
	return ""
}

func (p *parser) next() string {
	t := p.peek()
	p.i++
	return t
}

func (p *parser) or() (*Expr, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t == "or" || t == "||"; t = p.peek() {
		p.i++
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = &Expr{op: opOr, l: l, r: r}
	}
	return l, nil
}

func (p *parser) and() (*Expr, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for t := p.peek(); t == "and" || t == "&&"; t = p.peek() {
		p.i++
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = &Expr{op: opAnd, l: l, r: r}
	}
	return l, nil
}

func (p *parser) unary() (*Expr, error) {
	switch t := p.next(); t {
	case "not", "!":
		e, err := p.unary()
		if err != nil {
			return nil, err
		}
		return &Expr{op: opNot, l: e}, nil
	case "(":
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if p.next() != ")" {
			return nil, p.errf("missing )")
		}
		return e, nil
	case "":
		return nil, p.errf("unexpected end")
	default:
		p.i--
		return p.primitive()
	}
}

func (p *parser) primitive() (*Expr, error) {
	e := &Expr{}
	switch p.peek() {
	case "src":
		e.dir = dirSrc
		p.i++
	case "dst":
		e.dir = dirDst
		p.i++
	}
	kw := p.next()
	switch kw {
	case "tcp", "ip", "ip6":
		if e.dir != dirAny {
			return nil, p.errf("%q cannot follow src or dst", kw)
		}
		e.op = map[string]op{"tcp": opTCP, "ip": opIP, "ip6": opIP6}[kw]
		return e, nil
	case "port":
		arg := p.next()
		n, err := strconv.ParseUint(arg, 10, 16)
		if err != nil {
			return nil, p.errf("port wants a number from 0 to 65535, not %q", arg)
		}
		e.op, e.port = opPort, uint16(n)
		return e, nil
	case "host":
		arg := p.next()
		a, err := netip.ParseAddr(strings.Trim(arg, "[]"))
		if err != nil {
			return nil, p.errf("host wants an IPv4 or IPv6 address, not %q (names are not resolved)", arg)
		}
		a = a.Unmap().WithZone("")
		e.op, e.prefix = opHost, netip.PrefixFrom(a, a.BitLen())
		return e, nil
	case "net":
		arg := p.next()
		pf, err := netip.ParsePrefix(arg)
		if err != nil {
			return nil, p.errf("net wants a prefix such as 10.0.0.0/8, not %q", arg)
		}
		e.op, e.prefix = opNet, pf.Masked()
		return e, nil
	case "":
		return nil, p.errf("unexpected end")
	}
	return nil, p.errf("unknown primitive %q (want port, host, net, tcp, ip, ip6, src, dst, and, or, not)", kw)
}
