package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/tcpviz/tcpviz/capture/echo"
	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/output"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui"
)

// echoOptions are the flags of `tcpviz echo`.
type echoOptions struct {
	auto      bool
	pause     time.Duration
	addr      string
	serve     bool
	noCapture bool
	server    echo.ServerOptions // --serve's bounds
}

func newEchoCmd(opts *globalOptions) *cobra.Command {
	eo := &echoOptions{}
	cmd := &cobra.Command{
		Use:   "echo [--auto] [--addr ADDR] | echo --serve [ADDR]",
		Short: "Drive a real loopback echo session: packets, kernel states and prediction side by side",
		Long: `Run an upper-casing echo server on 127.0.0.1 and a client, both real kernel
sockets, and make each socket call in turn: listen, connect, send "hello",
the server's recv and echo, the client's recv, shutdown, close, abort, and a
server restart on a port still held by TIME-WAIT (EADDRINUSE, then
SO_REUSEADDR). For every step tcpviz shows the segments captured on lo, the
states the kernel reports (sock_diag) and the states the simulator predicts
for the same calls, and explains where they disagree.

On a terminal the calls are keys in the interactive view. --auto plays the
default sequence (listen, connect, send hello, echo HELLO, recv, client close,
pause, server close, then TIME-WAIT) with --pause between calls; --format
text or json prints that timeline instead of the view (and implies --auto).

Packet capture needs root or CAP_NET_RAW; without it the session runs with
the kernel's states and the prediction, and says how to enable capture.

--serve runs only the echo server, headless, until Ctrl-C, printing one line
per connection event (try it with nc, telnet or a Python socket client). It
closes a connection whose client sends nothing for --idle-timeout, and one
whose client stops reading its echoes for --write-timeout, so idle or stuck
clients do not hold sockets and goroutines forever.`,
		Example: `  tcpviz echo
  tcpviz echo --auto --format json
  tcpviz echo --auto --pause 200ms --format text
  tcpviz echo --serve 127.0.0.1:8000
  tcpviz echo --serve --idle-timeout 5m --write-timeout 30s`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 || (len(args) == 1 && !eo.serve) {
				return usageErrorf("echo takes no arguments (an address only after --serve; use --addr otherwise)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if eo.serve {
				addr := eo.addr
				if len(args) == 1 {
					addr = args[0]
				}
				return runServe(cmd.OutOrStdout(), addr, eo.server)
			}
			return runEcho(cmd.OutOrStdout(), cmd.ErrOrStderr(), opts, eo)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&eo.auto, "auto", false, "play the default sequence of calls")
	f.DurationVar(&eo.pause, "pause", time.Second, "pause between calls with --auto")
	f.StringVar(&eo.addr, "addr", "", "the server's `ADDR` (IP:PORT; default 127.0.0.1 on a free port)")
	f.BoolVar(&eo.serve, "serve", false, "run only the echo server until Ctrl-C, one line per connection event")
	f.BoolVar(&eo.noCapture, "no-capture", false, "do not capture packets even where permitted")
	f.DurationVar(&eo.server.IdleTimeout, "idle-timeout", echo.DefaultIdleTimeout, "with --serve: close a connection whose client sends nothing for this long")
	f.DurationVar(&eo.server.WriteTimeout, "write-timeout", echo.DefaultWriteTimeout, "with --serve: close a connection whose client reads no echo for this long")
	return cmd
}

// runServe is `tcpviz echo --serve [ADDR]`.
func runServe(stdout io.Writer, addr string, opts echo.ServerOptions) error {
	if addr == "" {
		addr = "127.0.0.1:8000"
	}
	if opts.IdleTimeout <= 0 || opts.WriteTimeout <= 0 {
		return usageErrorf("--idle-timeout and --write-timeout must be positive")
	}
	if _, err := netip.ParseAddrPort(addr); err != nil {
		return usageErrorf("--serve %q: want IP:PORT, e.g. 127.0.0.1:8000", addr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logf := func(format string, a ...any) {
		fmt.Fprintf(stdout, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05.000")}, a...)...)
	}
	return echo.Serve(ctx, addr, opts,
		func(a netip.AddrPort) { logf("echo server listening on %s (Ctrl-C stops it)", a) },
		func(e echo.Event) { logf("%s", e) })
}

// runEcho runs the session: the view, or --auto into text or JSON.
func runEcho(stdout, stderr io.Writer, opts *globalOptions, eo *echoOptions) error {
	lang, format, err := opts.parse("text", "json")
	if err != nil {
		return err
	}
	if eo.pause < 0 {
		return usageErrorf("--pause must not be negative")
	}
	if eo.addr != "" {
		if _, err := netip.ParseAddrPort(eo.addr); err != nil {
			return usageErrorf("--addr %q: want IP:PORT, e.g. 127.0.0.1:8000", eo.addr)
		}
	}
	s, err := echo.New(echo.Options{Addr: eo.addr, NoCapture: eo.noCapture})
	if err != nil {
		return err
	}
	defer s.Close()
	if on, note := s.Capturing(lang); !on && !eo.noCapture {
		fmt.Fprintln(stderr, "tcpviz: "+note)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if format == "tui" {
		errc := make(chan error, 1)
		if eo.auto {
			go func() { errc <- playAuto(ctx, s, eo.pause) }()
		}
		verr := tui.RunSession(s, tui.SessionOptions{Lang: lang, Source: "echo " + s.Server().String()})
		stop()
		s.Close()
		return verr
	}

	// Text and JSON need no keys: they play the default sequence.
	go func() {
		for range s.Updates() {
		}
	}()
	perr := playAuto(ctx, s, eo.pause)
	tls := s.Timelines()
	s.Close()
	if werr := writeEchoTimelines(stdout, tls, format, lang); werr != nil {
		return werr
	}
	if errors.Is(perr, context.Canceled) {
		return nil // Ctrl-C: what was done is printed
	}
	return perr
}

// playAuto makes the default sequence's calls with pause between them, then
// waits for the kernel to show the client's TIME-WAIT.
func playAuto(ctx context.Context, s *echo.Session, pause time.Duration) error {
	for i, id := range echo.DefaultSequence() {
		if i > 0 || id == "" {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(pause):
			}
		}
		if id == "" {
			continue // the sequence's own pause
		}
		if err := s.Do(id); err != nil {
			return fmt.Errorf("%s: %w", id, err)
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		tls := s.Timelines()
		steps := tls[len(tls)-1].Steps
		if last := steps[len(steps)-1]; last.HasKernel() && last.Truth.Kernel[fsm.Client] == fsm.TimeWait {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// writeEchoTimelines prints each connection's timeline.
func writeEchoTimelines(w io.Writer, tls []timeline.Timeline, format string, lang narrate.Lang) error {
	for i := range tls {
		tl := &tls[i]
		switch format {
		case "json":
			if err := output.NewJSONWriter(w, lang).WriteTimeline(tl); err != nil {
				return err
			}
		default:
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := output.NewTextWriter(w, lang, output.TextOptions{}).WriteTimeline(tl); err != nil {
				return err
			}
		}
	}
	return nil
}
