// Package sockets makes the socket calls of tcpviz's real TCP sessions (the
// loopback echo session and the kernel lab): listen, connect, accept, send,
// recv, abort, each one system call made once, when the user or a script
// asks.
//
// The sockets are raw kernel sockets (golang.org/x/sys/unix), not net.Conn:
// the caller decides when the server accepts, reads and writes; net's
// runtime poller would read nothing on its own but would hide SO_REUSEADDR
// (net.Listen always sets it on Linux) and the errno of each call.
//
// A socket belongs to the network namespace of the thread that made it
// (socket(2)); every later call on it works from any thread.
package sockets
