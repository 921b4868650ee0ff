package narrate

import (
	"fmt"
	"strconv"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// sendNote tells what a segment being sent says, for a send or observed
// step no reason explains: what each number means, in the ladder's
// (relative) numbers. The sequence-number facts are §3.4's: a SYN and a
// FIN each take one sequence number, and an ACK names the next one the
// sender expects, so everything before it has arrived.
func sendNote(tl *timeline.Timeline, s *timeline.Step, lang Lang) string {
	seg := s.Seg
	from, to := s.Dir.From(), s.Dir.To()
	seq, ack := relative(tl, s)
	n := func(v uint32) string { return strconv.FormatUint(uint64(v), 10) }
	isn := n(uint32(seg.Seq))
	f, zh := seg.Flags, lang == ZH
	fromZH, toZH := sideName(from, ZH), sideName(to, ZH)
	var out string
	switch {
	case f.Has(fsm.RST):
		if zh {
			out = fmt.Sprintf("%s发送 RST（seq=%s）", fromZH, n(seq))
		} else {
			out = fmt.Sprintf("The %s sends RST (seq=%s)", from, n(seq))
		}
	case f.Has(fsm.SYN | fsm.ACK):
		if zh {
			out = fmt.Sprintf("%s发送 SYN,ACK：自己的 SYN（初始序号 %s，相对 seq=%s），并以 ack=%s 确认%s的 SYN", fromZH, isn, n(seq), n(ack), toZH)
		} else {
			out = fmt.Sprintf("The %s sends SYN,ACK: its own SYN (initial sequence number %s, relative seq=%s) and ack=%s, which acknowledges the %s's SYN", from, isn, n(seq), n(ack), to)
		}
	case f.Has(fsm.SYN):
		if zh {
			out = fmt.Sprintf("%s发送 SYN（初始序号 %s，相对 seq=%s）：请求建立连接；SYN 占用一个序号，所以对它的确认是 ack=%s", fromZH, isn, n(seq), n(seq+1))
		} else {
			out = fmt.Sprintf("The %s sends SYN (initial sequence number %s, relative seq=%s) to open a connection; a SYN takes one sequence number, so its acknowledgment will be ack=%s", from, isn, n(seq), n(seq+1))
		}
	case f.Has(fsm.FIN):
		what, whatZH := "FIN", "FIN"
		if seg.Len > 0 {
			what = fmt.Sprintf("%d bytes%s then FIN", seg.Len, quote(seg.Payload))
			whatZH = fmt.Sprintf("%d 字节数据%s和 FIN", seg.Len, quote(seg.Payload))
		}
		end := n(seq + seg.Len + 1)
		if zh {
			out = fmt.Sprintf("%s发送 %s（seq=%s，ack=%s）：它不会再发送数据；FIN 在数据之后占用一个序号，所以对它的确认是 ack=%s", fromZH, whatZH, n(seq), n(ack), end)
		} else {
			out = fmt.Sprintf("The %s sends %s (seq=%s, ack=%s): it will send no more data; the FIN takes one sequence number after the data, so its acknowledgment will be ack=%s", from, what, n(seq), n(ack), end)
		}
	case seg.Len > 0:
		if zh {
			out = fmt.Sprintf("%s发送 %d 字节数据%s（seq=%s 是第一个字节的序号），ack=%s：%s", fromZH, seg.Len, quote(seg.Payload), n(seq), n(ack), acked(tl, s, ack, lang))
		} else {
			out = fmt.Sprintf("The %s sends %d bytes%s (seq=%s numbers the first byte) with ack=%s: %s", from, seg.Len, quote(seg.Payload), n(seq), n(ack), acked(tl, s, ack, lang))
		}
	case f.Has(fsm.ACK):
		if zh {
			out = fmt.Sprintf("%s发送纯 ACK（不带数据，seq=%s ack=%s）：%s", fromZH, n(seq), n(ack), acked(tl, s, ack, lang))
		} else {
			out = fmt.Sprintf("The %s sends a bare ACK (no data, seq=%s ack=%s): %s", from, n(seq), n(ack), acked(tl, s, ack, lang))
		}
	default:
		if zh {
			out = fmt.Sprintf("%s发送 %s（%s）", fromZH, f, numbers(tl, s, lang))
		} else {
			out = fmt.Sprintf("The %s sends %s (%s)", from, f, numbers(tl, s, lang))
		}
	}
	switch {
	case s.Analysis&timeline.Retransmission != 0 && zh:
		out = "重传：" + out
	case s.Analysis&timeline.Retransmission != 0:
		out = "A retransmission: t" + out[1:] // "The …"
	case s.Analysis&timeline.Duplicate != 0 && zh:
		out = "重复的报文：" + out
	case s.Analysis&timeline.Duplicate != 0:
		out = "A duplicate: t" + out[1:]
	}
	if zh {
		return out + "。"
	}
	return out + "."
}

// acked says what an acknowledgment number proves: everything before it
// has arrived; ack=1, just the peer's SYN.
func acked(tl *timeline.Timeline, s *timeline.Step, ack uint32, lang Lang) string {
	to := s.Dir.To()
	_, rel := tl.RelAck(s)
	switch {
	case rel && ack == 1 && lang == ZH:
		return sideName(to, ZH) + "的 SYN 已收到，还没有收到数据"
	case rel && ack == 1:
		return "the " + to.String() + "'s SYN has arrived, and no data yet"
	case lang == ZH:
		return fmt.Sprintf("%s在序号 %d 之前发送的都已收到", sideName(to, ZH), ack)
	}
	return fmt.Sprintf("everything the %s sent before sequence number %d has arrived", to, ack)
}

// quote is a short printable payload in quotes, with a leading space (a
// full stop after it in Chinese reads the same); "" otherwise.
func quote(p []byte) string {
	if len(p) == 0 || len(p) > 16 {
		return ""
	}
	for _, c := range p {
		if c < 0x20 || c >= 0x7f {
			return ""
		}
	}
	return ` "` + string(p) + `"`
}
