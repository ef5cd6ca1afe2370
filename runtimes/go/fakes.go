package aiwfrt

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sync"
)

// Fake is a ModelClient with scripted outputs per assistant, for tests: each call of an
// assistant gets its next scripted output (the last one repeats). Outputs are checked
// against the output contract like real answers.
type Fake struct {
	mu      sync.Mutex
	outputs map[string][]Value
	errs    map[string]error
	served  map[string]int
	// Requests are the requests received, in arrival order.
	Requests []*Request
}

// NewFake returns a Fake with no scripted outputs.
func NewFake() *Fake {
	return &Fake{outputs: map[string][]Value{}, errs: map[string]error{}, served: map[string]int{}}
}

// Answer scripts the outputs of assistant (Values, or JSON text as json.RawMessage).
func (f *Fake) Answer(assistant string, outputs ...Value) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range outputs {
		if raw, ok := o.(json.RawMessage); ok {
			o = MustParse(string(raw))
		}
		f.outputs[assistant] = append(f.outputs[assistant], o)
	}
	return f
}

// Fail makes every call of assistant fail with err.
func (f *Fake) Fail(assistant string, err error) *Fake {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[assistant] = err
	return f
}

// Calls is the number of requests received.
func (f *Fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.Requests)
}

// Complete answers from the script.
func (f *Fake) Complete(ctx context.Context, req *Request) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	name := req.Metadata.Assistant
	f.mu.Lock()
	f.Requests = append(f.Requests, req)
	err := f.errs[name]
	outputs := f.outputs[name]
	n := f.served[name]
	f.served[name] = n + 1
	f.mu.Unlock()
	attempt := Attempt{Alias: req.Metadata.Alias, Provider: "fake", Model: "fake", Kind: "call", Outcome: "ok", Usage: Usage{1, 1}}
	if err != nil {
		return nil, err
	}
	if len(outputs) == 0 {
		return nil, &ProviderError{Code: CodeRoute, Provider: "fake", Message: fmt.Sprintf("no scripted output for assistant %q", name)}
	}
	out := outputs[min(n, len(outputs)-1)]
	if req.Output != nil {
		if problems := Problems(out, req.Output.Type); len(problems) > 0 {
			attempt.Outcome = "invalid"
			return nil, &ProviderError{Code: CodeOutputInvalid, Provider: "fake", Model: "fake", Problems: problems,
				Message: "output invalid after 1 answer(s): " + Summary(problems), Attempts: []Attempt{attempt}}
		}
	}
	return &Response{Output: out, Text: CanonicalString(out), Usage: attempt.Usage, Model: "fake", Provider: "fake",
		Alias: req.Metadata.Alias, Attempts: []Attempt{attempt}}, nil
}

// Fingerprint is what determines a model's answer to req, as the aiwf engine computes it
// for replay files (version 2): sha256 of the canonical JSON (docs/wire.md §1, members
// sorted) of the instructions, the input, the output schema and its name.
func Fingerprint(req *Request) string {
	return fingerprint(req, 2)
}

// fingerprint is Fingerprint for a replay file of the given version (version 1 files
// hashed Python's own JSON text).
func fingerprint(req *Request, version int) string {
	var schema Value
	name := ""
	if req.Output != nil {
		schema, name = req.Output.Plain, req.Output.Contract
	}
	doc := Obj("input", req.Input, "instructions", req.Instructions, "output_schema", schema, "schema_name", name)
	var text string
	if version == 1 {
		text = pythonJSON(doc)
	} else {
		text = CanonicalString(InContractOrder(doc, nil))
	}
	sum := sha256.Sum256([]byte(text))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Replay answers from a replay file written by `aiwf run --record` (JSON lines: a header
// {"aiwf_replay": 2, ...}, then one {"fingerprint", "response" | "error", ...} per
// exchange; version 1 files hold answers only). A fingerprint recorded several times is
// answered in recorded order, the last repeating; a recorded failure fails the same way.
type Replay struct {
	mu      sync.Mutex
	path    string
	answers map[string][]*Object
	served  map[string]int
	version int
}

// OpenReplay reads a replay file.
func OpenReplay(path string) (*Replay, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read the replay file %s: %w", path, err)
	}
	defer file.Close()
	r := &Replay{path: path, answers: map[string][]*Object{}, served: map[string]int{}, version: 2}
	scanner := bufio.NewScanner(file)
	scanner.Buffer(make([]byte, 1<<20), 64<<20)
	number := 0
	for scanner.Scan() {
		number++
		line := scanner.Bytes()
		if len(line) == 0 {
			continue
		}
		v, err := Parse(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: not a replay line: %v", path, number, err)
		}
		obj, _ := v.(*Object)
		if number == 1 {
			version, _ := At(obj, "aiwf_replay").(json.Number)
			if version != "1" && version != "2" {
				return nil, fmt.Errorf("%s is not an aiwf replay file (version 2)", path)
			}
			if version == "1" {
				r.version = 1
			}
			continue
		}
		fp, _ := At(obj, "fingerprint").(string)
		_, answered := At(obj, "response").(*Object)
		_, failed := At(obj, "error").(*Object)
		if fp == "" || !(answered || failed) {
			return nil, fmt.Errorf("%s:%d: a replay line needs fingerprint and response (or error)", path, number)
		}
		r.answers[fp] = append(r.answers[fp], obj)
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	if number == 0 {
		return nil, fmt.Errorf("%s is empty, not a replay file", path)
	}
	return r, nil
}

// Complete answers from the file.
func (r *Replay) Complete(ctx context.Context, req *Request) (*Response, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	key := fingerprint(req, r.version)
	r.mu.Lock()
	answers := r.answers[key]
	n := r.served[key]
	r.served[key] = n + 1
	r.mu.Unlock()
	if len(answers) == 0 {
		return nil, fmt.Errorf("%s has no recorded answer for assistant %q (step %q): fingerprint %s... (its input or instructions differ from the recording)",
			r.path, req.Metadata.Assistant, req.Metadata.Step, key[:19])
	}
	entry := answers[min(n, len(answers)-1)]
	if failure, ok := At(entry, "error").(*Object); ok {
		code, _ := At(failure, "code").(string)
		message, _ := At(failure, "message").(string)
		retryable, _ := At(failure, "retryable").(bool)
		// The message is the recorded one, as it was rendered (provider and details in it).
		return nil, &ProviderError{Code: code, Message: message, Retryable: retryable, Attempts: replayedAttempts(failure)}
	}
	data := At(entry, "response")
	str := func(k string) string { s, _ := At(data, k).(string); return s }
	resp := &Response{Output: Whole(At(data, "output")), Text: str("text"), RequestID: str("request_id"),
		Model: str("model"), Provider: str("provider"), StopReason: str("stop_reason"), Alias: str("alias"),
		Usage:    Usage{intAt(data, "usage", "input_tokens"), intAt(data, "usage", "output_tokens")},
		Attempts: replayedAttempts(data)}
	return resp, nil
}

func intAt(v Value, path ...any) int {
	n, _ := At(v, path...).(json.Number)
	i, _ := n.Int64()
	return int(i)
}

// replayedAttempts is the attempt log a replay file recorded (none in version 1 files).
func replayedAttempts(v Value) []Attempt {
	list, _ := At(v, "attempt_log").([]Value)
	out := make([]Attempt, 0, len(list))
	for _, a := range list {
		alias, _ := At(a, "alias").(string)
		provider, _ := At(a, "provider").(string)
		model, _ := At(a, "model").(string)
		outcome, _ := At(a, "outcome").(string)
		kind, _ := At(a, "kind").(string)
		out = append(out, Attempt{Alias: alias, Provider: provider, Model: model, Outcome: outcome, Kind: kind,
			Usage: Usage{intAt(a, "input_tokens"), intAt(a, "output_tokens")}})
	}
	return out
}
