package filter

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tcpviz/tcpviz/capture/decode"
	"golang.org/x/net/bpf"
)

// snapLen is what an accepting program returns: keep the whole packet.
const snapLen = 262144

// ErrTooLong is returned (wrapped) by Compile for an expression whose
// program needs a jump farther than classic BPF's 255 instructions.
var ErrTooLong = errors.New("expression too long for a BPF program")

// Option changes what Compile emits.
type Option uint8

// DropOutgoing makes the program reject, before anything else, the packets
// this host sends (packet type PACKET_OUTGOING, read with the SKF_AD_PKTTYPE
// extension). On a loopback interface every packet reaches a packet socket
// twice, once outgoing and once incoming; keeping only the second shows
// each segment once, as tcpdump does on lo. On other interfaces the
// outgoing copy is the only one: do not use it there. x/net/bpf's VM does
// not run the extension; the kernel does.
const DropOutgoing Option = 1

// packetOutgoing is PACKET_OUTGOING of linux/if_packet.h.
const packetOutgoing = 4

// Compile parses expr and compiles it to a classic BPF program for frames
// of link type lt, accepting exactly the TCP packets Match accepts (every
// TCP packet for an empty expression) and nothing else. IPv4 fragments other than the first
// are rejected by port tests, as tcpdump does; IPv6 is matched when TCP
// follows the fixed header directly (no extension headers), and 802.1Q
// tagged frames are not looked into.
func Compile(expr string, lt decode.LinkType, opts ...Option) ([]bpf.RawInstruction, error) {
	e, err := Parse(expr)
	if err != nil {
		return nil, err
	}
	return e.Compile(lt, opts...)
}

// Compile compiles a parsed expression for link type lt (see Compile).
func (e *Expr) Compile(lt decode.LinkType, opts ...Option) ([]bpf.RawInstruction, error) {
	l, err := linkOf(lt)
	if err != nil {
		return nil, err
	}
	a := &asm{link: l}
	accept, reject := a.label(), a.label()
	for _, o := range opts {
		if o == DropOutgoing {
			// A return of its own, so that the jump is short whatever
			// follows.
			drop, incoming := a.label(), a.label()
			a.emit(bpf.LoadExtension{Num: bpf.ExtType})
			a.jump(bpf.JumpEqual, packetOutgoing, drop, incoming)
			a.place(drop)
			a.emit(bpf.RetConstant{Val: 0})
			a.place(incoming)
		}
	}
	// Only TCP reaches the tracker: let the kernel drop the rest.
	a.gen(&Expr{op: opAnd, l: &Expr{op: opTCP}, r: e}, accept, reject)
	a.place(accept)
	a.emit(bpf.RetConstant{Val: snapLen})
	a.place(reject)
	a.emit(bpf.RetConstant{Val: 0})
	prog, err := a.resolve()
	if err != nil {
		return nil, fmt.Errorf("--filter %q: %w", e.String(), err)
	}
	return bpf.Assemble(prog)
}

// link says where a link type's network header starts and how to tell IPv4
// from IPv6 there.
type link struct {
	nh       uint32 // offset of the IP header
	etherOff uint32 // offset of the EtherType, when byEther
	byEther  bool   // an EtherType says the protocol; otherwise the IP version nibble
}

func linkOf(lt decode.LinkType) (link, error) {
	switch lt {
	case decode.LinkEthernet:
		return link{nh: 14, etherOff: 12, byEther: true}, nil
	case decode.LinkLinuxSLL:
		return link{nh: 16, etherOff: 14, byEther: true}, nil
	case decode.LinkLinuxSLL2:
		return link{nh: 20, etherOff: 0, byEther: true}, nil
	case decode.LinkRaw, decode.LinkIPv4, decode.LinkIPv6, decode.LinkDLTRaw12, decode.LinkDLTRaw14:
		return link{nh: 0}, nil
	case decode.LinkNull, decode.LinkLoop:
		return link{nh: 4}, nil
	}
	return link{}, fmt.Errorf("cannot compile a filter for link type %s", lt)
}

// pins is an instruction whose jump targets are labels, resolved once the
// program's layout is known.
type pins struct {
	ins    bpf.Instruction
	cond   bool
	test   bpf.JumpTest
	val    uint32
	jt, jf int
}

// asm lays out a program with forward jumps to labels. Every label is
// placed after the code that jumps to it, which is what classic BPF (only
// forward jumps) needs.
type asm struct {
	link   link
	ins    []pins
	labels []int
}

func (a *asm) label() int             { a.labels = append(a.labels, -1); return len(a.labels) - 1 }
func (a *asm) place(l int)            { a.labels[l] = len(a.ins) }
func (a *asm) emit(i bpf.Instruction) { a.ins = append(a.ins, pins{ins: i}) }
func (a *asm) jump(t bpf.JumpTest, v uint32, jt, jf int) {
	a.ins = append(a.ins, pins{cond: true, test: t, val: v, jt: jt, jf: jf})
}

func (a *asm) resolve() ([]bpf.Instruction, error) {
	out := make([]bpf.Instruction, len(a.ins))
	for i, p := range a.ins {
		if !p.cond {
			out[i] = p.ins
			continue
		}
		st, sf := a.labels[p.jt]-i-1, a.labels[p.jf]-i-1
		if st < 0 || sf < 0 || st > 255 || sf > 255 {
			return nil, ErrTooLong
		}
		out[i] = bpf.JumpIf{Cond: p.test, Val: p.val, SkipTrue: uint8(st), SkipFalse: uint8(sf)}
	}
	return out, nil
}

// isIP jumps to jt when the frame carries IP version v (4 or 6), else jf.
func (a *asm) isIP(v int, jt, jf int) {
	if a.link.byEther {
		a.emit(bpf.LoadAbsolute{Off: a.link.etherOff, Size: 2})
		et := uint32(0x0800)
		if v == 6 {
			et = 0x86dd
		}
		a.jump(bpf.JumpEqual, et, jt, jf)
		return
	}
	a.emit(bpf.LoadAbsolute{Off: a.link.nh, Size: 1})
	a.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: 0xf0})
	a.jump(bpf.JumpEqual, uint32(v)<<4, jt, jf)
}

// isTCP4 jumps to jt for an IPv4 TCP packet (the IP test already passed).
func (a *asm) isTCP4(jt, jf int) {
	a.emit(bpf.LoadAbsolute{Off: a.link.nh + 9, Size: 1})
	a.jump(bpf.JumpEqual, 6, jt, jf)
}

func (a *asm) isTCP6(jt, jf int) {
	a.emit(bpf.LoadAbsolute{Off: a.link.nh + 6, Size: 1})
	a.jump(bpf.JumpEqual, 6, jt, jf)
}

// gen emits code that jumps to t when e matches and to f when not.
func (a *asm) gen(e *Expr, t, f int) {
	nh := a.link.nh
	switch e.op {
	case opTrue:
		a.jump(bpf.JumpEqual, 0, t, t) // the accumulator is whatever: both go to t
	case opAnd:
		mid := a.label()
		a.gen(e.l, mid, f)
		a.place(mid)
		a.gen(e.r, t, f)
	case opOr:
		mid := a.label()
		a.gen(e.l, t, mid)
		a.place(mid)
		a.gen(e.r, t, f)
	case opNot:
		a.gen(e.l, f, t)
	case opIP:
		v4 := a.label()
		a.isIP(4, v4, f)
		a.place(v4)
		a.isTCP4(t, f)
	case opIP6:
		v6 := a.label()
		a.isIP(6, v6, f)
		a.place(v6)
		a.isTCP6(t, f)
	case opTCP:
		v4, not4, v6 := a.label(), a.label(), a.label()
		a.isIP(4, v4, not4)
		a.place(v4)
		a.isTCP4(t, f)
		a.place(not4)
		a.isIP(6, v6, f)
		a.place(v6)
		a.isTCP6(t, f)
	case opPort:
		v4, tcp4, whole, not4, v6, tcp6 := a.label(), a.label(), a.label(), a.label(), a.label(), a.label()
		a.isIP(4, v4, not4)
		a.place(v4)
		a.isTCP4(tcp4, f)
		a.place(tcp4)
		a.emit(bpf.LoadAbsolute{Off: nh + 6, Size: 2})
		a.jump(bpf.JumpBitsSet, 0x1fff, f, whole) // a later fragment has no TCP header
		a.place(whole)
		a.emit(bpf.LoadMemShift{Off: nh}) // X = IP header length
		a.ports(e.dir, e.port, func(off uint32) bpf.Instruction { return bpf.LoadIndirect{Off: nh + off, Size: 2} }, t, f)
		a.place(not4)
		a.isIP(6, v6, f)
		a.place(v6)
		a.isTCP6(tcp6, f)
		a.place(tcp6)
		a.ports(e.dir, e.port, func(off uint32) bpf.Instruction { return bpf.LoadAbsolute{Off: nh + 40 + off, Size: 2} }, t, f)
	case opHost, opNet:
		addr := e.prefix.Addr()
		if addr.Is4() {
			v4, tcp4 := a.label(), a.label()
			a.isIP(4, v4, f)
			a.place(v4)
			a.isTCP4(tcp4, f)
			a.place(tcp4)
			a.addrs(e, nh+12, nh+16, t, f)
		} else {
			v6, tcp6 := a.label(), a.label()
			a.isIP(6, v6, f)
			a.place(v6)
			a.isTCP6(tcp6, f)
			a.place(tcp6)
			a.addrs(e, nh+8, nh+24, t, f)
		}
	}
}

// ports tests the TCP source and/or destination port, loaded by load(0)
// and load(2).
func (a *asm) ports(d dir, port uint16, load func(off uint32) bpf.Instruction, t, f int) {
	switch d {
	case dirSrc:
		a.emit(load(0))
		a.jump(bpf.JumpEqual, uint32(port), t, f)
	case dirDst:
		a.emit(load(2))
		a.jump(bpf.JumpEqual, uint32(port), t, f)
	default:
		dst := a.label()
		a.emit(load(0))
		a.jump(bpf.JumpEqual, uint32(port), t, dst)
		a.place(dst)
		a.emit(load(2))
		a.jump(bpf.JumpEqual, uint32(port), t, f)
	}
}

// addrs tests the source address at srcOff and/or the destination at
// dstOff against e's prefix, 32 bits at a time.
func (a *asm) addrs(e *Expr, srcOff, dstOff uint32, t, f int) {
	switch e.dir {
	case dirSrc:
		a.prefixAt(e, srcOff, t, f)
	case dirDst:
		a.prefixAt(e, dstOff, t, f)
	default:
		dst := a.label()
		a.prefixAt(e, srcOff, t, dst)
		a.place(dst)
		a.prefixAt(e, dstOff, t, f)
	}
}

func (a *asm) prefixAt(e *Expr, off uint32, t, f int) {
	raw := e.prefix.Addr().AsSlice()
	bits := e.prefix.Bits()
	words := len(raw) / 4
	for w := 0; w < words; w++ {
		n := min(max(bits-32*w, 0), 32)
		if n == 0 {
			break
		}
		mask := uint32(0xffffffff)
		if n < 32 {
			mask = ^(uint32(0xffffffff) >> n)
		}
		want := binary.BigEndian.Uint32(raw[4*w:]) & mask
		a.emit(bpf.LoadAbsolute{Off: off + uint32(4*w), Size: 4})
		if mask != 0xffffffff {
			a.emit(bpf.ALUOpConstant{Op: bpf.ALUOpAnd, Val: mask})
		}
		last := w == words-1 || bits <= 32*(w+1)
		if last {
			a.jump(bpf.JumpEqual, want, t, f)
			return
		}
		next := a.label()
		a.jump(bpf.JumpEqual, want, next, f)
		a.place(next)
	}
	a.jump(bpf.JumpEqual, 0, t, t) // a /0 prefix: anything
}
