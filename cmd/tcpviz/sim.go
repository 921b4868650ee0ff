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
	"github.com/tcpviz/tcpviz/fsm/output"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/tui"
)

// simOptions are sim's own flags.
type simOptions struct {
	writePcap string
	force     bool
	rfc       bool
	dir       string // --scenarios: more scenario files for the picker
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
		Use:   "sim [SCENARIO | FILE]",
		Short: "Play a simulated scenario (default: " + sim.DefaultScenario + ")",
		Long: `Play one of the built-in scenarios on two simulated RFC 9293 endpoints
joined by a 10 ms link, Linux-like by default (--rfc for the letter of the
RFC where the two differ): in the interactive view on a terminal, or as a text
ladder (--format text, the default when stdout is not a terminal) or JSON
Lines (--format json).

Scenarios: ` + strings.Join(sim.Names(), ", ") + `
('tcpviz scenarios' says what each one shows.)

FILE is a scenario file of your own (a path with a / or ending in .tcps),
played exactly as a built-in one; 'tcpviz scenarios --show echo' prints a
built-in's file to start from. The README's "Scenario files" describes the
format.`,
		Example: `  tcpviz sim lost-fin --format text
  tcpviz sim echo --format json --lang zh
  tcpviz sim half-close --write-pcap half-close.pcap
  tcpviz sim unread-rst --rfc
  tcpviz sim ./lesson.tcps --format text
  tcpviz sim --scenarios lessons/`,
		Args: cobra.ArbitraryArgs,
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return sim.Names(), cobra.ShellCompDirectiveDefault
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSim(cmd.OutOrStdout(), opts, so, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&so.writePcap, "write-pcap", "", "also write the simulated segments to this pcap `FILE`")
	f.BoolVar(&so.force, "force", false, "overwrite the --write-pcap file if it exists")
	f.StringVar(&so.dir, "scenarios", "", "also offer the scenario files (*.tcps) in `DIR` in the picker (s)")
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
	catalog := newCatalog()
	var sc sim.Scenario
	if isScenarioFile(name) {
		if sc, err = readScenarioFile(name); err != nil {
			return err
		}
		catalog.add(name, sc)
	} else if sc, err = sim.Find(name); err != nil {
		return &usageError{err}
	}
	if so.dir != "" {
		if err := catalog.addDir(so.dir); err != nil {
			return err
		}
	}

	var pcap *os.File
	if so.writePcap != "" {
		if pcap, err = createOutput(so.writePcap, so.force); err != nil {
			return err
		}
	}
	s, err := playScenario(sc, so.config())
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
		return tui.RunSimulation(catalog.tuiOptions(lang, name, so.config()))
	case "json":
		return output.NewJSONWriter(stdout, lang).WriteTimeline(s.Timeline())
	default:
		return output.NewTextWriter(stdout, lang, output.TextOptions{}).WriteTimeline(s.Timeline())
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
