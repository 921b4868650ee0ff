package decode

import "github.com/tcpviz/tcpviz/fsm"

// WindowScale is one connection's window scale shift per side, learnt from
// each side's SYN; -1 where unknown. The zero value is not ready: use
// NewWindowScale.
type WindowScale [2]int8

// NewWindowScale returns a WindowScale that knows neither side's shift.
func NewWindowScale() WindowScale { return WindowScale{-1, -1} }

// Scale returns seg's window in bytes, seg sent by from carrying option
// wscale (Packet.WScale), and records the option when seg is a SYN. RFC
// 7323 §2.2: the option is sent only on SYNs, the window of a SYN itself is
// never scaled, and scaling is on only when both SYNs carried the option.
func (w *WindowScale) Scale(from fsm.Side, seg *fsm.Segment, wscale int8) uint32 {
	if seg.Flags.Has(fsm.SYN) {
		w[from] = wscale
		return seg.Window
	}
	if w[0] >= 0 && w[1] >= 0 {
		return seg.Window << uint(w[from])
	}
	return seg.Window
}
