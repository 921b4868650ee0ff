package live

import (
	"context"
	"errors"
	"fmt"
	"net"
	"reflect"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
	"golang.org/x/net/bpf"
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
	Interface string               // e.g. "lo", "eth0"; "" means "lo"
	Filter    []bpf.RawInstruction // nil keeps every TCP segment (AllTCP)
	Snaplen   int                  // bytes kept of each packet; 0 means 262144
	// Buffer is the socket's receive buffer in bytes, which absorbs bursts
	// while the reader is busy; 0 means 8 MiB. Root may exceed rmem_max.
	Buffer int
	// KeepOutgoing keeps both copies of each packet on a loopback
	// interface instead of dropping the outgoing one.
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
	eth      *pcapgo.EthernetHandle
	fd       int
	iface    *net.Interface
	loopback bool

	received atomic.Uint64
	kernel   atomic.Uint64
	dropped  atomic.Uint64
	ran      atomic.Bool
}

// readTimeout bounds how long a read blocks, so that Run notices its
// context ending: closing a packet socket does not wake a recvmsg blocked on
// it, and EthernetHandle has no deadline of its own.
const readTimeout = 50 * time.Millisecond

// Open opens a capture on cfg.Interface with cfg.Filter attached.
func Open(cfg Config) (*Handle, error) {
	name := cfg.Interface
	if name == "" {
		name = "lo"
	}
	iface, err := net.InterfaceByName(name)
	if err != nil {
		return nil, fmt.Errorf("%w %q (there are: %s)", ErrUnknownInterface, name, strings.Join(Interfaces(), ", "))
	}
	// EthernetHandle's own error loses the errno; ask first, so that a
	// missing capability gets its advice.
	probe, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		if errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil, ErrNotPermitted
		}
		return nil, fmt.Errorf("open packet socket: %w", err)
	}
	unix.Close(probe)

	eth, err := pcapgo.NewEthernetHandle(name)
	if err != nil {
		return nil, fmt.Errorf("capture on %s: %w", name, err)
	}
	h := &Handle{eth: eth, fd: handleFD(eth), iface: iface, loopback: iface.Flags&net.FlagLoopback != 0}
	fail := func(what string, err error) (*Handle, error) {
		eth.Close()
		return nil, fmt.Errorf("capture on %s: %s: %w", name, what, err)
	}
	snap := cfg.Snaplen
	if snap <= 0 {
		snap = 262144
	}
	if err := eth.SetCaptureLength(snap); err != nil {
		return fail("snap length", err)
	}
	buf := cfg.Buffer
	if buf <= 0 {
		buf = 8 << 20
	}
	if err := unix.SetsockoptInt(h.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, buf); err != nil {
		_ = unix.SetsockoptInt(h.fd, unix.SOL_SOCKET, unix.SO_RCVBUF, buf) // capped at rmem_max
	}
	filter := cfg.Filter
	if filter == nil {
		filter = AllTCP()
	}
	if h.loopback && !cfg.KeepOutgoing {
		filter = WithoutOutgoing(filter)
	}
	if err := eth.SetBPF(filter); err != nil {
		return fail("attach filter", err)
	}
	// Packets that arrived between bind and the filter's attachment were
	// not filtered: drain them, as libpcap does.
	h.setTimeout(time.Millisecond)
	for {
		if _, _, err := eth.ZeroCopyReadPacketData(); err != nil {
			break
		}
	}
	h.setTimeout(readTimeout)
	_, _ = eth.Stats() // reset the kernel's counters to this moment
	return h, nil
}

// handleFD reads the packet socket's descriptor out of the EthernetHandle,
// which does not export it: Open needs it for the receive buffer size and a
// read timeout.
func handleFD(h *pcapgo.EthernetHandle) int {
	return int(reflect.ValueOf(h).Elem().FieldByName("fd").Int())
}

func (h *Handle) setTimeout(d time.Duration) {
	tv := unix.NsecToTimeval(d.Nanoseconds())
	_ = unix.SetsockoptTimeval(h.fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
}

// Close releases a handle that will not be Run (Run closes it itself).
func (h *Handle) Close() {
	if !h.ran.Swap(true) {
		h.eth.Close()
	}
}

// Interface returns the name of the interface captured on.
func (h *Handle) Interface() string { return h.iface.Name }

// Loopback reports whether the interface is a loopback interface.
func (h *Handle) Loopback() bool { return h.loopback }

// LinkType is the link type of the frames Run hands out: Ethernet (lo's
// frames carry a zeroed Ethernet header).
func (h *Handle) LinkType() layers.LinkType { return layers.LinkTypeEthernet }

// Stats returns the counters so far. Safe from any goroutine.
func (h *Handle) Stats() Stats {
	return Stats{Received: h.received.Load(), Kernel: h.kernel.Load(), Dropped: h.dropped.Load()}
}

// Run reads packets until ctx ends and hands each to fn on the calling
// goroutine; data is valid only during the call (copy what you keep). It
// then closes the handle. tick, when not nil, is called at least every
// readTimeout and after every packet burst, with the time, so that callers
// can flush batches without a goroutine of their own.
func (h *Handle) Run(ctx context.Context, fn func(data []byte, ci gopacket.CaptureInfo), tick func(now time.Time)) error {
	if h.ran.Swap(true) {
		return errors.New("live: Run called twice")
	}
	defer h.eth.Close()
	lastStats := time.Now()
	for {
		if ctx.Err() != nil {
			h.readStats()
			return nil
		}
		data, ci, err := h.eth.ZeroCopyReadPacketData()
		now := time.Now()
		if err == nil {
			h.received.Add(1)
			fn(data, ci)
		}
		// The handle's error text hides the errno; a timeout and EINTR
		// are the only errors a bound packet socket gives while open.
		if err != nil && !isTimeout(err) {
			return fmt.Errorf("capture on %s: %w", h.iface.Name, err)
		}
		if err != nil || now.Sub(lastStats) >= readTimeout {
			h.readStats()
			lastStats = now
			if tick != nil {
				tick(now)
			}
		}
	}
}

func isTimeout(err error) bool {
	s := err.Error()
	return strings.Contains(s, unix.EAGAIN.Error()) || strings.Contains(s, unix.EINTR.Error())
}

// readStats adds the kernel's counters since the last read (PACKET_STATISTICS
// resets them on every read).
func (h *Handle) readStats() {
	st, err := h.eth.Stats()
	if err != nil {
		return
	}
	h.kernel.Add(uint64(st.Packets))
	h.dropped.Add(uint64(st.Drops))
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
