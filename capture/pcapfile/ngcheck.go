package pcapfile

import (
	"encoding/binary"
	"fmt"
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
			_, _ = r.br.Discard(off) // only complete non-packet blocks (statistics) remain
			return io.EOF
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
		if n < 12 || n%4 != 0 {
			return nil // pcapgo reports the damage
		}
		if off+n > r.br.Size() {
			// Larger than any packet block can be (snaplen 256 KiB): a
			// damaged length, which pcapgo would trust with an allocation.
			return r.corrupt(off, fmt.Errorf("block of %d bytes", n))
		}
		b, _ := r.br.Peek(off + n)
		if len(b) < off+n {
			return r.truncated()
		}
		switch typ {
		case ngEnhancedPacket, ngPacketObsolete:
			// pcapgo sizes its buffer by the captured length without
			// checking it against the block's: check it here.
			if n < 32 || int(order.Uint32(b[off+20:])) > n-32 {
				return r.corrupt(off, fmt.Errorf("captured length exceeds its block"))
			}
			return nil
		case ngSimplePacket:
			if n < 16 || int(order.Uint32(b[off+8:])) > n-16 {
				return r.corrupt(off, fmt.Errorf("packet length exceeds its block"))
			}
			return nil
		}
		off += n
	}
}

func (r *Reader) corrupt(off int, err error) error {
	return &CorruptError{Name: r.name, Packets: r.packets, Offset: r.Offset() + int64(off), Err: err}
}

func (r *Reader) truncated() error {
	return &TruncatedError{Name: r.name, Packets: r.packets, Offset: r.Offset()}
}
