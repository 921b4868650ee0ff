// Package pcapfile streams packets out of a pcap or pcapng capture file (or
// stdin), one at a time, without loading the file first. It tells the two
// formats apart by their magic number, reuses one packet buffer, and turns
// every way a file can be wrong into an error a person can read: not a
// capture, truncated (with how far it got), an unsupported link type.
package pcapfile
