package aiwfrt

import (
	"context"
	"time"
)

// ModelClient answers model calls on one route. The HTTP Runtime, Fake and Replay
// implement it; so can a consumer's own client.
type ModelClient interface {
	Complete(ctx context.Context, req *Request) (*Response, error)
}

// Metadata says where a call comes from (traces, replay files, logs).
type Metadata struct {
	Assistant string
	Workflow  string
	Step      string
	Index     int // -1: not a scattered item
	Alias     string
}

// Output is an assistant's output contract as the wire needs it: its name, its type, and
// the three forms of its JSON Schema (docs/wire.md §4), computed by the generator with the
// Python runtime's own functions.
type Output struct {
	Contract string
	Type     *Type
	// Plain is the contract's JSON Schema; Wrapped has an object root; Strict is Wrapped
	// made OpenAI-strict.
	Plain, Wrapped, Strict Value
	// IsWrapped says whether Wrapped puts the answer under "value".
	IsWrapped bool
}

// Request is one model call on one route.
type Request struct {
	Route        Route
	Instructions string
	// Input is the value sent, written in contract order against InputSchema.
	Input       Value
	InputSchema Value
	// Output is the output contract (nil: free text).
	Output      *Output
	Temperature *float64
	MaxTokens   int
	Retry       *RetrySpec
	Metadata    Metadata
	// Stream, when set, makes the call stream and sees its events.
	Stream func(StreamEvent)
}

// Usage counts tokens.
type Usage struct {
	InputTokens  int
	OutputTokens int
}

func (u Usage) plus(v Usage) Usage {
	return Usage{u.InputTokens + v.InputTokens, u.OutputTokens + v.OutputTokens}
}

// Attempt is one request that reached a server (or was meant to): docs/wire.md §9.
type Attempt struct {
	Alias    string
	Provider string
	Model    string
	// Kind is why it was sent: call, retry, repair, downgrade or fallback.
	Kind string
	// Outcome is how it ended: ok, invalid, truncated, refused, "http NNN", reset,
	// timeout, malformed or error.
	Outcome   string
	Usage     Usage
	RequestID string
	Latency   time.Duration
	// Error is the failure or the validation problems ("" when ok).
	Error string
}

// Response is a validated answer.
type Response struct {
	Output    Value
	Text      string
	Usage     Usage // the sum over the attempts
	RequestID string
	Model     string
	Provider  string
	Alias     string
	// Attempts are every attempt of the call, in order (fallback routes included).
	Attempts   []Attempt
	Latency    time.Duration
	StopReason string
}

// StreamEvent is an event of a streamed call: text as it arrives, or a reset (a retry,
// repair or fallback voided the text streamed so far).
type StreamEvent struct {
	// Type is "text" or "reset".
	Type string
	Text string
	// Attempt is the attempt number within the route (1 for the first).
	Attempt int
	// Reason says why a reset happened (retry, repair, downgrade, fallback).
	Reason   string
	Metadata Metadata
}
