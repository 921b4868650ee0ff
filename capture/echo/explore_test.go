package echo

import (
	"os"
	"testing"
)

// TestExploreOrders plays less common orders and prints every step, for
// finding where Linux and the simulator part ways (TCPVIZ_EXPLORE=1).
func TestExploreOrders(t *testing.T) {
	if os.Getenv("TCPVIZ_EXPLORE") != "1" {
		t.Skip("set TCPVIZ_EXPLORE=1")
	}
	seqs := [][]string{
		{ActListen, ActConnect, ActClientSend, ActServerClose},                                // close with unread data: RST
		{ActListen, ActConnect, ActClientSend, ActClientClose, ActServerRecv, ActServerClose}, // FIN after data
		{ActListen, ActConnect, ActServerAbort},
		{ActListen, ActConnect, ActClientShut, ActServerShut},
		{ActListen, ActConnect, ActServerClose, ActClientSend, ActClientRecv}, // send into a closed peer: RST
		{ActListen, ActConnect, ActServerClose, ActListen, ActClientClose},    // close listener? (server close closes conn)
		{ActListen, ActConnect, ActServerClose, ActClientClose, ActRestart, ActRestartReuse, ActConnect, ActClientClose},
	}
	for _, sq := range seqs {
		s := newTestSession(t, canCapture())
		for _, a := range sq {
			if err := s.Do(a); err != nil {
				t.Logf("%s: %v", a, err)
			}
		}
		dump(t, s)
		s.Close()
	}
}
