// Package stepview is the stepping view every source shares: a header, the
// client's panel, the ladder, the server's panel and the narration, with
// the keys that step, play, change speed, toggle relative numbers and (on
// a timeline.Player) inject faults into segments in flight.
package stepview
