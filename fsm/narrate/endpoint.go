package narrate

import "github.com/tcpviz/tcpviz/fsm"

// The endpoint machine's and the simulator's reasons (fsm/reason.go). Each
// sentence is about {side}, the endpoint in whose Why slot the reason
// stands; segment placeholders are the step's segment (the one arriving,
// for the Rcv reasons), so App and Timer sentences use none.
func init() {
	register(map[fsm.Reason]template{
		// User calls.
		fsm.AppPassiveOpen: {
			en: "The {side} calls listen() (a passive OPEN, RFC 9293 §3.10.1): it moves from CLOSED to LISTEN and waits for a SYN; nothing is sent yet.",
			zh: "{sidezh}调用 listen()（被动打开，RFC 9293 §3.10.1）：从 CLOSED 进入 LISTEN，等待对方的 SYN，此时还不发送任何报文。",
		},
		fsm.AppActiveOpen: {
			en: "The {side} calls connect() (an active OPEN): it picks its initial sequence number (ISS), sends a SYN — the first step of the three-way handshake — and enters SYN-SENT (§3.10.1).",
			zh: "{sidezh}调用 connect()（主动打开）：选定初始序列号（ISS），发送 SYN——三次握手的第一步——并进入 SYN-SENT（§3.10.1）。",
		},
		fsm.AppSend: {
			en: "The {side} calls {call}: the data joins the send buffer and goes out in segments as far as the {peer}'s receive window allows; each byte has a sequence number so it can be acknowledged and retransmitted (§3.10.2).",
			zh: "{sidezh}调用 {call}：数据进入发送缓冲区，在{peerzh}的接收窗口允许的范围内分段发出；每个字节都有序列号，以便被确认和重传（§3.10.2）。",
		},
		fsm.AppReceive: {
			en: "The {side} calls {call} and reads the data waiting in its receive buffer; the space this frees reopens its receive window (RCV.WND) (§3.10.3).",
			zh: "{sidezh}调用 {call}，读出接收缓冲区中的数据；腾出的空间使它的接收窗口（RCV.WND）重新变大（§3.10.3）。",
		},
		fsm.AppClose: {
			en: "The {side} calls {call} (CLOSE, §3.10.4) and moves {from} → {to}: it has nothing more to send, so once its queued data is out it sends a FIN (a socket still listening or connecting is simply deleted).",
			zh: "{sidezh}调用 {call}（CLOSE，§3.10.4），状态 {from} → {to}：它不再有数据要发送，待缓冲区的数据发完后发送 FIN，开始四次挥手（仍在监听或连接中的套接字则直接删除）。",
		},
		fsm.AppCloseUnread: {
			en: "The {side} calls {call} with received data still unread, so instead of a FIN it sends a RST and goes straight to CLOSED: the {peer} must learn that its data was never read (RFC 2525 §2.17, as Linux does).",
			zh: "{sidezh}在还有未读数据时调用 {call}，因此不发 FIN，而是发送 RST 并直接进入 CLOSED：必须让{peerzh}知道它发来的数据没有被应用程序读取（RFC 2525 §2.17，Linux 的做法）。",
		},
		fsm.AppShutdown: {
			en: "The {side} calls {call}, a half-close: it sends a FIN after its queued data and moves {from} → {to}, but keeps reading whatever the {peer} still sends (§3.10.4).",
			zh: "{sidezh}调用 {call}（半关闭）：发完缓冲区的数据后发送 FIN，状态 {from} → {to}，但仍可继续接收{peerzh}发来的数据（§3.10.4）。",
		},
		fsm.AppAbort: {
			en: "The {side} aborts the connection (ABORT, §3.10.5, e.g. close() with SO_LINGER 0): unsent data is thrown away, a RST tells the {peer} if the connection was synchronized, and it goes to CLOSED at once with no TIME-WAIT.",
			zh: "{sidezh}中止连接（ABORT，§3.10.5，例如设置 SO_LINGER 为 0 后调用 close()）：丢弃未发送的数据，若连接已同步则发送 RST 通知{peerzh}，并立即进入 CLOSED，不经过 TIME-WAIT。",
		},
		fsm.AppRestart: {
			en: "The {side}'s host crashes or reboots and loses every connection without sending a thing: the {peer} still believes the connection is open (a half-open connection, §3.5.1) until its next segment meets a RST.",
			zh: "{sidezh}的主机崩溃或重启，丢失了所有连接状态且没有发出任何报文：{peerzh}仍以为连接是打开的（半开连接，§3.5.1），直到它的下一个报文收到 RST。",
		},
		fsm.AppAccept: {
			en: "The {side} calls {call}: the application takes a connection the kernel has already ESTABLISHED; accept() itself sends nothing, as the three-way handshake (§3.5) finished without it.",
			zh: "{sidezh}调用 {call}：应用程序取走内核已经完成三次握手的连接；accept() 本身不发送任何报文，三次握手（§3.5）在它之前就已完成。",
		},

		// SEGMENT ARRIVES.
		fsm.RcvInClosed: {
			en: "The {flags} segment reaches the {side}, which has no such connection (CLOSED), so it answers with a RST that tells the {peer} to give up (§3.10.7.1).",
			zh: "{flags} 报文到达{sidezh}，但它没有对应的连接（CLOSED），于是回复 RST，让{peerzh}放弃（§3.10.7.1）。",
		},
		fsm.RcvSynInListen: {
			en: "The {side} in LISTEN receives a SYN (seq={seq}): it records the {peer}'s initial sequence number, answers with a SYN,ACK that acknowledges it, and enters SYN-RECEIVED — step two of the three-way handshake (§3.10.7.2).",
			zh: "处于 LISTEN 的{sidezh}收到 SYN（seq={seq}）：记下{peerzh}的初始序列号，回复确认它的 SYN,ACK，进入 SYN-RECEIVED——三次握手的第二步（§3.10.7.2）。",
		},
		fsm.RcvRstInListen: {
			en: "The {side} in LISTEN ignores the RST: there is no connection yet for it to reset (§3.10.7.2).",
			zh: "处于 LISTEN 的{sidezh}忽略这个 RST：此时还没有可以被重置的连接（§3.10.7.2）。",
		},
		fsm.RcvAckInListen: {
			en: "The {side} in LISTEN receives an ACK (ack={ack}), but it has sent nothing that could be acknowledged, so it answers with a RST (§3.10.7.2).",
			zh: "处于 LISTEN 的{sidezh}收到 ACK（ack={ack}），但它从未发送过可被确认的内容，于是回复 RST（§3.10.7.2）。",
		},
		fsm.RcvSynAck: {
			en: "The {side} receives a SYN,ACK that acknowledges its SYN (ack={rack}): both initial sequence numbers are now known, so it sends the last ACK of the three-way handshake and is ESTABLISHED (§3.10.7.3).",
			zh: "{sidezh}收到确认了自己 SYN 的 SYN,ACK（ack={rack}）：双方的初始序列号都已知，于是发送三次握手的最后一个 ACK，进入 ESTABLISHED（§3.10.7.3）。",
		},
		fsm.RcvSynSimultaneous: {
			en: "The {side} in SYN-SENT receives a SYN with no ACK: both sides opened at once (a simultaneous open), so it answers with a SYN,ACK that repeats its original ISS and enters SYN-RECEIVED (§3.10.7.3, Figure 7).",
			zh: "处于 SYN-SENT 的{sidezh}收到不带 ACK 的 SYN：双方同时发起了连接（同时打开），于是它用原来的 ISS 回复 SYN,ACK，进入 SYN-RECEIVED（§3.10.7.3，图 7）。",
		},
		fsm.RcvRstRefused: {
			en: "The {side} receives a RST that acknowledges its SYN: nothing is listening on the {peer}'s port, so the connection is refused (ECONNREFUSED) and the {side} is CLOSED (§3.10.7.3).",
			zh: "{sidezh}收到确认了其 SYN 的 RST：{peerzh}的端口上没有程序在监听，连接被拒绝（ECONNREFUSED），{sidezh}进入 CLOSED（§3.10.7.3）。",
		},
		fsm.RcvBadAckSynSent: {
			en: "The {side} in SYN-SENT receives an ACK (ack={ack}) that does not acknowledge its SYN — an old or stray segment — so it answers with a RST and keeps waiting for the right SYN,ACK (§3.10.7.3).",
			zh: "处于 SYN-SENT 的{sidezh}收到的 ACK（ack={ack}）并不确认它的 SYN——这是旧的或无关的报文——于是回复 RST，继续等待正确的 SYN,ACK（§3.10.7.3）。",
		},
		fsm.RcvUnacceptable: {
			en: "The {flags} segment (seq={rseq}) lies outside the {side}'s receive window, so it is dropped and the {side} sends an ACK saying which sequence number it expects next (§3.10.7.4, first check).",
			zh: "这个 {flags} 报文（seq={rseq}）落在{sidezh}的接收窗口之外，被丢弃；{sidezh}回复 ACK，告诉对方自己期望的下一个序列号（§3.10.7.4 第一项检查）。",
		},
		fsm.RcvRst: {
			en: "The {side} receives a RST carrying exactly the sequence number it expects: the {peer} has aborted, so the connection is reset (ECONNRESET) and the {side} goes to CLOSED at once, with no TIME-WAIT (§3.10.7.4, RFC 5961 §3).",
			zh: "{sidezh}收到序列号恰好等于期望值的 RST：{peerzh}已中止连接，连接被重置（ECONNRESET），{sidezh}立即进入 CLOSED，不经过 TIME-WAIT（§3.10.7.4，RFC 5961 §3）。",
		},
		fsm.RcvRstToListen: {
			en: "The {side}, in SYN-RECEIVED after a passive open, receives a RST: the half-made connection is dropped and it goes back to LISTEN for the next SYN (§3.10.7.4).",
			zh: "经被动打开进入 SYN-RECEIVED 的{sidezh}收到 RST：丢弃这个尚未建立的连接，回到 LISTEN 等待下一个 SYN（§3.10.7.4）。",
		},
		fsm.RcvRstChallenge: {
			en: "The RST (seq={rseq}) is inside the {side}'s window but not exactly at RCV.NXT, so it may be forged: instead of resetting, the {side} sends a challenge ACK, which only the real {peer} can answer with an exact RST (RFC 5961 §3.2).",
			zh: "这个 RST（seq={rseq}）在{sidezh}的接收窗口内，但不等于 RCV.NXT，可能是伪造的：{sidezh}不重置连接，而是回复挑战 ACK（challenge ACK），只有真正的{peerzh}才能用序列号精确的 RST 回应（RFC 5961 §3.2）。",
		},
		fsm.RcvSynChallenge: {
			en: "The {side} receives a SYN on a connection that is already synchronized: rather than reset, which an attacker could exploit, it sends a challenge ACK; a {peer} that really restarted will answer it with a RST (RFC 5961 §4).",
			zh: "{sidezh}在已同步的连接上收到 SYN：它不重置连接（攻击者可能借此断开连接），而是回复挑战 ACK；如果{peerzh}确实重启过，会用 RST 回应（RFC 5961 §4）。",
		},
		fsm.RcvAckOfSyn: {
			en: "The {side} receives the ACK of its SYN (ack={rack}): the three-way handshake is complete and it is ESTABLISHED (§3.10.7.4, fifth check).",
			zh: "{sidezh}收到对其 SYN 的确认（ack={rack}）：三次握手完成，进入 ESTABLISHED（§3.10.7.4 第五项检查）。",
		},
		fsm.RcvBadAckSynRcvd: {
			en: "The {side} in SYN-RECEIVED receives an ACK (ack={ack}) that does not acknowledge its SYN,ACK, so it answers with a RST and keeps waiting (§3.10.7.4, fifth check).",
			zh: "处于 SYN-RECEIVED 的{sidezh}收到的 ACK（ack={ack}）没有确认它的 SYN,ACK，于是回复 RST，继续等待（§3.10.7.4 第五项检查）。",
		},
		fsm.RcvAck: {
			en: "The {side} receives an ACK (ack={rack}) for data it sent: SND.UNA moves up and those bytes leave the retransmission queue (§3.10.7.4, fifth check).",
			zh: "{sidezh}收到对已发送数据的确认（ack={rack}）：SND.UNA 前移，这些字节从重传队列中移除（§3.10.7.4 第五项检查）。",
		},
		fsm.RcvDupAck: {
			en: "The ACK (ack={rack}) acknowledges nothing new for the {side}, so nothing changes (a duplicate ACK, §3.10.7.4).",
			zh: "这个 ACK（ack={rack}）对{sidezh}来说没有确认任何新数据，因此什么也不改变（重复 ACK，§3.10.7.4）。",
		},
		fsm.RcvAckFuture: {
			en: "The ACK (ack={rack}) acknowledges data the {side} never sent, so the segment is dropped and the {side} answers with an ACK of its own (§3.10.7.4, fifth check).",
			zh: "这个 ACK（ack={rack}）确认了{sidezh}从未发送过的数据，因此报文被丢弃，{sidezh}回复自己的 ACK（§3.10.7.4 第五项检查）。",
		},
		fsm.RcvData: {
			en: "The {side} receives {len} bytes in order (seq={rseq}): RCV.NXT moves past them, they wait in the receive buffer for the application, and an ACK goes back at once (§3.10.7.4, seventh check; this model does not delay ACKs).",
			zh: "{sidezh}按序收到 {len} 字节（seq={rseq}）：RCV.NXT 向前移动，数据放入接收缓冲区等待应用程序读取，并立即回复 ACK（§3.10.7.4 第七项检查；本模型不使用延迟确认）。",
		},
		fsm.RcvDuplicate: {
			en: "The {flags} segment (seq={rseq}) repeats what the {side} already has — the {peer} resent it because its ACK was lost or late — so the {side} drops it and acknowledges again (§3.10.7.4, first check).",
			zh: "这个 {flags} 报文（seq={rseq}）是{sidezh}已经收到过的——{peerzh}没有及时收到确认而重传了——因此{sidezh}丢弃它并再次发送 ACK（§3.10.7.4 第一项检查）。",
		},
		fsm.RcvAckOfFin: {
			en: "The {peer}'s ACK covers the {side}'s FIN (ack={rack}), so the {peer} has received it (a FIN takes one sequence number of its own, so that it can be acknowledged and retransmitted like data): the {side} moves {from} → {to} (§3.10.7.4, fifth check).",
			zh: "{peerzh}的 ACK 覆盖了{sidezh}的 FIN（ack={rack}），说明对方已经收到（FIN 本身占用一个序列号，这样它才能像数据一样被确认和重传）：{sidezh}的状态 {from} → {to}（§3.10.7.4 第五项检查）。",
		},
		fsm.RcvFin: {
			en: "The {side} receives the {peer}'s FIN: the {peer} will send no more data, so the {side} acknowledges the FIN's sequence number at once and moves {from} → {to} (§3.10.7.4, eighth check).",
			zh: "{sidezh}收到{peerzh}的 FIN：{peerzh}不会再发送数据；FIN 占用一个序列号，{sidezh}立即确认它，状态 {from} → {to}（§3.10.7.4 第八项检查）。",
		},
		fsm.RcvFinAckOfFin: {
			en: "One segment brings the {peer}'s FIN and the ACK of the {side}'s own FIN, so the {side} skips FIN-WAIT-2, acknowledges the FIN and goes from FIN-WAIT-1 straight to TIME-WAIT (§3.10.7.4).",
			zh: "同一个报文既带来{peerzh}的 FIN，又确认了{sidezh}自己的 FIN，因此{sidezh}跳过 FIN-WAIT-2，确认对方的 FIN 后从 FIN-WAIT-1 直接进入 TIME-WAIT（§3.10.7.4）。",
		},
		fsm.RcvFinInTimeWait: {
			en: "The {peer}'s FIN arrives again because the {side}'s last ACK was lost — exactly the case TIME-WAIT exists for — so the {side} acknowledges it again and restarts the 2·MSL timer (§3.10.7.4).",
			zh: "{peerzh}的 FIN 再次到达，说明{sidezh}的最后一个 ACK 丢失了——这正是 TIME-WAIT 存在的原因——于是{sidezh}再次确认，并重新开始 2·MSL 计时（§3.10.7.4）。",
		},

		// Timers.
		fsm.TimerRetransmit: {
			en: "The {side}'s retransmission timer runs out before an ACK came back, so it sends the oldest unacknowledged segment again and doubles the timeout (exponential backoff, RFC 6298 §5).",
			zh: "{sidezh}的重传定时器在收到确认之前超时，于是重传最早未被确认的报文，并把超时时间加倍（指数退避，RFC 6298 §5）。",
		},
		fsm.TimerGiveUp: {
			en: "The {side} has retransmitted too many times with no answer, so it gives up: the connection is dropped (ETIMEDOUT) and it moves {from} → {to} (§3.8.3).",
			zh: "{sidezh}多次重传仍无回应，于是放弃：连接被丢弃（ETIMEDOUT），状态 {from} → {to}（§3.8.3）。",
		},
		fsm.TimerTimeWait: {
			en: "2·MSL (60 s on Linux) has passed in TIME-WAIT: long enough for a lost last ACK to be asked for again by a resent FIN, and for every old segment of this connection to die out in the network so none can be mistaken for part of a new connection on the same ports; the {side} is now CLOSED (§3.10.8).",
			zh: "TIME-WAIT 已持续 2·MSL（Linux 为 60 秒）：这段时间足以让对方在最后的 ACK 丢失时重传 FIN 并得到再次确认，也足以让本连接的旧报文在网络中全部消失，不会被误认为使用相同端口的新连接的报文；{sidezh}现在进入 CLOSED（§3.10.8）。",
		},
		fsm.TimerFinWait2: {
			en: "The {side} closed its socket and has waited in FIN-WAIT-2 for the {peer}'s FIN for tcp_fin_timeout (60 s on Linux) in vain, so it drops the connection and is CLOSED: a closed (orphaned) socket does not wait forever.",
			zh: "{sidezh}已经关闭了套接字，在 FIN-WAIT-2 中等待{peerzh}的 FIN 超过 tcp_fin_timeout（Linux 为 60 秒）仍未等到，于是丢弃连接进入 CLOSED：已关闭的（孤儿）套接字不会无限期等待。",
		},
		fsm.TimerPersist: {
			en: "The {peer}'s window is zero and the {side} has data waiting, so its persist timer sends a window probe; without it, one lost window update would leave both sides waiting forever (§3.8.6.1).",
			zh: "{peerzh}的接收窗口为零而{sidezh}还有数据待发送，于是持续定时器（persist timer）发送窗口探测报文；否则只要丢失一个窗口更新，双方就会永远互相等待（§3.8.6.1）。",
		},

		// Added segment rules.
		fsm.RcvRstIgnored: {
			en: "The {side} drops this RST without a word: it fails the checks that prove a RST belongs to this connection (inside the window, or acknowledging the SYN), and a RST is never answered (§3.10.7, RFC 5961 §3).",
			zh: "{sidezh}默默丢弃这个 RST：它没有通过证明其属于本连接的检查（位于接收窗口内，或确认了 SYN），而 RST 永远不会被回复（§3.10.7，RFC 5961 §3）。",
		},
		fsm.RcvIgnored: {
			en: "The {side} drops this {flags} segment: in {from} the rules have no use for it (for example no SYN in LISTEN, no ACK bit, or data after the {peer}'s FIN) (§3.10.7).",
			zh: "{sidezh}丢弃这个 {flags} 报文：在 {from} 状态下它没有任何作用（例如 LISTEN 收到不含 SYN 的报文、报文没有 ACK 位，或在{peerzh}的 FIN 之后到达的数据）（§3.10.7）。",
		},
		fsm.RcvSynToListen: {
			en: "The {side}, in SYN-RECEIVED after a passive open, receives a new SYN inside its window: it abandons the half-made connection and returns to LISTEN (§3.10.7.4, fourth check).",
			zh: "经被动打开进入 SYN-RECEIVED 的{sidezh}在窗口内收到新的 SYN：放弃这个尚未建立的连接，回到 LISTEN（§3.10.7.4 第四项检查）。",
		},
		fsm.RcvOutOfOrder: {
			en: "The segment (seq={rseq}) starts beyond what the {side} expects next — one before it is missing — so the {side} keeps it aside until the gap is filled and sends a duplicate ACK pointing at the gap (§3.10.7.4).",
			zh: "这个报文（seq={rseq}）的起点超出了{sidezh}期望的下一个序列号——前面有报文缺失——{sidezh}先把它暂存起来，等缺口补齐后再交付，并发送重复 ACK 指出缺口位置（§3.10.7.4）。",
		},
		fsm.RcvWindowUpdate: {
			en: "The ACK acknowledges nothing new but sets the {peer}'s advertised window to {win} bytes, so the {side} may now send that much (a window update, §3.10.7.4).",
			zh: "这个 ACK 没有确认新数据，但把{peerzh}通告的接收窗口改为 {win} 字节，{sidezh}据此可以发送这么多数据（窗口更新，§3.10.7.4）。",
		},
		fsm.RcvDataAfterClose: {
			en: "Data arrives after the {side}'s application closed the socket, so no one can ever read it: the {side} answers with a RST and drops the connection (Linux, RFC 1122 §4.2.2.13).",
			zh: "数据到达时{sidezh}的应用程序已经关闭了套接字，再也没有人会读取它：{sidezh}回复 RST 并丢弃连接（Linux 的做法，RFC 1122 §4.2.2.13）。",
		},

		// The simulated link.
		fsm.LinkDrop: {
			en: "The network loses this {flags} segment (seq={rseq}): it never arrives, and only the sender's retransmission timer can make up for it.",
			zh: "网络丢失了这个 {flags} 报文（seq={rseq}）：它永远不会到达，只能靠发送方的重传定时器来弥补。",
		},
		fsm.LinkDuplicate: {
			en: "The network delivers this {flags} segment (seq={rseq}) twice; its sequence numbers let the receiver recognise the copy.",
			zh: "网络把这个 {flags} 报文（seq={rseq}）投递了两次；接收方凭序列号就能识别出重复的副本。",
		},
		fsm.LinkDelay: {
			en: "The network holds this {flags} segment (seq={rseq}) back, so segments sent after it may overtake it and arrive out of order.",
			zh: "网络延迟了这个 {flags} 报文（seq={rseq}），之后发送的报文可能超过它，造成乱序到达。",
		},
	})
}
