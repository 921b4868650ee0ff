// Package sim is tcpviz's deterministic TCP simulator: two RFC 9293
// endpoints (package fsm) joined by a simulated link with a one-way delay,
// driven by a virtual clock and an event queue, producing a
// timeline.Timeline that every view of tcpviz can show.
//
// Nothing here reads the wall clock or starts a goroutine: the same
// scenario, configuration and faults give the same timeline on every run.
//
// Two ways to drive it:
//
//   - Scenarios (Scenario, Builtin, Play): a short script of socket calls,
//     each waiting for a condition ("when the server is ESTABLISHED:
//     server.accept()"), plus faults the link applies to chosen segments.
//     Play runs the script to the end (every timer included, TIME-WAIT's
//     60 s too) and returns a *Sim that implements timeline.Player: the view
//     steps through its timeline, lists the segments in flight at a step,
//     and injects a fault, which recomputes the rest of the timeline from
//     that step's snapshot.
//   - Interactively (New, Do, Settle, Advance): the caller makes the calls
//     one at a time, as the echo session does to predict what the kernel
//     will do.
//
// Order of events at one instant, so that runs are reproducible: first the
// segments an event produced, in the order the endpoint returned them; then
// a scripted call whose condition now holds; then the earliest timed event,
// arrivals before timers, arrivals in the order they were sent, the client's
// timer before the server's.
package sim
