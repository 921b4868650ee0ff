package lab

import (
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// tunName is the TUN device's name in both namespaces.
const tunName = "tun0"

// mtu is the TUN devices' MTU. Without IFF_VNET_HDR the kernel never hands
// a TUN reader more than this, so a packet buffer of maxPacket holds any.
const (
	mtu       = 1500
	maxPacket = 2048
)

// setUpNamespace runs on a side's thread, inside its new namespace: lo
// up, then tun0 made, given addr/prefix (a documentation range: the only
// route is the prefix's, over tun0) and brought up. It returns tun0's file,
// non-blocking so that Close wakes a reader.
func setUpNamespace(addr netip.Prefix) (*os.File, error) {
	fd, err := unix.Open("/dev/net/tun", unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("open /dev/net/tun: %w", err)
	}
	if err := configure(fd, addr); err != nil {
		unix.Close(fd)
		return nil, err
	}
	// Only now, attached to tun0, can the fd join the runtime's poller.
	return os.NewFile(uintptr(fd), tunName), nil
}

func configure(fd int, addr netip.Prefix) error {
	ifr, err := unix.NewIfreq(tunName)
	if err != nil {
		return err
	}
	// IFF_NO_PI: every read and write is one bare IP packet.
	ifr.SetUint16(unix.IFF_TUN | unix.IFF_NO_PI)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		return fmt.Errorf("TUNSETIFF %s: %w", tunName, err)
	}
	h, err := netlink.NewHandle(unix.NETLINK_ROUTE) // in this thread's namespace
	if err != nil {
		return fmt.Errorf("netlink: %w", err)
	}
	defer h.Close()
	lo, err := h.LinkByName("lo")
	if err != nil {
		return fmt.Errorf("lo: %w", err)
	}
	if err := h.LinkSetUp(lo); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	link, err := h.LinkByName(tunName)
	if err != nil {
		return fmt.Errorf("%s: %w", tunName, err)
	}
	if err := h.LinkSetMTU(link, mtu); err != nil {
		return fmt.Errorf("%s mtu: %w", tunName, err)
	}
	a := &netlink.Addr{IPNet: &net.IPNet{
		IP:   addr.Addr().AsSlice(),
		Mask: net.CIDRMask(addr.Bits(), addr.Addr().BitLen()),
	}}
	if addr.Addr().Is6() {
		// No duplicate address detection: the address is usable at once,
		// and nothing but the peer is on the link.
		a.Flags = unix.IFA_F_NODAD
	}
	if err := h.AddrAdd(link, a); err != nil {
		return fmt.Errorf("address %s on %s: %w", addr, tunName, err)
	}
	if err := h.LinkSetUp(link); err != nil {
		return fmt.Errorf("%s up: %w", tunName, err)
	}
	return nil
}
