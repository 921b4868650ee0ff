// Package index maps a timeline's steps to the rows of the ladder diagram
// and lists each endpoint's socket calls, built incrementally as steps are
// appended, so that the view renders any visible window of a timeline of
// any length without walking its history.
package index
