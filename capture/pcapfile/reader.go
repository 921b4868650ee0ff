package pcapfile

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/pcapgo"
	"github.com/tcpviz/tcpviz/capture/decode"
)

// ErrNotCapture is returned for input that is neither pcap nor pcapng.
var ErrNotCapture = errors.New("not a pcap or pcapng file")

// Format is the container format of a capture.
type Format uint8

// The formats.
const (
	PCAP Format = iota + 1
	PCAPNG
)

// String names the format.
func (f Format) String() string {
	switch f {
	case PCAP:
		return "pcap"
	case PCAPNG:
		return "pcapng"
	}
	return "unknown"
}

// maxSnaplen bounds the packet buffer whatever a header claims, as tcpdump's
// MAXIMUM_SNAPLEN does, so a corrupt header cannot make us allocate gigabytes.
const maxSnaplen = 262144

// bufSize is the read buffer: large enough that a read system call moves
// many packets.
const bufSize = 1 << 19

// Magic numbers (first four bytes of the file).
const (
	magicMicros     = 0xa1b2c3d4
	magicNanos      = 0xa1b23c4d
	magicPcapngSHB  = 0x0a0d0d0a
	magicGzipPrefix = 0x1f8b // first two bytes
)

// Reader reads the packets of one capture in file order.
//
// Call Next until it returns an error: io.EOF at a clean end, a
// *TruncatedError when the file stops in the middle of a packet, or another
// error when a packet record itself is corrupt. Packets returned before the
// error are good.
type Reader struct {
	name   string
	file   *os.File        // nil for a caller's io.Reader
	count  *countingReader // the bytes the capture is parsed from
	raw    *countingReader // the file's bytes: count, or under it the compressed stream
	br     *bufio.Reader
	format Format
	link   decode.LinkType
	size   int64 // bytes in the file; -1 when unknown (stdin, a pipe)

	pcap *pcapgo.Reader
	ng   *pcapgo.NgReader

	packets uint64
	ngOrder binary.ByteOrder // byte order of the current pcapng section

	pcapHeader []byte           // a copy of the pcap file header
	pcapOrder  binary.ByteOrder // its byte order
}

// Open opens a capture file by name; "-" reads stdin. Errors say what is
// wrong in one line: missing file, a directory, not a capture.
func Open(path string) (*Reader, error) {
	if path == "-" {
		return NewReader(os.Stdin, "stdin", -1)
	}
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file", path)
		}
		if errors.Is(err, os.ErrPermission) {
			return nil, fmt.Errorf("%s: permission denied", path)
		}
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%s: is a directory, not a capture file", path)
	}
	size := int64(-1)
	if fi.Mode().IsRegular() {
		size = fi.Size()
	}
	r, err := NewReader(f, path, size)
	if err != nil {
		f.Close()
		return nil, err
	}
	r.file = f
	return r, nil
}

// NewReader reads a capture from r; name is used in error messages and size
// (or -1) for progress.
func NewReader(r io.Reader, name string, size int64) (*Reader, error) {
	cr := &countingReader{r: r}
	bs := bufSize
	if size >= 0 && size+16 < bufSize {
		bs = max(int(size)+16, 4096) // a small file needs no large buffer
	}
	rd := &Reader{name: name, count: cr, raw: cr, br: bufio.NewReaderSize(cr, bs), size: size}
	if h, _ := rd.br.Peek(2); len(h) == 2 && binary.BigEndian.Uint16(h) == magicGzipPrefix {
		// A compressed capture (tcpdump -w - | gzip): read what it
		// decompresses to, so pcap and pcapng are told apart as usual.
		gz, err := gzip.NewReader(rd.br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (a damaged gzip stream: %v)", name, ErrNotCapture, err)
		}
		rd.count = &countingReader{r: gz}
		rd.br = bufio.NewReaderSize(rd.count, bufSize)
	}
	head, err := rd.br.Peek(4)
	if len(head) < 4 {
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(head) == 0 {
			return nil, fmt.Errorf("%s: empty file, %w", name, ErrNotCapture)
		}
		return nil, fmt.Errorf("%s: %w", name, ErrNotCapture)
	}
	le, be := binary.LittleEndian.Uint32(head), binary.BigEndian.Uint32(head)
	switch {
	case le == magicPcapngSHB:
		rd.format = PCAPNG
		rd.ngOrder = binary.LittleEndian
		if h, _ := rd.br.Peek(12); len(h) == 12 && binary.BigEndian.Uint32(h[8:]) == 0x1a2b3c4d {
			rd.ngOrder = binary.BigEndian
		}
		lt, found := rd.ngLinkType()
		ng, err := pcapgo.NewNgReader(rd.br, pcapgo.NgReaderOptions{})
		if err != nil {
			return nil, rd.headerError(err)
		}
		rd.ng, rd.link = ng, lt
		if !found {
			rd.link = decode.LinkType(ng.LinkType())
		}
	case le == magicMicros || be == magicMicros || le == magicNanos || be == magicNanos:
		rd.format = PCAP
		if h, _ := rd.br.Peek(24); len(h) == 24 {
			rd.pcapHeader = append([]byte(nil), h...)
		}
		p, err := pcapgo.NewReader(rd.br)
		if err != nil {
			return nil, rd.headerError(err)
		}
		// pcapgo refuses packets longer than the header's snaplen, which some
		// writers do not honour; readers such as tcpdump use their own limit.
		// (A packet cannot be larger than the file, so a small file gets a
		// small packet buffer.)
		snap := maxSnaplen
		if size >= 0 && size < maxSnaplen {
			snap = int(size)
		}
		p.SetSnaplen(uint32(snap))
		rd.pcap, rd.link = p, decode.LinkType(p.LinkType())
		// pcapgo keeps the link type in a uint8 and so cannot hold
		// LINUX_SLL2 (276): read the header's 32-bit field ourselves.
		if h := rd.pcapHeader; len(h) == 24 {
			rd.pcapOrder = pcapOrder(le)
			rd.link = decode.LinkType(rd.pcapOrder.Uint32(h[20:24]) & 0xffff)
		}
	default:
		return nil, fmt.Errorf("%s: %w", name, ErrNotCapture)
	}
	return rd, nil
}

func (r *Reader) headerError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: %s header is truncated", r.name, r.format)
	}
	return fmt.Errorf("%s: %w (%v)", r.name, ErrNotCapture, err)
}

// Next returns the next packet's bytes (valid until the following call)
// and its capture time.
func (r *Reader) Next() (data []byte, ts time.Time, err error) {
	start := r.Offset()
	if r.pcap != nil {
		if err := r.checkPcapRecord(); err != nil {
			return nil, ts, err
		}
		var ci gopacket.CaptureInfo
		data, ci, err = r.pcap.ZeroCopyReadPacketData()
		ts = ci.Timestamp
	} else {
		if err := r.checkNgBlocks(); err != nil {
			return nil, ts, err
		}
		var ci gopacket.CaptureInfo
		data, ci, err = r.ng.ZeroCopyReadPacketData()
		ts = ci.Timestamp
	}
	if err != nil {
		return nil, ts, r.wrap(err, start)
	}
	r.packets++
	return data, ts, nil
}

// checkPcapRecord looks at the next pcap record before pcapgo reads it: a
// record cut short is a TruncatedError (pcapgo cannot tell it from the
// end), and a captured length over the limit is a CorruptError rather than
// an allocation. (Not for gzip-compressed files, whose bytes are not the
// records'.)
func (r *Reader) checkPcapRecord() error {
	if r.pcapOrder == nil {
		return nil
	}
	h, _ := r.br.Peek(16)
	switch {
	case len(h) == 0:
		return io.EOF
	case len(h) < 16:
		return r.truncated()
	}
	n := int(r.pcapOrder.Uint32(h[8:12]))
	if n > maxSnaplen {
		return &CorruptError{Name: r.name, Packets: r.packets, Offset: r.Offset(),
			Err: fmt.Errorf("a record of %d bytes, over the %d-byte limit", n, maxSnaplen)}
	}
	if r.br.Buffered() >= 16+n {
		return nil // the common case: the whole record is in the buffer
	}
	if 16+n > r.br.Size() {
		if r.size >= 0 {
			return r.truncated() // longer than the whole file
		}
		return nil // cannot look that far ahead; pcapgo will find out
	}
	if b, _ := r.br.Peek(16 + n); len(b) < 16+n {
		return r.truncated()
	}
	return nil
}

func (r *Reader) wrap(err error, start int64) error {
	if errors.Is(err, io.EOF) && r.Offset() == start {
		return io.EOF
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &TruncatedError{Name: r.name, Packets: r.packets, Offset: start}
	}
	return &CorruptError{Name: r.name, Packets: r.packets, Offset: start, Err: err}
}

// LinkType is the capture's link type (of its first interface, for pcapng;
// packets of interfaces with another link type are skipped).
func (r *Reader) LinkType() decode.LinkType { return r.link }

func pcapOrder(le uint32) binary.ByteOrder {
	if le == magicMicros || le == magicNanos {
		return binary.LittleEndian
	}
	return binary.BigEndian
}

// ngLinkType finds the 16-bit link type of the first interface description
// block (pcapgo truncates it to 8 bits) by looking ahead at the file's first
// blocks; found is false when it is not within reach.
func (r *Reader) ngLinkType() (lt decode.LinkType, found bool) {
	order := r.ngOrder
	off := 0
	for i := 0; i < 16; i++ {
		h, _ := r.br.Peek(off + 12)
		if len(h) < off+12 {
			break
		}
		typ, n := order.Uint32(h[off:]), int(order.Uint32(h[off+4:]))
		if typ == 1 { // interface description block: LinkType, reserved, SnapLen
			return decode.LinkType(order.Uint16(h[off+8:])), true
		}
		if typ == 6 || typ == 3 || typ == 2 || n < 12 || n%4 != 0 {
			break
		}
		off += n
	}
	return 0, false
}

// Format is pcap or pcapng.
func (r *Reader) Format() Format { return r.format }

// Name is the file name ("stdin" for "-").
func (r *Reader) Name() string { return r.name }

// Packets is the number of packets returned so far.
func (r *Reader) Packets() uint64 { return r.packets }

// Offset is the number of bytes of the file consumed so far: the end of the
// last packet returned.
func (r *Reader) Offset() int64 { return r.count.n - int64(r.br.Buffered()) }

// Size is the file's size in bytes, or -1 when unknown.
func (r *Reader) Size() int64 { return r.size }

// Progress is the fraction of the file read, or -1 when the size is unknown.
func (r *Reader) Progress() float64 {
	if r.size <= 0 {
		return -1
	}
	if r.raw != r.count { // compressed: how much of the file has been read
		return min(float64(r.raw.n)/float64(r.size), 1)
	}
	p := float64(r.Offset()) / float64(r.size)
	if p > 1 {
		p = 1
	}
	return p
}

// Close closes the file Open opened.
func (r *Reader) Close() error {
	if r.file != nil && r.file != os.Stdin {
		return r.file.Close()
	}
	return nil
}

// TruncatedError says the capture ends inside a packet record: the file was
// cut short (a capture still being written, a partial copy). The packets
// before it were read.
type TruncatedError struct {
	Name    string
	Packets uint64 // good packets read before the cut
	Offset  int64  // byte offset of the incomplete record
}

func (e *TruncatedError) Error() string {
	return fmt.Sprintf("%s: capture is truncated: read %d packets, the record at byte %d is incomplete", e.Name, e.Packets, e.Offset)
}

// CorruptError says a packet record could not be parsed (a damaged header);
// reading cannot continue past it.
type CorruptError struct {
	Name    string
	Packets uint64
	Offset  int64
	Err     error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s: corrupt record at byte %d after %d packets: %v", e.Name, e.Offset, e.Packets, e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// BeforeRead sets a function called each time the reader is about to read
// more of the file (every few hundred kilobytes of a file; for a pipe,
// whenever what has arrived is used up, that is before the read that waits
// for more). A caller that buffers output flushes it there, so that what a
// stream has shown so far is out before tcpviz waits.
func (r *Reader) BeforeRead(f func()) { r.count.before = f }

// countingReader counts the bytes read through it, for progress.
type countingReader struct {
	r      io.Reader
	n      int64
	before func()
}

func (c *countingReader) Read(p []byte) (int, error) {
	if c.before != nil {
		c.before()
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
