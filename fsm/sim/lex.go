package sim

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// FileError is a mistake in a scenario file, or a scenario that cannot
// run as written, at a line and column (from 1, in characters); line 0
// when it is the whole run's (it ran past the bound after its last call).
type FileError struct {
	File      string
	Line, Col int
	Msg       string
	Suggest   string // the nearest valid word, "" if none

	err error // what went wrong when it ran, for errors.Is
}

// Unwrap returns the run's error (ErrStalled, ErrRunaway, …), if any.
func (e *FileError) Unwrap() error { return e.err }

func (e *FileError) Error() string {
	msg := fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	if e.Line == 0 {
		msg = e.File + ": " + e.Msg
	}
	if e.Suggest != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", e.Suggest)
	}
	return msg
}

// pos is a place in a scenario file.
type pos struct{ line, col int }

// token is a word, a quoted string (text unquoted) or a colon.
type token struct {
	text   string
	col    int
	quoted bool
}

// lower is the token as a keyword: words are case-insensitive.
func (t token) lower() string { return strings.ToLower(t.text) }

// tokenize splits one line into tokens; a # outside a string starts a
// comment. It returns the column of an unterminated string as an error.
func tokenize(line string) ([]token, *token) {
	var out []token
	col := 1
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		switch {
		case r == ' ' || r == '\t':
			i += size
			col++
		case r == '#':
			return out, nil
		case r == ':':
			out = append(out, token{text: ":", col: col})
			i += size
			col++
		case r == '"':
			end := stringEnd(line, i)
			if end < 0 {
				return out, &token{text: line[i:], col: col}
			}
			text, err := strconv.Unquote(line[i:end])
			if err != nil {
				return out, &token{text: line[i:end], col: col}
			}
			out = append(out, token{text: text, col: col, quoted: true})
			col += utf8.RuneCountInString(line[i:end])
			i = end
		default:
			j := i
			for j < len(line) && !strings.ContainsRune(" \t#:\"", rune(line[j])) {
				j++
			}
			out = append(out, token{text: line[i:j], col: col})
			col += utf8.RuneCountInString(line[i:j])
			i = j
		}
	}
	return out, nil
}

// stringEnd returns the index just past the closing quote of the string
// that starts at line[i], or -1.
func stringEnd(line string, i int) int {
	for j := i + 1; j < len(line); j++ {
		switch line[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}
