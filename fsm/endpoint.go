package fsm

import (
	"errors"
	"time"
)

// Errors a user call returns, with RFC 9293 §3.10's wording.
var (
	ErrConnectionExists       = errors.New("connection already exists")
	ErrConnectionDoesNotExist = errors.New("connection does not exist")
	ErrConnectionClosing      = errors.New("connection closing")
	ErrConnectionReset        = errors.New("connection reset")
	ErrConnectionRefused      = errors.New("connection refused")
	ErrInsufficientResources  = errors.New("insufficient resources")
)

// Config sets an endpoint's parameters, and which Linux behaviours to follow
// where Linux differs from the RFC's letter.
type Config struct {
	ISS        Seq           // the initial sequence number this endpoint will use
	Window     uint32        // RCV.WND advertised (the receive buffer)
	MSS        uint32        // largest payload per segment
	RTO        time.Duration // initial retransmission timeout (RFC 6298: 1 s)
	MaxRetries int           // retransmissions before giving up (Linux tcp_retries2 = 15; tcp_syn_retries = 6)
	TimeWait   time.Duration // TIME-WAIT duration, 2·MSL (Linux: 60 s)
	FinWait2   time.Duration // FIN-WAIT-2 timeout after close() (Linux tcp_fin_timeout: 60 s); 0 = none

	// RSTOnUnreadClose: close() with received data not yet read sends RST
	// instead of FIN (RFC 2525 §2.17; Linux does this).
	RSTOnUnreadClose bool
}

// DefaultConfig returns Linux-like parameters: initial RTO 1 s, TIME-WAIT
// 60 s, FIN-WAIT-2 timeout 60 s, RST on close with unread data.
func DefaultConfig(iss Seq) Config {
	return Config{
		ISS: iss, Window: 65535, MSS: 1460, RTO: time.Second, MaxRetries: 6,
		TimeWait: 60 * time.Second, FinWait2: 60 * time.Second, RSTOnUnreadClose: true,
	}
}

// Result is what one event did to an endpoint: its state before and after,
// the rule that fired, and the segments it must now transmit, in order.
type Result struct {
	From, To State
	Reason   Reason
	Out      []Segment
}
