// Package tui is tcpviz's interactive view (bubbletea v2): one stepping
// view of a timeline.Timeline — both endpoints' RFC 9293 state machines, the
// ladder diagram and the narration — fed by the simulator (RunSimulation),
// by a capture through a connection list (RunCapture), or by the loopback
// echo session with its actions bar (RunSession).
//
// The root model here only routes messages and lays the screen out; each
// panel is a small model of its own in a subpackage (stepview, ladder,
// endpoint, narration, connlist, picker), styled from one styles.Styles.
package tui
