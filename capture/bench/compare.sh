#!/bin/sh
# Generates a synthetic capture of 1,000,000 packets / 100,000 TCP connections,
# replays it with tcpviz (decode + track, and the real binary with
# --format summary) and with `tshark -r FILE -q -z conv,tcp`, and prints the
# table for the README. About a minute; needs tshark for the comparison.
#
#   capture/bench/compare.sh            (from the repository root, or `make bench`)
set -e
cd "$(dirname "$0")/../.."
TCPVIZ_BENCH=1 ${GO:-go} test -count=1 -run '^TestCompareTshark$' -v ./capture/bench |
	sed -n 's/^        //p' | grep -v '^bench_test.go' || true
