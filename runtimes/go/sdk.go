package aiwfrt

import (
	"context"
	"fmt"
)

// CallAssistant calls an assistant with a typed input and decodes its output into O: the
// body of every generated assistant method. An input that breaks its contract is an E502
// error and is not sent.
func CallAssistant[O any](ctx context.Context, router *Router, a *Assistant, in any) (O, error) {
	var out O
	value, err := ToValue(in)
	if err != nil {
		return out, err
	}
	if problems := Problems(value, a.InputType); len(problems) > 0 {
		return out, &RunError{Code: CodeInputInvalid, Problems: problems,
			Message: fmt.Sprintf("the input is not valid for assistant %s (%s): %s", a.Name, a.Input, Summary(problems))}
	}
	resp, _, err := router.Call(ctx, a, value, Metadata{Index: -1})
	if err != nil {
		return out, err
	}
	if a.Output != nil {
		if problems := Problems(resp.Output, a.Output.Type); len(problems) > 0 {
			return out, &ProviderError{Code: CodeOutputInvalid, Provider: resp.Provider, Model: resp.Model, Problems: problems,
				Message: "output invalid after 1 answer(s): " + Summary(problems), Attempts: resp.Attempts}
		}
	}
	return Convert[O](resp.Output)
}

// RunTyped runs a workflow with a typed input and decodes its result into O: the body of
// every generated workflow method.
func RunTyped[O any](ctx context.Context, router *Router, wf *Workflow, in any) (O, *Trace, error) {
	var out O
	value, err := ToValue(in)
	if err != nil {
		return out, &Trace{Workflow: wf.Name}, err
	}
	result, trace, err := Run(ctx, router, wf, value)
	if err != nil {
		return out, trace, err
	}
	out, err = Convert[O](result)
	return out, trace, err
}
