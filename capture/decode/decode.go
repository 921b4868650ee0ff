package decode

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/tcpviz/tcpviz/fsm"
)

// Kind is what Decode found in a frame.
type Kind uint8

// The kinds of frame.
const (
	TCP       Kind = iota // a TCP segment; the Packet is filled in
	NotTCP                // a well-formed frame without TCP (ARP, UDP, ICMP, a non-first fragment, …)
	Malformed             // a frame too short or inconsistent to decode
)

// String names the kind.
func (k Kind) String() string {
	return [...]string{"tcp", "not-tcp", "malformed"}[k]
}

// Packet is one decoded TCP segment.
type Packet struct {
	Src, Dst netip.AddrPort
	// Seg has the header's fields. Window is the raw 16-bit field (the
	// tracker scales it once both SYNs carried a window scale option);
	// Len is the payload length from the IP header, even when the capture
	// kept fewer bytes; Payload is the captured part of the payload, a view
	// into the frame valid only until the frame's buffer is reused.
	Seg fsm.Segment
	// WScale is the window scale option's shift count (RFC 7323 §2.2),
	// capped at 14, or -1 when the segment has no such option.
	WScale int8
}

// Link is how the network layer is found in a frame.
type link uint8

const (
	linkEthernet link = iota
	linkSLL
	linkSLL2
	linkRaw
	linkNull // 4-byte address family, then IP
)

// Decoder decodes frames of one link type. It is not safe for concurrent use.
type Decoder struct {
	link link
	ip4  layers.IPv4
	ip6  layers.IPv6
	tcp  layers.TCP
}

// New returns a decoder for frames of link type lt, or an error naming the
// link type when it is not one tcpviz reads.
func New(lt LinkType) (*Decoder, error) {
	d := &Decoder{}
	switch lt {
	case LinkEthernet:
		d.link = linkEthernet
	case LinkLinuxSLL:
		d.link = linkSLL
	case LinkLinuxSLL2:
		d.link = linkSLL2
	case LinkRaw, LinkIPv4, LinkIPv6, LinkDLTRaw12, LinkDLTRaw14:
		d.link = linkRaw
	case LinkNull, LinkLoop:
		d.link = linkNull
	default:
		return nil, fmt.Errorf("unsupported link type %s: tcpviz reads Ethernet, Linux cooked v1/v2, raw IP and BSD loopback", lt)
	}
	return d, nil
}

// EtherTypes the decoder follows.
const (
	etherIPv4   = 0x0800
	etherIPv6   = 0x86dd
	ether8021Q  = 0x8100
	ether8021AD = 0x88a8
	etherQinQ   = 0x9100 // pre-standard QinQ
)

// Decode decodes one frame. For TCP it fills p; otherwise p is unspecified.
func (d *Decoder) Decode(data []byte, p *Packet) Kind {
	var etherType uint16
	switch d.link {
	case linkEthernet:
		if len(data) < 14 {
			return Malformed
		}
		etherType = binary.BigEndian.Uint16(data[12:14])
		data = data[14:]
		for etherType == ether8021Q || etherType == ether8021AD || etherType == etherQinQ {
			if len(data) < 4 {
				return Malformed
			}
			etherType = binary.BigEndian.Uint16(data[2:4])
			data = data[4:]
		}
	case linkSLL:
		// 16 bytes: packet type, ARPHRD, address length, address (8), protocol.
		if len(data) < 16 {
			return Malformed
		}
		etherType = binary.BigEndian.Uint16(data[14:16])
		data = data[16:]
	case linkSLL2:
		// 20 bytes: protocol (0), reserved (2), interface index (4), ARPHRD (8),
		// packet type (10), address length (11), address (12..19).
		if len(data) < 20 {
			return Malformed
		}
		etherType = binary.BigEndian.Uint16(data[0:2])
		data = data[20:]
	case linkNull:
		// The family is in the capturing host's byte order (null) or network
		// order (OpenBSD loop), and AF_INET6 differs between systems: the IP
		// version nibble says the same thing reliably.
		if len(data) < 4 {
			return Malformed
		}
		data = data[4:]
		etherType = versionEtherType(data)
	case linkRaw:
		etherType = versionEtherType(data)
	}
	switch etherType {
	case etherIPv4:
		return d.decodeIPv4(data, p)
	case etherIPv6:
		return d.decodeIPv6(data, p)
	case 0xffff:
		return Malformed
	}
	return NotTCP
}

// versionEtherType maps the IP version nibble to an EtherType; 0xffff when
// there is no IP header.
func versionEtherType(data []byte) uint16 {
	if len(data) == 0 {
		return 0xffff
	}
	switch data[0] >> 4 {
	case 4:
		return etherIPv4
	case 6:
		return etherIPv6
	}
	return 0xffff
}

func (d *Decoder) decodeIPv4(data []byte, p *Packet) Kind {
	ip := &d.ip4
	if err := ip.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil || ip.Version != 4 {
		return Malformed
	}
	if ip.Protocol != layers.IPProtocolTCP {
		return NotTCP
	}
	if ip.FragOffset != 0 || ip.Flags&layers.IPv4MoreFragments != 0 {
		return NotTCP // a fragment: its TCP header and length are not all here
	}
	segLen := int(ip.Length) - int(ip.IHL)*4
	src, dst := netip.AddrFrom4([4]byte(ip.SrcIP)), netip.AddrFrom4([4]byte(ip.DstIP))
	return d.decodeTCP(ip.Payload, segLen, src, dst, p)
}

// IPv6 extension headers that may precede TCP (RFC 8200 §4).
const (
	ip6HopByHop    = 0
	ip6Routing     = 43
	ip6Fragment    = 44
	ip6AH          = 51
	ip6DestOptions = 60
)

func (d *Decoder) decodeIPv6(data []byte, p *Packet) Kind {
	ip := &d.ip6
	if err := ip.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil || ip.Version != 6 {
		return Malformed
	}
	next := ip.NextHeader
	payload := ip.Payload
	segLen := int(ip.Length)
	if ip.HopByHop != nil { // gopacket has already stepped over it
		next = ip.HopByHop.NextHeader
		segLen -= int(ip.HopByHop.ActualLength)
	}
	for next != layers.IPProtocolTCP {
		var n int
		switch next {
		case ip6Routing, ip6DestOptions, ip6HopByHop:
			if len(payload) < 2 {
				return Malformed
			}
			n = (int(payload[1]) + 1) * 8
		case ip6AH:
			if len(payload) < 2 {
				return Malformed
			}
			n = (int(payload[1]) + 2) * 4
		case ip6Fragment:
			return NotTCP
		default:
			return NotTCP
		}
		if len(payload) < n {
			return Malformed
		}
		next = layers.IPProtocol(payload[0])
		payload = payload[n:]
		segLen -= n
	}
	src, dst := netip.AddrFrom16([16]byte(ip.SrcIP)), netip.AddrFrom16([16]byte(ip.DstIP))
	return d.decodeTCP(payload, segLen, src, dst, p)
}

// decodeTCP decodes the TCP header in data; segLen is the segment's length
// (header and payload) as the IP header gives it.
func (d *Decoder) decodeTCP(data []byte, segLen int, src, dst netip.Addr, p *Packet) Kind {
	t := &d.tcp
	if err := t.DecodeFromBytes(data, gopacket.NilDecodeFeedback); err != nil {
		return Malformed
	}
	hdr := int(t.DataOffset) * 4
	n := segLen - hdr
	if n < 0 {
		return Malformed
	}
	payload := t.Payload
	if len(payload) > n {
		payload = payload[:n] // link-layer padding
	}
	p.Src = netip.AddrPortFrom(src, uint16(t.SrcPort))
	p.Dst = netip.AddrPortFrom(dst, uint16(t.DstPort))
	p.Seg = fsm.Segment{
		Seq:     fsm.Seq(t.Seq),
		Ack:     fsm.Seq(t.Ack),
		Flags:   fsm.Flags(data[13]),
		Window:  uint32(t.Window),
		Len:     uint32(n),
		Payload: payload,
	}
	p.WScale = -1
	if t.SYN {
		for i := range t.Options {
			o := &t.Options[i]
			if o.OptionType == layers.TCPOptionKindWindowScale && len(o.OptionData) == 1 {
				s := o.OptionData[0]
				if s > 14 { // RFC 7323 §2.3: treat as 14
					s = 14
				}
				p.WScale = int8(s)
			}
		}
	}
	return TCP
}
