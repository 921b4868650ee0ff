package decode

import "fmt"

// LinkType is a LINKTYPE_ value of a pcap or pcapng file (tcpdump.org's
// link-layer header types). gopacket's layers.LinkType is a uint8 and
// cannot hold LINUX_SLL2 (276), so tcpviz keeps its own. Its names are
// libpcap's (what `tcpdump -L` prints) rather than gopacket's, which are
// other words ("Linux SLL", "RadioTap") and "UnknownLinkType" for most of
// the types below: an error must name the link type as the user's tools do.
type LinkType uint16

// The link types tcpviz reads.
const (
	LinkNull      LinkType = 0   // BSD loopback: 4-byte address family in host order
	LinkEthernet  LinkType = 1   // Ethernet (also Linux lo)
	LinkDLTRaw12  LinkType = 12  // DLT_RAW on most BSDs
	LinkDLTRaw14  LinkType = 14  // DLT_RAW on OpenBSD
	LinkRaw       LinkType = 101 // raw IPv4 or IPv6
	LinkLoop      LinkType = 108 // OpenBSD loopback: family in network order
	LinkLinuxSLL  LinkType = 113 // Linux cooked capture v1
	LinkIPv4      LinkType = 228 // raw IPv4
	LinkIPv6      LinkType = 229 // raw IPv6
	LinkLinuxSLL2 LinkType = 276 // Linux cooked capture v2 (tcpdump -i any)
)

// linkNames are libpcap's names: those tcpviz reads, and common ones it
// does not, so that an error can name them.
var linkNames = map[LinkType]string{
	LinkNull: "NULL", LinkEthernet: "EN10MB", LinkDLTRaw12: "RAW", LinkDLTRaw14: "RAW", LinkRaw: "RAW",
	LinkLoop: "LOOP", LinkLinuxSLL: "LINUX_SLL", LinkIPv4: "IPV4", LinkIPv6: "IPV6", LinkLinuxSLL2: "LINUX_SLL2",
	6: "IEEE802", 9: "PPP", 10: "FDDI", 50: "PPP_HDLC", 51: "PPP_ETHER", 104: "C_HDLC", 105: "IEEE802_11",
	119: "PRISM_HEADER", 127: "IEEE802_11_RADIOTAP", 143: "DOCSIS", 147: "USER0",
	163: "IEEE802_11_AVS", 187: "BLUETOOTH_HCI_H4", 189: "USB_LINUX", 192: "PPI", 195: "IEEE802_15_4",
	201: "BLUETOOTH_HCI_H4_WITH_PHDR", 220: "USB_LINUX_MMAPPED",
	227: "CAN_SOCKETCAN", 239: "NFLOG", 249: "USBPCAP", 253: "NETLINK",
}

// String names the link type as libpcap does, with its number, e.g.
// "LINUX_SLL2 (276)".
func (lt LinkType) String() string {
	if n := linkNames[lt]; n != "" {
		return fmt.Sprintf("%s (%d)", n, uint16(lt))
	}
	return fmt.Sprintf("LINKTYPE %d", uint16(lt))
}
