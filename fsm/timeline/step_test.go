package timeline

import "testing"

func TestCallWithoutSide(t *testing.T) {
	for _, c := range []struct{ call, want string }{
		{`client.send("hello")`, `send("hello")`},
		{"server.close()", "close()"},
		{`client.send("a.b")`, `send("a.b")`}, // a dot inside the arguments stays
		{"listen()", "listen()"},
		{"", ""},
	} {
		s := Step{Call: c.call}
		if got := s.CallWithoutSide(); got != c.want {
			t.Errorf("%q: got %q, want %q", c.call, got, c.want)
		}
	}
}
