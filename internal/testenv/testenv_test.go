package testenv

import (
	"fmt"
	"runtime"
	"testing"
)

// recorder is a testing.TB that notes whether it was skipped or failed.
// Skip and Fatal end the calling goroutine, as the real ones do.
type recorder struct {
	testing.TB
	skipped, failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func run(f func(testing.TB)) *recorder {
	r := &recorder{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(r)
	}()
	<-done
	return r
}

func TestSkipFailsOnlyWhenRequired(t *testing.T) {
	for _, tt := range []struct {
		require      string
		skip, failed bool
	}{
		{"", true, false},
		{"all", false, true},
		{"yes", false, true}, // a typo must not skip silently
	} {
		t.Run("TCPVIZ_REQUIRE="+tt.require, func(t *testing.T) {
			t.Setenv(RequireVar, tt.require)
			r := run(func(tb testing.TB) { NeedCommand(tb, "tcpviz-no-such-command", "testing") })
			if (r.skipped != "") != tt.skip || (r.failed != "") != tt.failed {
				t.Errorf("skipped %q, failed %q", r.skipped, r.failed)
			}
			if tt.require == "all" && r.failed != "tcpviz-no-such-command is not installed: testing (TCPVIZ_REQUIRE=all: a missing prerequisite fails)" {
				t.Errorf("the failure should give the skip's reason: %q", r.failed)
			}
		})
	}
}

func TestPresentCommandNeitherSkipsNorFails(t *testing.T) {
	t.Setenv(RequireVar, "all")
	r := run(func(tb testing.TB) {
		NeedCommand(tb, "go", "testing")
		if !HaveCommand(tb, "go") {
			tb.Fatalf("HaveCommand(go) is false")
		}
	})
	if r.skipped != "" || r.failed != "" {
		t.Errorf("skipped %q, failed %q", r.skipped, r.failed)
	}
}
