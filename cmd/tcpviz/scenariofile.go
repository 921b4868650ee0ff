package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tcpviz/tcpviz/fsm/narrate"
	"github.com/tcpviz/tcpviz/fsm/sim"
	"github.com/tcpviz/tcpviz/fsm/timeline"
	"github.com/tcpviz/tcpviz/tui"
)

// isScenarioFile reports whether a sim argument names a file rather than a
// built-in scenario: a path with a slash, a name ending in .tcps, or any
// name with an extension that exists as a file (built-in names have none).
func isScenarioFile(arg string) bool {
	if strings.ContainsRune(arg, '/') || strings.HasSuffix(arg, sim.FileExt) {
		return true
	}
	if filepath.Ext(arg) == "" {
		return false
	}
	fi, err := os.Stat(arg)
	return err == nil && fi.Mode().IsRegular()
}

// readScenarioFile reads and parses a user's scenario file. Every error is
// the user's to fix (exit 2): one line, FILE:LINE:COL where there is one.
func readScenarioFile(path string) (sim.Scenario, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return sim.Scenario{}, usageErrorf("cannot read %s: %v", path, err)
	}
	sc, err := sim.Parse(path, text)
	if err != nil {
		return sim.Scenario{}, &usageError{err}
	}
	return sc, nil
}

// catalog is what the picker offers: the built-ins by name, then files by
// their paths (so that none hides a built-in).
type catalog struct {
	keys  []string
	byKey map[string]sim.Scenario
}

func newCatalog() *catalog {
	c := &catalog{byKey: map[string]sim.Scenario{}}
	for _, sc := range sim.Builtin() {
		c.add(sc.Name, sc)
	}
	return c
}

func (c *catalog) add(key string, sc sim.Scenario) {
	if _, ok := c.byKey[key]; !ok {
		c.keys = append(c.keys, key)
	}
	c.byKey[key] = sc
}

// addDir adds every .tcps file in dir, in name order.
func (c *catalog) addDir(dir string) error {
	if _, err := os.ReadDir(dir); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return usageErrorf("cannot read --scenarios %s: %v", dir, err)
	}
	paths, _ := filepath.Glob(filepath.Join(dir, "*"+sim.FileExt)) // the pattern is valid
	for _, p := range paths {
		sc, err := readScenarioFile(p)
		if err != nil {
			return err
		}
		c.add(p, sc)
	}
	return nil
}

// tuiOptions opens the view on the scenario called key, with every
// scenario of the catalog to choose from.
func (c *catalog) tuiOptions(lang narrate.Lang, key string, cfg sim.Config) tui.SimOptions {
	scs := make([]tui.Scenario, len(c.keys))
	for i, k := range c.keys {
		scs[i] = tui.Scenario{Name: k, Description: c.byKey[k].Description}
	}
	return tui.SimOptions{
		Lang:      lang,
		Scenarios: scs,
		Initial:   key,
		Load: func(key string) (timeline.Player, error) {
			sc, ok := c.byKey[key]
			if !ok {
				return nil, &sim.UnknownScenarioError{Name: key}
			}
			return playScenario(sc, cfg)
		},
	}
}

// playScenario plays sc; a file's scenario that cannot run as written
// (a call that fails, a condition that never holds, a fault that never
// applies, a run past the bound) is the user's to fix.
func playScenario(sc sim.Scenario, cfg sim.Config) (*sim.Sim, error) {
	s, err := sim.Play(sc, cfg)
	var fe *sim.FileError
	if errors.As(err, &fe) {
		return nil, &usageError{err}
	}
	return s, err
}
