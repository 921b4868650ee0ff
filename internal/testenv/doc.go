// Package testenv is what tests ask of the machine they run on: root, a
// packet socket, a command such as tshark or tmux; and the golden files
// views and outputs are compared with.
//
// On a developer's machine a missing prerequisite skips the test with the
// reason. With TCPVIZ_REQUIRE=all (set by .ci/run) the same reason fails
// the test instead, so CI cannot pass by skipping. Opt-in runs (-short,
// TCPVIZ_SOAK, TCPVIZ_BENCH, TCPVIZ_EXPLORE) are not prerequisites: those
// tests call t.Skip themselves. Nor is a committed fixture: a missing one
// always fails (t.Fatal).
package testenv
