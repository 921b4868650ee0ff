package live

import (
	"fmt"

	"golang.org/x/net/bpf"
)

// packetOutgoing is PACKET_OUTGOING of linux/if_packet.h: the packet type
// the kernel gives a packet socket for a packet this host sends.
const packetOutgoing = 4

// Offsets in an Ethernet frame (what AF_PACKET SOCK_RAW gives on Ethernet
// and on lo, whose frames carry a zeroed Ethernet header).
const (
	ethType     = 12
	ethLen      = 14
	ipv4Proto   = ethLen + 9
	ipv4Frag    = ethLen + 6
	ipv6Next    = ethLen + 6
	ipv6Len     = 40
	protoTCP    = 6
	etherIPv4   = 0x0800
	etherIPv6   = 0x86dd
	acceptBytes = 0x40000 // "keep the whole packet" (the snap length cuts it)
)

// PortFilter returns a BPF program that keeps TCP segments over IPv4 or IPv6
// with port as their source or destination port, and nothing else. IPv4
// fragments after the first and IPv6 packets with extension headers before
// TCP are not kept (as tcpdump's "tcp port N" on IPv6).
func PortFilter(port uint16) []bpf.RawInstruction {
	p := uint32(port)
	// Jumps are relative; the layout is: [0..] dispatch, IPv4 block,
	// IPv6 block, accept, drop. Instructions are counted by hand below and
	// checked by the tests against real packets.
	prog := []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: ethType, Size: 2},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherIPv4, SkipTrue: 0, SkipFalse: 9}, // → 11 (IPv6 test)
		// IPv4
		/* 2 */ bpf.LoadAbsolute{Off: ipv4Proto, Size: 1},
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoTCP, SkipTrue: 0, SkipFalse: 15}, // → 19 drop
		/* 4 */ bpf.LoadAbsolute{Off: ipv4Frag, Size: 2},
		/* 5 */ bpf.JumpIf{Cond: bpf.JumpBitsSet, Val: 0x1fff, SkipTrue: 13, SkipFalse: 0}, // → 19 drop
		/* 6 */ bpf.LoadMemShift{Off: ethLen},
		/* 7 */ bpf.LoadIndirect{Off: ethLen, Size: 2},
		/* 8 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 9, SkipFalse: 0}, // → 18 accept
		/* 9 */ bpf.LoadIndirect{Off: ethLen + 2, Size: 2},
		/* 10 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 7, SkipFalse: 8}, // → 18 / 19
		// IPv6
		/* 11 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherIPv6, SkipTrue: 0, SkipFalse: 7}, // → 19 drop
		/* 12 */ bpf.LoadAbsolute{Off: ipv6Next, Size: 1},
		/* 13 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoTCP, SkipTrue: 0, SkipFalse: 5}, // → 19 drop
		/* 14 */ bpf.LoadAbsolute{Off: ethLen + ipv6Len, Size: 2},
		/* 15 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 2, SkipFalse: 0}, // → 18 accept
		/* 16 */ bpf.LoadAbsolute{Off: ethLen + ipv6Len + 2, Size: 2},
		/* 17 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: p, SkipTrue: 0, SkipFalse: 1}, // → 18 / 19
		/* 18 */ bpf.RetConstant{Val: acceptBytes},
		/* 19 */ bpf.RetConstant{Val: 0},
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		panic(fmt.Sprintf("live: PortFilter does not assemble: %v", err)) // a bug in the constant program above
	}
	return raw
}

// AllTCP returns a BPF program that keeps every TCP segment over IPv4 or
// IPv6 (the default of `tcpviz live` without --filter).
func AllTCP() []bpf.RawInstruction {
	prog := []bpf.Instruction{
		/* 0 */ bpf.LoadAbsolute{Off: ethType, Size: 2},
		/* 1 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherIPv4, SkipTrue: 0, SkipFalse: 2}, // → 4
		/* 2 */ bpf.LoadAbsolute{Off: ipv4Proto, Size: 1},
		/* 3 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoTCP, SkipTrue: 3, SkipFalse: 4}, // → 7 / 8
		/* 4 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: etherIPv6, SkipTrue: 0, SkipFalse: 3}, // → 8
		/* 5 */ bpf.LoadAbsolute{Off: ipv6Next, Size: 1},
		/* 6 */ bpf.JumpIf{Cond: bpf.JumpEqual, Val: protoTCP, SkipTrue: 0, SkipFalse: 1}, // → 7 / 8
		/* 7 */ bpf.RetConstant{Val: acceptBytes},
		/* 8 */ bpf.RetConstant{Val: 0},
	}
	raw, err := bpf.Assemble(prog)
	if err != nil {
		panic(fmt.Sprintf("live: AllTCP does not assemble: %v", err))
	}
	return raw
}

// WithoutOutgoing returns prog preceded by a test of the packet type (the
// SKF_AD_PKTTYPE extension) that drops packets this host sends. On a
// loopback interface every packet passes the packet socket twice, once as
// PACKET_OUTGOING and once as PACKET_HOST; keeping only the second copy
// shows each segment once, as libpcap does for lo. Do not use it on other
// interfaces: there the outgoing copy is the only one.
func WithoutOutgoing(prog []bpf.RawInstruction) []bpf.RawInstruction {
	prefix, err := bpf.Assemble([]bpf.Instruction{
		bpf.LoadExtension{Num: bpf.ExtType},
		bpf.JumpIf{Cond: bpf.JumpEqual, Val: packetOutgoing, SkipTrue: 0, SkipFalse: 1},
		bpf.RetConstant{Val: 0},
	})
	if err != nil {
		panic(fmt.Sprintf("live: WithoutOutgoing does not assemble: %v", err))
	}
	// BPF jumps are relative and forward only, so prog runs unchanged
	// after the prefix.
	return append(prefix, prog...)
}
