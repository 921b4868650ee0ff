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

// maxSnaplen bounds a packet's captured length whatever a header claims, as
// tcpdump's MAXIMUM_SNAPLEN does; the read buffer holds a whole packet of it.
const maxSnaplen = 262144

// bufSize is the read buffer: large enough that a read system call moves
// many packets, and that a record of maxSnaplen fits.
const bufSize = 1 << 19

// magicGzip is the first two bytes of a gzip stream.
const magicGzip = 0x1f8b

// Reader reads the packets of one capture in file order.
//
// Call Next until it returns an error: io.EOF at a clean end, a
// *TruncatedError when the file stops in the middle of a packet, a
// *CorruptError when a record itself is damaged, a *ReadError when the
// bytes cannot be read (a damaged gzip stream, an I/O error). Packets
// returned before the error are good.
//
// One parser reads each format (pcap.go, pcapng.go): it checks every
// length against the bytes that hold it before using it, and returns
// packets as views into its read buffer, so that reading allocates nothing
// per packet and nothing a file claims can size an allocation.
type Reader struct {
	name   string
	file   *os.File        // nil for a caller's io.Reader
	count  *countingReader // the bytes the capture is parsed from
	raw    *countingReader // the file's bytes: count, or under it the compressed stream
	br     *bufio.Reader
	format Format
	size   int64 // bytes in the file; -1 when unknown (stdin, a pipe)

	link     decode.LinkType // of the packet last returned (before any: the capture's first)
	readable bool            // pcap: decode has a decoder for link

	packets     uint64          // returned by Next
	skipped     uint64          // passed over: their link type has no decoder
	skippedLink decode.LinkType // the first such link type

	order binary.ByteOrder // pcap: the file's byte order
	nanos int64            // pcap: nanoseconds per unit of a record's second fraction

	ngOrder  binary.ByteOrder // pcapng: the current section's byte order
	ifaces   []ngIface        // pcapng: the current section's interfaces
	lastTime time.Time        // pcapng: of the last packet, for Simple Packet Blocks
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
	notCapture := ErrNotCapture
	if h, _ := rd.br.Peek(2); len(h) == 2 && binary.BigEndian.Uint16(h) == magicGzip {
		// A compressed capture (tcpdump -w - | gzip): read what it
		// decompresses to, so pcap and pcapng are told apart as usual.
		gz, err := gzip.NewReader(rd.br)
		if err != nil {
			return nil, fmt.Errorf("%s: %w (a damaged gzip stream: %v)", name, ErrNotCapture, err)
		}
		rd.count = &countingReader{r: gzipStream{gz}}
		rd.br = bufio.NewReaderSize(rd.count, bufSize)
		notCapture = errGzipNotCapture
	}
	head, err := rd.br.Peek(4)
	if len(head) < 4 {
		if err != nil && !isEnd(err) {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if len(head) == 0 && notCapture == ErrNotCapture {
			return nil, fmt.Errorf("%s: empty file, %w", name, ErrNotCapture)
		}
		return nil, fmt.Errorf("%s: %w", name, notCapture)
	}
	switch le, be := binary.LittleEndian.Uint32(head), binary.BigEndian.Uint32(head); {
	case le == ngSectionHeader:
		rd.format, rd.ngOrder = PCAPNG, binary.LittleEndian
		if err := rd.ngHead(); err != nil {
			return nil, err
		}
	case le == magicMicros || be == magicMicros || le == magicNanos || be == magicNanos:
		rd.format = PCAP
		if err := rd.pcapHeader(); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("%s: %w", name, notCapture)
	}
	return rd, nil
}

// errGzipNotCapture is ErrNotCapture for a file that was gzip-compressed.
var errGzipNotCapture = fmt.Errorf("gzip-compressed data that is %w", ErrNotCapture)

// ngHead reads a pcapng's first section header and the blocks after it up
// to the first interface description, so that LinkType is known before the
// first packet (and a pipe is not waited on for one).
func (r *Reader) ngHead() error {
	_, _, _, err := r.nextNg(true)
	var te *TruncatedError
	var ce *CorruptError
	switch {
	case err == nil, errors.Is(err, io.EOF):
		if len(r.ifaces) > 0 {
			r.link = r.ifaces[0].link
		}
		return nil
	case errors.As(err, &te):
		return fmt.Errorf("%s: pcapng header is truncated", r.name)
	case errors.As(err, &ce) && ce.Offset == 0:
		return fmt.Errorf("%s: %w (%v)", r.name, ErrNotCapture, ce.Err)
	}
	return err
}

// Next returns the next packet's bytes (valid until the following call)
// and its capture time. Packets of a link type tcpviz has no decoder for
// are passed over and counted (Skipped); LinkType says the link type of
// the packet returned.
func (r *Reader) Next() (data []byte, ts time.Time, err error) {
	for {
		link, readable := r.link, r.readable
		if r.format == PCAP {
			data, ts, err = r.nextPcap()
		} else {
			var ifc *ngIface
			data, ts, ifc, err = r.nextNg(false)
			if ifc != nil {
				link, readable = ifc.link, ifc.readable
			}
		}
		if err != nil {
			return nil, ts, err
		}
		if !readable {
			if r.skipped == 0 {
				r.skippedLink = link
			}
			r.skipped++
			continue
		}
		r.link = link
		r.packets++
		return data, ts, nil
	}
}

// LinkType is the link type of the packet Next returned last; before the
// first, the capture's (its first interface's, for pcapng, whose every
// interface has its own).
func (r *Reader) LinkType() decode.LinkType { return r.link }

// Skipped is the number of packets Next passed over because tcpviz has no
// decoder for their link type, and the first such link type.
func (r *Reader) Skipped() (packets uint64, link decode.LinkType) {
	return r.skipped, r.skippedLink
}

// Unsupported says, naming the link type, when no packet of the capture
// can be decoded: at once for a pcap (one link type for the file), and for
// a pcapng (whose interfaces may be described anywhere) once every packet
// read was passed over.
func (r *Reader) Unsupported() error {
	lt := r.link
	switch {
	case r.format == PCAP && !r.readable:
	case r.format == PCAPNG && r.packets == 0 && r.skipped > 0:
		lt = r.skippedLink
	default:
		return nil
	}
	_, err := decode.New(lt)
	return fmt.Errorf("%s: %w", r.name, err)
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
	return fmt.Sprintf("%s: capture is truncated: read %s, the record at byte %d is incomplete", e.Name, Count(e.Packets, "packet"), e.Offset)
}

// CorruptError says a record could not be parsed (a damaged header or
// length); reading cannot continue past it.
type CorruptError struct {
	Name    string
	Packets uint64
	Offset  int64
	Err     error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s: corrupt record at byte %d after %s: %v", e.Name, e.Offset, Count(e.Packets, "packet"), e.Err)
}

func (e *CorruptError) Unwrap() error { return e.Err }

// ReadError says the bytes of the capture could not be read: a damaged
// gzip stream (a bad checksum, garbage after it) or an I/O error. The
// packets before it were read.
type ReadError struct {
	Name    string
	Packets uint64
	Offset  int64 // of the decompressed bytes, for a gzip stream
	Err     error
}

func (e *ReadError) Error() string {
	return fmt.Sprintf("%s: %v, after %s", e.Name, e.Err, Count(e.Packets, "packet"))
}

func (e *ReadError) Unwrap() error { return e.Err }

// Count says how many of a noun, in the singular for one: "1 packet",
// "2 packets" (error messages, here and in the commands that read captures).
func Count(n uint64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// ended is the error for a record that could not be peeked, avail bytes
// of it there: io.EOF when the input ends cleanly on a record boundary.
func (r *Reader) ended(avail int, err error) error {
	if avail == 0 && errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return io.EOF
	}
	return r.cut(err)
}

// cut is the error for a record at the current offset that is not all
// there: the input ended (or the record runs past the buffer, which holds
// more than the largest record: past the file's end) or could not be read.
func (r *Reader) cut(err error) error { return r.cutAt(r.Offset(), err) }

func (r *Reader) cutAt(off int64, err error) error {
	if err == nil || isEnd(err) {
		return &TruncatedError{Name: r.name, Packets: r.packets, Offset: off}
	}
	return &ReadError{Name: r.name, Packets: r.packets, Offset: off, Err: err}
}

func (r *Reader) truncated() error { return r.cut(nil) }

// isEnd tells the input's end (or a record longer than the buffer, which
// only the end of a small file's buffer can cut) from a read error.
func isEnd(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, bufio.ErrBufferFull)
}

func (r *Reader) corrupt(off int64, err error) error {
	return &CorruptError{Name: r.name, Packets: r.packets, Offset: off, Err: err}
}

func (r *Reader) corruptf(off int64, format string, a ...any) error {
	return r.corrupt(off, fmt.Errorf(format, a...))
}

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

// gzipStream is a gzip reader whose errors say the stream is damaged (a bad
// checksum at its end, garbage after it); a cut stream stays an
// io.ErrUnexpectedEOF, a truncation.
type gzipStream struct{ r *gzip.Reader }

func (g gzipStream) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		err = fmt.Errorf("damaged gzip stream (%w)", err)
	}
	return n, err
}
