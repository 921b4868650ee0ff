// Package observe is the passive observer: it watches the segments of one
// connection as a capture sees them and infers both endpoints' RFC 9293
// states, without being either endpoint.
package observe
