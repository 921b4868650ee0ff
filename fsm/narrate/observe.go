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
		fsm.ObsSynDelivered: {
			en: "The {side} is known to be LISTENing, so the {peer}'s SYN reaches a listening socket: the {side} records the {peer}'s initial sequence number and is in SYN-RECEIVED (§3.10.7.2).",
			zh: "已知{sidezh}处于 LISTEN，因此{peerzh}的 SYN 到达了监听套接字：{sidezh}记下对方的初始序列号，进入 SYN-RECEIVED（§3.10.7.2）。",
		},
		fsm.ObsSynAckSent: {
			en: "The {side} answers with SYN,ACK (ack={rack}), which proves it received the {peer}'s SYN while LISTENing: it is in SYN-RECEIVED.",
			zh: "{sidezh}回复 SYN,ACK（ack={rack}），说明它在 LISTEN 状态收到了{peerzh}的 SYN：现在处于 SYN-RECEIVED（三次握手第二步）。",
		},
		fsm.ObsSynAckReceived: {
			en: "The {side} receives a SYN,ACK that acknowledges its SYN (ack={rack}), so it is ESTABLISHED.",
			zh: "{sidezh}收到确认了自己 SYN 的 SYN,ACK（ack={rack}），进入 ESTABLISHED。",
		},
		fsm.ObsHandshakeAck: {
			en: "The {peer}'s ACK (ack={rack}) acknowledges the {side}'s SYN: the three-way handshake is complete and the {side} is ESTABLISHED.",
			zh: "{peerzh}的 ACK（ack={rack}）确认了{sidezh}的 SYN：三次握手完成，{sidezh}进入 ESTABLISHED。",
		},
		fsm.ObsSimultaneousOpen: {
			en: "The {side} received the {peer}'s SYN while in SYN-SENT (the SYNs crossed: a simultaneous open), so it is in SYN-RECEIVED.",
			zh: "{sidezh}在 SYN-SENT 状态收到了{peerzh}的 SYN（双方的 SYN 在途中交错：同时打开），因此进入 SYN-RECEIVED。",
		},
		fsm.ObsAckProvesSyn: {
			en: "The {side} acknowledges the {peer}'s SYN (ack={rack}) and sends as only a synchronized side does, which proves it is ESTABLISHED although the segment that got it there was not captured.",
			zh: "{sidezh}确认了{peerzh}的 SYN（ack={rack}），并像已同步的一端那样发送报文，说明它已处于 ESTABLISHED，尽管让它进入该状态的报文没有被捕获。",
		},
		fsm.ObsBadAck: {
			en: "The {side} receives an ACK (ack={rack}) that does not acknowledge its SYN: it must answer with RST and stays in {to}.",
			zh: "{sidezh}收到的 ACK（ack={rack}）没有确认它的 SYN：它必须回复 RST，并保持 {to}。",
		},
		fsm.ObsSynIgnored: {
			en: "A SYN with a new initial sequence number reaches the {side} in {to}: it answers with a challenge ACK and keeps the connection (RFC 5961).",
			zh: "带有新初始序号的 SYN 到达处于 {to} 的{sidezh}：它回复挑战 ACK（challenge ACK），连接保持不变（RFC 5961）。",
		},
		fsm.ObsFinSent: {
			en: "The {side} sends a FIN: its application has closed, so it is in FIN-WAIT-1, waiting for the FIN to be acknowledged.",
			zh: "{sidezh}发送 FIN：它的应用程序关闭了连接，进入 FIN-WAIT-1，等待这个 FIN 被确认（四次挥手第一步）。",
		},
		fsm.ObsFinSentLastAck: {
			en: "The {side} sends its own FIN after receiving the {peer}'s: it moves from CLOSE-WAIT to LAST-ACK and waits for the last ACK.",
			zh: "{sidezh}在收到{peerzh}的 FIN 之后发送自己的 FIN：从 CLOSE-WAIT 进入 LAST-ACK，等待最后一个 ACK。",
		},
		fsm.ObsFinReceived: {
			en: "The {side} has received the {peer}'s FIN: the {peer} will send no more data, and the {side} stays in CLOSE-WAIT until its application closes (a half-close).",
			zh: "{sidezh}收到了{peerzh}的 FIN：对方不会再发送数据，{sidezh}进入 CLOSE-WAIT，直到自己的应用程序关闭（半关闭）。",
		},
		fsm.ObsFinAcked: {
			en: "The {peer}'s ACK covers the {side}'s FIN, so the {peer} has received it: the {side} moves to FIN-WAIT-2 and waits for the {peer}'s FIN.",
			zh: "{peerzh}的 ACK 覆盖了{sidezh}的 FIN，说明对方已经收到：{sidezh}进入 FIN-WAIT-2，等待对方的 FIN。",
		},
		fsm.ObsFinReceivedTimeWait: {
			en: "The {side} receives the {peer}'s FIN in FIN-WAIT-2: both directions are now closed, so it ACKs the FIN and waits in TIME-WAIT for 2·MSL.",
			zh: "{sidezh}在 FIN-WAIT-2 收到{peerzh}的 FIN：两个方向都已关闭，它回复 ACK，并在 TIME-WAIT 等待 2·MSL。",
		},
		fsm.ObsFinAckPiggyback: {
			en: "The {peer}'s FIN also acknowledges the {side}'s FIN (FIN and ACK in one segment), so the {side} goes straight from FIN-WAIT-1 to TIME-WAIT.",
			zh: "{peerzh}的 FIN 同时确认了{sidezh}的 FIN（FIN 和 ACK 合并在一个报文里），{sidezh}从 FIN-WAIT-1 直接进入 TIME-WAIT。",
		},
		fsm.ObsSimultaneousClose: {
			en: "The {peer}'s FIN does not acknowledge the {side}'s FIN, so the FINs crossed (a simultaneous close): the {side} moves from FIN-WAIT-1 to CLOSING.",
			zh: "{peerzh}的 FIN 没有确认{sidezh}的 FIN，说明两个 FIN 在途中交错（同时关闭）：{sidezh}从 FIN-WAIT-1 进入 CLOSING。",
		},
		fsm.ObsFinsCrossed: {
			en: "The {side}'s FIN does not acknowledge the {peer}'s FIN, so it was sent before that FIN arrived: the {side} was in FIN-WAIT-1, not CLOSE-WAIT, and having now received the {peer}'s FIN it is in CLOSING.",
			zh: "{sidezh}的 FIN 没有确认{peerzh}的 FIN，说明它是在对方的 FIN 到达之前发出的：{sidezh}当时处于 FIN-WAIT-1 而不是 CLOSE-WAIT，收到对方的 FIN 后进入 CLOSING。",
		},
		fsm.ObsClosingAcked: {
			en: "The {peer}'s ACK covers the {side}'s FIN: the {side} moves from CLOSING to TIME-WAIT.",
			zh: "{peerzh}的 ACK 确认了{sidezh}的 FIN：{sidezh}从 CLOSING 进入 TIME-WAIT。",
		},
		fsm.ObsLastAckAcked: {
			en: "The {peer}'s ACK covers the {side}'s FIN, the last step of the close: the {side} is CLOSED.",
			zh: "{peerzh}的 ACK 确认了{sidezh}的 FIN（四次挥手最后一步）：{sidezh}进入 CLOSED。",
		},
		fsm.ObsTimeWaitRestart: {
			en: "The {peer}'s FIN arrives again, so the {side}'s last ACK was lost: the {side} ACKs it again and restarts its 2·MSL TIME-WAIT timer.",
			zh: "{peerzh}的 FIN 再次到达，说明{sidezh}最后的 ACK 丢失了：{sidezh}再次回复 ACK，并重新开始 2·MSL 的 TIME-WAIT 计时。",
		},
		fsm.ObsTimeWaitExpired: {
			en: "2·MSL has passed on the capture's clock since the {side} entered TIME-WAIT: it is CLOSED.",
			zh: "按抓包的时间计算，{sidezh}进入 TIME-WAIT 已满 2·MSL：进入 CLOSED。",
		},
		fsm.ObsTimeWaitReused: {
			en: "A new connection's SYN uses the same addresses and ports, so the {side}'s TIME-WAIT for this one ends early: it is CLOSED, and the 4-tuple belongs to the new connection (RFC 9293 §3.6 allows a SYN to reopen from TIME-WAIT; Linux does).",
			zh: "新连接的 SYN 使用了相同的地址和端口，因此{sidezh}为这个连接保持的 TIME-WAIT 提前结束：进入 CLOSED，这个四元组归新连接使用（RFC 9293 §3.6 允许 SYN 从 TIME-WAIT 重新打开连接；Linux 正是这样做的）。",
		},
		fsm.ObsRstSent: {
			en: "The {side} sends a RST: it has aborted the connection (or has none), so it is CLOSED.",
			zh: "{sidezh}发送 RST：它中止了连接（或者本来就没有这个连接），处于 CLOSED。",
		},
		fsm.ObsRstReceived: {
			en: "The RST (seq={rseq}) carries the sequence number the {side} expects next, so it is acceptable: the connection is reset and the {side} is CLOSED.",
			zh: "RST（seq={rseq}）的序号正是{sidezh}期望的下一个序号，因此有效：连接被重置，{sidezh}进入 CLOSED。",
		},
		fsm.ObsRstToListen: {
			en: "The {side} accepts the RST in SYN-RECEIVED; the connection came from a passive open, so the {side} returns to LISTEN.",
			zh: "{sidezh}在 SYN-RECEIVED 接受了这个 RST；连接来自被动打开，所以{sidezh}回到 LISTEN。",
		},
		fsm.ObsRefused: {
			en: "The {side} answers the SYN with RST: nothing was listening on that port, so the {side} was CLOSED all along (connection refused).",
			zh: "{sidezh}用 RST 回应 SYN：该端口上没有程序在监听，{sidezh}一直处于 CLOSED（连接被拒绝）。",
		},
		fsm.ObsRstRefused: {
			en: "The RST acknowledges the {side}'s SYN, so it is acceptable in SYN-SENT: the connection is refused and the {side} is CLOSED.",
			zh: "这个 RST 确认了{sidezh}的 SYN，在 SYN-SENT 状态下有效：连接被拒绝，{sidezh}进入 CLOSED。",
		},
		fsm.ObsRstChallenge: {
			en: "The RST (seq={rseq}) is inside the {side}'s window but not at the next expected sequence number: the {side} answers with a challenge ACK and stays {to} (RFC 5961).",
			zh: "RST（seq={rseq}）落在{sidezh}的接收窗口内，但不是期望的下一个序号：{sidezh}回复挑战 ACK，保持 {to}（RFC 5961）。",
		},
		fsm.ObsRstIgnored: {
			en: "The {side} ignores the RST (seq={rseq}): it cannot accept it in {to} (outside its window, or not acknowledging its SYN), so nothing changes.",
			zh: "{sidezh}忽略这个 RST（seq={rseq}）：在 {to} 状态下它不可接受（不在接收窗口内，或没有确认 SYN），所以状态不变。",
		},
		fsm.ObsRstInTimeWait: {
			en: "The RST matches the sequence number the {side} expects in TIME-WAIT: Linux ends TIME-WAIT early, and the {side} is CLOSED.",
			zh: "处于 TIME-WAIT 的{sidezh}收到序号匹配的 RST：Linux 会提前结束 TIME-WAIT，{sidezh}进入 CLOSED。",
		},
		fsm.ObsRetransmitted: {
			en: "The {side} sends its {flags} again (a retransmission): it carries nothing new, and the {side} stays {to}.",
			zh: "{sidezh}再次发送 {flags}（重传）：没有新内容，{sidezh}保持 {to}。",
		},
	})
}
