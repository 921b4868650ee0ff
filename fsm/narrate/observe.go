package narrate

import "github.com/tcpviz/tcpviz/fsm"

// The passive observer's reasons (package observe). Each sentence says what
// the capture showed and what that proves about {side}; the segment
// placeholders are the step's segment, whoever sent it.
func init() {
	register(map[fsm.Reason]template{
		fsm.ObsMidStream: {
			en: "The capture joined this connection after its handshake, so the {side} is taken to be ESTABLISHED.",
			zh: "抓包开始时连接已经建立（没有捕获到三次握手），因此认为{sidezh}处于 ESTABLISHED。",
		},
		fsm.ObsSynSent: {
			en: "The {side} sends a SYN (seq={rseq}): it has opened actively and is in SYN-SENT; the {peer} is assumed to be LISTENing until it answers.",
			zh: "{sidezh}发送 SYN（seq={rseq}），主动打开连接，进入 SYN-SENT；在{peerzh}回应之前，假定它处于 LISTEN（三次握手第一步）。",
		},
		fsm.ObsSynAckSent: {
			en: "The {side} answers with SYN,ACK (ack={rack}), which proves it received the {peer}'s SYN while LISTENing: it is in SYN-RECEIVED.",
			zh: "{sidezh}回复 SYN,ACK（ack={rack}），说明它在 LISTEN 状态收到了{peerzh}的 SYN：现在处于 SYN-RECEIVED（三次握手第二步）。",
		},
		fsm.ObsAckProvesSyn: {
			en: "The {side} acknowledges the {peer}'s SYN (ack={rack}) and sends as only a synchronized side does, which proves it is ESTABLISHED although the segment that got it there was not captured.",
			zh: "{sidezh}确认了{peerzh}的 SYN（ack={rack}），并像已同步的一端那样发送报文，说明它已处于 ESTABLISHED，尽管让它进入该状态的报文没有被捕获。",
		},
		fsm.ObsFinSent: {
			en: "The {side} sends a FIN: its application has closed, so it is in FIN-WAIT-1, waiting for the FIN to be acknowledged.",
			zh: "{sidezh}发送 FIN：它的应用程序关闭了连接，进入 FIN-WAIT-1，等待这个 FIN 被确认（四次挥手第一步）。",
		},
		fsm.ObsFinSentLastAck: {
			en: "The {side} sends its own FIN after receiving the {peer}'s: it moves from CLOSE-WAIT to LAST-ACK and waits for the last ACK.",
			zh: "{sidezh}在收到{peerzh}的 FIN 之后发送自己的 FIN：从 CLOSE-WAIT 进入 LAST-ACK，等待最后一个 ACK。",
		},
		fsm.ObsFinsCrossed: {
			en: "The {side}'s FIN does not acknowledge the {peer}'s FIN, so it was sent before that FIN arrived (the FINs crossed: a simultaneous close): the {side} was in FIN-WAIT-1, not CLOSE-WAIT, and having now received the {peer}'s FIN it is in CLOSING.",
			zh: "{sidezh}的 FIN 没有确认{peerzh}的 FIN，说明它是在对方的 FIN 到达之前发出的（两个 FIN 在途中交错：同时关闭）：{sidezh}当时处于 FIN-WAIT-1 而不是 CLOSE-WAIT，收到对方的 FIN 后进入 CLOSING。",
		},
		fsm.ObsTimeWaitReused: {
			en: "A new connection's SYN uses the same addresses and ports, so the {side}'s TIME-WAIT for this one ends early: it is CLOSED, and the 4-tuple belongs to the new connection (RFC 9293 §3.6 allows a SYN to reopen from TIME-WAIT; Linux does).",
			zh: "新连接的 SYN 使用了相同的地址和端口，因此{sidezh}为这个连接保持的 TIME-WAIT 提前结束：进入 CLOSED，这个四元组归新连接使用（RFC 9293 §3.6 允许 SYN 从 TIME-WAIT 重新打开连接；Linux 正是这样做的）。",
		},
		fsm.ObsRstSent: {
			en: "The {side} sends a RST: it has aborted the connection (or has none), so it is CLOSED.",
			zh: "{sidezh}发送 RST：它中止了连接（或者本来就没有这个连接），处于 CLOSED。",
		},
		fsm.ObsRefused: {
			en: "The {side} answers the SYN with RST: nothing was listening on that port, so the {side} was CLOSED all along (connection refused).",
			zh: "{sidezh}用 RST 回应 SYN：该端口上没有程序在监听，{sidezh}一直处于 CLOSED（连接被拒绝）。",
		},
		fsm.ObsRetransmitted: {
			en: "The {side} sends its {flags} again (a retransmission): it carries nothing new, and the {side} stays {to}.",
			zh: "{sidezh}再次发送 {flags}（重传）：没有新内容，{sidezh}保持 {to}。",
		},
	})
}
