package timeline

import "time"

// Batch is what a growing source (a capture being read, live capture, the
// echo session) hands the view at a time: the new steps of the connections
// that changed since the last batch. Sources send batches at a bounded rate,
// never one per packet; the view appends them to its own copies, so no
// timeline is shared between goroutines.
type Batch struct {
	Conns    []ConnDelta
	Progress float64 // fraction of the input read, 0..1; negative when unknown (live)
	Stats    Stats
	Done     bool  // the source has ended; no batch follows
	Err      error // why it ended, if not cleanly (shown; partial results stay)
}

// ConnDelta is one connection's news in a Batch.
type ConnDelta struct {
	ID       int      // stable for the source's life; a new ID for a reused 4-tuple
	Header   Timeline // Source, Conn, ISN, HasISN, MidStream as now known; Steps unused
	Steps    []Step   // steps appended since the last batch
	Segments int      // totals so far, for the connection list
	BytesC2S uint64
	BytesS2C uint64
	First    time.Duration
	Last     time.Duration
	Flags    ConnFlags
}

// ConnFlags marks what the connection list shows beside a connection.
type ConnFlags uint8

// Connection flags.
const (
	ConnReset          ConnFlags = 1 << iota // a RST was seen
	ConnRetransmission                       // at least one retransmission
	ConnMidStream                            // joined after the handshake
	ConnRefused                              // the SYN was answered with RST
)

// Stats are a source's counters.
type Stats struct {
	Packets   uint64 // packets read
	Malformed uint64 // packets that could not be decoded (skipped)
	NonTCP    uint64 // packets without TCP
	Dropped   uint64 // packets the kernel dropped (live capture)
}

// Session is a live source the user drives: the loopback echo session. The
// view lists its actions, calls Do from a command (never from Update), and
// reads its batches from Updates.
type Session interface {
	// Actions lists what the user can do now, in menu order. Safe to call
	// from any goroutine.
	Actions() []Action
	// Do performs the action with this ID. It may block; the steps it causes
	// arrive through Updates. An action not valid now returns an error saying why.
	Do(id string) error
	// Updates delivers batches; it is closed when the session ends.
	Updates() <-chan Batch
	// Close ends the session: sockets closed, capture stopped.
	Close() error
}

// Action is one thing the user can do in a Session, e.g. client.connect().
type Action struct {
	ID      string // e.g. "client.connect"
	Label   string // e.g. `client.connect()`
	Key     string // the key that does it in the view, e.g. "c"
	Enabled bool
	Why     string // when not enabled: why not
}
