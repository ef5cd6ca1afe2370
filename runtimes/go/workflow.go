package aiwfrt

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Workflow is a workflow of the spec, as the generated code declares it.
type Workflow struct {
	Name       string
	Input      string // the input contract
	InputType  *Type
	Output     string // the output contract
	OutputType *Type
	// Steps are in a valid execution order; each starts when its DependsOn have finished.
	Steps  []Step
	Result Binding
}

// Step is a step of a workflow.
type Step struct {
	ID        string
	Assistant *Assistant
	Input     Binding
	Scatter   *Scatter
	DependsOn []string
}

// Scatter runs a step once per element of Over, at most Concurrency at a time, and keeps
// the outputs in input order; with Skip (on_error: skip) a failed item gives null.
type Scatter struct {
	Over        Binding
	Text        string // the expression, for messages (input.tickets)
	Concurrency int
	Skip        bool
}

// TraceEntry is one call of a workflow run (a step, or one item of a scattered step):
// docs/wire.md §9.
type TraceEntry struct {
	Step      string
	Index     int // -1: not a scattered item
	Assistant string
	// Status is ok, skipped or failed.
	Status   string
	Alias    string
	Provider string
	Model    string
	// Attempts are every request of the call, failed ones included.
	Attempts     []Attempt
	InputTokens  int
	OutputTokens int
	Latency      time.Duration
	Error        string
}

// Outline is the attempts as the conformance vectors write them: "ALIAS OUTCOME".
func (e TraceEntry) Outline() []string {
	out := make([]string, len(e.Attempts))
	for i, a := range e.Attempts {
		out[i] = a.Alias + " " + a.Outcome
	}
	return out
}

// Trace is the calls of a workflow run, in step order and, within a scattered step, item
// order.
type Trace struct {
	Workflow string
	Entries  []TraceEntry
}

// InputTokens is the sum over the calls.
func (t *Trace) InputTokens() int {
	n := 0
	for _, e := range t.Entries {
		n += e.InputTokens
	}
	return n
}

// OutputTokens is the sum over the calls.
func (t *Trace) OutputTokens() int {
	n := 0
	for _, e := range t.Entries {
		n += e.OutputTokens
	}
	return n
}

// run is one run of a workflow.
type run struct {
	router *Router
	wf     *Workflow
	input  Value
	order  map[string]int

	mu      sync.Mutex
	outputs map[string]Value
	entries []TraceEntry
}

// Run runs wf with input and returns its result and trace; the trace is returned also when
// the run fails (every call made so far). The steps run as soon as the steps they depend on
// have finished; the first step that fails cancels the others.
func Run(ctx context.Context, router *Router, wf *Workflow, input Value) (Value, *Trace, error) {
	r := &run{router: router, wf: wf, input: input, order: map[string]int{}, outputs: map[string]Value{}}
	for i, s := range wf.Steps {
		r.order[s.ID] = i
	}
	if problems := Problems(input, wf.InputType); len(problems) > 0 {
		return nil, r.trace(), &RunError{Code: CodeInputInvalid, Problems: problems,
			Message: fmt.Sprintf("the input is not valid for workflow %s (%s): %s", wf.Name, wf.Input, Summary(problems))}
	}
	if err := r.execute(ctx); err != nil {
		return nil, r.trace(), err
	}
	result := evaluate(wf.Result, &scope{input: input, outputs: r.outputs, item: Missing, index: -1})
	if problems := Problems(result, wf.OutputType); len(problems) > 0 {
		return nil, r.trace(), &RunError{Code: CodeResultInvalid, Problems: problems,
			Message: fmt.Sprintf("the result of workflow %s is not valid for %s: %s", wf.Name, wf.Output, Summary(problems))}
	}
	return result, r.trace(), nil
}

// RunJSON runs wf on a JSON input and returns the result as canonical JSON.
func RunJSON(ctx context.Context, router *Router, wf *Workflow, input []byte) (json.RawMessage, *Trace, error) {
	value, err := Parse(input)
	if err != nil {
		return nil, &Trace{Workflow: wf.Name}, &RunError{Code: CodeInputInvalid,
			Message: fmt.Sprintf("the input of workflow %s is not JSON: %v", wf.Name, err)}
	}
	result, trace, err := Run(ctx, router, wf, value)
	if err != nil {
		return nil, trace, err
	}
	data, err := Canonical(result)
	return data, trace, err
}

// UnknownWorkflow is the error of RunWorkflow for a name the SDK does not know.
func UnknownWorkflow(name string, known []string) error {
	return &RunError{Code: CodeUnknownWorkflow, Message: fmt.Sprintf("no workflow named %q (known: %s)", name, joinOr(known, "none"))}
}

func joinOr(list []string, empty string) string {
	if len(list) == 0 {
		return empty
	}
	sorted := append([]string(nil), list...)
	sort.Strings(sorted)
	out := sorted[0]
	for _, s := range sorted[1:] {
		out += ", " + s
	}
	return out
}

func (r *run) execute(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	done := make(map[string]chan struct{}, len(r.wf.Steps))
	for _, s := range r.wf.Steps {
		done[s.ID] = make(chan struct{})
	}
	var first error
	var once sync.Once
	failed := func(err error) {
		once.Do(func() { first = err })
		cancel(err)
	}
	var wg sync.WaitGroup
	for i := range r.wf.Steps {
		step := &r.wf.Steps[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, dep := range step.DependsOn {
				select {
				case <-done[dep]:
				case <-ctx.Done():
					return
				}
			}
			if ctx.Err() != nil {
				return
			}
			output, err := r.step(ctx, step)
			if err != nil {
				failed(err)
				return
			}
			r.mu.Lock()
			r.outputs[step.ID] = output
			r.mu.Unlock()
			close(done[step.ID])
		}()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

func (r *run) scope() *scope {
	r.mu.Lock()
	defer r.mu.Unlock()
	outputs := make(map[string]Value, len(r.outputs))
	for k, v := range r.outputs {
		outputs[k] = v
	}
	return &scope{input: r.input, outputs: outputs, item: Missing, index: -1}
}

func (r *run) step(ctx context.Context, step *Step) (Value, error) {
	base := r.scope()
	if step.Scatter == nil {
		return r.call(ctx, step, evaluate(step.Input, base), -1, false)
	}
	found := evaluate(step.Scatter.Over, base)
	if found == nil {
		found = []Value{}
	}
	items, ok := found.([]Value)
	if !ok {
		return nil, &StepError{Step: step.ID, Index: -1,
			Err: fmt.Errorf("scatter over %s is not an array (%s)", step.Scatter.Text, kindOf(found))}
	}
	results := make([]Value, len(items))
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var next int
	var mu sync.Mutex
	var first error
	var wg sync.WaitGroup
	workers := min(max(step.Scatter.Concurrency, 1), len(items))
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				mu.Lock()
				index := next
				next++
				mu.Unlock()
				if index >= len(items) {
					return
				}
				s := &scope{input: base.input, outputs: base.outputs, item: items[index], index: index}
				output, err := r.call(ctx, step, evaluate(step.Input, s), index, step.Scatter.Skip)
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					cancel(err)
					return
				}
				results[index] = output
			}
		}()
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, context.Cause(ctx)
	}
	return results, nil
}

// call makes one call of a step; a failed item of a step with skip gives null. A call that
// ends because the run was cancelled (another step failed) leaves no trace entry.
func (r *run) call(ctx context.Context, step *Step, value Value, index int, skip bool) (Value, error) {
	a := step.Assistant
	entry := TraceEntry{Step: step.ID, Index: index, Assistant: a.Name}
	started := time.Now()
	fail := func(err *StepError, attempts []Attempt) (Value, error) {
		entry.Status, entry.Error, entry.Attempts = "failed", err.Error(), attempts
		entry.Latency = time.Since(started)
		for _, at := range attempts {
			entry.InputTokens += at.Usage.InputTokens
			entry.OutputTokens += at.Usage.OutputTokens
		}
		if skip && index >= 0 {
			entry.Status = "skipped"
			r.add(entry)
			return nil, nil
		}
		r.add(entry)
		return nil, err
	}
	if problems := Problems(value, a.InputType); len(problems) > 0 {
		return fail(&StepError{Step: step.ID, Index: index, InputContract: a.Input, Err: &ValidationError{problems}}, nil)
	}
	resp, attempts, err := r.router.Call(ctx, a, value, Metadata{Workflow: r.wf.Name, Step: step.ID, Index: index})
	if err != nil {
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		return fail(&StepError{Step: step.ID, Index: index, Err: err}, attempts)
	}
	if a.Output != nil {
		if problems := Problems(resp.Output, a.Output.Type); len(problems) > 0 {
			cause := errors.New("the model's output is not valid for " + a.Output.Contract + ": " + Summary(problems))
			return fail(&StepError{Step: step.ID, Index: index, Err: cause}, attempts)
		}
	}
	entry.Status, entry.Alias, entry.Provider, entry.Model = "ok", resp.Alias, resp.Provider, resp.Model
	entry.Attempts, entry.Latency = attempts, time.Since(started)
	entry.InputTokens, entry.OutputTokens = resp.Usage.InputTokens, resp.Usage.OutputTokens
	r.add(entry)
	return resp.Output, nil
}

func (r *run) add(e TraceEntry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.entries = append(r.entries, e)
}

// trace is the calls so far, in step order then item order.
func (r *run) trace() *Trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	entries := append([]TraceEntry(nil), r.entries...)
	sort.SliceStable(entries, func(i, j int) bool {
		a, b := entries[i], entries[j]
		if r.order[a.Step] != r.order[b.Step] {
			return r.order[a.Step] < r.order[b.Step]
		}
		return a.Index < b.Index
	})
	return &Trace{Workflow: r.wf.Name, Entries: entries}
}
