package docs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
)

// Example is one runnable README example (a <!-- example --> marker, a ```sh block, and
// optionally the ```json block of its expected output).
type Example = example

// Examples returns the examples marked in md, for the tests that run them (cmd/tracelink
// runs them with its test binary as the CLI, so no build is needed).
func Examples(md string) []Example { return examples(md) }

// ExampleMarker precedes a ```sh block whose commands the tests run.
const ExampleMarker = exampleMarker

// SameJSON reports whether got and want hold the same sequence of JSON values, ignoring
// layout and key order; numbers are compared as written, so no precision is lost.
func SameJSON(got, want string) error {
	g, err := jsonValues(got)
	if err != nil {
		return errors.New("output is not JSON: " + err.Error())
	}
	w, err := jsonValues(want)
	if err != nil {
		return errors.New("README json block is not JSON: " + err.Error())
	}
	if len(g) != len(w) {
		return fmt.Errorf("%d records, the README shows %d", len(g), len(w))
	}
	for i := range g {
		if !reflect.DeepEqual(g[i], w[i]) {
			return fmt.Errorf("record %d differs", i+1)
		}
	}
	return nil
}

func jsonValues(s string) ([]any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var vals []any
	for {
		var v any
		err := dec.Decode(&v)
		if errors.Is(err, io.EOF) {
			return vals, nil
		}
		if err != nil {
			return nil, err
		}
		vals = append(vals, v)
	}
}
