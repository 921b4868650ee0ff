package main

import "github.com/spf13/cobra"

// Subcommands whose issues are not done yet. Each moves to its own file
// (sim.go, replay.go, live.go, echo.go) when it is built.

func newLiveCmd(opts *globalOptions) *cobra.Command {
	return &cobra.Command{Use: "live", Short: "Capture live on an interface", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return notBuilt("live") }}
}

func newEchoCmd(opts *globalOptions) *cobra.Command {
	return &cobra.Command{Use: "echo", Short: "Drive a real loopback echo session", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return notBuilt("echo") }}
}
