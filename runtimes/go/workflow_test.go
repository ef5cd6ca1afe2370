package aiwfrt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

var flowTypes = MustTypes(map[string]string{
	"In":   `{"kind":"object","nullable":false,"properties":[{"name":"items","type":{"kind":"array","nullable":false,"items":{"kind":"integer","nullable":false}},"required":true}],"additional":true}`,
	"Num":  `{"kind":"integer","nullable":false,"maximum":10}`,
	"Any":  `{"kind":"any","nullable":false}`,
	"Text": `{"kind":"string","nullable":false}`,
})

func assistant(name, input, output string) *Assistant {
	return &Assistant{Name: name, Model: "m", Input: input, InputType: flowTypes.Contract(input),
		Output: &Output{Contract: output, Type: flowTypes.Contract(output)}}
}

// script answers each assistant with a function of its input.
type script struct {
	mu       sync.Mutex
	answer   map[string]func(Value) (Value, error)
	requests []string
}

func (s *script) Complete(ctx context.Context, req *Request) (*Response, error) {
	s.mu.Lock()
	s.requests = append(s.requests, req.Metadata.Step+" "+CanonicalString(req.Input))
	s.mu.Unlock()
	out, err := s.answer[req.Metadata.Assistant](req.Input)
	if err != nil {
		return nil, err
	}
	return &Response{Output: out, Usage: Usage{2, 1}}, nil
}

func flow() *Workflow {
	return &Workflow{
		Name: "flow", Input: "In", InputType: flowTypes.Contract("In"), Output: "Any", OutputType: flowTypes.Contract("Any"),
		Steps: []Step{
			{ID: "each", Assistant: assistant("double", "Num", "Num"), Input: Item(),
				Scatter: &Scatter{Over: Input("items"), Text: "input.items", Concurrency: 2, Skip: true}},
			{ID: "left", Assistant: assistant("say", "Any", "Text"), Input: Template("n=", Input("items", -1), " all=", StepOutput("each"), " none=", Input("nope")), DependsOn: []string{"each"}},
			{ID: "right", Assistant: assistant("say", "Any", "Text"), Input: ObjectTemplate("first", StepOutput("each", 0), "gone", Input("nope"), "list", ArrayTemplate(Index(), Input("nope"), Literal(`{"k":[1.5]}`))), DependsOn: []string{"each"}},
		},
		Result: ObjectTemplate("left", StepOutput("left"), "right", StepOutput("right"), "each", StepOutput("each")),
	}
}

func TestRunFollowsTheEnginesBindingsAndSkips(t *testing.T) {
	s := &script{answer: map[string]func(Value) (Value, error){
		"double": func(v Value) (Value, error) {
			n := numberOf(v.(json.Number)).float
			if n == 3 {
				return nil, &ProviderError{Code: CodeBadRequest, Provider: "openai", Model: "m", Message: "no", Status: 400}
			}
			return Int(int(n) * 2), nil
		},
		"say": func(v Value) (Value, error) { return CanonicalString(v), nil },
	}}
	router := &Router{Routes: map[string]Route{"m": {Provider: "fake"}}, Client: s}
	result, trace, err := Run(context.Background(), router, flow(), MustParse(`{"items": [1, 3, 4.0]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"left":"\"n=4 all=[2,null,8] none=\"","right":"{\"first\":2,\"list\":[null,null,{\"k\":[1.5]}]}","each":[2,null,8]}`
	if got := CanonicalString(result); got != want {
		t.Fatalf("result\n got %s\nwant %s", got, want)
	}
	var got []string
	for _, e := range trace.Entries {
		got = append(got, e.Step+":"+e.Status+":"+strings.Join(e.Outline(), ","))
	}
	if strings.Join(got, " ") != "each:ok: each:skipped: each:ok: left:ok: right:ok:" {
		t.Fatal(got)
	}
	if trace.InputTokens() != 8 || trace.OutputTokens() != 4 {
		t.Fatal(trace.InputTokens(), trace.OutputTokens())
	}
}

func TestRunErrorsAreWordedAsTheWireSays(t *testing.T) {
	fail := &ProviderError{Code: CodeServer, Provider: "openai", Model: "m", Message: "busy", Status: 503}
	s := &script{answer: map[string]func(Value) (Value, error){
		"double": func(v Value) (Value, error) { return v, nil },
		"say":    func(v Value) (Value, error) { return nil, fail },
	}}
	router := &Router{Routes: map[string]Route{"m": {Provider: "fake"}}, Client: s}
	wf := flow()
	wf.Steps[0].Scatter.Skip = false
	cases := []struct {
		input, code, message string
	}{
		{`{"items": "x"}`, CodeInputInvalid, "the input is not valid for workflow flow (In): /items: type: expected array, got string"},
		{`{"items": [11]}`, CodeStepFailed, "step each item 0 failed: its input is not valid for Num: (root): maximum: expected at most 10, got 11"},
		{`{"items": [1]}`, CodeStepFailed, "step left failed: [R004] openai m: busy (HTTP 503)"},
	}
	for _, c := range cases {
		_, trace, err := Run(context.Background(), router, wf, MustParse(c.input))
		if ErrorCode(err) != c.code || err == nil || (err.Error() != c.message && !strings.HasPrefix(c.message, "step left")) {
			t.Errorf("%s: %v (%s), want %s", c.input, err, ErrorCode(err), c.message)
		}
		if c.code == CodeStepFailed && strings.HasPrefix(c.message, "step left") {
			// left and right run in parallel; either may fail first
			if !strings.HasSuffix(err.Error(), "failed: [R004] openai m: busy (HTTP 503)") {
				t.Errorf("%v", err)
			}
			var se *StepError
			if !errors.As(err, &se) || ErrorCode(se.Err) != CodeServer {
				t.Errorf("cause %v", err)
			}
			if trace.Entries[0].Step != "each" || trace.Entries[0].Status != "ok" {
				t.Errorf("%+v", trace.Entries)
			}
		}
	}
	wf.Output, wf.OutputType = "Text", flowTypes.Contract("Text")
	s.answer["say"] = func(v Value) (Value, error) { return "ok", nil }
	if _, _, err := Run(context.Background(), router, wf, MustParse(`{"items": []}`)); ErrorCode(err) != CodeResultInvalid ||
		err.Error() != "the result of workflow flow is not valid for Text: (root): type: expected string, got object" {
		t.Fatal(err)
	}
}

func TestScatterOverANonArrayFailsTheStep(t *testing.T) {
	wf := flow()
	wf.InputType = flowTypes.Contract("Any")
	router := &Router{Routes: map[string]Route{"m": {Provider: "fake"}}, Client: &script{}}
	_, _, err := Run(context.Background(), router, wf, MustParse(`{"items": {"a": 1}}`))
	if ErrorCode(err) != CodeStepFailed || err.Error() != "step each failed: scatter over input.items is not an array (object)" {
		t.Fatal(err)
	}
}

// failing returns err to every call, as a consumer's fake may: one error value for all.
type failing struct{ err error }

func (f failing) Complete(context.Context, *Request) (*Response, error) { return nil, f.err }

func TestTheRouterLeavesAClientsErrorValueAsItWas(t *testing.T) {
	sentinel := &ProviderError{Code: CodeServer, Provider: "fake", Model: "m", Message: "busy", Status: 503,
		Attempts: []Attempt{{Provider: "fake", Model: "m", Kind: "call", Outcome: "http 503"}}}
	wrapped := fmt.Errorf("the fake says: %w", sentinel)
	kept := &sentinel.Attempts[0]
	for _, given := range []error{sentinel, wrapped} {
		router := &Router{Routes: map[string]Route{"m": {Provider: "fake"}}, Client: failing{given}}
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs { // calls in parallel, as a scatter makes them (go test -race)
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, _, errs[i] = router.Call(context.Background(), assistant("say", "Any", "Text"), "x", Metadata{})
			}(i)
		}
		wg.Wait()
		for _, err := range errs {
			var pe *ProviderError
			if !errors.As(err, &pe) || pe == sentinel || len(pe.Attempts) != 1 || pe.Message != "busy" {
				t.Fatalf("%v: %+v", err, pe)
			}
			if err.Error() != given.Error() || ErrorCode(err) != CodeServer {
				t.Errorf("%q (%s), want %q", err, ErrorCode(err), given)
			}
			if !errors.Is(err, sentinel) {
				t.Errorf("%v does not wrap the client's error", err)
			}
		}
	}
	if len(sentinel.Attempts) != 1 || &sentinel.Attempts[0] != kept {
		t.Errorf("the router wrote to the client's error: %+v", sentinel.Attempts)
	}
}
