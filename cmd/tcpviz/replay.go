package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/tcpviz/tcpviz/capture/pcapfile"
	"github.com/tcpviz/tcpviz/capture/track"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/output"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui"
)

// previewBytes is how much of each payload a replayed timeline keeps, for
// the ladder's payload preview.
const previewBytes = 32

func newReplayCmd(opts *globalOptions) *cobra.Command {
	var filterExpr string
	cmd := &cobra.Command{
		Use:   "replay FILE",
		Short: "Replay a pcap or pcapng file: every TCP connection with both endpoints' states",
		Long: `Read a pcap or pcapng capture (tcpdump, Wireshark; '-' reads stdin), find
every TCP connection in it and infer both endpoints' RFC 9293 states from the
segments seen. On a terminal the connection list opens in the interactive
view; otherwise, or with --format, it prints:

  text     the ladder of every connection, one after another
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
	var ropts track.ReplayOptions
	if ropts.Match, err = parseFilter(filterExpr); err != nil {
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

	var stats timeline.Stats
	switch format {
	case "tui":
		return replayTUI(r, lang, ropts)
	case "summary":
		tr := track.New(track.Options{Source: r.Name()})
		stats, err = track.Replay(r, tr, ropts)
		if werr := writeSummaries(stdout, tr); werr != nil {
			return werr
		}
	case "json":
		jw := output.NewJSONWriter(stdout, lang)
		var werr error
		// Streamed: each step is written as it happens and dropped, so
		// memory does not grow with the capture.
		tr := track.New(track.Options{Source: r.Name(), Timelines: true, Stream: true,
			OnStep: func(c *track.Conn, tl *timeline.Timeline, i int) {
				if werr == nil {
					werr = jw.WriteStep(tl, i, c.StepNumber(i))
				}
			}})
		// Lines out before each read that may wait: `tcpdump -U -w - |
		// tcpviz replay - --format json` prints segments as they come.
		r.BeforeRead(func() {
			if werr == nil {
				werr = jw.Flush()
			}
		})
		stats, err = track.Replay(r, tr, ropts)
		if ferr := jw.Flush(); werr == nil {
			werr = ferr
		}
		if werr != nil {
			return werr
		}
	case "text":
		tr := track.New(track.Options{Source: r.Name(), Timelines: true, Preview: previewBytes})
		stats, err = track.Replay(r, tr, ropts)
		if werr := writeText(stdout, tr, lang); werr != nil {
			return werr
		}
	}
	return reportSkipped(stderr, r, stats, err)
}

// replayTUI reads the capture in the background and hands its batches to
// the view; quitting the view stops the reading.
func replayTUI(r *pcapfile.Reader, lang narrate.Lang, ropts track.ReplayOptions) error {
	batches := make(chan timeline.Batch, 4)
	stop := make(chan struct{})
	ropts.Batches, ropts.Stop = batches, stop
	tr := track.New(track.Options{Source: r.Name(), Timelines: true, Preview: previewBytes, HandOff: true})
	done := make(chan error, 1)
	go func() {
		_, err := track.Replay(r, tr, ropts)
		done <- err
	}()
	verr := tui.RunCapture(batches, tui.CaptureOptions{Lang: lang, Source: r.Name()})
	close(stop)
	for range batches { // let Replay finish if it is blocked sending
	}
	rerr := <-done
	if verr != nil {
		return verr
	}
	if errors.Is(rerr, track.ErrStopped) {
		return nil
	}
	return rerr // the view showed it too; the exit status says it
}

// summaryOf is connection c's totals.
func summaryOf(c *track.Conn) output.Summary {
	st := c.States()
	return output.Summary{
		Conn: c.Endpoints(), Client: st[fsm.Client], Server: st[fsm.Server],
		Segments: c.Segments(), BytesC2S: c.Bytes(fsm.C2S), BytesS2C: c.Bytes(fsm.S2C),
		First: c.First(), Last: c.Last(),
	}
}

// writeSummaries writes one summary line per connection, in order of first
// segment. A capture can hold millions of connections, so the lines are
// built by appendSummary rather than through encoding/json's reflection (a
// third of the run's time on the benchmark capture); a test holds it to
// output.SummaryWriter's bytes.
func writeSummaries(w io.Writer, tr *track.Tracker) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	var line []byte
	for i := 0; i < tr.Len(); i++ {
		line = appendSummary(line[:0], summaryOf(tr.Conn(i)))
		if _, err := bw.Write(line); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendSummary appends s as output.SummaryWriter writes it: the spec's
// fields in its order, one line.
func appendSummary(b []byte, s output.Summary) []byte {
	b = append(b, `{"conn":`...)
	b = strconv.AppendQuote(b, s.Conn.String()) // addresses and ports: plain ASCII, quoted alike by Go and JSON
	b = append(b, `,"client":"`...)
	b = append(b, s.Client.String()...)
	b = append(b, `","server":"`...)
	b = append(b, s.Server.String()...)
	b = append(b, `","segments":`...)
	b = strconv.AppendInt(b, int64(s.Segments), 10)
	b = append(b, `,"bytes_c2s":`...)
	b = strconv.AppendUint(b, s.BytesC2S, 10)
	b = append(b, `,"bytes_s2c":`...)
	b = strconv.AppendUint(b, s.BytesS2C, 10)
	b = append(b, `,"first_ms":`...)
	b = appendMs(b, s.First)
	b = append(b, `,"last_ms":`...)
	b = appendMs(b, s.Last)
	return append(b, "}\n"...)
}

// appendMs writes a duration in milliseconds with microsecond precision, as
// encoding/json writes the float64 the spec's writers use.
func appendMs(b []byte, d time.Duration) []byte {
	f := math.Round(float64(d.Microseconds())) / 1000
	if a := math.Abs(f); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.AppendFloat(b, f, 'e', -1, 64) // never for a capture's times; kept exact anyway
	}
	return strconv.AppendFloat(b, f, 'f', -1, 64)
}

// writeText writes every connection's ladder, one after another, each
// followed by what the capture leaves uncertain about the final states.
func writeText(w io.Writer, tr *track.Tracker, lang narrate.Lang) error {
	for i := 0; i < tr.Len(); i++ {
		c := tr.Conn(i)
		if i > 0 {
			fmt.Fprintln(w)
		}
		tw := output.NewTextWriter(w, lang, output.TextOptions{})
		if err := tw.WriteTimeline(tr.Timeline(c)); err != nil {
			return err
		}
		// What the capture leaves unknown (a mid-stream start, a side
		// whose state after the last segment cannot be known).
		for s, why := range c.Uncertain() {
			if why == "" {
				continue
			}
			if _, err := fmt.Fprintln(w, "  ! "+fsm.Side(s).String()+": "+why); err != nil {
				return err
			}
		}
	}
	return nil
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
