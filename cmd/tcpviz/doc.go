// Command tcpviz makes the TCP state machine visible: simulated scenarios,
// a real loopback echo session, and captures, all in one terminal view.
//
// Each subcommand is one source of timelines: sim (the default), echo,
// replay and live, one file each, plus scenarios and version. On a terminal
// a source opens the TUI; with --format (or when stdout is not a terminal)
// it writes text or JSON lines instead. root.go holds the flags every
// subcommand shares (--format, --lang) and main.go turns any error into one
// line on stderr: exit status 2 for a usage error, 1 for anything else.
//
// Run 'tcpviz --help' or 'tcpviz SUBCOMMAND --help' for the flags.
package main
