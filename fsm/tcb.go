package fsm

// TCB holds the variables of RFC 9293 §3.3.1 that the views show: the
// initial sequence numbers and the send and receive sequence spaces.
type TCB struct {
	ISS    Seq    // initial send sequence number
	IRS    Seq    // initial receive sequence number
	SndUna Seq    // SND.UNA: oldest unacknowledged sequence number
	SndNxt Seq    // SND.NXT: next sequence number to send
	SndWnd uint32 // SND.WND: the peer's advertised window
	RcvNxt Seq    // RCV.NXT: next sequence number expected
	RcvWnd uint32 // RCV.WND: our receive window
}
