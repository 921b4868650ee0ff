// Package timeline is what every source of tcpviz produces and what the one
// view renders: a connection's history as a list of steps, each a segment
// sent, arriving, dropped or observed, an application call or a timer, with
// both endpoints' states after it.
//
// The simulator, the capture tracker and the loopback echo session all build
// a Timeline; the TUI, the text ladder and the JSON Lines output
// (../shared/spec/timeline-json.md) all read one.
package timeline
