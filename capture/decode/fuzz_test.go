package decode

import "testing"

// FuzzDecode feeds arbitrary frames to a decoder of each link type: it must
// never panic, and a TCP result must have a consistent payload.
func FuzzDecode(f *testing.F) {
	f.Add(uint16(LinkEthernet), ether(0x0800, 1, ipTCP(f, false, true, "")))
	f.Add(uint16(LinkLinuxSLL2), sll2(0x86dd, ipTCP(f, true, false, "hello")))
	f.Add(uint16(LinkNull), append([]byte{30, 0, 0, 0}, ipTCP(f, true, false, "x")...))
	f.Fuzz(func(t *testing.T, lt uint16, frame []byte) {
		d, err := New(LinkType(lt))
		if err != nil {
			return
		}
		var p Packet
		if d.Decode(frame, &p) == TCP && uint32(len(p.Seg.Payload)) > p.Seg.Len {
			t.Fatalf("payload %d bytes for Len %d", len(p.Seg.Payload), p.Seg.Len)
		}
	})
}
