package decode

import (
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/tcpviz/tcpviz/fsm"
)

// tcpBytes serializes an IP packet carrying a TCP segment with a payload.
func ipTCP(t testing.TB, v6 bool, syn bool, payload string) []byte {
	t.Helper()
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 8000, Seq: 1000, Ack: 2000, ACK: !syn, SYN: syn, PSH: payload != "", Window: 512}
	if syn {
		tcp.Options = []layers.TCPOption{
			{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}},
			{OptionType: layers.TCPOptionKindSACKPermitted, OptionLength: 2},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: make([]byte, 8)},
			{OptionType: layers.TCPOptionKindNop},
			{OptionType: layers.TCPOptionKindWindowScale, OptionLength: 3, OptionData: []byte{7}},
		}
	}
	var ip gopacket.SerializableLayer
	if v6 {
		ip6 := &layers.IPv6{Version: 6, NextHeader: layers.IPProtocolTCP, HopLimit: 64,
			SrcIP: net.ParseIP("2001:db8::1"), DstIP: net.ParseIP("2001:db8::2")}
		_ = tcp.SetNetworkLayerForChecksum(ip6)
		ip = ip6
	} else {
		ip4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP,
			SrcIP: net.IPv4(10, 0, 0, 1).To4(), DstIP: net.IPv4(10, 0, 0, 2).To4()}
		_ = tcp.SetNetworkLayerForChecksum(ip4)
		ip = ip4
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
	if err := gopacket.SerializeLayers(buf, opts, ip, tcp, gopacket.Payload(payload)); err != nil {
		t.Fatal(err)
	}
	return append([]byte(nil), buf.Bytes()...)
}

func ether(etherType uint16, tags int, body []byte) []byte {
	b := make([]byte, 12, 64+len(body))
	copy(b, []byte{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1})
	for i := 0; i < tags; i++ {
		tpid := uint16(0x8100)
		if i == 0 && tags > 1 {
			tpid = 0x88a8
		}
		b = binary.BigEndian.AppendUint16(b, tpid)
		b = binary.BigEndian.AppendUint16(b, uint16(100+i))
	}
	b = binary.BigEndian.AppendUint16(b, etherType)
	b = append(b, body...)
	return append(b, make([]byte, 6)...) // trailer padding the decoder must ignore
}

func sll(etherType uint16, body []byte) []byte {
	b := []byte{0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0}
	b = binary.BigEndian.AppendUint16(b, etherType)
	return append(b, body...)
}

func sll2(etherType uint16, body []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, etherType)
	b = append(b, 0, 0, 0, 0, 0, 1, 0, 1, 0, 6, 2, 0, 0, 0, 0, 0, 1, 0)
	return append(b, body...)
}

func TestDecodeLinkTypes(t *testing.T) {
	v4 := ipTCP(t, false, false, "hello")
	v6 := ipTCP(t, true, false, "hello")
	le := binary.LittleEndian.AppendUint32(nil, 30)
	be := binary.BigEndian.AppendUint32(nil, 24)
	tests := []struct {
		name  string
		link  LinkType
		frame []byte
		v6    bool
	}{
		{"ethernet ipv4", LinkEthernet, ether(0x0800, 0, v4), false},
		{"ethernet ipv6", LinkEthernet, ether(0x86dd, 0, v6), true},
		{"802.1Q ipv4", LinkEthernet, ether(0x0800, 1, v4), false},
		{"QinQ ipv6", LinkEthernet, ether(0x86dd, 2, v6), true},
		{"linux cooked v1", LinkLinuxSLL, sll(0x0800, v4), false},
		{"linux cooked v2", LinkLinuxSLL2, sll2(0x86dd, v6), true},
		{"raw ipv4", LinkRaw, v4, false},
		{"raw ipv6 (229)", LinkIPv6, v6, true},
		{"DLT_RAW 12", LinkDLTRaw12, v4, false},
		{"bsd null ipv6", LinkNull, append(le, v6...), true},
		{"openbsd loop ipv6", LinkLoop, append(be, v6...), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := New(tc.link)
			if err != nil {
				t.Fatal(err)
			}
			var p Packet
			if k := d.Decode(tc.frame, &p); k != TCP {
				t.Fatalf("Decode = %v, want tcp", k)
			}
			src, dst := "10.0.0.1:40000", "10.0.0.2:8000"
			if tc.v6 {
				src, dst = "[2001:db8::1]:40000", "[2001:db8::2]:8000"
			}
			if p.Src != netip.MustParseAddrPort(src) || p.Dst != netip.MustParseAddrPort(dst) {
				t.Errorf("endpoints %v → %v, want %s → %s", p.Src, p.Dst, src, dst)
			}
			want := fsm.Segment{Seq: 1000, Ack: 2000, Flags: fsm.ACK | fsm.PSH, Window: 512, Len: 5}
			got := p.Seg
			if string(got.Payload) != "hello" {
				t.Errorf("payload %q, want hello", got.Payload)
			}
			if got.Seq != want.Seq || got.Ack != want.Ack || got.Flags != want.Flags || got.Window != want.Window || got.Len != want.Len {
				t.Errorf("segment %v, want %v", got, want)
			}
			if p.WScale != -1 {
				t.Errorf("WScale = %d on a non-SYN", p.WScale)
			}
		})
	}
}

func TestDecodeSynOptions(t *testing.T) {
	d, _ := New(LinkRaw)
	var p Packet
	if k := d.Decode(ipTCP(t, false, true, ""), &p); k != TCP {
		t.Fatal(k)
	}
	if p.WScale != 7 || !p.Seg.Flags.Has(fsm.SYN) || p.Seg.Len != 0 {
		t.Errorf("SYN decoded as %v wscale %d", p.Seg, p.WScale)
	}
}

func TestDecodeSnaplenKeepsRealLength(t *testing.T) {
	d, _ := New(LinkRaw)
	frame := ipTCP(t, false, false, "a payload longer than the snap length")
	var p Packet
	if k := d.Decode(frame[:45], &p); k != TCP {
		t.Fatal(k)
	}
	if p.Seg.Len != uint32(len("a payload longer than the snap length")) || len(p.Seg.Payload) != 5 {
		t.Errorf("Len %d, captured %d", p.Seg.Len, len(p.Seg.Payload))
	}
}

func TestDecodeRejects(t *testing.T) {
	v4 := ipTCP(t, false, false, "x")
	udp := append([]byte(nil), v4...)
	udp[9] = 17
	frag := append([]byte(nil), v4...)
	frag[6] = 0x20 // more fragments
	badOff := append([]byte(nil), v4...)
	badOff[20+12] = 0x40 // TCP data offset 4
	tests := []struct {
		name  string
		link  LinkType
		frame []byte
		want  Kind
	}{
		{"empty ethernet", LinkEthernet, nil, Malformed},
		{"short ethernet", LinkEthernet, make([]byte, 10), Malformed},
		{"arp", LinkEthernet, ether(0x0806, 0, make([]byte, 28)), NotTCP},
		{"udp", LinkRaw, udp, NotTCP},
		{"ip fragment", LinkRaw, frag, NotTCP},
		{"truncated ip header", LinkRaw, v4[:12], Malformed},
		{"truncated tcp header", LinkRaw, v4[:30], Malformed},
		{"bad data offset", LinkRaw, badOff, Malformed},
		{"not ip at all", LinkRaw, []byte{0x11, 0x22}, Malformed},
		{"short sll2", LinkLinuxSLL2, make([]byte, 19), Malformed},
		{"vlan tag cut", LinkEthernet, append(ether(0x8100, 0, nil)[:14], 0, 1), Malformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, _ := New(tc.link)
			var p Packet
			if k := d.Decode(tc.frame, &p); k != tc.want {
				t.Errorf("Decode = %v, want %v", k, tc.want)
			}
		})
	}
}

func TestUnsupportedLinkTypeIsNamed(t *testing.T) {
	_, err := New(127)
	if err == nil || !strings.HasPrefix(err.Error(), "unsupported link type IEEE802_11_RADIOTAP (127)") {
		t.Errorf("err = %v", err)
	}
}

func TestDecodeAllocatesNothing(t *testing.T) {
	frames := map[LinkType][]byte{
		LinkEthernet:  ether(0x0800, 1, ipTCP(t, false, true, "")),
		LinkLinuxSLL2: sll2(0x86dd, ipTCP(t, true, false, "hello")),
	}
	for lt, f := range frames {
		d, _ := New(lt)
		var p Packet
		d.Decode(f, &p) // first use sizes the option slices
		if n := testing.AllocsPerRun(1000, func() { d.Decode(f, &p) }); n != 0 {
			t.Errorf("%v: %v allocations per packet, want 0", lt, n)
		}
	}
}

func BenchmarkDecode(b *testing.B) {
	f := ether(0x0800, 0, ipTCP(b, false, false, "hello, world"))
	d, _ := New(LinkEthernet)
	var p Packet
	b.ReportAllocs()
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		d.Decode(f, &p)
	}
}

func TestDecodeIPv6ExtensionHeaders(t *testing.T) {
	plain := ipTCP(t, true, false, "hi")
	tcp := plain[40:]
	hbh := []byte{60, 0, 1, 4, 0, 0, 0, 0} // hop-by-hop, then destination options; PadN
	dest := []byte{6, 0, 1, 4, 0, 0, 0, 0} // destination options, then TCP
	pkt := append(append(append(append([]byte(nil), plain[:40]...), hbh...), dest...), tcp...)
	pkt[6] = 0 // next header: hop-by-hop
	binary.BigEndian.PutUint16(pkt[4:], uint16(len(pkt)-40))
	d, _ := New(LinkRaw)
	var p Packet
	if k := d.Decode(pkt, &p); k != TCP {
		t.Fatalf("Decode = %v", k)
	}
	if p.Seg.Len != 2 || string(p.Seg.Payload) != "hi" || p.Dst.Port() != 8000 {
		t.Errorf("decoded %v → %v %v %q", p.Src, p.Dst, p.Seg, p.Seg.Payload)
	}
	frag := append([]byte(nil), pkt...)
	frag[40+8] = 44 // destination options now say a fragment header follows
	if k := d.Decode(frag, &p); k != NotTCP {
		t.Errorf("fragment: %v", k)
	}
}
