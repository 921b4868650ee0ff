// Package ladder draws a timeline as a ladder (sequence) diagram: time runs
// down, the client's lifeline on the left and the server's on the right,
// each segment an arrow from sender to receiver with its flags, numbers,
// length and payload preview. Segments in flight stop mid-way, lost ones end
// in ✗, retransmissions are marked ↻. Only the rows on screen are rendered.
package ladder
