package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/tcpviz/tcpviz/capture/feed"
	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui"
)

func newReplayCmd(opts *globalOptions) *cobra.Command {
	var filterExpr string
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Replay a pcap or pcapng file: every TCP connection with both endpoints' states",
		Long: `Read a pcap or pcapng capture (tcpdump, Wireshark; '-' reads stdin), find
every TCP connection in it and infer both endpoints' RFC 9293 states from the
segments seen. On a terminal the connection list opens in the interactive
view; otherwise, or with --format, it prints:

  text     each connection's ladder when it ends (both sides CLOSED or in
           TIME-WAIT), those still open when the capture does
  json     one JSON object per segment (and per inferred TIME-WAIT expiry),
           in capture order across connections, each connection numbering
           its own steps
  summary  one JSON object per connection when the capture ends

Link types: Ethernet (with 802.1Q/QinQ tags), Linux cooked v1 and v2
(tcpdump -i any), raw IPv4/IPv6, BSD loopback. The client is the endpoint that
sent the first SYN; a connection joined mid-stream takes the higher port as
the client and is marked mid-stream.`,
		Example: `  tcpviz replay trace.pcapng
  tcpviz replay trace.pcap --format summary
  tcpdump -i any -w - port 8000 | tcpviz replay - --format json
  tcpviz replay trace.pcap --filter 'port 8000 and not host ::1' --format text`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("replay takes one capture file (or - for stdin), got %d arguments", len(args))
			}
			return nil
		},
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return []string{"pcap", "pcapng", "cap"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return runReplay(cmd.OutOrStdout(), cmd.ErrOrStderr(), opts, args[0], filterExpr)
		},
	}
	cmd.Flags().StringVar(&filterExpr, "filter", "", "keep only matching segments: `EXPR` of port N, host ADDR, net PREFIX (each may follow src/dst), tcp, ip, ip6, joined by and/or/not and ( )")
	return cmd
}

// runReplay checks the arguments, opens the capture (so a bad file fails
// before any output or view), then reads it into the chosen output.
func runReplay(stdout, stderr io.Writer, opts *globalOptions, path, filterExpr string) error {
	lang, format, err := opts.parse("text", "json", "summary")
	if err != nil {
		return err
	}
	match, err := parseFilter(filterExpr)
	if err != nil {
		return err
	}
	r, err := pcapfile.Open(path)
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.Unsupported(); err != nil {
		return err
	}
	stats, err := consume(feed.File{R: r, Match: match}, format, lang, stdout, nil, tui.CaptureOptions{})
	return reportSkipped(stderr, r, stats, err)
}

// consume runs a capture source into the chosen output: the view ("tui")
// or a --format written to stdout, until the input ends or stop is closed.
// It is the one place replay and live choose their consumer.
func consume(src feed.Source, format string, lang narrate.Lang, stdout io.Writer, stop <-chan struct{}, view tui.CaptureOptions) (timeline.Stats, error) {
	var out feed.Output
	switch format {
	case "tui":
		view.Lang, view.Source = lang, src.Name()
		return feed.View(src, func(batches <-chan timeline.Batch) error {
			return tui.RunCapture(batches, view)
		})
	case "json":
		out = feed.JSON(stdout, lang)
	case "summary":
		out = feed.Summary(stdout)
	default:
		out = feed.Text(stdout, lang)
	}
	return feed.Run(src, out, stop)
}

// reportSkipped says what the replay passed over: malformed packets, and
// those of a link type tcpviz does not read (a pcapng's other interfaces).
// After an error it is said in the error's line, since bad input gets one
// line; otherwise in a line of its own on stderr.
func reportSkipped(stderr io.Writer, r *pcapfile.Reader, stats timeline.Stats, err error) error {
	var notes []string
	if stats.Malformed > 0 {
		notes = append(notes, fmt.Sprintf("skipped %s of %d", pcapfile.Count(stats.Malformed, "malformed packet"), stats.Packets))
	}
	if n, lt := r.Skipped(); n > 0 && stats.Packets > 0 { // none read: the error names the link type
		notes = append(notes, fmt.Sprintf("skipped %s of link type %v, which tcpviz does not read", pcapfile.Count(n, "packet"), lt))
	}
	switch {
	case len(notes) == 0:
		return err
	case err != nil:
		return fmt.Errorf("%w (%s)", err, strings.Join(notes, "; "))
	}
	fmt.Fprintf(stderr, "tcpviz: %s: %s\n", r.Name(), strings.Join(notes, "; "))
	return nil
}
