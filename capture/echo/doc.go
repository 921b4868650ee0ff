// Package echo is tcpviz's real loopback echo session: an upper-casing echo
// server on 127.0.0.1 and a client, both made of real kernel sockets, driven
// one socket call at a time, while tcpviz watches three things at once: the
// segments on the loopback interface (package live, when the process may
// capture, put through the same tracker as every capture, package track),
// the state the kernel reports for each socket (package kernel, sock_diag)
// and the state the simulator predicts for the same calls (package sim).
// Session implements timeline.Session for the view. Each step carries the
// kernel's and the simulator's states in its Truth, and what the session
// knows besides (a call's result, where and why the three disagree) as
// typed facts, which fsm/narrate puts into words.
//
// Server is the same echo server on its own, serving every client at once
// (one goroutine per connection, each bounded by an idle timeout and a
// write deadline): `tcpviz echo --serve` and the load test.
package echo
