package pcapfile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/capture/decode"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	return data
}

// readAll returns the packets read and the error that ended the reading
// (nil at a clean end).
func readAll(t *testing.T, data []byte) (int, error) {
	t.Helper()
	r, err := NewReader(bytes.NewReader(data), "test", int64(len(data)))
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		_, _, err := r.Next()
		if errors.Is(err, io.EOF) {
			if r.Offset() != int64(len(data)) {
				t.Errorf("clean end at offset %d of %d", r.Offset(), len(data))
			}
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n++
	}
}

func TestFormatsAndLinkTypes(t *testing.T) {
	for _, tc := range []struct {
		name   string
		format Format
		link   decode.LinkType
		pkts   int
	}{
		{"lo.pcap", PCAP, decode.LinkEthernet, 50},
		{"lo.pcapng", PCAPNG, decode.LinkEthernet, 50},
		{"any-sll2.pcap", PCAP, decode.LinkLinuxSLL2, 50},
		{"any-sll2.pcapng", PCAPNG, decode.LinkLinuxSLL2, 50},
		{"any-sll.pcap", PCAP, decode.LinkLinuxSLL, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := fixture(t, tc.name)
			r, err := NewReader(bytes.NewReader(data), tc.name, int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if r.Format() != tc.format || r.LinkType() != tc.link {
				t.Errorf("format %v link %v, want %v %v", r.Format(), r.LinkType(), tc.format, tc.link)
			}
			n, err := readAll(t, data)
			if err != nil || n != tc.pkts {
				t.Errorf("%d packets, err %v; want %d", n, err, tc.pkts)
			}
		})
	}
}

func TestNotACapture(t *testing.T) {
	for _, data := range [][]byte{nil, []byte("ab"), []byte("GET / HTTP/1.1\r\n"), make([]byte, 100)} {
		_, err := NewReader(bytes.NewReader(data), "x", int64(len(data)))
		if !errors.Is(err, ErrNotCapture) {
			t.Errorf("%q: err %v", data, err)
		}
	}
}

// TestEveryCutIsReportedAsTruncated cuts the files at every length: the
// reader returns the whole packets before the cut and then either a clean
// end (a cut between records) or a TruncatedError saying where.
func TestEveryCutIsReportedAsTruncated(t *testing.T) {
	for _, name := range []string{"lo.pcap", "lo.pcapng"} {
		data := fixture(t, name)
		full, _ := readAll(t, data)
		prev := 0
		for cut := 0; cut < len(data); cut++ {
			n, err := readAll(t, data[:cut])
			var te *TruncatedError
			switch {
			case err == nil:
			case errors.As(err, &te):
				if te.Packets != uint64(n) || te.Offset > int64(cut) {
					t.Fatalf("%s cut at %d: %v after %d packets", name, cut, err, n)
				}
			case errors.Is(err, ErrNotCapture), strings.Contains(err.Error(), "header is truncated"):
				if n != 0 {
					t.Fatalf("%s cut at %d: %v", name, cut, err)
				}
			default:
				t.Fatalf("%s cut at %d: unexpected %v", name, cut, err)
			}
			if n < prev || n > full {
				t.Fatalf("%s cut at %d: %d packets after %d", name, cut, n, prev)
			}
			prev = n
		}
	}
}

func TestPcapngTrailingStatisticsAreNotATruncation(t *testing.T) {
	data := fixture(t, "lo.pcapng")
	isb := make([]byte, 24)
	binary.LittleEndian.PutUint32(isb[0:], 5) // interface statistics block
	binary.LittleEndian.PutUint32(isb[4:], 24)
	binary.LittleEndian.PutUint32(isb[20:], 24)
	n, err := readAll(t, append(append([]byte(nil), data...), isb...))
	if err != nil || n != 50 {
		t.Errorf("%d packets, err %v", n, err)
	}
}

func TestPcapngHugeCapturedLengthIsCorrupt(t *testing.T) {
	data := append([]byte(nil), fixture(t, "lo.pcapng")...)
	// Find the first enhanced packet block and claim 4 GB were captured.
	for off := 0; off+8 <= len(data); {
		typ, n := binary.LittleEndian.Uint32(data[off:]), int(binary.LittleEndian.Uint32(data[off+4:]))
		if typ == 6 {
			binary.LittleEndian.PutUint32(data[off+20:], 0xffffffff)
			break
		}
		off += n
	}
	_, err := readAll(t, data)
	var ce *CorruptError
	if !errors.As(err, &ce) {
		t.Errorf("err %v, want a CorruptError", err)
	}
}

// swapPcap rewrites a little-endian pcap as a big-endian one (as written on
// a big-endian machine), optionally with the nanosecond magic.
func swapPcap(data []byte, nanos bool) []byte {
	le, be := binary.LittleEndian, binary.BigEndian
	out := make([]byte, 0, len(data))
	magic := uint32(0xa1b2c3d4)
	if nanos {
		magic = 0xa1b23c4d
	}
	out = be.AppendUint32(out, magic)
	out = be.AppendUint16(out, le.Uint16(data[4:]))
	out = be.AppendUint16(out, le.Uint16(data[6:]))
	for _, off := range []int{8, 12, 16, 20} {
		out = be.AppendUint32(out, le.Uint32(data[off:]))
	}
	for off := 24; off+16 <= len(data); {
		n := int(le.Uint32(data[off+8:]))
		sec, sub := le.Uint32(data[off:]), le.Uint32(data[off+4:])
		if nanos {
			sub *= 1000
		}
		out = be.AppendUint32(out, sec)
		out = be.AppendUint32(out, sub)
		out = be.AppendUint32(out, uint32(n))
		out = be.AppendUint32(out, le.Uint32(data[off+12:]))
		out = append(out, data[off+16:off+16+n]...)
		off += 16 + n
	}
	return out
}

func TestBigEndianAndNanosecondPcap(t *testing.T) {
	data := fixture(t, "any-sll2.pcap")
	for _, nanos := range []bool{false, true} {
		swapped := swapPcap(data, nanos)
		r, err := NewReader(bytes.NewReader(swapped), "be", int64(len(swapped)))
		if err != nil {
			t.Fatal(err)
		}
		if r.LinkType() != decode.LinkLinuxSLL2 {
			t.Errorf("link type %v", r.LinkType())
		}
		_, ts0, _ := r.Next()
		_, ts1, _ := r.Next()
		orig, _ := NewReader(bytes.NewReader(data), "le", int64(len(data)))
		_, o0, _ := orig.Next()
		_, o1, _ := orig.Next()
		if !ts0.Equal(o0) || !ts1.Equal(o1) {
			t.Errorf("nanos=%v: times %v %v, want %v %v", nanos, ts0, ts1, o0, o1)
		}
		if n, err := readAll(t, swapped); n != 50 || err != nil {
			t.Errorf("nanos=%v: %d packets, %v", nanos, n, err)
		}
	}
}

func TestGzippedCaptures(t *testing.T) {
	for _, name := range []string{"any-sll2.pcap", "lo.pcapng"} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(fixture(t, name))
		zw.Close()
		r, err := NewReader(bytes.NewReader(buf.Bytes()), name+".gz", int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]decode.LinkType{"any-sll2.pcap": decode.LinkLinuxSLL2, "lo.pcapng": decode.LinkEthernet}[name]; r.LinkType() != want {
			t.Errorf("%s.gz: link type %v", name, r.LinkType())
		}
		n := 0
		for {
			_, _, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%s.gz: %v", name, err)
			}
			n++
		}
		if n != 50 || r.Progress() != 1 {
			t.Errorf("%s.gz: %d packets, progress %v", name, n, r.Progress())
		}
	}
}

// TestGzipDamage tells a damaged gzip stream from a capture: a bad checksum
// is reported after the packets it held, and gzip-compressed data that is
// no capture says it was gzip.
func TestGzipDamage(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(fixture(t, "lo.pcap"))
	zw.Close()
	gz := buf.Bytes()
	gz[len(gz)-8] ^= 0xff // the CRC-32 of the trailer
	n, err := readAll(t, gz)
	var re *ReadError
	if n != 50 || !errors.As(err, &re) || !errors.Is(err, gzip.ErrChecksum) ||
		err.Error() != "test: damaged gzip stream (gzip: invalid checksum), after 50 packets" {
		t.Errorf("bad checksum: %d packets, %v", n, err)
	}

	buf.Reset()
	zw = gzip.NewWriter(&buf)
	zw.Write([]byte("GET / HTTP/1.1\r\n"))
	zw.Close()
	_, err = NewReader(bytes.NewReader(buf.Bytes()), "x.gz", int64(buf.Len()))
	if !errors.Is(err, ErrNotCapture) || err.Error() != "x.gz: gzip-compressed data that is not a pcap or pcapng file" {
		t.Errorf("gzipped text: %v", err)
	}
}

// TestOnePacketIsSingular: "read 1 packet", not "1 packets".
func TestOnePacketIsSingular(t *testing.T) {
	data := fixture(t, "lo.pcap")
	first := 24 + 16 + int(binary.LittleEndian.Uint32(data[24+8:]))
	_, err := readAll(t, data[:first+20])
	if err == nil || !strings.Contains(err.Error(), "capture is truncated: read 1 packet, the record at byte") {
		t.Errorf("%v", err)
	}
}

// TestHostileFileIsAFuzzSeed keeps issue 15's file in FuzzReplay's corpus.
func TestHostileFileIsAFuzzSeed(t *testing.T) {
	b, err := os.ReadFile("../track/testdata/fuzz/FuzzReplay/issue15-92-byte-pcapng")
	if err != nil {
		t.Fatal(err)
	}
	want := "go test fuzz v1\n[]byte(" + strconv.Quote(string(hostile())) + ")\n" // as go test writes it
	if len(hostile()) != 92 || string(b) != want {
		t.Errorf("the seed is\n%s\nwant\n%s", b, want)
	}
}
