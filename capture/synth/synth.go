package synth

import (
	"bufio"
	"fmt"
	"io"
	"net/netip"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Epoch is the wall-clock time virtual time 0 is written as: fixed, so the
// same timeline always gives the same file.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// snaplen is the pcap header's snapshot length.
const snaplen = 262144

// Writer writes segments as Ethernet/IP/TCP packets to a pcap stream. It
// reuses its layers and buffers: writing a packet allocates nothing beyond
// what gopacket's serialization does.
//
// Call order: NewWriter (writes the file header), WriteSegment for each
// packet in time order, Flush (or Close) at the end.
type Writer struct {
	bw   *bufio.Writer
	pw   *pcapgo.Writer
	buf  gopacket.SerializeBuffer
	opts gopacket.SerializeOptions

	eth     layers.Ethernet
	ip4     layers.IPv4
	ip6     layers.IPv6
	tcp     layers.TCP
	payload gopacket.Payload
	zeros   []byte

	src4, dst4 [4]byte
	src6, dst6 [16]byte
	srcMAC     [6]byte
	dstMAC     [6]byte
	ipID       uint16
}

// NewWriter writes a pcap file header (link type Ethernet) to w and
// returns a writer of packets to it.
func NewWriter(w io.Writer) (*Writer, error) {
	bw := bufio.NewWriterSize(w, 1<<16)
	pw := pcapgo.NewWriter(bw)
	if err := pw.WriteFileHeader(snaplen, layers.LinkTypeEthernet); err != nil {
		return nil, fmt.Errorf("write pcap header: %w", err)
	}
	sw := &Writer{
		bw:   bw,
		pw:   pw,
		buf:  gopacket.NewSerializeBuffer(),
		opts: gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
	}
	sw.ip4 = layers.IPv4{Version: 4, IHL: 5, TTL: 64, Flags: layers.IPv4DontFragment, Protocol: layers.IPProtocolTCP}
	sw.ip6 = layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP}
	return sw, nil
}

// WriteSegment writes one packet carrying seg from src to dst, stamped ts.
// Where the segment keeps less payload than its length, the rest is zeros.
// src and dst must both be IPv4 or both IPv6.
func (w *Writer) WriteSegment(ts time.Time, src, dst netip.AddrPort, seg fsm.Segment) error {
	sa, da := src.Addr().Unmap(), dst.Addr().Unmap()
	if sa.Is4() != da.Is4() {
		return fmt.Errorf("segment %v → %v: mixed IPv4 and IPv6", src, dst)
	}
	macOf(&w.srcMAC, sa)
	macOf(&w.dstMAC, da)
	w.eth.SrcMAC, w.eth.DstMAC = w.srcMAC[:], w.dstMAC[:]

	w.tcp = layers.TCP{
		SrcPort: layers.TCPPort(src.Port()),
		DstPort: layers.TCPPort(dst.Port()),
		Seq:     uint32(seg.Seq),
		Ack:     uint32(seg.Ack),
		Window:  uint16(min(seg.Window, 65535)),
		FIN:     seg.Flags.Has(fsm.FIN),
		SYN:     seg.Flags.Has(fsm.SYN),
		RST:     seg.Flags.Has(fsm.RST),
		PSH:     seg.Flags.Has(fsm.PSH),
		ACK:     seg.Flags.Has(fsm.ACK),
		URG:     seg.Flags.Has(fsm.URG),
		ECE:     seg.Flags.Has(fsm.ECE),
		CWR:     seg.Flags.Has(fsm.CWR),
	}
	if !seg.Flags.Has(fsm.ACK) {
		w.tcp.Ack = 0
	}
	w.payload = w.payloadOf(seg)

	var net gopacket.SerializableLayer
	if sa.Is4() {
		w.src4, w.dst4 = sa.As4(), da.As4()
		w.ipID++
		w.ip4.Id = w.ipID
		w.ip4.SrcIP, w.ip4.DstIP = w.src4[:], w.dst4[:]
		w.eth.EthernetType = layers.EthernetTypeIPv4
		_ = w.tcp.SetNetworkLayerForChecksum(&w.ip4)
		net = &w.ip4
	} else {
		w.src6, w.dst6 = sa.As16(), da.As16()
		w.ip6.SrcIP, w.ip6.DstIP = w.src6[:], w.dst6[:]
		w.eth.EthernetType = layers.EthernetTypeIPv6
		_ = w.tcp.SetNetworkLayerForChecksum(&w.ip6)
		net = &w.ip6
	}
	if err := gopacket.SerializeLayers(w.buf, w.opts, &w.eth, net, &w.tcp, &w.payload); err != nil {
		return fmt.Errorf("serialize %v → %v: %w", src, dst, err)
	}
	data := w.buf.Bytes()
	ci := gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(data), Length: len(data)}
	if err := w.pw.WritePacket(ci, data); err != nil {
		return fmt.Errorf("write packet: %w", err)
	}
	return nil
}

// payloadOf returns the segment's payload, zero-filled to its length.
func (w *Writer) payloadOf(seg fsm.Segment) gopacket.Payload {
	n := int(seg.Len)
	if len(seg.Payload) >= n {
		return seg.Payload[:n]
	}
	if cap(w.zeros) < n {
		w.zeros = make([]byte, n)
	}
	p := w.zeros[:n]
	copy(p, seg.Payload)
	clear(p[len(seg.Payload):])
	return p
}

// Flush writes out what is buffered.
func (w *Writer) Flush() error { return w.bw.Flush() }

// macOf makes a locally administered MAC address from an IP address's last
// four bytes, so each host keeps one address.
func macOf(mac *[6]byte, a netip.Addr) {
	b := a.As16()
	*mac = [6]byte{0x02, 0x00, b[12], b[13], b[14], b[15]}
}

// WriteTimeline writes every segment tl's steps send, as a capture on the
// link would see them: each Send step (segments later dropped included)
// stamped Epoch plus its virtual time, and a second copy of each segment
// the link duplicated, at the time the copy arrives. It flushes at the end.
func WriteTimeline(w io.Writer, tl *timeline.Timeline) error {
	sw, err := NewWriter(w)
	if err != nil {
		return err
	}
	ends := [2]netip.AddrPort{tl.Conn.Client, tl.Conn.Server}
	for i := range tl.Steps {
		s := &tl.Steps[i]
		copyOf := s.Event == timeline.Arrive && s.Analysis&timeline.Duplicate != 0
		if s.Event != timeline.Send && s.Event != timeline.Observe && !copyOf {
			continue
		}
		if err := sw.WriteSegment(Epoch.Add(s.T), ends[s.Dir.From()], ends[s.Dir.To()], s.Seg); err != nil {
			return err
		}
	}
	return sw.Flush()
}
