// Package track is the connection table of a capture: it sorts decoded TCP
// segments into connections by their 4-tuple, decides which endpoint is the
// client, runs one passive observer (fsm/observe) per connection, fires
// TIME-WAIT expiries on the capture's own clock, and turns it all into
// timelines and the batches the view reads.
//
// Two modes: summary only (per-connection totals and final states, a few
// hundred bytes per connection, no steps kept) and full timelines (every
// segment a step, delivered to the view in batches as the capture is read).
//
// Call order: Add for every TCP segment in capture order, then Finish once.
// Conn values and timelines are owned by the Tracker; read them from the
// goroutine that calls Add, or after Finish.
package track
