package pcapfile

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/tcpviz/tcpviz/capture/decode"
)

// Magic numbers of a pcap file header (draft-ietf-opsawg-pcap §4).
const (
	magicMicros = 0xa1b2c3d4
	magicNanos  = 0xa1b23c4d
)

// pcapHeader reads the 24-byte file header: byte order, time unit, link
// type (the low 16 bits of its field, which pcapgo would cut to 8).
func (r *Reader) pcapHeader() error {
	h, err := r.br.Peek(24)
	if len(h) < 24 {
		if err != nil && !isEnd(err) {
			return fmt.Errorf("%s: %w", r.name, err)
		}
		return fmt.Errorf("%s: pcap header is truncated", r.name)
	}
	r.order, r.nanos = binary.LittleEndian, 1000
	switch magic := binary.LittleEndian.Uint32(h); {
	case magic == magicNanos:
		r.nanos = 1
	case binary.BigEndian.Uint32(h) == magicMicros:
		r.order = binary.BigEndian
	case binary.BigEndian.Uint32(h) == magicNanos:
		r.order, r.nanos = binary.BigEndian, 1
	}
	if major := r.order.Uint16(h[4:]); major != 2 {
		return fmt.Errorf("%s: %w (pcap version %d.%d)", r.name, ErrNotCapture, major, r.order.Uint16(h[6:]))
	}
	r.link = decode.LinkType(r.order.Uint32(h[20:]) & 0xffff)
	_, derr := decode.New(r.link)
	r.readable = derr == nil
	_, _ = r.br.Discard(24)
	return nil
}

// nextPcap reads the next record, whose bytes are returned as a view into
// the read buffer. A captured length is checked against maxSnaplen before
// anything is read for it.
func (r *Reader) nextPcap() (data []byte, ts time.Time, err error) {
	h, err := r.br.Peek(16)
	if len(h) < 16 {
		return nil, ts, r.ended(len(h), err)
	}
	n := int(r.order.Uint32(h[8:]))
	if n > maxSnaplen {
		return nil, ts, r.corruptf(r.Offset(), "a record of %d bytes, over the %d-byte limit", n, maxSnaplen)
	}
	b, err := r.br.Peek(16 + n)
	if len(b) < 16+n {
		return nil, ts, r.cut(err)
	}
	ts = time.Unix(int64(r.order.Uint32(b)), int64(r.order.Uint32(b[4:]))*r.nanos).UTC()
	_, _ = r.br.Discard(16 + n) // buffered: cannot fail, and b stays valid until the next read
	return b[16:], ts, nil
}
