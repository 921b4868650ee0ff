// Package connlist is the list of a capture's connections (bubbles table):
// endpoints, both states, segments, bytes, duration and flags, filling in
// as batches arrive, sortable and filterable, with the reading progress and
// the source's counters.
package connlist
