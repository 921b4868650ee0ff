package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcpviz/tcpviz/fsm/sim"
)

func newScenariosCmd(opts *globalOptions) *cobra.Command {
	var (
		verbose bool
		show    string
	)
	cmd := &cobra.Command{
		Use:     "scenarios",
		Short:   "List the built-in scenarios",
		Long:    "List the built-in scenarios 'tcpviz sim SCENARIO' plays, one line each: name and what it shows\n(* marks the default). With -v, each scenario's script too. With --show NAME,\nthe built-in's scenario file, to copy and change ('tcpviz sim FILE' plays it).",
		Example: "  tcpviz scenarios -v\n  tcpviz scenarios --show lost-fin > mine.tcps && tcpviz sim ./mine.tcps",
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageErrorf("scenarios takes no arguments (got %q); to play one: tcpviz sim %s", args[0], args[0])
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if show != "" {
				sc, err := sim.Find(show)
				if err != nil {
					return &usageError{err}
				}
				_, err = io.WriteString(cmd.OutOrStdout(), sc.Text)
				return err
			}
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
				if verbose {
					printScript(w, sc, width+4)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&verbose, "verbose", "v", false, "also print each scenario's script of socket calls and faults")
	cmd.Flags().StringVar(&show, "show", "", "print the built-in scenario `NAME`'s file, a start for your own")
	_ = cmd.RegisterFlagCompletionFunc("show", cobra.FixedCompletions(sim.Names(), cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// printScript writes a scenario's script, one call a line.
func printScript(w io.Writer, sc sim.Scenario, indent int) {
	pad := strings.Repeat(" ", indent)
	for _, a := range sc.Setup {
		fmt.Fprintf(w, "%sbefore:  %s\n", pad, a)
	}
	for i, a := range sc.Script {
		fmt.Fprintf(w, "%s%2d.  %s\n", pad, i+1, a)
	}
	for _, f := range sc.Faults {
		fmt.Fprintf(w, "%sfault:  %s\n", pad, f)
	}
}
