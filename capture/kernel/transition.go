package kernel

import (
	"bytes"
	"net/netip"
	"strconv"
	"time"
)

// Transition is one change of a socket's state, as the kernel made it and
// reported it through the sock:inet_sock_set_state tracepoint.
type Transition struct {
	At            time.Duration // the kernel's CLOCK_MONOTONIC
	Local, Remote netip.AddrPort
	Old, New      LinuxState
}

// traceEvent is what precedes a transition's fields in a trace line.
var traceEvent = []byte(": inet_sock_set_state: ")

// ParseTraceLine parses one line of trace_pipe, e.g.
//
//	<idle>-0 [001] ..s2. 993.096133: inet_sock_set_state: family=AF_INET
//	protocol=IPPROTO_TCP sport=52589 dport=56188 saddr=127.0.0.1 … oldstate=TCP_LISTEN newstate=TCP_SYN_RECV
//
// (one line in the pipe). ok is false for anything else, and for sockets
// that are not TCP (MPTCP and SCTP use the same tracepoint). The time is the
// trace clock's: CLOCK_MONOTONIC where the instance's trace_clock is "mono".
func ParseTraceLine(line []byte) (tr Transition, ok bool) {
	i := bytes.Index(line, traceEvent)
	if i < 0 {
		return tr, false
	}
	head, fields := line[:i], line[i+len(traceEvent):]
	if j := bytes.LastIndexByte(head, ' '); j >= 0 {
		head = head[j+1:]
	}
	at, ok := parseSeconds(head)
	if !ok {
		return tr, false
	}
	tr.At = at
	var v6 bool
	var sport, dport uint16
	var s4, d4, s6, d6 netip.Addr
	var old, neu bool
	for len(fields) > 0 {
		var f []byte
		f, fields, _ = bytes.Cut(fields, []byte{' '})
		k, v, found := bytes.Cut(bytes.TrimSpace(f), []byte{'='})
		if !found {
			continue
		}
		switch string(k) {
		case "family":
			v6 = string(v) == "AF_INET6"
		case "protocol":
			if string(v) != "IPPROTO_TCP" {
				return tr, false
			}
		case "sport":
			sport = parsePort(v)
		case "dport":
			dport = parsePort(v)
		case "saddr":
			s4, _ = netip.ParseAddr(string(v))
		case "daddr":
			d4, _ = netip.ParseAddr(string(v))
		case "saddrv6":
			s6, _ = netip.ParseAddr(string(v))
		case "daddrv6":
			d6, _ = netip.ParseAddr(string(v))
		case "oldstate":
			tr.Old, old = stateNamed(v)
		case "newstate":
			tr.New, neu = stateNamed(v)
		}
	}
	if v6 {
		s4, d4 = s6.Unmap(), d6.Unmap()
	}
	if !s4.IsValid() || !d4.IsValid() || !old || !neu {
		return tr, false
	}
	tr.Local, tr.Remote = netip.AddrPortFrom(s4, sport), netip.AddrPortFrom(d4, dport)
	return tr, true
}

// parseSeconds parses the trace's "SECONDS.MICROSECONDS".
func parseSeconds(b []byte) (time.Duration, bool) {
	sec, frac, _ := bytes.Cut(b, []byte{'.'})
	s, err := strconv.ParseUint(string(sec), 10, 63)
	if err != nil || len(frac) > 9 {
		return 0, false
	}
	ns := uint64(0)
	if len(frac) > 0 {
		f, err := strconv.ParseUint(string(frac), 10, 63)
		if err != nil {
			return 0, false
		}
		ns = f
		for range 9 - len(frac) {
			ns *= 10
		}
	}
	return time.Duration(s)*time.Second + time.Duration(ns), true
}

func parsePort(b []byte) uint16 {
	n, _ := strconv.ParseUint(string(b), 10, 16)
	return uint16(n)
}

// stateNamed maps the tracepoint's state names ("TCP_FIN_WAIT1") to the
// kernel's numbers.
func stateNamed(b []byte) (LinuxState, bool) {
	name, ok := bytes.CutPrefix(b, []byte("TCP_"))
	if !ok {
		return 0, false
	}
	for s, n := range linuxNames {
		if n != "" && n == string(name) {
			return LinuxState(s), true
		}
	}
	return 0, false
}
