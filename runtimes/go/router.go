package aiwfrt

import (
	"context"
	"errors"
)

// Assistant is an assistant of the spec, as the generated code declares it.
type Assistant struct {
	Name string
	// Model is the route alias.
	Model        string
	Instructions string
	// Input is the input contract: its name, type and self-contained JSON Schema (for the
	// contract order of the input message).
	Input       string
	InputType   *Type
	InputSchema Value
	Output      *Output
	// Retry is the assistant's retry: block (nil: the route's, else the defaults).
	Retry       *RetrySpec
	Temperature *float64
	MaxTokens   int
}

// Router resolves route aliases and tries an alias' fallbacks when its route is exhausted
// (docs/wire.md §7).
type Router struct {
	Routes map[string]Route
	Client ModelClient
	// Stream, when set, makes every call stream and sees the events.
	Stream func(StreamEvent)
	// err is a routing mistake found when the routes were resolved (an unknown
	// environment): every call fails with it.
	err error
}

// NewRouter is a Router over the routes routing resolves to; a mistake in routing (an
// unknown environment) makes every call fail with it.
func NewRouter(routing Routing, client ModelClient, stream func(StreamEvent)) *Router {
	routes, err := routing.Resolve()
	return &Router{Routes: routes, Client: client, Stream: stream, err: err}
}

// Chain is alias and its fallbacks in the order they are tried: depth first, each alias
// once.
func (r *Router) Chain(alias string) ([]string, error) {
	if _, ok := r.Routes[alias]; !ok {
		return nil, routeError("unknown model alias %q", alias)
	}
	var out []string
	seen := map[string]bool{}
	var visit func(string) error
	visit = func(a string) error {
		if seen[a] {
			return nil
		}
		seen[a] = true
		route, ok := r.Routes[a]
		if !ok {
			return routeError("unknown model alias %q", a)
		}
		out = append(out, a)
		for _, f := range route.Fallback {
			if err := visit(f); err != nil {
				return err
			}
		}
		return nil
	}
	return out, visit(alias)
}

// Call makes one call of the assistant with value as its input, on its route and then its
// fallbacks. It returns every attempt made, also when the call fails.
func (r *Router) Call(ctx context.Context, a *Assistant, value Value, meta Metadata) (*Response, []Attempt, error) {
	if r.err != nil {
		return nil, nil, r.err
	}
	chain, err := r.Chain(a.Model)
	if err != nil {
		return nil, nil, err
	}
	var attempts []Attempt
	var last error
	for i, alias := range chain {
		m := meta
		m.Alias, m.Assistant = alias, a.Name
		req := &Request{
			Route: r.Routes[alias], Instructions: a.Instructions,
			Input: value, InputSchema: a.InputSchema, Output: a.Output,
			Temperature: a.Temperature, MaxTokens: a.MaxTokens, Retry: a.Retry, Metadata: m,
		}
		if r.Stream != nil {
			handler := r.Stream
			req.Stream = func(ev StreamEvent) { handler(ev) }
			if i > 0 {
				handler(StreamEvent{Type: "reset", Attempt: 1, Reason: "fallback", Metadata: m})
			}
		}
		resp, err := r.Client.Complete(ctx, req)
		made := attemptsOf(resp, err)
		if i > 0 && len(made) > 0 {
			made[0].Kind = "fallback"
		}
		attempts = append(attempts, made...)
		if err == nil {
			if resp.Alias == "" {
				resp.Alias = alias
			}
			if len(attempts) > 0 { // the call's tokens are those of all its attempts
				resp.Attempts = attempts
				resp.Usage = Usage{}
				for _, at := range attempts {
					resp.Usage = resp.Usage.plus(at.Usage)
				}
			}
			return resp, attempts, nil
		}
		var pe *ProviderError
		if errors.As(err, &pe) {
			if _, fresh := r.Client.(*Runtime); fresh && err == error(pe) {
				pe.Attempts = attempts // the runtime's errors are each call's own
			} else {
				// A client of the consumer's may return one error value to many calls at
				// once (a fake's sentinel, say), which calls running in parallel would all
				// write to: the attempts go on a copy, found first by errors.As, and the
				// client's error is still the one errors.Is finds.
				own := *pe
				own.Attempts = attempts
				err = &withAttempts{own: &own, err: err}
				pe = &own
			}
		}
		if pe == nil || !pe.fallsBack() || ctx.Err() != nil {
			return nil, attempts, err
		}
		last = err
	}
	return nil, attempts, last
}

// attemptsOf is the attempts a client reports: those of its response or of its
// *ProviderError. A client that keeps no attempt log (a consumer's own) reports none, as in
// the Python engine.
func attemptsOf(resp *Response, err error) []Attempt {
	if resp != nil {
		return append([]Attempt(nil), resp.Attempts...)
	}
	var pe *ProviderError
	if errors.As(err, &pe) {
		return append([]Attempt(nil), pe.Attempts...)
	}
	return nil
}

// withAttempts is a client's error (a *ProviderError, or one wrapping it) with the router's
// copy of that *ProviderError, which carries the call's attempts: errors.As finds the copy
// first; errors.Is and the message are the client's error's own.
type withAttempts struct {
	own *ProviderError
	err error
}

func (w *withAttempts) Error() string   { return w.err.Error() }
func (w *withAttempts) Unwrap() []error { return []error{w.own, w.err} }
