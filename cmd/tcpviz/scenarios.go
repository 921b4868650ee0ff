package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/tcpviz/tcpviz/fsm/sim"
)

func newScenariosCmd(opts *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "scenarios",
		Short: "List the built-in scenarios",
		Long:  "List the built-in scenarios 'tcpviz sim SCENARIO' plays, one line each: name and what it shows.",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("scenarios takes no arguments (got %q); to play one: tcpviz sim %s", args[0], args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			scs := sim.Builtin()
			width := 0
			for _, sc := range scs {
				width = max(width, len(sc.Name))
			}
			w := cmd.OutOrStdout()
			for _, sc := range scs {
				mark := " "
				if sc.Name == sim.DefaultScenario {
					mark = "*"
				}
				if _, err := fmt.Fprintf(w, "%s %-*s  %s\n", mark, width, sc.Name, sc.Description); err != nil {
					return err
				}
			}
			return nil
		},
	}
}
