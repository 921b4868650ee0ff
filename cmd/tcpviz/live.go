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

	"github.com/tcpviz/tcpviz/capture/decode"
	"github.com/tcpviz/tcpviz/capture/filter"
	"github.com/tcpviz/tcpviz/capture/live"
	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm/output"
	"github.com/tcpviz/tcpviz/fsm/timeline"
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

  text     each connection's ladder lines as they come
  json     one JSON object per segment, as they come
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

func runLive(stdout, stderr io.Writer, opts *globalOptions, lo *liveOptions) error {
	lang, format, err := opts.parse("text", "json", "summary")
	if err != nil {
		return err
	}
	cfg := live.Config{Interface: lo.iface}
	match, err := parseFilter(lo.filter)
	if err != nil {
		return err
	}
	if cfg.Filter, err = filter.Parse(lo.filter); err != nil {
		return &usageError{err}
	}
	h, err := live.Open(cfg)
	if err != nil {
		if errors.Is(err, live.ErrUnknownInterface) || errors.Is(err, filter.ErrTooLong) {
			return &usageError{err}
		}
		return err
	}
	var pf *live.PcapFile
	if lo.writePcap != "" {
		if pf, err = live.CreatePcap(lo.writePcap, lo.force, 0); err != nil {
			h.Close()
			if errors.Is(err, live.ErrFileExists) {
				return &usageError{err}
			}
			return err
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if lo.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, lo.duration)
		defer cancel()
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	source := h.Interface()
	topts := track.Options{Source: source, Timelines: format != "summary", Preview: previewBytes}
	var werr error
	switch format {
	case "json":
		jw := output.NewJSONWriter(stdout, lang)
		topts.OnStep = func(_ *track.Conn, tl *timeline.Timeline, i int) {
			if werr == nil {
				if werr = jw.WriteStep(tl, i, i); werr == nil {
					werr = jw.Flush()
				}
			}
		}
	case "text":
		writers := map[*track.Conn]*output.TextWriter{}
		topts.OnStep = func(c *track.Conn, tl *timeline.Timeline, i int) {
			tw, ok := writers[c]
			if !ok {
				tw = output.NewTextWriter(stdout, lang, output.TextOptions{})
				tw.WriteHeader(tl)
				writers[c] = tw
			}
			tw.WriteStep(tl, i)
			if werr == nil {
				werr = tw.Flush()
			}
		}
	}
	tr := track.New(topts)
	sink, err := live.NewTrackSink(tr, decode.LinkEthernet, match)
	if err != nil {
		h.Close()
		return err
	}
	batches := live.Stream(ctx, h, sink, live.StreamOptions{Pcap: pf})

	var last timeline.Batch
	if format == "tui" {
		verr := tui.RunCapture(batches, tui.CaptureOptions{Lang: lang, Source: source, Live: true})
		cancel()
		for b := range batches {
			last = b
		}
		if verr != nil {
			return verr
		}
	} else {
		for b := range batches {
			last = b
		}
	}
	tr.Finish()
	if format == "summary" {
		werr = writeSummaries(stdout, tr)
	}
	st := h.Stats()
	fmt.Fprintf(stderr, "tcpviz: %d packets captured on %s, %d dropped by the kernel", st.Received, source, st.Dropped)
	if pf != nil {
		fmt.Fprintf(stderr, "; %d written to %s", pf.Packets(), pf.Path())
	}
	fmt.Fprintln(stderr)
	if last.Err != nil {
		return last.Err
	}
	return werr
}
