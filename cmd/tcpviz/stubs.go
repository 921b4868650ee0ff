package main

// Subcommands whose issues are not done yet. Each moves to its own file
// (sim.go, replay.go, live.go, echo.go) when it is built.
