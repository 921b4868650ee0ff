package lab

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// needRoot skips t where the lab cannot run, and fails it in CI, which
// runs as root.
func needRoot(t testing.TB) {
	t.Helper()
	if err := CheckPrivileges(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("CI must run the lab tests as root: %v", err)
		}
		t.Skipf("skipped: %v", err)
	}
}

// newTestLab makes a lab closed when t ends.
func newTestLab(t testing.TB, cfg Config) *Lab {
	t.Helper()
	needRoot(t)
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}
