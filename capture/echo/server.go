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
	opts   ServerOptions
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
	EventAccept  EventKind = iota // a client connected
	EventEOF                      // the client closed its sending side (its FIN arrived)
	EventClose                    // the server closed the connection
	EventError                    // the connection failed (e.g. reset by the client)
	EventIdle                     // the client sent nothing for the idle timeout: closing
	EventStalled                  // the client read nothing for the write timeout: closing
)

// ServerOptions bound what one client may hold. Zero fields take the
// defaults.
type ServerOptions struct {
	// IdleTimeout closes a connection on which the client has sent nothing
	// for this long, so idle clients do not hold sockets and goroutines
	// forever. 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// WriteTimeout closes a connection whose reply could not be written
	// for this long: a client that never reads fills its receive buffer
	// and then the server's send buffer, and would hold its goroutine.
	// 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration
}

// The servers' default bounds (`tcpviz echo --serve`'s --idle-timeout and
// --write-timeout).
const (
	DefaultIdleTimeout  = 60 * time.Second
	DefaultWriteTimeout = 10 * time.Second
)

func (o ServerOptions) withDefaults() ServerOptions {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	return o
}

// Event is one connection event, for `tcpviz echo --serve`'s log.
type Event struct {
	Kind   EventKind
	Remote netip.AddrPort
	Bytes  int64         // bytes echoed so far on this connection
	Err    error         // EventError: why
	After  time.Duration // EventIdle, EventStalled: the timeout that ran out
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
	case EventIdle:
		return fmt.Sprintf("%s sent nothing for %v: closing", e.Remote, e.After)
	case EventStalled:
		return fmt.Sprintf("%s read nothing for %v (its receive window stayed full): closing", e.Remote, e.After)
	default:
		return fmt.Sprintf("%s failed after %d bytes: %v", e.Remote, e.Bytes, e.Err)
	}
}

// Listen starts a server on addr ("127.0.0.1:0" picks a free port). events,
// when not nil, is called (from connection goroutines, so concurrently)
// once per connection event. A busy port is reported with the port named.
func Listen(addr string, opts ServerOptions, events func(Event)) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%s is busy: another socket holds the port (%w)", addr, syscall.EADDRINUSE)
		}
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	s := &Server{ln: ln, opts: opts.withDefaults(), events: events, conns: make(map[net.Conn]struct{})}
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
	n, err := s.echo(c)
	switch {
	case err == nil:
		s.emit(Event{Kind: EventEOF, Remote: remote, Bytes: n})
	case errors.Is(err, errStalled):
		s.emit(Event{Kind: EventStalled, Remote: remote, Bytes: n, After: s.opts.WriteTimeout})
	case errors.Is(err, errIdle):
		s.emit(Event{Kind: EventIdle, Remote: remote, Bytes: n, After: s.opts.IdleTimeout})
	case !errors.Is(err, net.ErrClosed):
		s.emit(Event{Kind: EventError, Remote: remote, Bytes: n, Err: err})
	}
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	c.Close()
	s.emit(Event{Kind: EventClose, Remote: remote, Bytes: n})
}

// The two deadlines that end a connection: a read that timed out (the
// client went idle) and a write that did (the client stopped reading).
var (
	errIdle    = errors.New("idle timeout")
	errStalled = errors.New("write timeout")
)

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// echo copies c's input back upper-cased until EOF (nil) or an error: each
// read may wait IdleTimeout, each write WriteTimeout.
func (s *Server) echo(c net.Conn) (int64, error) {
	buf := make([]byte, 32<<10)
	var n int64
	for {
		if err := c.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout)); err != nil {
			return n, err
		}
		r, rerr := c.Read(buf)
		if r > 0 {
			upperASCII(buf[:r])
			if err := c.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout)); err != nil {
				return n, err
			}
			w, werr := c.Write(buf[:r])
			n += int64(w)
			if isTimeout(werr) {
				return n, errStalled
			}
			if werr != nil {
				return n, werr
			}
		}
		switch {
		case rerr == io.EOF:
			return n, nil
		case isTimeout(rerr):
			return n, errIdle
		case rerr != nil:
			return n, rerr
		}
	}
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
func Serve(ctx context.Context, addr string, opts ServerOptions, ready func(netip.AddrPort), events func(Event)) error {
	s, err := Listen(addr, opts, events)
	if err != nil {
		return err
	}
	if ready != nil {
		ready(s.Addr())
	}
	<-ctx.Done()
	return s.Close()
}
