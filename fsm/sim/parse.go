package sim

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tcpviz/tcpviz/fsm"
)

// FileExt is the extension of scenario files.
const FileExt = ".tcps"

// The words of the format, for "did you mean" (README: Scenario files).
var (
	lineWords  = []string{"description", "latency", "loss", "seed", "isn", "endpoints", "before", "when", "after", "client", "server", "drop", "duplicate", "delay", "reorder"}
	sideWords  = []string{"client", "server"}
	callWords  = []string{"listen", "connect", "accept", "send", "echo", "recv", "shutdown", "close", "abort", "restart", "setsockopt"}
	condWords  = []string{"quiet", "after", "client", "server"}
	sideConds  = []string{"is", "has", "got"}
	kindWords  = []string{"segment", "data", "SYN", "SYN,ACK", "ACK", "FIN", "FIN,ACK", "RST", "RST,ACK"}
	ordWords   = []string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth"}
	stateWords = func() []string {
		out := make([]string, fsm.NumStates)
		for i := range out {
			out[i] = fsm.State(i).String()
		}
		return out
	}()
)

// options are a file's settings of the simulation.
type options struct {
	latency time.Duration // 0: the configuration's
	isn     [2]fsm.Seq
	hasISN  [2]bool
	variant string // "linux", "rfc" or "" (the configuration's)
	loss    float64
	seed    uint64
}

// apply changes cfg as the file asks.
func (o options) apply(cfg *Config) {
	switch o.variant {
	case "rfc":
		rfc := RFCConfig()
		cfg.Endpoint, cfg.Variant = rfc.Endpoint, rfc.Variant
	case "linux":
		def := DefaultConfig()
		cfg.Endpoint, cfg.Variant = def.Endpoint, ""
	}
	for side, ok := range o.hasISN {
		if ok {
			cfg.Endpoint[side].ISS = o.isn[side]
		}
	}
	if o.latency > 0 {
		cfg.Delay = o.latency
	}
	cfg.Loss, cfg.Seed = o.loss, o.seed
}

// source is where a parsed scenario's lines came from, for errors found
// when it runs.
type source struct {
	file                  string
	setup, script, faults []pos
}

// errAt returns a FileError at p.
func (src *source) errAt(p pos, msg string) error {
	return &FileError{File: src.file, Line: p.line, Col: p.col, Msg: msg}
}

// Parse reads a scenario file. file names it in errors, and its base name
// without the extension is the scenario's name. Every error is a
// *FileError.
func Parse(file string, text []byte) (Scenario, error) {
	name := strings.TrimSuffix(path.Base(strings.ReplaceAll(file, "\\", "/")), FileExt)
	p := &parser{src: &source{file: file}, seen: map[string]int{}}
	p.sc = Scenario{Name: name, Text: string(text)}
	if !utf8.Valid(text) {
		return Scenario{}, &FileError{File: file, Line: 1, Col: 1, Msg: "the file is not UTF-8 text"}
	}
	for n, line := range strings.Split(string(text), "\n") {
		p.line = n + 1
		if err := p.parseLine(strings.TrimSuffix(line, "\r")); err != nil {
			return Scenario{}, err
		}
	}
	if err := p.check(); err != nil {
		return Scenario{}, err
	}
	opts := p.opts
	p.sc.Configure = opts.apply
	p.sc.src = p.src
	return p.sc, nil
}

// parser reads a file line by line.
type parser struct {
	src  *source
	sc   Scenario
	opts options
	seen map[string]int // a setting's word → the line that set it

	line int
	toks []token
	i    int
	end  int // the column just past the line's last character
}

func (p *parser) errAt(col int, format string, a ...any) error {
	return &FileError{File: p.src.file, Line: p.line, Col: col, Msg: fmt.Sprintf(format, a...)}
}

// errWord says tok is not one of want, suggesting the nearest.
func (p *parser) errWord(tok token, what string, want []string) error {
	e := p.errAt(tok.col, "unknown %s %q", what, tok.text).(*FileError)
	lower := make([]string, len(want))
	for i, w := range want {
		lower[i] = strings.ToLower(w)
	}
	if n := Nearest(tok.lower(), lower); n != "" {
		for i, l := range lower {
			if l == n {
				e.Suggest = want[i]
			}
		}
	}
	return e
}

// next returns the next token, or an error saying what was expected
// where the line ends.
func (p *parser) next(what string) (token, error) {
	if p.i >= len(p.toks) {
		return token{}, p.errAt(p.end, "expected %s", what)
	}
	t := p.toks[p.i]
	p.i++
	return t, nil
}

// peek returns the next token's keyword, or "".
func (p *parser) peek() string {
	if p.i >= len(p.toks) || p.toks[p.i].quoted {
		return ""
	}
	return p.toks[p.i].lower()
}

// done fails if anything is left on the line.
func (p *parser) done() error {
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		return p.errAt(t.col, "unexpected %q at the end of the line", t.text)
	}
	return nil
}

func (p *parser) parseLine(line string) error {
	toks, bad := tokenize(line)
	if bad != nil {
		if stringEnd(bad.text, 0) < 0 {
			return p.errAt(bad.col, `unterminated string: the closing " is missing`)
		}
		return p.errAt(bad.col, "malformed string %s (escapes are Go's: \\n, \\t, \\\", \\\\)", bad.text)
	}
	p.toks, p.i, p.end = toks, 0, utf8.RuneCountInString(strings.TrimRight(line, " \t"))+1
	if len(toks) == 0 {
		return nil
	}
	first := toks[0]
	if first.quoted {
		return p.errAt(first.col, "a line starts with a word, not a string")
	}
	word := first.lower()
	switch word {
	case "description", "latency", "loss", "seed", "isn", "endpoints":
		if prev, ok := p.seen[word]; ok && !(word == "isn") {
			return p.errAt(first.col, "%s is set twice (first on line %d)", word, prev)
		}
		p.seen[word] = p.line
		p.i = 1
		return p.setting(word, line, first)
	case "drop", "duplicate", "delay", "reorder":
		p.i = 1
		return p.fault(first)
	case "before":
		p.i = 1
		if t, err := p.next(`":" after before`); err != nil {
			return err
		} else if t.text != ":" {
			return p.errAt(t.col, `expected ":" after before`)
		}
		a, err := p.call(nil)
		if err != nil {
			return err
		}
		if a.Call.Op != OpListen {
			return p.errAt(p.toks[2].col, "only listen can run before the first step")
		}
		p.sc.Setup = append(p.sc.Setup, a)
		p.src.setup = append(p.src.setup, pos{p.line, first.col})
		return nil
	case "when", "after":
		if word == "when" {
			p.i = 1
		}
		cond, err := p.cond()
		if err != nil {
			return err
		}
		a, err := p.call(cond)
		if err != nil {
			return err
		}
		p.addAction(a, first.col)
		return nil
	case "client", "server":
		a, err := p.call(nil)
		if err != nil {
			return err
		}
		p.addAction(a, first.col)
		return nil
	}
	if word == "restart" || containsFold(callWords, word) {
		return p.errAt(first.col, "a call needs its side: client %s or server %s", word, word)
	}
	return p.errWord(first, "word", lineWords)
}

func (p *parser) addAction(a Action, col int) {
	p.sc.Script = append(p.sc.Script, a)
	p.src.script = append(p.src.script, pos{p.line, col})
}

func containsFold(list []string, w string) bool {
	for _, x := range list {
		if strings.EqualFold(x, w) {
			return true
		}
	}
	return false
}

// setting reads the rest of a settings line.
func (p *parser) setting(word, line string, first token) error {
	switch word {
	case "description":
		rest := strings.TrimSpace(string([]rune(line)[first.col-1+len("description"):]))
		if rest == "" {
			return p.errAt(p.end, "expected the description's text")
		}
		p.sc.Description = rest
		return nil
	case "latency":
		d, err := p.duration("the one-way delay, e.g. 10ms")
		if err != nil {
			return err
		}
		if d == 0 {
			return p.errAt(p.toks[1].col, "latency must be more than 0")
		}
		p.opts.latency = d
	case "loss":
		t, err := p.next("the share of segments lost, e.g. 5%")
		if err != nil {
			return err
		}
		v, perr := strconv.ParseFloat(strings.TrimSuffix(t.text, "%"), 64)
		if perr != nil || !strings.HasSuffix(t.text, "%") || v < 0 || v > 100 {
			return p.errAt(t.col, "loss is a percentage from 0%% to 100%%, e.g. 5%%, not %q", t.text)
		}
		p.opts.loss = v / 100
	case "seed":
		t, err := p.next("a number that chooses which segments loss takes")
		if err != nil {
			return err
		}
		v, perr := strconv.ParseUint(t.text, 10, 64)
		if perr != nil {
			return p.errAt(t.col, "seed is a whole number, not %q", t.text)
		}
		p.opts.seed = v
	case "isn":
		side, err := p.side()
		if err != nil {
			return err
		}
		if p.opts.hasISN[side] {
			return p.errAt(first.col, "isn %s is set twice", side)
		}
		t, err := p.next("the initial sequence number, 0 to 4294967295")
		if err != nil {
			return err
		}
		v, perr := strconv.ParseUint(t.text, 10, 32)
		if perr != nil {
			return p.errAt(t.col, "an initial sequence number is a whole number from 0 to 4294967295, not %q", t.text)
		}
		p.opts.isn[side], p.opts.hasISN[side] = fsm.Seq(v), true
	case "endpoints":
		t, err := p.next("linux or rfc")
		if err != nil {
			return err
		}
		if v := t.lower(); v != "linux" && v != "rfc" {
			return p.errWord(t, "endpoint behaviour", []string{"linux", "rfc"})
		}
		p.opts.variant = t.lower()
	}
	return p.done()
}

// duration reads a Go duration such as 300ms or 1m30s.
func (p *parser) duration(what string) (time.Duration, error) {
	t, err := p.next(what)
	if err != nil {
		return 0, err
	}
	d, perr := time.ParseDuration(t.text)
	if perr != nil || t.quoted {
		return 0, p.errAt(t.col, "expected %s, not %q", what, t.text)
	}
	if d < 0 {
		return 0, p.errAt(t.col, "a duration cannot be negative")
	}
	if d > runVirtual {
		return 0, p.errAt(t.col, "%v is past the end of every run (%v of virtual time)", d, runVirtual)
	}
	return d, nil
}

// side reads client or server.
func (p *parser) side() (fsm.Side, error) {
	t, err := p.next("client or server")
	if err != nil {
		return 0, err
	}
	switch t.lower() {
	case "client":
		return fsm.Client, nil
	case "server":
		return fsm.Server, nil
	}
	return 0, p.errWord(t, "side", sideWords)
}

// cond reads a condition up to its colon: terms joined by "and".
func (p *parser) cond() (Cond, error) {
	var terms []Cond
	for {
		c, err := p.term()
		if err != nil {
			return nil, err
		}
		terms = append(terms, c)
		t, err := p.next(`":" before the call`)
		if err != nil {
			return nil, err
		}
		switch {
		case t.text == ":":
			if len(terms) == 1 {
				return terms[0], nil
			}
			return All(terms...), nil
		case t.lower() != "and":
			return nil, p.errAt(t.col, `expected "and" or ":" after a condition, not %q`, t.text)
		}
	}
}

// term reads one part of a condition.
func (p *parser) term() (Cond, error) {
	t, err := p.next("a condition: quiet, after DURATION, or SIDE is STATE / has data / got FIN")
	if err != nil {
		return nil, err
	}
	switch t.lower() {
	case "quiet":
		return Quiet(), nil
	case "after":
		d, err := p.duration("a duration, e.g. 100ms")
		if err != nil {
			return nil, err
		}
		return After(d), nil
	case "client", "server":
		p.i--
		side, _ := p.side()
		verb, err := p.next("is STATE, has data or got FIN")
		if err != nil {
			return nil, err
		}
		switch verb.lower() {
		case "is":
			st, err := p.next("a state, e.g. ESTABLISHED")
			if err != nil {
				return nil, err
			}
			s, perr := fsm.ParseState(strings.ReplaceAll(strings.ToUpper(st.text), "_", "-"))
			if perr != nil {
				return nil, p.errWord(st, "state", stateWords)
			}
			return InState(side, s), nil
		case "has":
			if err := p.want("data"); err != nil {
				return nil, err
			}
			return Readable(side), nil
		case "got":
			if err := p.want("FIN"); err != nil {
				return nil, err
			}
			return PeerFinished(side), nil
		}
		return nil, p.errWord(verb, "condition", sideConds)
	}
	return nil, p.errWord(t, "condition", condWords)
}

// want reads one given word.
func (p *parser) want(word string) error {
	t, err := p.next(word)
	if err != nil {
		return err
	}
	if !strings.EqualFold(t.text, word) {
		return p.errWord(t, "word", []string{word})
	}
	return nil
}

// call reads SIDE CALL [ARGS] to the end of the line.
func (p *parser) call(when Cond) (Action, error) {
	side, err := p.side()
	if err != nil {
		return Action{}, err
	}
	t, err := p.next("a call: " + strings.Join(callWords, ", "))
	if err != nil {
		return Action{}, err
	}
	a := Action{When: when, Side: side}
	switch t.lower() {
	case "listen":
		a.Call = Listen()
	case "connect":
		a.Call = Connect()
	case "accept":
		a.Call = Accept()
	case "echo":
		a.Call = Echo()
	case "close":
		a.Call = Close()
	case "abort":
		a.Call = Abort()
	case "restart":
		a.Call = Restart()
		if p.peek() == "with" {
			return Action{}, p.errAt(p.toks[p.i].col, "restart with SO_REUSEADDR is not modelled yet: the simulator has no listener beside a connection in TIME-WAIT; restart is the host's crash and reboot")
		}
	case "send":
		if a.Call, err = p.sendArgs(); err != nil {
			return Action{}, err
		}
	case "recv":
		a.Call = Recv()
		if p.i < len(p.toks) {
			n, err := p.count("recv takes at most this many bytes")
			if err != nil {
				return Action{}, err
			}
			a.Call = RecvN(n)
		}
	case "shutdown":
		how, err := p.next("SHUT_WR or SHUT_RD")
		if err != nil {
			return Action{}, err
		}
		switch strings.ToUpper(how.text) {
		case "SHUT_WR":
			a.Call = Shutdown()
		case "SHUT_RD":
			a.Call = ShutdownRead()
		case "SHUT_RDWR":
			return Action{}, p.errAt(how.col, "SHUT_RDWR is not modelled: write shutdown SHUT_WR, or close")
		default:
			return Action{}, p.errWord(how, "shutdown", []string{"SHUT_WR", "SHUT_RD"})
		}
	case "setsockopt":
		opt, err := p.next("SO_LINGER 0")
		if err != nil {
			return Action{}, err
		}
		if !strings.EqualFold(opt.text, "SO_LINGER") {
			return Action{}, p.errWord(opt, "socket option (the simulator models SO_LINGER 0)", []string{"SO_LINGER"})
		}
		v, err := p.next("0 (SO_LINGER 0: close() aborts)")
		if err != nil {
			return Action{}, err
		}
		if v.text != "0" {
			return Action{}, p.errAt(v.col, "only SO_LINGER 0 is modelled (close() aborts with a RST)")
		}
		a.Call = Linger0()
	default:
		return Action{}, p.errWord(t, "call", callWords)
	}
	return a, p.done()
}

// sendArgs reads send's argument: "text" or N bytes.
func (p *parser) sendArgs() (Call, error) {
	if p.i < len(p.toks) && p.toks[p.i].quoted {
		t := p.toks[p.i]
		p.i++
		if t.text == "" {
			return Call{}, p.errAt(t.col, "send needs at least one byte")
		}
		return Send(t.text), nil
	}
	n, err := p.count(`what to send: "text" or N bytes`)
	if err != nil {
		return Call{}, err
	}
	if err := p.want("bytes"); err != nil {
		return Call{}, err
	}
	return SendN(n), nil
}

// count reads a number of bytes from 1 to recvMax.
func (p *parser) count(what string) (int, error) {
	t, err := p.next(what)
	if err != nil {
		return 0, err
	}
	n, perr := strconv.Atoi(t.text)
	if perr != nil || t.quoted || n < 1 || n > recvMax {
		return 0, p.errAt(t.col, "expected %s (a number from 1 to %d), not %q", what, recvMax, t.text)
	}
	return n, nil
}

// fault reads VERB [the] [SIDE's] [ORDINAL] KIND [by DURATION], or VERB
// segment N.
func (p *parser) fault(verb token) error {
	lf := LinkFault{Match: Match{Either: true}, Fault: map[string]Fault{"drop": Drop, "duplicate": Duplicate, "delay": Delay, "reorder": Reorder}[verb.lower()]}
	if p.peek() == "the" {
		p.i++
	}
target:
	for {
		t, err := p.next("the segment, e.g. the client's first FIN")
		if err != nil {
			return err
		}
		w := t.lower()
		if n, ok := ordinal(w); ok && lf.Nth == 0 {
			lf.Nth = n
			continue
		}
		if s, ok := strings.CutSuffix(w, "'s"); ok && lf.Match.Either && (s == "client" || s == "server") {
			lf.Match.Either, lf.Match.Dir = false, fsm.C2S
			if s == "server" {
				lf.Match.Dir = fsm.S2C
			}
			continue
		}
		switch w {
		case "segment":
			lf.Match.Any = true
			if lf.Nth == 0 && p.i < len(p.toks) && p.peek() != "by" {
				n, err := p.count("which segment, counting from 1")
				if err != nil {
					return err
				}
				lf.Nth = n
			}
		case "data":
			lf.Match.Data = true
			if p.peek() == "segment" {
				p.i++
			}
		default:
			f, ok := fsm.ParseFlags(t.text)
			if !ok || t.quoted || f&(fsm.SYN|fsm.ACK|fsm.FIN|fsm.RST) == 0 {
				if s, ok := strings.CutSuffix(w, "'s"); ok {
					return p.errWord(token{text: s, col: t.col}, "side", sideWords)
				}
				return p.errWord(t, "segment", slices.Concat(kindWords, ordWords, []string{"client's", "server's"}))
			}
			lf.Match.Flags = f
		}
		break target
	}
	lf.Nth = max(lf.Nth, 1)
	if p.peek() == "by" {
		by := p.toks[p.i]
		p.i++
		if lf.Fault != Delay {
			return p.errAt(by.col, "only delay takes by DURATION")
		}
		d, err := p.duration("how long, e.g. 300ms")
		if err != nil {
			return err
		}
		lf.Hold = d
	}
	if err := p.done(); err != nil {
		return err
	}
	p.sc.Faults = append(p.sc.Faults, lf)
	p.src.faults = append(p.src.faults, pos{p.line, verb.col})
	return nil
}

// ordinal reads first…tenth or 1st, 2nd, 3rd, 4th….
func ordinal(w string) (int, bool) {
	for i, o := range ordWords {
		if w == o {
			return i + 1, true
		}
	}
	if len(w) < 3 {
		return 0, false
	}
	n, err := strconv.Atoi(w[:len(w)-2])
	if err != nil || n < 1 || n > runSteps {
		return 0, false
	}
	return n, w == ordinalString(n)
}
