package lab

import (
	"testing"

	"golang.org/x/sys/unix"
)

// BenchmarkWire sends b.N UDP datagrams of 64 bytes from the client's
// kernel to the server's through the wire (no latency), at most 64 in
// flight: packets per second through two TUN devices and tcpviz, and the
// allocations of the whole process per packet (the socket calls here
// allocate nothing, so what is counted is the wire's).
func BenchmarkWire(b *testing.B) {
	l := newTestLab(b, Config{Wire: WireConfig{Latency: -1, OnEvent: func(Event) {}}})
	c, s := udpPair(b, l)
	const window = 64
	payload := make([]byte, 64)
	buf := make([]byte, 2048)
	b.ReportAllocs()
	b.ResetTimer()
	sent, got := 0, 0
	for got < b.N {
		for sent < b.N && sent-got < window {
			if _, err := unix.Write(c, payload); err != nil {
				b.Fatal(err)
			}
			sent++
		}
		if _, err := unix.Read(s, buf); err != nil {
			b.Fatalf("after %d of %d datagrams: %v", got, b.N, err)
		}
		got++
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}
