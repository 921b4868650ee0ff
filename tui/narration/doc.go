// Package narration shows, under the ladder, what the current step did and
// why, in the chosen language (narrate.Note), wrapped to the panel's width.
package narration
