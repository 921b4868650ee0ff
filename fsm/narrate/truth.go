package narrate

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tcpviz/tcpviz/fsm"
	"github.com/tcpviz/tcpviz/fsm/timeline"
)

// factTemplates word the facts sources record on their steps (the echo
// session's calls and disagreements, the simulator's failed calls). Placeholders, beside {side} {peer}
// {sidezh} {peerzh}: {dir} {flags} {len} {from} {to} {local} {remote}
// {dur} (rounded to µs) {ms} {secs} {n} {m} {text} {quoted} {call}.
var factTemplates = map[timeline.FactKind]template{
	timeline.FactCaptureOff: {
		"Packet capture is off ({text}): the states shown are the kernel's.",
		"抓包已关闭（{text}）：显示的是内核报告的状态。"},
	timeline.FactNewConnection: {
		"A new connection: a new client socket with a new port.",
		"新的连接：新的客户端套接字，新的端口。"},
	timeline.FactKernelUnasked: {
		"The kernel could not be asked: {text}.",
		"无法询问内核：{text}。"},
	timeline.FactTCPInfo: {
		"Kernel tcp_info of the {side}: srtt {dur}, cwnd {n}, {m} retransmitted.",
		"内核 tcp_info（{sidezh}）：srtt {dur}，cwnd {n}，重传 {m} 次。"},
	timeline.FactDelayedACK: {
		"Linux held this ACK back {ms} ms (delayed ACK, RFC 9293 §3.8.6.3; Linux waits at least 40 ms once out of quick-ACK mode). The simulator ACKs at once; the states end the same.",
		"Linux 把这个 ACK 推迟了 {ms} 毫秒（延迟确认，RFC 9293 §3.8.6.3；退出快速确认模式后 Linux 至少等 40 毫秒）。模拟器立即确认；最终状态相同。"},
	timeline.FactUnpredicted: {
		"The simulator did not predict this {flags} segment.",
		"模拟器没有预测到这个 {flags} 报文。"},
	timeline.FactListenAssumed: {
		"A passive observer assumes the server LISTENs until it answers; the simulator knows nothing listens, so the SYN will be refused.",
		"被动观察者在服务器应答之前假定它处于 LISTEN；模拟器知道没有程序在监听，所以这个 SYN 会被拒绝。"},
	timeline.FactDataAfterClose: {
		"Data reached the {side} after its application closed: nothing can ever read it, so Linux (and the simulator) abort the connection with RST (RFC 2525 §2.17; Linux counts TCPAbortOnData). The packets show it only when the RST follows.",
		"数据在{sidezh}的应用程序关闭之后到达：再也没有人能读取它，所以 Linux（以及模拟器）用 RST 中止连接（RFC 2525 §2.17；Linux 计入 TCPAbortOnData）。只有随后出现 RST 时，报文才显示这一点。"},
	timeline.FactCauseRefusedOrClosed: {
		"A passive observer cannot tell a closed port from a listener that refused: RST answers the SYN either way.",
		"被动观察者无法区分关闭的端口和拒绝连接的监听者：两种情况都用 RST 回答 SYN。"},
	timeline.FactCauseKernelTWFirst: {
		"The kernel's TIME-WAIT has ended (60 s) before the simulator's.",
		"内核的 TIME-WAIT（60 秒）比模拟器的先结束。"},
	timeline.FactCauseSimTWFirst: {
		"The simulator's TIME-WAIT has ended before the kernel's.",
		"模拟器的 TIME-WAIT 比内核的先结束。"},
	timeline.FactCauseSegmentPending: {
		"The kernel and the packets are behind the simulator: a segment (often a delayed ACK) has not gone out yet.",
		"内核和报文落后于模拟器：有一个报文（常常是延迟的 ACK）还没有发出。"},
	timeline.FactCauseKernelBehind: {
		"The kernel may not have processed the last segment yet, or the capture missed one.",
		"内核可能还没有处理最后一个报文，或者抓包漏掉了一个。"},
	timeline.FactAccepted: {
		"accept() takes the connection the kernel already established: the state does not change.",
		"accept() 取走内核已经建立的连接：状态不变。"},
	timeline.FactNewListener: {
		"A new listening socket: the connection's own sockets are not affected.",
		"新的监听套接字：连接自己的套接字不受影响。"},
	timeline.FactPortHeldUnseen: {
		"Port {n} is held by a socket the kernel did not list (another family or namespace?).",
		"端口 {n} 被一个内核没有列出的套接字占用（另一个地址族或网络命名空间？）。"},
	timeline.FactPortUnasked: {
		"The kernel could not be asked which socket holds the port.",
		"无法询问内核是哪个套接字占用了这个端口。"},
	timeline.FactReuseAddr: {
		"SO_REUSEADDR lets bind() share the port with the connection in TIME-WAIT (the old socket has it too, from its listener); a second listener would still be refused.",
		"SO_REUSEADDR 让 bind() 与处于 TIME-WAIT 的连接共享端口（旧套接字也有这个选项，继承自它的监听者）；第二个监听者仍会被拒绝。"},
	timeline.FactConnRefused: {
		"connect() failed with ECONNREFUSED: nothing listens on {local}, so the kernel answered the SYN with RST (RFC 9293 §3.10.7.1).",
		"connect() 失败，ECONNREFUSED：{local} 上没有程序监听，所以内核用 RST 回答了 SYN（RFC 9293 §3.10.7.1）。"},
	timeline.FactSetup: {
		"Before the first step: {text}.",
		"第一步之前：{text}。"},
	timeline.FactCallFailed: {
		"The call fails: {text}.",
		"调用失败：{text}。"},
	timeline.FactRecvEOF: {
		"recv() returns 0: end of file, the {peer}'s FIN has arrived.",
		"recv() 返回 0：文件结束，{peerzh}的 FIN 已经到达。"},
	timeline.FactRecvShutRD: {
		"recv() returns 0: the socket is shut down for reading.",
		"recv() 返回 0：该套接字的读方向已经关闭。"},
	timeline.FactShutRD: {
		"shutdown(SHUT_RD) sends nothing and leaves the state as it is; recv() now returns what is queued, then 0 at once.",
		"shutdown(SHUT_RD) 不发送任何报文，状态也不变；此后 recv() 先返回已排队的数据，然后立即返回 0。"},
	timeline.FactLinger0: {
		"SO_LINGER on with a timeout of 0: close() will abort the connection with a RST instead of a FIN.",
		"SO_LINGER 开启且超时为 0：close() 将用 RST 而不是 FIN 中止连接。"},
	timeline.FactRecvData: {
		"recv() returned {quoted} ({n} bytes).",
		"recv() 返回 {quoted}（{n} 字节）。"},
	timeline.FactAborted: {
		"SO_LINGER {on, 0} makes close() abort: RST instead of FIN, no TIME-WAIT (RFC 9293 §3.10.5).",
		"SO_LINGER {on, 0} 让 close() 变成中止：发送 RST 而不是 FIN，没有 TIME-WAIT（RFC 9293 §3.10.5）。"},
	timeline.FactSimRefuses: {
		"The simulator refuses {call} here ({text}) where the kernel accepted it.",
		"模拟器在这里拒绝 {call}（{text}），而内核接受了它。"},
	timeline.FactSimRecvReset: {
		"The simulator answers \"connection does not exist\" (RFC 9293 §3.10.3: the connection was reset); Linux still lets recv() return what arrived before the reset, and end of file once the socket is done, keeping the error for a later call.",
		"模拟器回答“连接不存在”（RFC 9293 §3.10.3：连接已被重置）；Linux 仍让 recv() 返回重置之前到达的数据，并在套接字结束后返回文件结束，把错误留给之后的调用。"},
}

// Facts returns the sentences for the facts of step s, in order.
func Facts(s *timeline.Step, lang Lang) []string {
	if len(s.Facts) == 0 {
		return nil
	}
	out := make([]string, 0, len(s.Facts))
	for i := range s.Facts {
		out = append(out, Fact(s, &s.Facts[i], lang))
	}
	return out
}

// Fact returns the sentence for one fact of step s.
func Fact(s *timeline.Step, f *timeline.Fact, lang Lang) string {
	switch f.Kind {
	case timeline.FactKernelOwn:
		return kernelOwn(f, lang)
	case timeline.FactUnseen:
		return unseen(f, lang)
	case timeline.FactSegDisagree:
		o, p := s.States, s.Truth.Predicted
		if lang == ZH {
			return fmt.Sprintf("不一致：报文显示 %s/%s，模拟器预测 %s/%s。", o[0], o[1], p[0], p[1])
		}
		return fmt.Sprintf("Disagreement: the packets say %s/%s, the simulator predicts %s/%s.", o[0], o[1], p[0], p[1])
	case timeline.FactDisagree, timeline.FactDisagreeNoCap:
		return disagree(s, f, lang)
	case timeline.FactAddrInUse:
		return addrInUse(f, lang)
	case timeline.FactPortHeld:
		return portHeld(f, lang)
	case timeline.FactListenerClosed:
		return listenerClosed(f, lang)
	case timeline.FactCaptureOff:
		if f.Text == "" {
			f := *f
			f.Text = "--no-capture"
			return fillFact(pick(factTemplates[timeline.FactCaptureOff], lang), s, &f)
		}
	}
	t, ok := factTemplates[f.Kind]
	if !ok {
		return ""
	}
	return fillFact(pick(t, lang), s, f)
}

func fillFact(text string, s *timeline.Step, f *timeline.Fact) string {
	return strings.NewReplacer(
		"{side}", f.Side.String(), "{peer}", f.Side.Peer().String(),
		"{sidezh}", sideName(f.Side, ZH), "{peerzh}", sideName(f.Side.Peer(), ZH),
		"{dir}", f.Dir.String(), "{flags}", f.Flags.String(),
		"{len}", strconv.FormatUint(uint64(f.Len), 10),
		"{from}", f.From.String(), "{to}", f.To.String(),
		"{local}", f.Local.String(), "{remote}", f.Remote.String(),
		"{dur}", f.Dur.Round(time.Microsecond).String(),
		"{ms}", strconv.FormatInt(f.Dur.Milliseconds(), 10),
		"{secs}", strconv.FormatFloat(f.Dur.Seconds(), 'f', 0, 64),
		"{n}", strconv.FormatInt(f.N, 10), "{m}", strconv.FormatInt(f.M, 10),
		"{text}", f.Text, "{quoted}", strconv.Quote(f.Text), "{call}", s.CallWithoutSide(),
	).Replace(text)
}

// kernelOwn says why the kernel changed a socket's state without a call
// or a segment.
func kernelOwn(f *timeline.Fact, lang Lang) string {
	side := sideName(f.Side, lang)
	switch {
	case f.From == fsm.TimeWait && f.To == fsm.Closed && lang == ZH:
		return "内核结束了" + side + "的 TIME-WAIT：60 秒后（Linux 的 TCP_TIMEWAIT_LEN，固定值；RFC 9293 §3.10.8 要求 2·MSL）套接字消失，端口释放。"
	case f.From == fsm.TimeWait && f.To == fsm.Closed:
		return "The kernel ended the " + side + "'s TIME-WAIT: after 60 s (Linux's TCP_TIMEWAIT_LEN, fixed; RFC 9293 §3.10.8 asks 2·MSL) the socket is gone and its port is free."
	case f.From == fsm.FinWait2 && f.To == fsm.Closed && lang == ZH:
		return "内核丢弃了" + side + "处于 FIN-WAIT-2 的套接字：孤儿套接字（应用程序已关闭它）只等 tcp_fin_timeout（60 秒）接收对端的 FIN。"
	case f.From == fsm.FinWait2 && f.To == fsm.Closed:
		return "The kernel dropped the " + side + "'s FIN-WAIT-2 socket: an orphaned socket (closed by its application) waits only tcp_fin_timeout (60 s) for the peer's FIN."
	case lang == ZH:
		return fmt.Sprintf("内核自行把%s从 %s 变为 %s。", side, f.From, f.To)
	}
	return fmt.Sprintf("The kernel moved the %s from %s to %s on its own.", side, f.From, f.To)
}

// unseen says a predicted segment was not captured, and why where known.
func unseen(f *timeline.Fact, lang Lang) string {
	// Linux sends no pure window update after a small read.
	window := f.Flags == fsm.ACK && f.Len == 0
	switch {
	case lang == ZH && window:
		return fmt.Sprintf("模拟器预测了一个 %s 的 %s 报文，抓包没有看到（少量读取之后 Linux 不发送单纯的窗口更新：tcp_cleanup_rbuf 只通告大幅增长的窗口）。", f.Dir, f.Flags)
	case lang == ZH:
		return fmt.Sprintf("模拟器预测了一个 %s 的 %s 报文，抓包没有看到。", f.Dir, f.Flags)
	case window:
		return fmt.Sprintf("The simulator predicted a %s %s segment the capture did not see (Linux sends no pure window update after a small read: tcp_cleanup_rbuf only announces a window that grew a lot).", f.Dir, f.Flags)
	}
	return fmt.Sprintf("The simulator predicted a %s %s segment the capture did not see.", f.Dir, f.Flags)
}

// disagree says which of the kernel, the packets and the simulator differ
// on one side of step s.
func disagree(s *timeline.Step, f *timeline.Fact, lang Lang) string {
	side := f.Side
	k, o, p := s.Truth.Kernel[side], s.States[side], s.Truth.Predicted[side]
	name := sideName(side, lang)
	var en, zh string
	switch {
	case f.Kind == timeline.FactDisagreeNoCap || k == o:
		en = fmt.Sprintf("the kernel says the %s is %s, the simulator predicts %s", name, k, p)
		zh = fmt.Sprintf("内核报告%s处于 %s，模拟器预测 %s", name, k, p)
	case o == p:
		en = fmt.Sprintf("the kernel says the %s is %s, the packets and the simulator say %s", name, k, o)
		zh = fmt.Sprintf("内核报告%s处于 %s，报文和模拟器都显示 %s", name, k, o)
	case k == p:
		en = fmt.Sprintf("the packets say the %s is %s, the kernel and the simulator %s", name, o, k)
		zh = fmt.Sprintf("报文显示%s处于 %s，内核和模拟器显示 %s", name, o, k)
	default:
		en = fmt.Sprintf("the kernel says the %s is %s, the packets %s, the simulator %s", name, k, o, p)
		zh = fmt.Sprintf("内核报告%s处于 %s，报文显示 %s，模拟器预测 %s", name, k, o, p)
	}
	if lang == ZH {
		return "不一致：" + zh + "。"
	}
	return "Disagreement: " + en + "."
}

func addrInUse(f *timeline.Fact, lang Lang) string {
	reuse := f.N != 0
	switch {
	case lang == ZH && reuse:
		return "bind() 失败，EADDRINUSE。"
	case lang == ZH:
		return "bind() 失败，EADDRINUSE。没有 SO_REUSEADDR 时，只要还有套接字占用这个端口（即使处于 TIME-WAIT），Linux 就拒绝绑定；有了它（旧套接字从它的监听者继承，新套接字自己设置），bind() 可以与 TIME-WAIT 的套接字共享端口。"
	case reuse:
		return "bind() failed with EADDRINUSE."
	}
	return "bind() failed with EADDRINUSE. Without SO_REUSEADDR Linux refuses a port any socket still holds, even in TIME-WAIT; with it (on both the old socket, inherited from its listener, and the new one) bind() may share the port with TIME-WAIT sockets."
}

// portHeld names a socket holding the port, and for how long a TIME-WAIT
// one still will.
func portHeld(f *timeline.Fact, lang Lang) string {
	port := f.N
	switch {
	case f.From == fsm.Listen && lang == ZH:
		return fmt.Sprintf("端口 %d 被 %s 上的监听套接字占用。", port, f.Local)
	case f.From == fsm.Listen:
		return fmt.Sprintf("Port %d is held by a listening socket on %s.", port, f.Local)
	case f.From == fsm.TimeWait && lang == ZH:
		return fmt.Sprintf("端口 %d 被处于 TIME-WAIT 的连接 %s-%s 占用，还要 %.0f 秒（它先关闭，所以等待 2·MSL；Linux：60 秒）。", port, f.Local, f.Remote, f.Dur.Seconds())
	case f.From == fsm.TimeWait:
		return fmt.Sprintf("Port %d is held by the connection %s-%s in TIME-WAIT for another %.0f s (it closed first, so it waits 2·MSL; Linux: 60 s).", port, f.Local, f.Remote, f.Dur.Seconds())
	case lang == ZH:
		return fmt.Sprintf("端口 %d 被处于 %s 的连接 %s-%s 占用。", port, f.From, f.Local, f.Remote)
	}
	return fmt.Sprintf("Port %d is held by the connection %s-%s in %s.", port, f.Local, f.Remote, f.From)
}

func listenerClosed(f *timeline.Fact, lang Lang) string {
	aborted := f.N != 0
	switch {
	case lang == ZH && aborted:
		return "监听套接字已关闭：发往该端口的新 SYN 会收到 RST。关闭监听者会中止仍在其 accept 队列中的连接：Linux 向它们发送 RST（inet_csk_listen_stop）。"
	case lang == ZH:
		return "监听套接字已关闭：发往该端口的新 SYN 会收到 RST。"
	case aborted:
		return "The listening socket is closed: new SYNs to the port are answered with RST. Closing a listener aborts the connections still in its accept queue: Linux sends them RST (inet_csk_listen_stop)."
	}
	return "The listening socket is closed: new SYNs to the port are answered with RST."
}
