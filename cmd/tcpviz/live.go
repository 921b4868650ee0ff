package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tcpviz/tcpviz/capture/feed"
	"github.com/tcpviz/tcpviz/capture/filter"
	"github.com/tcpviz/tcpviz/capture/live"
	"github.com/tcpviz/tcpviz/tui"
)

// liveOptions are the flags of `tcpviz live`.
type liveOptions struct {
	iface     string
	filter    string
	writePcap string
	force     bool
	duration  time.Duration
}

func newLiveCmd(opts *globalOptions) *cobra.Command {
	lo := &liveOptions{}
	cmd := &cobra.Command{
		Use:   "live [-i IFACE] [--filter EXPR] [--write-pcap FILE]",
		Short: "Capture live on an interface: every TCP connection with both endpoints' states",
		Long: `Capture TCP on a network interface (default lo) with a pure-Go AF_PACKET
socket and show every connection as it happens, both endpoints' RFC 9293
states inferred from the segments. On lo each packet is kept once (the kernel
drops the outgoing copy, as tcpdump does). On a terminal the connection list
opens in the interactive view; otherwise, or with --format, it streams:

  text     each connection's ladder when it ends (both sides CLOSED or in
           TIME-WAIT), those still open when the capture stops
  json     one JSON object per segment, as they come, each connection
           numbering its own steps
  summary  one JSON object per connection when the capture stops

Ctrl-C stops it (a --write-pcap file is then complete). Live capture needs
root or CAP_NET_RAW: sudo setcap cap_net_raw+ep $(command -v tcpviz)`,
		Example: `  sudo tcpviz live
  sudo tcpviz live -i eth0 --filter 'port 443'
  sudo tcpviz live --filter 'port 8000' --format json
  sudo tcpviz live --write-pcap session.pcap --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runLive(cmd.OutOrStdout(), cmd.ErrOrStderr(), opts, lo)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&lo.iface, "interface", "i", "lo", "capture on `IFACE`")
	f.StringVar(&lo.filter, "filter", "", "keep only matching segments: `EXPR` of port N, host ADDR, net PREFIX (each may follow src/dst), tcp, ip, ip6, joined by and/or/not and ( )")
	f.StringVar(&lo.writePcap, "write-pcap", "", "also save what is captured to `FILE` (pcap)")
	f.BoolVar(&lo.force, "force", false, "overwrite the --write-pcap file if it exists")
	f.DurationVar(&lo.duration, "duration", 0, "stop after this long (0: until Ctrl-C)")
	_ = cmd.RegisterFlagCompletionFunc("interface", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return live.Interfaces(), cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

// runLive opens the capture (a bad interface, filter or --write-pcap file
// fails before any output), runs it into the chosen output until Ctrl-C,
// SIGTERM or --duration, and says on stderr what was captured.
func runLive(stdout, stderr io.Writer, opts *globalOptions, lo *liveOptions) error {
	lang, format, err := opts.parse("text", "json", "summary")
	if err != nil {
		return err
	}
	src, err := openLive(lo)
	if err != nil {
		return err
	}
	stop, cancel := liveStop(lo.duration)
	defer cancel()
	stats, err := consume(src, format, lang, stdout, stop, tui.CaptureOptions{Live: true})
	fmt.Fprintf(stderr, "tcpviz: %d packets captured on %s, %d dropped by the kernel", stats.Packets, src.Name(), stats.Dropped)
	if src.Pcap != nil {
		fmt.Fprintf(stderr, "; %d written to %s", src.Pcap.Packets(), src.Pcap.Path())
	}
	fmt.Fprintln(stderr)
	return err
}

// openLive checks the filter, opens the interface and creates the
// --write-pcap file.
func openLive(lo *liveOptions) (feed.Live, error) {
	match, err := parseFilter(lo.filter)
	if err != nil {
		return feed.Live{}, err
	}
	cfg := live.Config{Interface: lo.iface}
	if cfg.Filter, err = filter.Parse(lo.filter); err != nil {
		return feed.Live{}, &usageError{err}
	}
	h, err := live.Open(cfg)
	if err != nil {
		if errors.Is(err, live.ErrUnknownInterface) || errors.Is(err, filter.ErrTooLong) {
			return feed.Live{}, &usageError{err}
		}
		return feed.Live{}, err
	}
	src := feed.Live{H: h, Match: match}
	if lo.writePcap != "" {
		if src.Pcap, err = live.CreatePcap(lo.writePcap, lo.force, 0); err != nil {
			h.Close()
			if errors.Is(err, live.ErrFileExists) {
				return feed.Live{}, &usageError{err}
			}
			return feed.Live{}, err
		}
	}
	return src, nil
}

// liveStop is closed at Ctrl-C, SIGTERM or after d (0: never); cancel
// releases the signal handler.
func liveStop(d time.Duration) (stop <-chan struct{}, cancel func()) {
	ctx, cancelSig := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	if d <= 0 {
		return ctx.Done(), cancelSig
	}
	ctx, cancelTime := context.WithTimeout(ctx, d)
	return ctx.Done(), func() { cancelTime(); cancelSig() }
}
