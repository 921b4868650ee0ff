// Package live captures packets on a network interface with gopacket's
// pure-Go AF_PACKET handle (pcapgo.EthernetHandle): no libpcap, no cgo.
//
// Open a Handle on an interface with a BPF filter (PortFilter builds one for
// a TCP port; WithoutOutgoing prefixes any filter so that on a loopback
// interface each packet is kept once, as tcpdump does: Linux shows a packet
// sent on lo twice to a packet socket, once outgoing and once incoming).
// Run reads packets on the caller's goroutine until its context ends; Stream
// runs it on a goroutine of its own and hands the view timeline batches at a
// bounded rate, never blocking the reader on a slow consumer. The kernel's
// drop counter (PACKET_STATISTICS) is kept in Stats.
//
// Capture needs root or CAP_NET_RAW; without it Open returns an error that
// wraps ErrNotPermitted and says how to grant the capability.
package live
