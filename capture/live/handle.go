package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/filter"
	"golang.org/x/sys/unix"
)

// ErrNotPermitted is returned (wrapped) by Open when the process may not
// open a packet socket. Its text is the advice the CLI prints.
var ErrNotPermitted = errors.New("live capture needs root or CAP_NET_RAW: run as root or `sudo setcap cap_net_raw+ep $(command -v tcpviz)`")

// ErrUnknownInterface is returned (wrapped, with the interfaces there are)
// by Open for an interface name the host does not have.
var ErrUnknownInterface = errors.New("unknown interface")

// Config says what to capture.
type Config struct {
	Interface string       // e.g. "lo", "eth0"; "" means "lo"
	Filter    *filter.Expr // the segments to keep; nil keeps every TCP segment
	Snaplen   int          // bytes kept of each packet; 0 means 262144
	// Buffer is the socket's receive buffer in bytes, which absorbs bursts
	// while the reader is busy; 0 means 8 MiB. Root may exceed rmem_max.
	Buffer int
	// KeepOutgoing keeps both copies of each packet on a loopback
	// interface instead of dropping the outgoing one (filter.DropOutgoing).
	KeepOutgoing bool
}

// Stats are a capture's counters since it opened.
type Stats struct {
	Received uint64 // packets read by Run
	Kernel   uint64 // packets the kernel passed the filter (tp_packets)
	Dropped  uint64 // packets the kernel dropped because the buffer was full (tp_drops)
}

// Handle is an open capture on one interface. Run it once.
type Handle struct {
	sock     *socket
	iface    *net.Interface
	loopback bool

	received atomic.Uint64
	kernel   atomic.Uint64
	dropped  atomic.Uint64
	ran      atomic.Bool
}

// readTimeout bounds how long a read blocks, so that Run notices its
// context ending: closing a packet socket does not wake a recvmsg blocked on
// it.
const readTimeout = 50 * time.Millisecond

// Open opens a capture on cfg.Interface with cfg.Filter compiled by
// capture/filter and attached in the kernel before the first packet can
// arrive. An expression too long for BPF fails with an error wrapping
// filter.ErrTooLong.
func Open(cfg Config) (*Handle, error) {
	name := cfg.Interface
	if name == "" {
		name = "lo"
	}
	iface, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("%w %q (there are: %s)", ErrUnknownInterface, name, strings.Join(Interfaces(), ", "))
	}
	snap := cfg.Snaplen
	if snap <= 0 {
		snap = 262144
	}
	buf := cfg.Buffer
	if buf <= 0 {
		buf = 8 << 20
	}
	sock, err := openSocket(snap, buf)
	if errors.Is(err, ErrNotPermitted) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", name, err)
	}
	h := &Handle{sock: sock, iface: iface, loopback: iface.Flags&net.FlagLoopback != 0}
	if err := h.setUp(cfg); err != nil {
		sock.close()
		return nil, fmt.Errorf("capture on %s: %w", name, err)
	}
	return h, nil
}

// setUp checks the interface's framing, attaches the filter, then lets
// packets in.
func (h *Handle) setUp(cfg Config) error {
	hw, err := h.sock.hardwareType(h.iface.Index)
	if err != nil {
		return err
	}
	// SOCK_RAW hands out frames as the device carries them; lo's carry a
	// zeroed Ethernet header.
	if hw != unix.ARPHRD_ETHER && hw != unix.ARPHRD_LOOPBACK {
		return fmt.Errorf("not an Ethernet or loopback interface (ARPHRD %d): tcpviz cannot decode its frames", hw)
	}
	e := cfg.Filter
	if e == nil {
		e = filter.All()
	}
	var opts []filter.Option
	if h.loopback && !cfg.KeepOutgoing {
		opts = append(opts, filter.DropOutgoing)
	}
	prog, err := e.Compile(h.LinkType(), opts...)
	if err != nil {
		return err
	}
	if err := h.sock.attach(prog); err != nil {
		return fmt.Errorf("attach filter: %w", err)
	}
	if err := h.sock.setTimeout(readTimeout); err != nil {
		return fmt.Errorf("read timeout: %w", err)
	}
	if err := h.sock.start(h.iface.Index); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	_, _, _ = h.sock.stats() // count from this moment
	return nil
}

// Close releases a handle that will not be Run (Run closes it itself).
func (h *Handle) Close() {
	if !h.ran.Swap(true) {
		h.sock.close()
	}
}

// Interface returns the name of the interface captured on.
func (h *Handle) Interface() string { return h.iface.Name }

// Loopback reports whether the interface is a loopback interface.
func (h *Handle) Loopback() bool { return h.loopback }

// LinkType is the link type of the frames Run hands out: Ethernet (lo's
// frames carry a zeroed Ethernet header).
func (h *Handle) LinkType() decode.LinkType { return decode.LinkEthernet }

// Stats returns the counters so far. Safe from any goroutine.
func (h *Handle) Stats() Stats {
	return Stats{Received: h.received.Load(), Kernel: h.kernel.Load(), Dropped: h.dropped.Load()}
}

// Run reads packets until ctx ends and hands each to fn on the calling
// goroutine; data is valid only during the call (copy what you keep). It
// then closes the handle. tick, when not nil, is called at least every
// readTimeout and after every packet burst, with the time, so that callers
// can flush batches without a goroutine of their own. Reading a packet
// allocates nothing.
func (h *Handle) Run(ctx context.Context, fn func(data []byte, ci gopacket.CaptureInfo), tick func(now time.Time)) error {
	if h.ran.Swap(true) {
		return errors.New("live: Run called twice")
	}
	defer h.sock.close()
	lastStats := time.Now()
	for {
		if ctx.Err() != nil {
			h.readStats()
			return nil
		}
		n, length, at, err := h.sock.read()
		if err == nil {
			h.received.Add(1)
			fn(h.sock.buf[:n], gopacket.CaptureInfo{Timestamp: at, CaptureLength: n, Length: length, InterfaceIndex: h.iface.Index})
		} else if err != unix.EAGAIN && err != unix.EINTR {
			// A timeout and a signal are the only errors of a bound
			// packet socket that say nothing is wrong.
			return fmt.Errorf("capture on %s: %w", h.iface.Name, err)
		}
		now := time.Now()
		if err != nil || now.Sub(lastStats) >= readTimeout {
			h.readStats()
			lastStats = now
			if tick != nil {
				tick(now)
			}
		}
	}
}

// readStats adds the kernel's counters since the last read.
func (h *Handle) readStats() {
	if packets, drops, err := h.sock.stats(); err == nil {
		h.kernel.Add(uint64(packets))
		h.dropped.Add(uint64(drops))
	}
}

// Interfaces returns the names of the host's network interfaces, sorted.
func Interfaces() []string {
	ifs, err := net.Interfaces()
	if err != nil {
		return nil
	}
	names := make([]string, 0, len(ifs))
	for _, i := range ifs {
		names = append(names, i.Name)
	}
	sort.Strings(names)
	return names
}
