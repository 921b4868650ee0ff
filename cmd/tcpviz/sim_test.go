package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tcpviz/tcpviz/fsm/sim"
)

// buildSimBinary builds tcpviz into dir and returns its path.
func buildSimBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "tcpviz")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runSimBinary runs the binary with stdout and stderr captured (so stdout
// is not a terminal) and returns both and the exit code.
func runSimBinary(t *testing.T, bin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run %v: %v", args, err)
	}
	return o.String(), e.String(), code
}

// TestSimCLI runs the real binary: what it prints with no arguments when
// stdout is not a terminal, the formats, the pcap export, the scenario
// list, and a one-line error with exit 2 for each kind of bad input.
func TestSimCLI(t *testing.T) {
	bin := buildSimBinary(t)
	dir := t.TempDir()

	t.Run("no arguments, not a terminal: the echo text ladder", func(t *testing.T) {
		out, errOut, code := runSimBinary(t, bin)
		if code != 0 || errOut != "" {
			t.Fatalf("exit %d, stderr %q", code, errOut)
		}
		want, _, _ := runSimBinary(t, bin, "sim", "echo", "--format", "text")
		if out != want || !strings.HasPrefix(out, "scenario echo: 127.0.0.1:49152 → 127.0.0.1:8000\n") {
			t.Errorf("tcpviz printed:\n%.300s\nwant the text timeline of echo:\n%.300s", out, want)
		}
		for _, s := range []string{"SYN-SENT", "──SYN seq=0──", "TIME-WAIT", "client.connect()", `server.send("HELLO")`} {
			if !strings.Contains(out, s) {
				t.Errorf("no %q in the ladder", s)
			}
		}
	})

	t.Run("json", func(t *testing.T) {
		out, _, code := runSimBinary(t, bin, "sim", "lost-syn", "--format", "json", "--lang", "zh")
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		for i, l := range lines {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("line %d: %v", i, err)
			}
			if m["step"].(float64) != float64(i) {
				t.Errorf("line %d has step %v", i, m["step"])
			}
		}
	})

	t.Run("--rfc: close() with unread data sends FIN, as RFC 9293 writes it", func(t *testing.T) {
		linux, _, code := runSimBinary(t, bin, "sim", "unread-rst", "--format", "text")
		rfc, _, code2 := runSimBinary(t, bin, "sim", "unread-rst", "--rfc", "--format", "text")
		if code != 0 || code2 != 0 {
			t.Fatalf("exit %d, %d", code, code2)
		}
		if !strings.Contains(linux, "──ACK,RST seq=1 ack=6") || strings.Contains(linux, "ACK,FIN") {
			t.Errorf("by default (Linux) the server's close() should send RST:\n%s", linux)
		}
		if strings.Contains(rfc, "RST") || !strings.Contains(rfc, "ACK,FIN") || !strings.Contains(rfc, "CLOSE-WAIT") {
			t.Errorf("with --rfc the server's close() should send FIN and leave the client in CLOSE-WAIT:\n%s", rfc)
		}
	})

	t.Run("scenarios", func(t *testing.T) {
		out, _, code := runSimBinary(t, bin, "scenarios")
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != len(sim.Names()) {
			t.Fatalf("exit %d, %d lines:\n%s", code, len(lines), out)
		}
		for i, name := range sim.Names() {
			if f := strings.Fields(strings.TrimPrefix(lines[i], "*")); len(f) < 3 || f[0] != name {
				t.Errorf("line %d = %q, want %s and a description", i, lines[i], name)
			}
		}
		if !strings.HasPrefix(lines[0], "* echo ") {
			t.Errorf("the default is not marked: %q", lines[0])
		}
		out, _, code = runSimBinary(t, bin, "scenarios", "-v")
		for _, want := range []string{"before:  server.listen()", " 1.  client.connect()", "fault:  drop the client's 1st SYN"} {
			if code != 0 || !strings.Contains(out, want) {
				t.Errorf("scenarios -v (exit %d) has no %q:\n%s", code, want, out)
			}
		}
	})

	t.Run("write-pcap", func(t *testing.T) {
		path := filepath.Join(dir, "echo.pcap")
		if _, errOut, code := runSimBinary(t, bin, "sim", "--write-pcap", path); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		b, err := os.ReadFile(path)
		if err != nil || len(b) < 24 || !bytes.Equal(b[:4], []byte{0xd4, 0xc3, 0xb2, 0xa1}) {
			t.Fatalf("%s is not a pcap file (%v)", path, err)
		}
		if _, errOut, code := runSimBinary(t, bin, "sim", "lost-fin", "--write-pcap", path, "--force"); code != 0 {
			t.Fatalf("--force: exit %d: %s", code, errOut)
		}
		if b2, _ := os.ReadFile(path); bytes.Equal(b, b2) {
			t.Error("--force did not overwrite the file")
		}
	})

	t.Run("a user's file plays exactly as the built-in it copies", func(t *testing.T) {
		for _, name := range sim.Names() {
			text, _, code := runSimBinary(t, bin, "scenarios", "--show", name)
			path := filepath.Join(dir, name+".tcps")
			if err := os.WriteFile(path, []byte(text), 0o644); code != 0 || err != nil {
				t.Fatalf("scenarios --show %s: exit %d, %v", name, code, err)
			}
			for _, format := range []string{"json", "text"} {
				want, _, _ := runSimBinary(t, bin, "sim", name, "--format", format, "--lang", "zh")
				got, errOut, code := runSimBinary(t, bin, "sim", path, "--format", format, "--lang", "zh")
				if code != 0 || got != want {
					t.Errorf("sim %s --format %s: exit %d %s, and the output differs from sim %s", path, format, code, errOut, name)
				}
			}
		}
		pcap := filepath.Join(dir, "file.pcap")
		if _, errOut, code := runSimBinary(t, bin, "sim", filepath.Join(dir, "lost-fin.tcps"), "--write-pcap", pcap); code != 0 {
			t.Errorf("--write-pcap of a file: exit %d: %s", code, errOut)
		}
	})

	broken := filepath.Join(dir, "broken")
	if err := os.Mkdir(broken, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{
		"typo.tcps":  "before: server listen\nclient conect\n",
		"never.tcps": "before: server listen\nclient connect\ndrop the second SYN,ACK\n",
	} {
		if err := os.WriteFile(filepath.Join(broken, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	typo, never := filepath.Join(broken, "typo.tcps"), filepath.Join(broken, "never.tcps")

	existing := filepath.Join(dir, "precious.pcap")
	if err := os.WriteFile(existing, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	notCreated := filepath.Join(dir, "never.pcap")
	for _, tt := range []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown scenario lists the valid ones", []string{"sim", "nope"}, `unknown scenario "nope" (valid: echo, server-close, `},
		{"unknown scenario at the root", []string{"nope"}, `unknown scenario "nope"`},
		{"a mistyped scenario gets the nearest", []string{"sim", "lost-fn"}, `unknown scenario "lost-fn": did you mean "lost-fin"?`},
		{"a mistyped scenario at the root", []string{"echoo"}, `did you mean "echo"?`},
		{"a mistyped command with its argument", []string{"relpay", "a.pcap"}, `unknown command "relpay": did you mean "replay"?`},
		{"a mistyped command alone", []string{"scenarioss"}, `unknown command "scenarioss": did you mean "scenarios"?`},
		{"an unknown command with arguments", []string{"foo", "bar"}, `unknown command "foo" ('tcpviz --help' lists the commands)`},
		{"unknown scenario creates no pcap", []string{"sim", "nope", "--write-pcap", notCreated}, "unknown scenario"},
		{"two scenarios", []string{"sim", "echo", "abort"}, "sim takes one scenario"},
		{"unknown format", []string{"sim", "--format", "xml"}, `unknown --format "xml" (want text, json)`},
		{"summary is not a sim format", []string{"sim", "--format", "summary"}, `unknown --format "summary"`},
		{"unknown language", []string{"sim", "--lang", "fr"}, `unknown language "fr"`},
		{"unknown flag", []string{"sim", "--bogus"}, "unknown flag: --bogus"},
		{"unwritable pcap path", []string{"sim", "--write-pcap", filepath.Join(dir, "no", "such", "dir.pcap")}, "cannot write"},
		{"pcap path is a directory", []string{"sim", "--write-pcap", dir, "--force"}, "cannot write"},
		{"existing pcap without --force", []string{"sim", "--write-pcap", existing}, "already exists (use --force to overwrite it)"},
		{"scenarios takes no arguments", []string{"scenarios", "echo"}, "scenarios takes no arguments"},
		{"--show of an unknown scenario", []string{"scenarios", "--show", "ech"}, `unknown scenario "ech": did you mean "echo"?`},
		{"a file that does not exist", []string{"sim", "./nope.tcps"}, "cannot read ./nope.tcps: no such file or directory"},
		{"a file with a typo", []string{"sim", typo}, typo + `:2:8: unknown call "conect" (did you mean "connect"?)`},
		{"a file at the root", []string{typo}, typo + `:2:8: unknown call "conect"`},
		{"a file whose fault never applies", []string{"sim", never, "--write-pcap", notCreated}, never + ":3:1: fault never applies: the link never sees the 2nd SYN,ACK (1 such segment in the whole run)"},
		{"a broken file in --scenarios", []string{"sim", "--scenarios", broken}, typo + ":2:8: unknown call"},
		{"--scenarios that is not a directory", []string{"sim", "--scenarios", filepath.Join(dir, "none")}, "cannot read --scenarios " + filepath.Join(dir, "none") + ": no such file or directory"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := runSimBinary(t, bin, tt.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if out != "" {
				t.Errorf("stdout %.200q, want nothing", out)
			}
			if strings.Count(errOut, "\n") != 1 || !strings.HasPrefix(errOut, "tcpviz: ") || !strings.Contains(errOut, tt.msg) {
				t.Errorf("stderr %q, want one line with %q", errOut, tt.msg)
			}
			if strings.Contains(errOut, "goroutine") || strings.Contains(errOut, "panic") {
				t.Errorf("stack trace: %s", errOut)
			}
		})
	}
	t.Run("a full disk names the file once", func(t *testing.T) {
		if _, err := os.Stat("/dev/full"); err != nil {
			t.Skip("no /dev/full here")
		}
		_, errOut, code := runSimBinary(t, bin, "sim", "--write-pcap", "/dev/full", "--force", "--format", "text")
		if code != 1 || errOut != "tcpviz: write /dev/full: no space left on device\n" {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	if b, _ := os.ReadFile(existing); string(b) != "keep me" {
		t.Errorf("the existing file was changed: %q", b)
	}
	if _, err := os.Stat(notCreated); err == nil {
		t.Error("a pcap file was created for a bad command")
	}
}

// TestVersionFlag: --version and the version command print the same line.
func TestVersionFlag(t *testing.T) {
	bin := buildSimBinary(t)
	for _, args := range [][]string{{"--version"}, {"version"}} {
		out, errOut, code := runSimBinary(t, bin, args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "tcpviz ") || strings.Count(out, "\n") != 1 {
			t.Errorf("tcpviz %v: exit %d, stdout %q, stderr %q; want one line 'tcpviz VERSION'", args, code, out, errOut)
		}
	}
}
