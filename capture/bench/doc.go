// Package bench measures capture replay at scale: it generates a large
// synthetic capture (every connection a full handshake, a request and a
// response, and a close) and times decode + track over it, side by side
// with tshark on the same file.
//
//	go test ./capture/bench -run '^$' -bench BenchmarkReplaySummary -benchtime 1x
//	TCPVIZ_BENCH=1 go test ./capture/bench -run TestCompareTshark -v
package bench
