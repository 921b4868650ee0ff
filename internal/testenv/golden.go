package testenv

import (
	"testing"

	"github.com/charmbracelet/x/exp/golden"
)

// Golden compares got with testdata/name.golden, or rewrites that file when
// the test runs with -update. It is golden.RequireEqual (whose -update flag
// teatest's goldens share) under our own file names: one per case and size,
// not one per test name.
func Golden[T []byte | string](t testing.TB, name string, got T) {
	t.Helper()
	golden.RequireEqual(named{t, name}, got)
}

// named is t as golden.RequireEqual sees it: it names the file after Name.
type named struct {
	testing.TB
	name string
}

func (n named) Name() string { return n.name }
