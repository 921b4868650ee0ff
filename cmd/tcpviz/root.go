package main

import (
	"os"
	"strings"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/filter"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	simpkg "github.com/tcpviz/tcpviz/fsm/sim"
)

// globalOptions are the flags every subcommand shares.
type globalOptions struct {
	format string // "", text, json, summary ("" = TUI on a terminal, text otherwise)
	lang   string
}

func newRootCmd() *cobra.Command {
	opts := &globalOptions{}
	sim := newSimCmd(opts)
	root := &cobra.Command{
		Use:   "tcpviz",
		Short: "Watch the TCP state machine: simulated, on real loopback sockets, or from captures",
		Long: `tcpviz makes the TCP state machine of RFC 9293 visible. Two endpoints, a
client and a server, go through the handshake, exchange data and tear down,
with every state named, every segment drawn and every step explained.

With no subcommand it runs 'tcpviz sim' on the default scenario.`,
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := unknownCommand(cmd, args); err != nil {
				return err
			}
			return sim.RunE(sim, args)
		},
	}
	root.SetVersionTemplate("tcpviz {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&opts.format, "format", "", "output instead of the TUI: text, json (and summary for replay/live)")
	pf.StringVar(&opts.lang, "lang", "en", "narration language: en or zh")
	_ = root.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"text", "json", "summary"}, cobra.ShellCompDirectiveNoFileComp))
	_ = root.RegisterFlagCompletionFunc("lang", cobra.FixedCompletions([]string{"en", "zh"}, cobra.ShellCompDirectiveNoFileComp))
	// The root runs sim, so it takes sim's flags too.
	root.Flags().AddFlagSet(sim.Flags())

	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(sim, newScenariosCmd(opts), newReplayCmd(opts), newLiveCmd(opts), newEchoCmd(opts), newVersionCmd())
	return root
}

// unknownCommand says so when the root's first argument, which it would
// take for a scenario, is not a scenario but a mistyped command (`tcpviz
// relpay a.pcap`): more arguments than a scenario takes, or a name nearer a
// command than any scenario.
func unknownCommand(root *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	if _, ok := simpkg.Lookup(args[0]); ok || isScenarioFile(args[0]) {
		return nil
	}
	root.SuggestionsMinimumDistance = 2
	cmds := root.SuggestionsFor(args[0])
	if len(args) == 1 && (len(cmds) == 0 || simpkg.Nearest(args[0], simpkg.Names()) != "") {
		return nil // sim says which scenario was meant
	}
	if len(cmds) > 0 {
		return usageErrorf("unknown command %q: did you mean %q? ('tcpviz --help' lists the commands)", args[0], cmds[0])
	}
	return usageErrorf("unknown command %q ('tcpviz --help' lists the commands)", args[0])
}

// parse validates --lang and resolves --format against the formats the
// command allows.
func (o *globalOptions) parse(formats ...string) (narrate.Lang, string, error) {
	l, err := narrate.ParseLang(o.lang)
	if err != nil {
		return l, "", &usageError{err}
	}
	f, err := o.outputFormat(formats...)
	return l, f, err
}

// parseFilter turns --filter into a packet predicate; nil when empty.
func parseFilter(expr string) (func(*decode.Packet) bool, error) {
	if expr == "" {
		return nil, nil
	}
	f, err := filter.Parse(expr)
	if err != nil {
		return nil, &usageError{err}
	}
	return func(p *decode.Packet) bool { return f.Match(p.Src, p.Dst) }, nil
}

// outputFormat resolves --format against the allowed values; "" means the
// TUI when stdout is a terminal and text otherwise.
func (o *globalOptions) outputFormat(allowed ...string) (string, error) {
	f := o.format
	if f == "" {
		if stdoutIsTerminal() {
			return "tui", nil
		}
		return "text", nil
	}
	for _, a := range allowed {
		if f == a {
			return f, nil
		}
	}
	return "", usageErrorf("unknown --format %q (want %s)", f, strings.Join(allowed, ", "))
}

// stdoutIsTerminal reports whether stdout is a terminal (not merely a
// character device: /dev/null is one, and `tcpviz > /dev/null` must not
// start the TUI).
func stdoutIsTerminal() bool {
	return term.IsTerminal(os.Stdout.Fd())
}
