// Package narrate turns a timeline step into words: the one-sentence note of
// the JSON output and the narration panel, and the short trigger labels the
// state diagrams show (e.g. "rcv SYN,ACK / snd ACK"), in English or Chinese.
//
// Sentences are templates keyed by fsm.Reason with placeholders filled from
// the step, so a timeline stores no text and a million-step capture costs
// nothing until a step is shown.
package narrate
