package live

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// ErrFileExists is returned (wrapped) by CreatePcap for a file that exists
// when it was not told to overwrite it.
var ErrFileExists = errors.New("file exists (use --force to overwrite it)")

// PcapFile is a pcap file being written with what a capture reads
// (`--write-pcap`). It is complete and readable by tcpdump and Wireshark
// once Close returns.
type PcapFile struct {
	path string
	f    *os.File
	bw   *bufio.Writer
	w    *pcapgo.Writer
	n    int
}

// CreatePcap creates path for Ethernet frames of at most snaplen bytes (0:
// 262144). An existing file is refused unless force is set.
func CreatePcap(path string, force bool, snaplen int) (*PcapFile, error) {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("%s: %w", path, ErrFileExists)
		}
		var pe *fs.PathError
		if errors.As(err, &pe) { // "open PATH: …" would name it twice
			err = pe.Err
		}
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	if snaplen <= 0 {
		snaplen = 262144
	}
	bw := bufio.NewWriterSize(f, 1<<16)
	w := pcapgo.NewWriterNanos(bw)
	if err := w.WriteFileHeader(uint32(snaplen), layers.LinkTypeEthernet); err != nil {
		f.Close()
		return nil, writeError(path, err)
	}
	return &PcapFile{path: path, f: f, bw: bw, w: w}, nil
}

// WritePacket appends one packet.
func (p *PcapFile) WritePacket(ci gopacket.CaptureInfo, data []byte) error {
	if ci.CaptureLength != len(data) {
		ci.CaptureLength = len(data)
	}
	if ci.Length < ci.CaptureLength {
		ci.Length = ci.CaptureLength
	}
	if err := p.w.WritePacket(ci, data); err != nil {
		return writeError(p.path, err)
	}
	p.n++
	return nil
}

// Packets returns the number of packets written.
func (p *PcapFile) Packets() int { return p.n }

// Path returns the file's name.
func (p *PcapFile) Path() string { return p.path }

// Close flushes what is buffered, syncs and closes the file. Safe to call
// more than once.
func (p *PcapFile) Close() error {
	if p.f == nil {
		return nil
	}
	err := p.bw.Flush()
	if serr := p.f.Sync(); err == nil {
		err = serr
	}
	if cerr := p.f.Close(); err == nil {
		err = cerr
	}
	p.f = nil
	if err != nil {
		return writeError(p.path, err)
	}
	return nil
}

// writeError names the file in a write error, unless the error (an
// os.File's) names it already: "write /dev/full: no space left on device".
func writeError(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("write %s: %w", path, err)
}
