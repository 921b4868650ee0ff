package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcpviz/tcpviz/capture/synth"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/output"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui"
)

// simOptions are sim's own flags.
type simOptions struct {
	writePcap string
	force     bool
	rfc       bool
}

// config is the simulation the flags ask for.
func (so *simOptions) config() sim.Config {
	if so.rfc {
		return sim.RFCConfig()
	}
	return sim.DefaultConfig()
}

func newSimCmd(opts *globalOptions) *cobra.Command {
	so := &simOptions{}
	cmd := &cobra.Command{
		Use:   "sim [SCENARIO]",
		Short: "Play a simulated scenario (default: " + sim.DefaultScenario + ")",
		Long: `Play one of the built-in scenarios on two simulated RFC 9293 endpoints
joined by a 10 ms link, Linux-like by default (--rfc for the letter of the
RFC where the two differ): in the interactive view on a terminal, or as a text
ladder (--format text, the default when stdout is not a terminal) or JSON
Lines (--format json).

Scenarios: ` + strings.Join(sim.Names(), ", ") + `
('tcpviz scenarios' says what each one shows.)`,
		Example: `  tcpviz sim lost-fin --format text
  tcpviz sim echo --format json --lang zh
  tcpviz sim half-close --write-pcap half-close.pcap
  tcpviz sim unread-rst --rfc`,
		Args: cobra.ArbitraryArgs,
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return sim.Names(), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSim(cmd.OutOrStdout(), opts, so, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&so.writePcap, "write-pcap", "", "also write the simulated segments to this pcap `FILE`")
	f.BoolVar(&so.force, "force", false, "overwrite the --write-pcap file if it exists")
	f.BoolVar(&so.rfc, "rfc", false, "endpoints follow the letter of RFC 9293 where Linux differs (close() with unread data sends FIN, not RST)")
	return cmd
}

// runSim checks every argument before doing anything, so bad input leaves
// no file behind; then plays the scenario and writes what was asked.
func runSim(stdout io.Writer, opts *globalOptions, so *simOptions, args []string) error {
	if len(args) > 1 {
		return usageErrorf("sim takes one scenario, got %d arguments: %s", len(args), strings.Join(args, " "))
	}
	lang, format, err := opts.parse("text", "json")
	if err != nil {
		return err
	}
	name := sim.DefaultScenario
	if len(args) == 1 {
		name = args[0]
	}
	sc, err := sim.Find(name)
	if err != nil {
		return &usageError{err}
	}

	var pcap *os.File
	if so.writePcap != "" {
		if pcap, err = createOutput(so.writePcap, so.force); err != nil {
			return err
		}
	}
	s, err := sim.Play(sc, so.config())
	if err != nil {
		if pcap != nil {
			pcap.Close()
			os.Remove(pcap.Name())
		}
		return err
	}
	if pcap != nil {
		err := synth.WriteTimeline(pcap, s.Timeline())
		if cerr := pcap.Close(); err == nil {
			err = cerr
		}
		var pe *fs.PathError
		if err != nil && !errors.As(err, &pe) { // an os.File's errors name it already
			err = fmt.Errorf("write %s: %w", so.writePcap, err)
		}
		if err != nil {
			return err
		}
	}

	switch format {
	case "tui":
		return tui.RunSimulation(simTUIOptions(lang, name, so.config()))
	case "json":
		return output.NewJSONWriter(stdout, lang).WriteTimeline(s.Timeline())
	default:
		return output.NewTextWriter(stdout, lang, output.TextOptions{}).WriteTimeline(s.Timeline())
	}
}

// simTUIOptions opens the view on scenario name, with every built-in
// scenario to choose from.
func simTUIOptions(lang narrate.Lang, name string, cfg sim.Config) tui.SimOptions {
	var scs []tui.Scenario
	for _, sc := range sim.Builtin() {
		scs = append(scs, tui.Scenario{Name: sc.Name, Description: sc.Description})
	}
	return tui.SimOptions{
		Lang:      lang,
		Scenarios: scs,
		Initial:   name,
		Load: func(name string) (timeline.Player, error) {
			return sim.LoadWith(name, cfg)
		},
	}
}

// createOutput creates a file that must not exist yet, unless force: never
// overwrite what the user did not say to. Its errors are the user's to fix
// (exit 2).
func createOutput(path string, force bool) (*os.File, error) {
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flag, 0o644)
	switch {
	case err == nil:
		return f, nil
	case errors.Is(err, fs.ErrExist):
		return nil, usageErrorf("%s already exists (use --force to overwrite it)", path)
	default:
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, usageErrorf("cannot write %s: %v", path, err)
	}
}
