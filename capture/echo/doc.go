// Package echo is tcpviz's real loopback echo session: an upper-casing echo
// server on 127.0.0.1 and a client, both made of real kernel sockets, driven
// one socket call at a time, while tcpviz watches three things at once: the
// segments on the loopback interface (package live, when the process may
// capture), the state the kernel reports for each socket (package kernel,
// sock_diag) and the state the simulator predicts for the same calls
// (package sim). Session implements timeline.Session for the view; where the
// three disagree, a step's Detail says so and why.
//
// Server is the same echo server on its own, serving every client at once
// (one goroutine per connection): `tcpviz echo --serve` and the load test.
package echo
