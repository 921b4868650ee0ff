// Package lab is tcpviz's kernel lab: two real Linux TCP stacks, a client
// and a server, each in a private network namespace that tcpviz makes,
// joined by nothing but tcpviz itself.
//
// Each namespace has a TUN device, tun0, with an address from a
// documentation range (192.0.2.0/24, 2001:db8::/32) and no route out. The
// Wire reads every IP packet one stack sends from its TUN and writes it into
// the other's, after a latency or when told to (hold mode), so tcpviz sees
// every segment exactly once when it is sent and once when it is delivered,
// and decides its fate: deliver, drop, duplicate, reorder.
//
// Socket calls run on a goroutine locked to an OS thread inside the side's
// namespace (Lab.Do). Those threads are never handed back to the Go runtime:
// when their goroutine ends, the thread ends with it, and the namespaces die
// with their last reference (the TUN devices and the namespace handles,
// closed by Lab.Close). Nothing of the host's network is touched.
//
// Everything here needs CAP_NET_ADMIN and CAP_SYS_ADMIN (CheckPrivileges).
package lab
