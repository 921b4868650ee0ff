package sim

import (
	"slices"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
)

// DefaultScenario is the scenario tcpviz opens with.
const DefaultScenario = "echo"

// Shorthands that keep the scripts below readable.
const (
	client = fsm.Client
	server = fsm.Server
)

// listening is the setup of every scenario whose server is up from the
// start: the Init step shows it in LISTEN.
var listening = []Action{{Side: server, Call: Listen()}}

// handshake: the client connects; its connect() returns when the SYN,ACK
// arrives, and it sends "hello" at once; the server's accept() returns when
// the handshake's last ACK arrives, just ahead of the data.
var handshake = []Action{
	{Side: client, Call: Connect()},
	{When: InState(client, fsm.Established), Side: client, Call: Send("hello")},
	{When: InState(server, fsm.Established), Side: server, Call: Accept()},
}

// exchange: the server reads "hello" and answers "HELLO", the client
// reads the answer.
var exchange = []Action{
	{When: Readable(server), Side: server, Call: Recv()},
	{Side: server, Call: Echo()},
	{When: Readable(client), Side: client, Call: Recv()},
}

// clientClosesFirst: the active close by the client; the server's recv()
// returns 0 once the client's FIN is in, and the server closes too.
var clientClosesFirst = []Action{
	{When: Quiet(), Side: client, Call: Close()},
	{When: All(PeerFinished(server), Quiet()), Side: server, Call: Recv()},
	{Side: server, Call: Close()},
}

func join(parts ...[]Action) []Action { return slices.Concat(parts...) }

// builtin is the library of scenarios, in the order `tcpviz scenarios`
// lists them.
var builtin = []Scenario{
	{
		Name:        "echo",
		Description: `handshake, "hello" and "HELLO", the client closes first, the server closes, TIME-WAIT expires after 60 s`,
		Setup:       listening,
		Script:      join(handshake, exchange, clientClosesFirst),
	},
	{
		Name:        "server-close",
		Description: "the server closes first and waits in TIME-WAIT; the client goes through CLOSE-WAIT and LAST-ACK",
		Setup:       listening,
		Script: join(handshake, exchange, []Action{
			{When: Quiet(), Side: server, Call: Close()},
			{When: All(PeerFinished(client), Quiet()), Side: client, Call: Recv()},
			{Side: client, Call: Close()},
		}),
	},
	{
		Name:        "simultaneous-open",
		Description: "both ends connect() at once: the SYNs cross, both pass through SYN-RECEIVED (RFC 9293 §3.5, Figure 8)",
		Script: []Action{
			{Side: client, Call: Connect()},
			{Side: server, Call: Connect()},
			{When: All(InState(client, fsm.Established), InState(server, fsm.Established), Quiet()), Side: client, Call: Close()},
			{When: All(PeerFinished(server), Quiet()), Side: server, Call: Close()},
		},
	},
	{
		Name:        "simultaneous-close",
		Description: "both ends close() at once: the FINs cross, both pass through CLOSING to TIME-WAIT (RFC 9293 §3.6, Figure 13)",
		Setup:       listening,
		Script: join(handshake, exchange, []Action{
			{When: Quiet(), Side: client, Call: Close()},
			{Side: server, Call: Close()},
		}),
	},
	{
		Name:        "refused",
		Description: "nothing listens on the port: the SYN is answered with RST,ACK and connect() fails (RFC 9293 §3.10.7.1)",
		Script: []Action{
			{Side: client, Call: Connect()},
		},
	},
	{
		Name:        "abort",
		Description: "the client aborts (close() with SO_LINGER 0): a RST, and the server's connection is reset (RFC 9293 §3.10.5)",
		Setup:       listening,
		Script: join(handshake, exchange, []Action{
			{When: Quiet(), Side: client, Call: Abort()},
		}),
	},
	{
		Name:        "half-close",
		Description: "the client shuts down its write side; the server keeps sending, then closes",
		Setup:       listening,
		Script: join(handshake, []Action{
			{When: Readable(server), Side: server, Call: Recv()},
			{When: Quiet(), Side: client, Call: Shutdown()},
			{When: All(PeerFinished(server), Quiet()), Side: server, Call: Send("HELLO")},
			{When: Readable(client), Side: client, Call: Recv()},
			{Side: server, Call: Send("still here")},
			{When: Readable(client), Side: client, Call: Recv()},
			{When: Quiet(), Side: server, Call: Close()},
		}),
	},
	{
		Name:        "lost-syn",
		Description: "the link loses the first SYN: after the 1 s retransmission timeout the client sends it again",
		Setup:       listening,
		Script:      join(handshake, exchange, clientClosesFirst),
		Faults:      []LinkFault{{Match: Match{Dir: fsm.C2S, Flags: fsm.SYN}, Nth: 1, Fault: Drop}},
	},
	{
		Name:        "lost-synack",
		Description: "the link loses the first SYN,ACK: both ends' timers fire and the handshake completes late",
		Setup:       listening,
		Script:      join(handshake, exchange, clientClosesFirst),
		Faults:      []LinkFault{{Match: Match{Dir: fsm.S2C, Flags: fsm.SYN | fsm.ACK}, Nth: 1, Fault: Drop}},
	},
	{
		Name:        "lost-fin",
		Description: "the link loses the client's FIN: the client waits in FIN-WAIT-1 and retransmits it",
		Setup:       listening,
		Script:      join(handshake, exchange, clientClosesFirst),
		Faults:      []LinkFault{{Match: Match{Dir: fsm.C2S, Flags: fsm.FIN | fsm.ACK}, Nth: 1, Fault: Drop}},
	},
	{
		Name:        "unread-rst",
		Description: "the server closes with \"hello\" still unread: Linux sends RST, not FIN (RFC 2525 §2.17)",
		Setup:       listening,
		Script: join(handshake, []Action{
			{When: All(Readable(server), Quiet()), Side: server, Call: Close()},
		}),
	},
	{
		Name:        "half-open",
		Description: "the server's host restarts and forgets the connection; the client's next segment meets a RST (RFC 9293 §3.5.1)",
		Setup:       listening,
		Script: join(handshake, exchange, []Action{
			{When: Quiet(), Side: server, Call: Restart()},
			{When: After(100 * time.Millisecond), Side: client, Call: Send("anyone there?")},
		}),
	},
}

// Builtin returns the built-in scenarios, echo first.
func Builtin() []Scenario { return slices.Clone(builtin) }

// Names returns the built-in scenarios' names.
func Names() []string {
	names := make([]string, len(builtin))
	for i, sc := range builtin {
		names[i] = sc.Name
	}
	return names
}

// Lookup returns the built-in scenario called name.
func Lookup(name string) (Scenario, bool) {
	for _, sc := range builtin {
		if sc.Name == name {
			return sc, true
		}
	}
	return Scenario{}, false
}

// Load plays the built-in scenario called name on the default
// configuration. An unknown name's error (an *UnknownScenarioError)
// suggests the nearest and lists the valid ones.
func Load(name string) (*Sim, error) { return LoadWith(name, DefaultConfig()) }

// LoadWith plays the built-in scenario called name with cfg.
func LoadWith(name string, cfg Config) (*Sim, error) {
	sc, err := Find(name)
	if err != nil {
		return nil, err
	}
	return Play(sc, cfg)
}
