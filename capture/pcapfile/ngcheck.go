package pcapfile

import (
	"encoding/binary"
	"io"
)

// pcapng block types (draft-ietf-opsawg-pcapng §4).
const (
	ngSectionHeader  = 0x0a0d0d0a
	ngPacketObsolete = 2
	ngSimplePacket   = 3
	ngEnhancedPacket = 6
	ngByteOrderMagic = 0x1a2b3c4d
)

// checkNgBlocks looks ahead, without consuming anything, at the blocks up to
// and including the next packet block, and reports a TruncatedError when the
// file ends inside one. pcapgo's reader returns io.EOF both at a clean end
// and in the middle of a block, so without this look-ahead a cut file would
// look complete, or trailing statistics blocks would look like a cut.
//
// It returns io.EOF when the file ends cleanly on a block boundary and nil
// when the next packet block is complete or cannot be checked (a block
// larger than the read buffer, or a damaged length that pcapgo will report).
func (r *Reader) checkNgBlocks() error {
	order := r.ngOrder
	off := 0
	for {
		h, _ := r.br.Peek(off + 12)
		switch {
		case len(h) == off:
			if off == 0 {
				return io.EOF
			}
			return io.EOF // only non-packet blocks (statistics) remain
		case len(h) < off+8:
			return r.truncated()
		}
		typ := order.Uint32(h[off:])
		if typ == ngSectionHeader {
			if len(h) < off+12 {
				return r.truncated()
			}
			order = binary.LittleEndian
			if binary.BigEndian.Uint32(h[off+8:]) == ngByteOrderMagic {
				order = binary.BigEndian
			}
			r.ngOrder = order
		}
		n := int(order.Uint32(h[off+4:]))
		if n < 12 || n%4 != 0 || off+n > bufSize {
			return nil
		}
		if b, _ := r.br.Peek(off + n); len(b) < off+n {
			return r.truncated()
		}
		switch typ {
		case ngEnhancedPacket, ngSimplePacket, ngPacketObsolete:
			return nil
		}
		off += n
	}
}

func (r *Reader) truncated() error {
	return &TruncatedError{Name: r.name, Packets: r.packets, Offset: r.Offset()}
}
