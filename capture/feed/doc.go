// Package feed is the one wiring of a capture source to a consumer: a
// capture file (replay) or an interface (live) read into a connection
// tracker, its steps going out as text ladders, JSON lines or summaries
// (Run), or in batches to the interactive view (View). A new source
// implements Source and gets every output.
//
// Every streamed output holds only what it has not yet written: JSON drops
// each step once written, text drops a connection's steps once its ladder
// is printed (when the connection is Done), and the view's tracker hands
// its steps to the view, which keeps the only copy.
package feed
