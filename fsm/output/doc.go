// Package output writes timelines for scripts and pipes: JSON Lines as
// ../shared/spec/timeline-json.md defines them, a plain-text ladder, and the
// per-connection summary.
package output
