package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"testing"

	"golang.org/x/sys/unix"
)

// RequireVar names the environment variable that turns skips into failures.
const RequireVar = "TCPVIZ_REQUIRE"

// Required reports whether a missing prerequisite fails the test
// (TCPVIZ_REQUIRE=all) rather than skipping it. Any other non-empty value
// is a mistake, and fails the test rather than skipping silently.
func Required(t testing.TB) bool {
	t.Helper()
	switch v := os.Getenv(RequireVar); v {
	case "":
		return false
	case "all":
		return true
	default:
		t.Fatalf("%s=%q: the only value is all", RequireVar, v)
		return true
	}
}

// Skip skips t for reason, a prerequisite the machine lacks; under
// TCPVIZ_REQUIRE=all it fails t with the same reason.
func Skip(t testing.TB, reason string) {
	t.Helper()
	if Required(t) {
		t.Fatalf("%s (%s=all: a missing prerequisite fails)", reason, RequireVar)
	}
	t.Skip(reason)
}

// Skipf is Skip with a format.
func Skipf(t testing.TB, format string, args ...any) {
	t.Helper()
	Skip(t, fmt.Sprintf(format, args...))
}

// NeedRoot skips t unless it runs as root.
func NeedRoot(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		Skip(t, why+" needs root")
	}
}

// CanRawSocket reports whether this process may open a packet socket
// (root or CAP_NET_RAW), and why not.
func CanRawSocket() error {
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW, 0)
	if err != nil {
		return fmt.Errorf("socket(AF_PACKET): %w", err)
	}
	unix.Close(fd)
	return nil
}

// NeedRawSocket skips t unless this process may open a packet socket.
func NeedRawSocket(t testing.TB) {
	t.Helper()
	if err := CanRawSocket(); err != nil {
		Skipf(t, "live capture needs root or CAP_NET_RAW (%v)", err)
	}
}

// HaveCommand reports whether name is on PATH. Under TCPVIZ_REQUIRE=all a
// missing command fails t, for tests that only check more when it is there.
func HaveCommand(t testing.TB, name string) bool {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		if Required(t) {
			t.Fatalf("%s is not installed (%s=all: a missing prerequisite fails)", name, RequireVar)
		}
		return false
	}
	return true
}

// NeedCommand skips t unless name is on PATH; why says what it is for.
func NeedCommand(t testing.TB, name, why string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		Skipf(t, "%s is not installed: %s", name, why)
	}
}
