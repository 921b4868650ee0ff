// Package picker is the scenario chooser of the simulation view: a bubbles
// list of the scenarios with their descriptions, filterable.
package picker
