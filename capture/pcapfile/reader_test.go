package pcapfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/capture/decode"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "testdata", name))
	if err != nil {
		t.Skipf("fixture %s: %v", name, err)
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
