package pcapfile

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
)

// pcapng block types (draft-ietf-opsawg-pcapng §4, §11.1).
const (
	ngSectionHeader  = 0x0a0d0d0a
	ngInterface      = 1
	ngPacketObsolete = 2 // Packet Block, Appendix A
	ngSimplePacket   = 3
	ngEnhancedPacket = 6
	ngByteOrderMagic = 0x1a2b3c4d
)

// maxInterfaces bounds the interfaces one section may describe, so that a
// stream of interface blocks cannot grow the table without end (the
// obsolete Packet Block numbers interfaces in 16 bits).
const maxInterfaces = 1 << 16

// ngIface is what an Interface Description Block says about the packets of
// its interface.
type ngIface struct {
	link     decode.LinkType // 16 bits, as pcapng has them
	readable bool            // decode has a decoder for link
	snap     uint32          // 0: no limit
	tsresol  uint8           // if_tsresol: 10^-n seconds, or 2^-n with the high bit set
	tsoffset int64           // if_tsoffset: seconds added to every time
}

// nextNg reads blocks up to and including the next packet block and
// returns its bytes (a view into the read buffer), time and interface; with
// head, it stops after the first interface description instead.
// Every length is checked against the block it sits in before it is used,
// and a block is taken only when all of it is in the buffer, so nothing
// read from the file sizes anything beyond what the file holds.
func (r *Reader) nextNg(head bool) (data []byte, ts time.Time, ifc *ngIface, err error) {
	for {
		start := r.Offset()
		h, perr := r.br.Peek(12) // every block is at least 12 bytes
		if len(h) < 12 {
			return nil, ts, nil, r.ended(len(h), perr)
		}
		order := r.ngOrder
		typ := order.Uint32(h)
		if typ == ngSectionHeader { // the same in both orders; the section says its own
			switch binary.LittleEndian.Uint32(h[8:]) {
			case ngByteOrderMagic:
				order = binary.LittleEndian
			case bits.ReverseBytes32(ngByteOrderMagic):
				order = binary.BigEndian
			default:
				return nil, ts, nil, r.corruptf(start, "section header without the byte-order magic")
			}
		}
		n := int64(order.Uint32(h[4:]))
		if n < 12 || n%4 != 0 {
			return nil, ts, nil, r.corruptf(start, "block length %d is not a multiple of 4 of at least 12", n)
		}
		if n > int64(r.br.Size()) {
			if err := r.skipLargeBlock(typ, n, order); err != nil {
				return nil, ts, nil, err
			}
			continue
		}
		b, perr := r.br.Peek(int(n))
		if int64(len(b)) < n {
			return nil, ts, nil, r.cut(perr)
		}
		if t := int64(order.Uint32(b[n-4:])); t != n {
			return nil, ts, nil, r.corruptf(start, "block length %d at its end, %d at its start", t, n)
		}
		switch typ {
		case ngSectionHeader:
			err = r.ngSection(b, order)
		case ngInterface:
			err = r.ngInterface(b)
		case ngEnhancedPacket, ngPacketObsolete:
			data, ts, ifc, err = r.ngPacket(typ, b)
		case ngSimplePacket:
			data, ts, ifc, err = r.ngSimple(b)
		}
		if err != nil {
			return nil, ts, nil, r.corrupt(start, err)
		}
		_, _ = r.br.Discard(int(n)) // buffered: cannot fail, and data stays valid until the next read
		if ifc != nil || head && typ == ngInterface {
			return data, ts, ifc, nil
		}
	}
}

// skipLargeBlock passes over a block larger than the read buffer. Only a
// block tcpviz does not read can be that large: a packet's data is at most
// maxSnaplen, so a larger packet, section or interface block has a damaged
// length (or, when the buffer holds the whole file, runs past its end).
func (r *Reader) skipLargeBlock(typ uint32, n int64, order binary.ByteOrder) error {
	start := r.Offset()
	switch typ {
	case ngSectionHeader, ngInterface, ngEnhancedPacket, ngPacketObsolete, ngSimplePacket:
		if r.size >= 0 && r.raw == r.count && start+n > r.size {
			return r.truncated()
		}
		return r.corruptf(start, "a block of %d bytes, over the %d-byte limit", n, r.br.Size())
	}
	for left := n - 4; left > 0; {
		k, err := r.br.Discard(int(min(left, int64(r.br.Size()))))
		left -= int64(k)
		if err != nil {
			return r.cutAt(start, err)
		}
	}
	t, err := r.br.Peek(4)
	if len(t) < 4 {
		return r.cutAt(start, err)
	}
	if int64(order.Uint32(t)) != n {
		return r.corruptf(start, "block length %d at its end, %d at its start", order.Uint32(t), n)
	}
	_, _ = r.br.Discard(4)
	return nil
}

// ngSection starts a section: its byte order, and no interfaces yet.
func (r *Reader) ngSection(b []byte, order binary.ByteOrder) error {
	if len(b) < 28 {
		return fmt.Errorf("section header of %d bytes, under 28", len(b))
	}
	if major := order.Uint16(b[12:]); major != 1 {
		return fmt.Errorf("pcapng version %d.%d, not 1.x", major, order.Uint16(b[14:]))
	}
	r.ngOrder = order
	r.ifaces = r.ifaces[:0]
	return nil
}

// ngInterface adds the interface an Interface Description Block describes:
// link type, snap length, and the options that set its clock.
func (r *Reader) ngInterface(b []byte) error {
	if len(b) < 20 {
		return fmt.Errorf("interface description of %d bytes, under 20", len(b))
	}
	if len(r.ifaces) >= maxInterfaces {
		return fmt.Errorf("more than %d interfaces in one section", maxInterfaces)
	}
	o := r.ngOrder
	lt := decode.LinkType(o.Uint16(b[8:]))
	_, derr := decode.New(lt)
	ifc := ngIface{link: lt, readable: derr == nil, snap: o.Uint32(b[12:]), tsresol: 6}
	for opts := b[16 : len(b)-4]; len(opts) >= 4; {
		code, l := o.Uint16(opts), int(o.Uint16(opts[2:]))
		if code == 0 { // opt_endofopt
			break
		}
		padded := 4 + (l+3)&^3
		if padded > len(opts) {
			return fmt.Errorf("interface option %d of %d bytes overruns its block", code, l)
		}
		switch v := opts[4 : 4+l]; {
		case code == 9 && l == 1: // if_tsresol
			ifc.tsresol = v[0]
		case code == 14 && l == 8: // if_tsoffset
			ifc.tsoffset = int64(o.Uint64(v))
		}
		opts = opts[padded:]
	}
	r.ifaces = append(r.ifaces, ifc)
	return nil
}

// ngPacket reads an Enhanced Packet Block or the obsolete Packet Block,
// which differ only in how wide the interface number is.
func (r *Reader) ngPacket(typ uint32, b []byte) ([]byte, time.Time, *ngIface, error) {
	if len(b) < 32 {
		return nil, time.Time{}, nil, fmt.Errorf("packet block of %d bytes, under 32", len(b))
	}
	o := r.ngOrder
	id := o.Uint32(b[8:])
	if typ == ngPacketObsolete {
		id = uint32(o.Uint16(b[8:]))
	}
	if id >= uint32(len(r.ifaces)) {
		return nil, time.Time{}, nil, fmt.Errorf("a packet of interface %d, but the section describes %d", id, len(r.ifaces))
	}
	caplen := o.Uint32(b[20:])
	if int64(caplen) > int64(len(b)-32) {
		return nil, time.Time{}, nil, fmt.Errorf("captured length %d exceeds its %d-byte block", caplen, len(b))
	}
	ifc := &r.ifaces[id]
	r.lastTime = ifc.time(uint64(o.Uint32(b[12:]))<<32 | uint64(o.Uint32(b[16:])))
	return b[28 : 28+caplen], r.lastTime, ifc, nil
}

// ngSimple reads a Simple Packet Block: a packet of the first interface,
// with no time of its own (it gets the time of the packet before it) and
// the captured length implied: the original length cut to the snap length
// and to the block.
func (r *Reader) ngSimple(b []byte) ([]byte, time.Time, *ngIface, error) {
	if len(b) < 16 {
		return nil, time.Time{}, nil, fmt.Errorf("simple packet block of %d bytes, under 16", len(b))
	}
	if len(r.ifaces) == 0 {
		return nil, time.Time{}, nil, fmt.Errorf("a packet before any interface description")
	}
	ifc := &r.ifaces[0]
	n := min(int64(r.ngOrder.Uint32(b[8:])), int64(len(b)-16))
	if ifc.snap > 0 {
		n = min(n, int64(ifc.snap))
	}
	return b[12 : 12+n], r.lastTime, ifc, nil
}

// pow10 holds the powers of ten a uint64 can.
var pow10 = func() (p [20]uint64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// time turns a timestamp in the interface's units (if_tsresol, §4.2) into a
// time, without overflow whatever the resolution.
func (ifc *ngIface) time(ts uint64) time.Time {
	var sec, nsec uint64
	if e := uint(ifc.tsresol & 0x7f); ifc.tsresol&0x80 != 0 { // 2^-e seconds
		frac := ts
		if e < 64 {
			sec, frac = ts>>e, ts&(1<<e-1)
		}
		hi, lo := bits.Mul64(frac, 1e9)
		switch {
		case e == 0:
			nsec = lo
		case e < 64:
			nsec = hi<<(64-e) | lo>>e
		default:
			nsec = hi >> (e - 64)
		}
	} else { // 10^-e seconds
		switch {
		case e <= 9:
			sec, nsec = ts/pow10[e], ts%pow10[e]*pow10[9-e]
		case e < uint(len(pow10)):
			sec, nsec = ts/pow10[e], ts%pow10[e]/pow10[e-9]
		case e-9 < uint(len(pow10)):
			nsec = ts / pow10[e-9]
		}
	}
	return time.Unix(int64(sec)+ifc.tsoffset, int64(nsec)).UTC()
}
