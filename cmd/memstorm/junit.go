package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"

	"github.com/memstorm/memstorm/rundir"
)

// JUnit XML, the subset CI systems read: one testsuite per run, one
// testcase per expectation, a failure element when it did not hold.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

func writeJUnit(path string, dirs []string) error {
	var doc junitSuites
	for _, d := range dirs {
		s, err := rundir.ReadSummary(filepath.Join(d, rundir.SummaryFile))
		if err != nil {
			return fmt.Errorf("junit: %w", err)
		}
		suite := junitSuite{Name: s.Scenario + " / " + s.Allocator.Name, Time: s.DurationS}
		for _, e := range s.Expectations {
			c := junitCase{Name: e.Expr, ClassName: "memstorm." + s.Scenario,
				SystemOut: fmt.Sprintf("observed: %s\noutcome: %s\nrun: %s", e.Observed, s.Outcome, d)}
			if !e.Passed {
				c.Failure = &junitFailure{Message: "observed " + e.Observed, Text: s.Reason}
				suite.Failures++
			}
			suite.Cases = append(suite.Cases, c)
		}
		suite.Tests = len(suite.Cases)
		doc.Suites = append(doc.Suites, suite)
	}
	b, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("junit: encoding: %w", err)
	}
	b = append([]byte(xml.Header), append(b, '\n')...)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("junit: writing %s: %w", path, err)
	}
	return nil
}
