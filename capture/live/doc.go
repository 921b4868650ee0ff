// Package live captures packets on a network interface through an AF_PACKET
// socket of its own (golang.org/x/sys/unix): no libpcap, no cgo.
//
// Open a Handle on an interface with a filter expression (capture/filter),
// which it compiles to classic BPF for the interface's frames and attaches
// in the kernel before the first packet arrives. On a loopback interface
// the program also drops the outgoing copy of each packet
// (filter.DropOutgoing), so that each segment is kept once, as tcpdump
// does: Linux shows a packet sent on lo twice to a packet socket. Run reads
// packets on the caller's goroutine, without allocating, until its context
// ends (reads time out every 50 ms to notice); Stream runs it on a
// goroutine of its own and hands the view timeline batches at a bounded
// rate, never blocking the reader on a slow consumer. The kernel's drop
// counter (PACKET_STATISTICS) is kept in Stats.
//
// Capture needs root or CAP_NET_RAW; without it Open returns an error that
// wraps ErrNotPermitted and says how to grant the capability.
package live
