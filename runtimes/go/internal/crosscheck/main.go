// Command crosscheck answers the cases the Python tests generate (tests/runtimes): for each
// line of stdin, a JSON case {"op", ...}, it writes one line with the Go runtime's answer,
// so that canonical JSON, contract order, validation problems and template interpolation
// are compared with the Python runtime's own functions on many values.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	aiwfrt "github.com/aiwf-dev/aiwf/runtimes/go"
)

type testCase struct {
	Op     string            `json:"op"`
	Value  json.RawMessage   `json:"value"`
	Schema json.RawMessage   `json:"schema"`
	Types  map[string]string `json:"types"`
	Type   string            `json:"type"`
}

func answer(c testCase) (any, error) {
	value, err := aiwfrt.Parse(c.Value)
	if err != nil {
		return nil, err
	}
	switch c.Op {
	case "canonical":
		return aiwfrt.CanonicalString(value), nil
	case "order":
		var schema aiwfrt.Value
		if len(c.Schema) > 0 {
			if schema, err = aiwfrt.Parse(c.Schema); err != nil {
				return nil, err
			}
		}
		return aiwfrt.CanonicalString(aiwfrt.InContractOrder(value, schema)), nil
	case "interpolate":
		return aiwfrt.Interpolate(value), nil
	case "problems":
		types := aiwfrt.MustTypes(c.Types)
		out := []string{}
		for _, p := range aiwfrt.Problems(value, types.Contract(c.Type)) {
			out = append(out, p.String())
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown op %q", c.Op)
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var c testCase
		result := map[string]any{}
		if err := json.Unmarshal(in.Bytes(), &c); err != nil {
			result["error"] = err.Error()
		} else if got, err := answer(c); err != nil {
			result["error"] = err.Error()
		} else {
			result["result"] = got
		}
		line, _ := json.Marshal(result)
		out.Write(append(line, '\n'))
		out.Flush() // one answer per case, as the caller reads them
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
