// Package endpoint draws one endpoint of a connection: the eleven states of
// RFC 9293 (Figure 5 in miniature) with the current one lit and the
// transition just taken labelled with its trigger, the endpoint's variables
// (RFC 9293 §3.3.1), the kernel's and the simulator's states where the
// source has them, and the socket calls the application has made so far.
package endpoint
