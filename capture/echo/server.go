package echo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// Server is the upper-casing echo server: every byte a client sends comes
// back upper-cased (ASCII), on as many connections at once as clients open.
// Each connection has its own goroutine, so a slow client never holds up the
// others (unlike the classic single-threaded accept-read-write loop).
type Server struct {
	ln     net.Listener
	events func(Event)
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
}

// EventKind is what happened on the server.
type EventKind uint8

// The server's events.
const (
	EventAccept EventKind = iota // a client connected
	EventEOF                     // the client closed its sending side (its FIN arrived)
	EventClose                   // the server closed the connection
	EventError                   // the connection failed (e.g. reset by the client)
)

// Event is one connection event, for `tcpviz echo --serve`'s log.
type Event struct {
	Kind   EventKind
	Remote netip.AddrPort
	Bytes  int64 // bytes echoed so far on this connection
	Err    error // EventError: why
}

// String is the log line, e.g. "127.0.0.1:51234 connected".
func (e Event) String() string {
	switch e.Kind {
	case EventAccept:
		return fmt.Sprintf("%s connected", e.Remote)
	case EventEOF:
		return fmt.Sprintf("%s sent FIN after %d bytes: closing", e.Remote, e.Bytes)
	case EventClose:
		return fmt.Sprintf("%s closed (%d bytes echoed)", e.Remote, e.Bytes)
	default:
		return fmt.Sprintf("%s failed after %d bytes: %v", e.Remote, e.Bytes, e.Err)
	}
}

// Listen starts a server on addr ("127.0.0.1:0" picks a free port). events,
// when not nil, is called (from connection goroutines, so concurrently)
// once per connection event. A busy port is reported with the port named.
func Listen(addr string, events func(Event)) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%s is busy: another socket holds the port (%w)", addr, syscall.EADDRINUSE)
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{ln: ln, events: events, conns: make(map[net.Conn]struct{})}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() netip.AddrPort { return s.ln.Addr().(*net.TCPAddr).AddrPort() }

func (s *Server) serve() {
	defer s.wg.Done()
	var backoff time.Duration
	for {
		c, err := s.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// EMFILE and the like: wait and go on, as net/http does.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.handle(c)
	}
}

func (s *Server) emit(e Event) {
	if s.events != nil {
		s.events(e)
	}
}

func (s *Server) handle(c net.Conn) {
	defer s.wg.Done()
	remote := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	s.emit(Event{Kind: EventAccept, Remote: remote})
	n, err := io.CopyBuffer(c, upperReader{c}, make([]byte, 32<<10))
	switch {
	case err == nil:
		s.emit(Event{Kind: EventEOF, Remote: remote, Bytes: n})
	case !errors.Is(err, net.ErrClosed):
		s.emit(Event{Kind: EventError, Remote: remote, Bytes: n, Err: err})
	}
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
	s.emit(Event{Kind: EventClose, Remote: remote, Bytes: n})
}

// upperReader upper-cases ASCII letters as they are read.
type upperReader struct{ r io.Reader }

func (u upperReader) Read(p []byte) (int, error) {
	n, err := u.r.Read(p)
	upperASCII(p[:n])
	return n, err
}

// upperASCII upper-cases a-z in place; other bytes (UTF-8 included) pass
// unchanged, so the reply has exactly the request's length.
func upperASCII(b []byte) {
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
}

// Upper returns b upper-cased as the server does it.
func Upper(b []byte) []byte {
	out := bytes.Clone(b)
	upperASCII(out)
	return out
}

// Close stops accepting, closes every connection and waits for their
// goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

// Serve runs a server on addr until ctx ends, calling events for every
// connection event: `tcpviz echo --serve`.
func Serve(ctx context.Context, addr string, ready func(netip.AddrPort), events func(Event)) error {
	s, err := Listen(addr, events)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(s.Addr())
	}
	<-ctx.Done()
	return s.Close()
}
