package pcapfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/gopacket/pcapgo"

	"github.com/tcpviz/tcpviz/capture/decode"
)

// ngFile writes pcapng blocks, as tcpdump, dumpcap or mergecap would, in a
// chosen byte order.
type ngFile struct {
	o binary.AppendByteOrder
	b []byte
}

func (w *ngFile) block(typ uint32, body []byte) *ngFile {
	n := uint32(12 + (len(body)+3)&^3)
	w.b = w.o.AppendUint32(w.b, typ)
	w.b = w.o.AppendUint32(w.b, n)
	w.b = append(w.b, body...)
	w.b = append(w.b, make([]byte, (4-len(body)%4)%4)...)
	w.b = w.o.AppendUint32(w.b, n)
	return w
}

func (w *ngFile) shb() *ngFile {
	body := w.o.AppendUint32(nil, ngByteOrderMagic)
	body = w.o.AppendUint16(body, 1)
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint64(body, ^uint64(0)) // section length unknown
	return w.block(ngSectionHeader, body)
}

// idb describes an interface; opts are opt(code, value) results.
func (w *ngFile) idb(lt uint16, snap uint32, opts ...[]byte) *ngFile {
	body := w.o.AppendUint16(nil, lt)
	body = w.o.AppendUint16(body, 0)
	body = w.o.AppendUint32(body, snap)
	for _, o := range opts {
		body = append(body, o...)
	}
	if len(opts) > 0 {
		body = append(body, 0, 0, 0, 0) // opt_endofopt
	}
	return w.block(ngInterface, body)
}

func (w *ngFile) opt(code uint16, v []byte) []byte {
	b := w.o.AppendUint16(nil, code)
	b = w.o.AppendUint16(b, uint16(len(v)))
	b = append(b, v...)
	return append(b, make([]byte, (4-len(v)%4)%4)...)
}

// epb is an Enhanced Packet Block of interface id at ts (in its units).
func (w *ngFile) epb(id uint32, ts uint64, data []byte) *ngFile {
	body := w.o.AppendUint32(nil, id)
	body = w.o.AppendUint32(body, uint32(ts>>32))
	body = w.o.AppendUint32(body, uint32(ts))
	body = w.o.AppendUint32(body, uint32(len(data)))
	body = w.o.AppendUint32(body, uint32(len(data)))
	return w.block(ngEnhancedPacket, append(body, data...))
}

// frames returns the packets of a fixture, copied out, with their times.
func frames(t testing.TB, name string) (data [][]byte, ts []time.Time) {
	t.Helper()
	raw := fixture(t, name)
	r, err := NewReader(bytes.NewReader(raw), name, int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	for {
		d, tm, err := r.Next()
		if errors.Is(err, io.EOF) {
			return data, ts
		}
		if err != nil {
			t.Fatal(err)
		}
		data, ts = append(data, append([]byte(nil), d...)), append(ts, tm)
	}
}

// hostile is the 92-byte pcapng of issue 15: its packet block claims a
// captured length of 0xD7FF0402 (3.6 GB), and a block length that is not a
// multiple of 4, so that the old look-ahead let pcapgo size its buffer by it.
func hostile() []byte {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, ngSectionHeader)
	b = le.AppendUint32(b, 28)
	b = le.AppendUint32(b, ngByteOrderMagic)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0)
	b = le.AppendUint64(b, ^uint64(0))
	b = le.AppendUint32(b, 28)
	for _, v := range []uint32{ngInterface, 20, 1, 2048, 20} { // IDB: LinkType 1, reserved 0 (one word), SnapLen 2048
		b = le.AppendUint32(b, v)
	}
	for _, v := range []uint32{ngEnhancedPacket, 0x8E2A6771, 0, 0, 0, 0xD7FF0402, 60} {
		b = le.AppendUint32(b, v)
	}
	return append(b, make([]byte, 16)...)
}

// readBounded reads data to its end and returns the bytes allocated on the
// way and the error that ended it.
func readBounded(t *testing.T, data []byte, size int64) (allocated uint64, err error) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r, err := NewReader(bytes.NewReader(data), "hostile.pcapng", size)
	for err == nil {
		_, _, err = r.Next()
	}
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, err
}

// TestHostileLengthsAllocateNothingLarge holds every length a pcapng can
// claim to what the file holds: the reader says what is wrong in one line
// and allocates at most its read buffer, on a file of known size and on a
// stream.
func TestHostileLengthsAllocateNothingLarge(t *testing.T) {
	huge := func(f func(w *ngFile)) []byte {
		w := &ngFile{o: binary.LittleEndian}
		w.shb().idb(1, 0xffffffff)
		f(w)
		return w.b
	}
	optHeader := binary.LittleEndian.AppendUint16(binary.LittleEndian.AppendUint16(nil, 9), 255) // if_tsresol of 255 bytes
	for _, tc := range []struct {
		name   string
		data   []byte
		want   string
		stream string // what a stream of unknown size says, if not want
	}{
		{"issue 15's 92 bytes", hostile(), "hostile.pcapng: corrupt record at byte 48 after 0 packets: block length 2385143665 is not a multiple of 4 of at least 12", ""},
		{"captured length over its block", huge(func(w *ngFile) {
			w.epb(0, 0, make([]byte, 16))
			binary.LittleEndian.PutUint32(w.b[68:], 0xD7FF0402)
		}), "corrupt record at byte 48 after 0 packets: captured length 3623814146 exceeds its 48-byte block", ""},
		{"packet block of 4 GB", huge(func(w *ngFile) {
			w.epb(0, 0, make([]byte, 16))
			binary.LittleEndian.PutUint32(w.b[52:], 0xfffffff0)
		}), "capture is truncated: read 0 packets, the record at byte 48 is incomplete",
			"corrupt record at byte 48 after 0 packets: a block of 4294967280 bytes, over the 524288-byte limit"},
		{"unknown block of 4 GB", huge(func(w *ngFile) {
			w.block(0x0bad, make([]byte, 16))
			binary.LittleEndian.PutUint32(w.b[52:], 0xfffffff0)
		}), "capture is truncated: read 0 packets, the record at byte 48 is incomplete", ""},
		{"interface of another section", huge(func(w *ngFile) { w.shb().epb(0, 0, make([]byte, 16)) }),
			"corrupt record at byte 76 after 0 packets: a packet of interface 0, but the section describes 0", ""},
		{"option over its block", (&ngFile{o: binary.LittleEndian}).shb().idb(1, 0, optHeader).b,
			"corrupt record at byte 28 after 0 packets: interface option 9 of 255 bytes overruns its block", ""},
	} {
		for _, size := range []int64{int64(len(tc.data)), -1} {
			t.Run(tc.name+"/size "+strconv.FormatInt(size, 10), func(t *testing.T) {
				alloc, err := readBounded(t, tc.data, size)
				want := tc.want
				if size < 0 && tc.stream != "" {
					want = tc.stream
				}
				if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), want) {
					t.Errorf("err %v, want one line with %q", err, want)
				}
				if limit := uint64(bufSize + 64<<10); alloc > limit {
					t.Errorf("allocated %d bytes reading %d, over %d", alloc, len(tc.data), limit)
				}
			})
		}
	}
}

// TestPacketsAllocateNothing reads a long pcapng: no allocation per packet.
func TestPacketsAllocateNothing(t *testing.T) {
	data, ts := frames(t, "lo.pcap")
	w := (&ngFile{o: binary.LittleEndian}).shb().idb(1, 262144)
	for i := 0; i < 40; i++ {
		for j, d := range data {
			w.epb(0, uint64(ts[j].UnixMicro()), d)
		}
	}
	r, err := NewReader(bytes.NewReader(w.b), "long", int64(len(w.b)))
	if err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%.1f allocations per packet", allocs)
	}
}

// TestPcapngMatchesPcapgo reads the fixtures as pcapgo's NgReader does (it
// is right about ordinary files): the same bytes and times.
func TestPcapngMatchesPcapgo(t *testing.T) {
	for _, name := range []string{"lo.pcapng", "any-sll.pcapng"} {
		raw := fixture(t, name)
		ref, err := pcapgo.NewNgReader(bytes.NewReader(raw), pcapgo.DefaultNgReaderOptions)
		if err != nil {
			t.Fatal(err)
		}
		data, ts := frames(t, name)
		for i := range data {
			want, ci, err := ref.ReadPacketData()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data[i], want) || !ts[i].Equal(ci.Timestamp) {
				t.Fatalf("%s packet %d: %d bytes at %v, pcapgo %d at %v", name, i, len(data[i]), ts[i], len(want), ci.Timestamp)
			}
		}
		if _, _, err := ref.ReadPacketData(); !errors.Is(err, io.EOF) {
			t.Errorf("%s: pcapgo has more than %d packets", name, len(data))
		}
	}
}

// mixedCapture is a pcapng as mergecap makes one from `tcpdump -i lo` and
// `tcpdump -i any`: an Ethernet interface and a Linux cooked v2 one, their
// packets interleaved by time; ns gives the second interface nanosecond
// times.
func mixedCapture(t *testing.T, o binary.AppendByteOrder) (file []byte, links []decode.LinkType) {
	eth, ethTS := frames(t, "lo.pcap")
	sll2, sll2TS := frames(t, "any-sll2.pcap")
	w := (&ngFile{o: o}).shb().idb(1, 262144)
	w.idb(276, 262144, w.opt(9, []byte{9}), w.opt(2, []byte("any")))
	for i := 0; i < max(len(eth), len(sll2)); i++ {
		if i < len(eth) {
			w.epb(0, uint64(ethTS[i].UnixMicro()), eth[i])
			links = append(links, decode.LinkEthernet)
		}
		if i < len(sll2) {
			w.epb(1, uint64(sll2TS[i].UnixNano()), sll2[i])
			links = append(links, decode.LinkLinuxSLL2)
		}
	}
	return w.b, links
}

// TestPcapngInterfacesOfTwoLinkTypes reads each packet with its own
// interface's link type, in either byte order, and as many packets as
// tshark.
func TestPcapngInterfacesOfTwoLinkTypes(t *testing.T) {
	for _, o := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		file, links := mixedCapture(t, o)
		r, err := NewReader(bytes.NewReader(file), "mixed", int64(len(file)))
		if err != nil {
			t.Fatal(err)
		}
		if r.LinkType() != decode.LinkEthernet {
			t.Errorf("%v: first link type %v", o, r.LinkType())
		}
		n := 0
		for ; ; n++ {
			_, _, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("%v: packet %d: %v", o, n, err)
			}
			if r.LinkType() != links[n] {
				t.Fatalf("%v: packet %d of link type %v, want %v", o, n, r.LinkType(), links[n])
			}
		}
		if n != len(links) {
			t.Errorf("%v: %d packets, want %d", o, n, len(links))
		}
		if got := tsharkCount(t, file); got != n {
			t.Errorf("%v: tshark reads %d packets, tcpviz %d", o, got, n)
		}
	}
}

// tsharkCount is the number of packets tshark reads in file.
func tsharkCount(t *testing.T, file []byte) int {
	t.Helper()
	if _, err := exec.LookPath("tshark"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tshark is not installed")
		}
		t.Skip("tshark is not installed (apt-get install tshark)")
	}
	path := filepath.Join(t.TempDir(), "capture.pcapng")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("tshark", "-r", path).Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	return bytes.Count(out, []byte("\n"))
}

// TestPcapngClock follows each interface's if_tsresol and if_tsoffset.
func TestPcapngClock(t *testing.T) {
	want := time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.UTC)
	sec, ns := uint64(want.Unix()), uint64(want.Nanosecond())
	for _, tc := range []struct {
		name   string
		tsres  []byte // nil: the default, microseconds
		offset int64
		ts     uint64
		round  time.Duration // the unit's precision
	}{
		{"microseconds", nil, 0, sec*1e6 + ns/1e3, time.Microsecond},
		{"nanoseconds", []byte{9}, 0, sec*1e9 + ns, 1},
		{"seconds", []byte{0}, 0, sec, time.Second},
		{"2^-20 seconds", []byte{0x80 | 20}, 0, sec<<20 | ns<<20/1e9, time.Microsecond},
		{"offset", []byte{3}, 1_000_000_000, (sec-1e9)*1e3 + ns/1e6, time.Millisecond},
		{"picoseconds", []byte{12}, 0, (sec-1.79e9)*1e12 + ns*1e3, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &ngFile{o: binary.LittleEndian}
			var opts [][]byte
			if tc.tsres != nil {
				opts = append(opts, w.opt(9, tc.tsres))
			}
			if tc.offset != 0 {
				opts = append(opts, w.opt(14, binary.LittleEndian.AppendUint64(nil, uint64(tc.offset))))
			}
			w.shb().idb(1, 0, opts...).epb(0, tc.ts, []byte{1})
			r, err := NewReader(bytes.NewReader(w.b), "clock", int64(len(w.b)))
			if err != nil {
				t.Fatal(err)
			}
			_, ts, err := r.Next()
			if tc.name == "picoseconds" {
				ts = ts.Add(1.79e9 * time.Second)
			}
			if d := want.Sub(ts); err != nil || d < 0 || d >= tc.round && tc.round > 1 || tc.round == 1 && d != 0 {
				t.Errorf("%v (%v), want %v to within %v", ts, err, want, tc.round)
			}
		})
	}
}

// TestPcapngBlocksOfEveryKind reads the obsolete Packet Block and the Simple
// Packet Block, passes over blocks tcpviz does not read (one larger than the
// read buffer), and checks that a block ends with its own length.
func TestPcapngBlocksOfEveryKind(t *testing.T) {
	o := binary.LittleEndian
	pb := func(w *ngFile, id uint16, data []byte) {
		body := o.AppendUint16(nil, id)
		body = o.AppendUint16(body, 0) // drops
		body = o.AppendUint64(body, 0)
		body = o.AppendUint32(body, uint32(len(data)))
		body = o.AppendUint32(body, uint32(len(data)))
		w.block(ngPacketObsolete, append(body, data...))
	}
	spb := func(w *ngFile, orig uint32, data []byte) {
		w.block(ngSimplePacket, append(o.AppendUint32(nil, orig), data...))
	}
	w := (&ngFile{o: o}).shb().idb(1, 4)
	pb(w, 0, []byte("obsolete"))
	w.block(4, make([]byte, 40))           // name resolution
	w.block(0x0bad, make([]byte, 600<<10)) // custom, larger than the buffer
	spb(w, 7, []byte("simple!!"))          // snap length 4
	w.block(5, make([]byte, 20))           // interface statistics
	for _, size := range []int64{int64(len(w.b)), -1} {
		r, err := NewReader(bytes.NewReader(w.b), "kinds", size)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for {
			d, _, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, string(d))
		}
		if strings.Join(got, ",") != "obsolete,simp" {
			t.Errorf("size %d: packets %q", size, got)
		}
	}

	bad := (&ngFile{o: o}).shb().idb(1, 0).epb(0, 0, []byte("x"))
	o.PutUint32(bad.b[len(bad.b)-4:], 40)
	if _, err := readAll(t, bad.b); err == nil || !strings.Contains(err.Error(), "block length 40 at its end, 36 at its start") {
		t.Errorf("damaged trailer: %v", err)
	}
}

// TestPcapngUnsupportedInterfaceIsSkipped passes over the packets of an
// interface of a link type tcpviz does not read, and counts them; a file
// of nothing else is unsupported, naming its link type.
func TestPcapngUnsupportedInterfaceIsSkipped(t *testing.T) {
	eth, _ := frames(t, "lo.pcap")
	w := (&ngFile{o: binary.LittleEndian}).shb().idb(189, 0).idb(1, 0) // USB_LINUX, Ethernet
	w.epb(0, 0, []byte("usb")).epb(1, 0, eth[0]).epb(0, 0, []byte("usb"))
	r, _ := NewReader(bytes.NewReader(w.b), "usb", int64(len(w.b)))
	if n, err := readAll(t, w.b); n != 1 || err != nil {
		t.Errorf("%d packets, %v", n, err)
	}
	drain(r)
	if n, lt := r.Skipped(); n != 2 || lt != 189 || r.Unsupported() != nil {
		t.Errorf("skipped %d of link type %v; unsupported: %v", n, lt, r.Unsupported())
	}

	only := (&ngFile{o: binary.LittleEndian}).shb().idb(189, 0).epb(0, 0, []byte("usb"))
	r, _ = NewReader(bytes.NewReader(only.b), "usb", int64(len(only.b)))
	if err := r.Unsupported(); err != nil {
		t.Errorf("before reading: %v", err)
	}
	drain(r)
	if err := r.Unsupported(); err == nil || err.Error() != "usb: unsupported link type USB_LINUX (189): tcpviz reads Ethernet, Linux cooked v1/v2, raw IP and BSD loopback" {
		t.Errorf("after reading: %v", err)
	}
}

// drain reads r to its end.
func drain(r *Reader) {
	for {
		if _, _, err := r.Next(); err != nil {
			return
		}
	}
}

// BenchmarkNext reads one packet: a frame of a real capture, over and over,
// from a pcap and from a pcapng in memory.
func BenchmarkNext(b *testing.B) {
	data, ts := frames(b, "lo.pcap")
	ng := (&ngFile{o: binary.LittleEndian}).shb().idb(1, 262144)
	pcap := append([]byte(nil), fixture(b, "lo.pcap")[:24]...)
	for i := 0; i < 200; i++ {
		for j, d := range data {
			ng.epb(0, uint64(ts[j].UnixMicro()), d)
			pcap = binary.LittleEndian.AppendUint32(pcap, uint32(ts[j].Unix()))
			pcap = binary.LittleEndian.AppendUint32(pcap, uint32(ts[j].Nanosecond()/1000))
			pcap = binary.LittleEndian.AppendUint32(pcap, uint32(len(d)))
			pcap = binary.LittleEndian.AppendUint32(pcap, uint32(len(d)))
			pcap = append(pcap, d...)
		}
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{"pcap", pcap}, {"pcapng", ng.b}} {
		b.Run(f.name, func(b *testing.B) {
			b.ReportAllocs()
			var r *Reader
			for i := 0; i < b.N; i++ {
				if r == nil || i%(200*len(data)) == 0 {
					b.StopTimer()
					r, _ = NewReader(bytes.NewReader(f.data), f.name, int64(len(f.data)))
					b.StartTimer()
				}
				if _, _, err := r.Next(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
