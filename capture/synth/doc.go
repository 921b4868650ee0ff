// Package synth turns TCP segments into packets: Ethernet frames carrying
// IPv4 or IPv6 and TCP, with correct lengths and checksums, written as a
// pcap file. It exports a simulated timeline for Wireshark or tshark, and
// generates large synthetic captures for benchmarks.
package synth
