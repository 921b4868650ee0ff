// Package filter parses the --filter expressions of replay and live, a
// small subset of tcpdump's language about hosts and ports:
//
//	port N, host ADDR, net PREFIX, each optionally preceded by src or dst;
//	tcp, ip, ip6; joined by and (&&), or (||), not (!) and parentheses.
//
// An expression compiles two ways: to a Go predicate over decoded packets
// (Expr.Match, for replay, allocation-free) and to a classic BPF program for
// a link type (Compile, for live capture, so the kernel drops what is not
// wanted). Both give the same answer for every TCP packet.
package filter
