// Package kernel reads what the Linux kernel says about TCP sockets: each
// socket's state and its tcp_info figures, through netlink sock_diag
// (NETLINK_INET_DIAG, the interface ss(8) uses). No privileges are needed.
//
// Linux numbers its states differently from RFC 9293 and has two of its own
// (TCP_NEW_SYN_RECV for a request socket of a listener, TCP_BOUND_INACTIVE
// for a bound socket that is not yet listening or connecting); LinuxState and
// its State method map them onto fsm.State. A socket the kernel no longer has
// is CLOSED, as RFC 9293 §3.3.2 says of a connection that does not exist.
//
// A Table is one snapshot of every TCP socket of the asked families; look
// sockets up in it by their 4-tuple (Lookup) or a listener by its local
// address (Listener). Snapshots are cheap enough to take after every socket
// call and on a short interval (a dump of a few hundred sockets takes well
// under a millisecond).
package kernel
