// Command harness runs a batch of conformance vectors on the Go SDK generated from
// tests/conformance/spec (tests/conformance/README.md, "How a runner meets the server"):
//
//	harness BATCH OUT
//
// BATCH is {"vectors": [{"id", "workflow", "input", "routes": {"ALIAS": {"base_url"}}}]};
// OUT gets {"results": [{"id", "result" | "error": {"code", "message"}, "trace": [...]}]}.
// Each vector runs on its own Client, its routes pointed at the server with WithRoute.
// runner_go.py copies this file into the generated module (cmd/harness) and builds it.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	sdk "aiwf.test/conformance"
)

type vector struct {
	ID       string                       `json:"id"`
	Workflow string                       `json:"workflow"`
	Input    json.RawMessage              `json:"input"`
	Routes   map[string]map[string]string `json:"routes"`
}

type outline struct {
	Step      string   `json:"step"`
	Index     *int     `json:"index"`
	Assistant string   `json:"assistant"`
	Status    string   `json:"status"`
	Attempts  []string `json:"attempts"`
	Tokens    [2]int   `json:"tokens"`
}

func run(v vector) map[string]any {
	opts := []sdk.Option{sdk.WithEnvironment("")}
	for alias, route := range v.Routes {
		opts = append(opts, sdk.WithRoute(alias, sdk.RouteOverride{BaseURL: route["base_url"]}))
	}
	result, trace, err := sdk.New(opts...).RunWorkflow(context.Background(), v.Workflow, v.Input)
	out := map[string]any{"id": v.ID}
	if err != nil {
		out["error"] = map[string]string{"code": sdk.ErrorCode(err), "message": err.Error()}
	} else {
		out["result"] = result
	}
	entries := []outline{}
	if trace != nil {
		for _, e := range trace.Entries {
			o := outline{Step: e.Step, Assistant: e.Assistant, Status: e.Status, Attempts: e.Outline(),
				Tokens: [2]int{e.InputTokens, e.OutputTokens}}
			if e.Index >= 0 {
				index := e.Index
				o.Index = &index
			}
			entries = append(entries, o)
		}
	}
	out["trace"] = entries
	return out
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: harness BATCH OUT")
		os.Exit(2)
	}
	data, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var batch struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(data, &batch); err != nil {
		fmt.Fprintln(os.Stderr, "not a batch:", err)
		os.Exit(1)
	}
	// Every route of the conformance spec reads its key from here.
	os.Setenv("AIWF_CONFORMANCE_KEY", "sk-conformance")
	results := []map[string]any{}
	for _, v := range batch.Vectors {
		results = append(results, run(v))
	}
	text, err := json.Marshal(map[string]any{"results": results})
	if err == nil {
		err = os.WriteFile(os.Args[2], text, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
