//go:build race

package live

// raceEnabled: the race detector slows the traffic generator below the
// rates the capture tests ask for, so they check losses but not the rate.
const raceEnabled = true
