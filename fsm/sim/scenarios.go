package sim

import (
	"embed"
	"fmt"
	"slices"
)

// DefaultScenario is the scenario tcpviz opens with.
const DefaultScenario = "echo"

// files holds the built-in scenarios, one file each, in the format Parse
// reads (README: Scenario files).
//
//go:embed scenarios/*.tcps
var files embed.FS

// order is the order `tcpviz scenarios` lists the built-ins in; every file
// is listed once.
var order = []string{
	"echo", "server-close", "simultaneous-open", "simultaneous-close", "refused", "abort",
	"half-close", "lost-syn", "lost-synack", "lost-fin", "unread-rst", "half-open",
}

// builtin is the library of scenarios, parsed from files at start-up.
var builtin = mustParseBuiltin()

// mustParseBuiltin parses every embedded file; a built-in that does not
// parse is a bug in tcpviz, caught by every test of this package.
func mustParseBuiltin() []Scenario {
	entries, err := files.ReadDir("scenarios")
	if err != nil || len(entries) != len(order) {
		panic(fmt.Sprintf("sim: %d built-in scenario files for %d names (%v)", len(entries), len(order), err))
	}
	out := make([]Scenario, len(order))
	for i, name := range order {
		file := "scenarios/" + name + FileExt
		text, err := files.ReadFile(file)
		if err != nil {
			panic("sim: built-in scenario " + name + ": " + err.Error())
		}
		if out[i], err = Parse(file, text); err != nil {
			panic("sim: built-in scenario " + err.Error())
		}
	}
	return out
}

// Builtin returns the built-in scenarios, echo first.
func Builtin() []Scenario { return slices.Clone(builtin) }

// Names returns the built-in scenarios' names.
func Names() []string {
	names := make([]string, len(builtin))
	for i, sc := range builtin {
		names[i] = sc.Name
	}
	return names
}

// Lookup returns the built-in scenario called name.
func Lookup(name string) (Scenario, bool) {
	for _, sc := range builtin {
		if sc.Name == name {
			return sc, true
		}
	}
	return Scenario{}, false
}

// Load plays the built-in scenario called name on the default
// configuration. An unknown name's error (an *UnknownScenarioError)
// suggests the nearest and lists the valid ones.
func Load(name string) (*Sim, error) { return LoadWith(name, DefaultConfig()) }

// LoadWith plays the built-in scenario called name with cfg.
func LoadWith(name string, cfg Config) (*Sim, error) {
	sc, err := Find(name)
	if err != nil {
		return nil, err
	}
	return Play(sc, cfg)
}
