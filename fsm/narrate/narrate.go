package narrate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// Lang is a narration language.
type Lang uint8

// The languages.
const (
	EN Lang = iota
	ZH
)

// ParseLang accepts "en" or "zh".
func ParseLang(s string) (Lang, error) {
	switch strings.ToLower(s) {
	case "en", "":
		return EN, nil
	case "zh":
		return ZH, nil
	}
	return EN, fmt.Errorf("unknown language %q (want en or zh)", s)
}

// template is one reason's text in both languages. Placeholders:
//
//	{side} {peer}   the endpoint the reason is about, and the other one
//	{sidezh} {peerzh}   the same in Chinese (客户端, 服务器)
//	{from} {to}     its state before and after the step
//	{flags} {seq} {ack} {len} {win}   the step's segment (absolute numbers)
//	{rseq} {rack}   relative numbers where known, else absolute
//	{call}          the socket call
type template struct{ en, zh string }

// templates maps each reason to its sentence. Filled by the files of this
// package, one per source of reasons (endpoint.go, observe.go).
var templates = map[fsm.Reason]template{}

func register(m map[fsm.Reason]template) {
	for r, t := range m {
		templates[r] = t
	}
}

// Note returns the sentence for step i of tl: what happened and why.
func Note(tl *timeline.Timeline, i int, lang Lang) string {
	s := &tl.Steps[i]
	var parts []string
	for _, side := range [...]fsm.Side{fsm.Client, fsm.Server} {
		if r := s.Why[side]; r != fsm.ReasonNone {
			if t, ok := templates[r]; ok {
				parts = append(parts, fill(pick(t, lang), tl, i, side))
			}
		}
	}
	if len(parts) == 0 {
		parts = append(parts, fallback(tl, i, lang))
	}
	parts = append(parts, Facts(s, lang)...)
	sep := " "
	if lang == ZH {
		sep = ""
	}
	return strings.Join(parts, sep)
}

func pick(t template, lang Lang) string {
	if lang == ZH && t.zh != "" {
		return t.zh
	}
	return t.en
}

// fill replaces the placeholders of text with values from step i. It is
// called for every step of every output (a million times for a large
// capture), so it scans text once into one allocation, formatting only the
// values it uses, rather than building a strings.Replacer per call.
func fill(text string, tl *timeline.Timeline, i int, side fsm.Side) string {
	if !strings.Contains(text, "{") {
		return text
	}
	s := &tl.Steps[i]
	var b strings.Builder
	b.Grow(len(text) + 32)
	for len(text) > 0 {
		open := strings.IndexByte(text, '{')
		end := strings.IndexByte(text[max(open, 0):], '}')
		if open < 0 || end < 0 {
			b.WriteString(text)
			break
		}
		b.WriteString(text[:open])
		text = text[open:]
		if writeValue(&b, text[1:end], tl, i, s, side) {
			text = text[end+1:]
			continue
		}
		b.WriteByte('{') // not a placeholder: keep it as written
		text = text[1:]
	}
	return b.String()
}

// writeValue writes the value of placeholder name (without its braces);
// false for a name that is not one.
func writeValue(b *strings.Builder, name string, tl *timeline.Timeline, i int, s *timeline.Step, side fsm.Side) bool {
	var v string
	n, isNum := uint64(0), false
	switch name {
	case "side":
		v = side.String()
	case "peer":
		v = side.Peer().String()
	case "sidezh":
		v = sideName(side, ZH)
	case "peerzh":
		v = sideName(side.Peer(), ZH)
	case "from":
		v = tl.Prev(i)[side].String()
	case "to":
		v = s.States[side].String()
	case "flags":
		v = s.Seg.Flags.String()
	case "call":
		v = s.Call
	case "seq":
		n, isNum = uint64(s.Seg.Seq), true
	case "ack":
		n, isNum = uint64(s.Seg.Ack), true
	case "rseq":
		seq, _ := relative(tl, s)
		n, isNum = uint64(seq), true
	case "rack":
		_, ack := relative(tl, s)
		n, isNum = uint64(ack), true
	case "len":
		n, isNum = uint64(s.Seg.Len), true
	case "win":
		n, isNum = uint64(s.Seg.Window), true
	default:
		return false
	}
	if isNum {
		var buf [20]byte
		b.Write(strconv.AppendUint(buf[:0], n, 10))
	} else {
		b.WriteString(v)
	}
	return true
}

// fallback describes a step no reason explains, from its event and the
// state changes alone.
func fallback(tl *timeline.Timeline, i int, lang Lang) string {
	s := &tl.Steps[i]
	prev := tl.Prev(i)
	var b strings.Builder
	switch s.Event {
	case timeline.Init:
		if lang == ZH {
			fmt.Fprintf(&b, "开始：客户端处于 %s，服务器处于 %s。", s.States[fsm.Client], s.States[fsm.Server])
		} else {
			fmt.Fprintf(&b, "Start: the client is %s and the server is %s.", s.States[fsm.Client], s.States[fsm.Server])
		}
		return b.String()
	case timeline.App:
		if lang == ZH {
			fmt.Fprintf(&b, "应用程序调用 %s。", s.Call)
		} else {
			fmt.Fprintf(&b, "The application calls %s.", s.Call)
		}
	case timeline.Send, timeline.Observe:
		b.WriteString(sendNote(tl, s, lang))
	case timeline.Arrive, timeline.Drop:
		verb := map[timeline.Event][2]string{
			timeline.Arrive: {"segment arrives", "的报文到达"},
			timeline.Drop:   {"segment is lost", "的报文丢失"},
		}[s.Event]
		from := s.Dir.From()
		if lang == ZH {
			fmt.Fprintf(&b, "%s%s：%s（%s）%s。", sideName(from, lang), verb[1], s.Seg.Flags, numbers(tl, s, lang), again(s, lang))
		} else {
			fmt.Fprintf(&b, "The %s's %s: %s (%s)%s.", from, verb[0], s.Seg.Flags, numbers(tl, s, lang), again(s, lang))
		}
	case timeline.Timer:
		if lang == ZH {
			fmt.Fprintf(&b, "%s的定时器到期。", sideName(s.Actor, lang))
		} else {
			fmt.Fprintf(&b, "The %s's timer fires.", s.Actor)
		}
	}
	for _, side := range [...]fsm.Side{fsm.Client, fsm.Server} {
		if prev[side] != s.States[side] {
			if lang == ZH {
				fmt.Fprintf(&b, "%s：%s → %s。", sideName(side, lang), prev[side], s.States[side])
			} else {
				fmt.Fprintf(&b, " The %s moves %s → %s.", side, prev[side], s.States[side])
			}
		}
	}
	return b.String()
}

// relative is a segment's seq and ack relative to the ISNs where they are
// known, else absolute, as the ladder shows them by default.
func relative(tl *timeline.Timeline, s *timeline.Step) (seq, ack uint32) {
	seq, ack = uint32(s.Seg.Seq), uint32(s.Seg.Ack)
	if v, ok := tl.RelSeq(s); ok {
		seq = v
	}
	if v, ok := tl.RelAck(s); ok {
		ack = v
	}
	return seq, ack
}

// numbers gives a segment's seq, ack and len as the ladder shows them by
// default: relative to each side's ISN where it is known, ack only when the
// ACK flag is set, and a SYN's own ISN in full.
func numbers(tl *timeline.Timeline, s *timeline.Step, lang Lang) string {
	seq, ack := relative(tl, s)
	out := "seq=" + strconv.FormatUint(uint64(seq), 10)
	if s.Seg.Flags.Has(fsm.ACK) {
		out += " ack=" + strconv.FormatUint(uint64(ack), 10)
	}
	out += " len=" + strconv.FormatUint(uint64(s.Seg.Len), 10)
	if s.Seg.Flags.Has(fsm.SYN) {
		isn := strconv.FormatUint(uint64(uint32(s.Seg.Seq)), 10)
		if lang == ZH {
			return out + "，初始序号 " + isn
		}
		return out + "; initial sequence number " + isn
	}
	return out
}

// again says that a segment repeats one sent before.
func again(s *timeline.Step, lang Lang) string {
	switch {
	case s.Analysis&timeline.Retransmission != 0 && lang == ZH:
		return "：这是重传"
	case s.Analysis&timeline.Retransmission != 0:
		return ": a retransmission"
	case s.Analysis&timeline.Duplicate != 0 && lang == ZH:
		return "：这是重复的报文"
	case s.Analysis&timeline.Duplicate != 0:
		return ": a duplicate"
	}
	return ""
}

func sideName(s fsm.Side, lang Lang) string {
	if lang == ZH {
		if s == fsm.Client {
			return "客户端"
		}
		return "服务器"
	}
	return s.String()
}
