package aiwfrt

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A streaming server on 127.0.0.1 that counts the connections it accepted and, like real
// providers, sends the chunked body's terminator in a write of its own after the last event.

type streamServer struct {
	*httptest.Server
	accepted atomic.Int32
	closed   chan struct{} // one value per connection closed
	idle     chan struct{} // one value per answer written in full on a kept connection
	mu       sync.Mutex
	script   []http.HandlerFunc
	served   int
}

func newStreamServer(t *testing.T, script ...http.HandlerFunc) *streamServer {
	t.Helper()
	s := &streamServer{script: script, closed: make(chan struct{}, 16), idle: make(chan struct{}, 16)}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		s.mu.Lock()
		n := s.served
		s.served++
		s.mu.Unlock()
		if n >= len(s.script) {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		s.script[n](w, r)
	}))
	s.Config.ConnState = func(_ net.Conn, state http.ConnState) {
		switch state {
		case http.StateNew:
			s.accepted.Add(1)
		case http.StateIdle:
			s.idle <- struct{}{}
		case http.StateClosed, http.StateHijacked:
			s.closed <- struct{}{}
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

// sendThenEnd streams the events, flushing each, then waits for end (or the client leaving)
// before the handler returns and net/http writes the terminating 0\r\n\r\n.
func sendThenEnd(end <-chan struct{}, lines ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		for _, line := range lines {
			_, _ = io.WriteString(w, line+"\n\n")
			w.(http.Flusher).Flush()
		}
		select {
		case <-end:
		case <-r.Context().Done():
		}
	}
}

func after(d time.Duration) <-chan struct{} {
	c := make(chan struct{})
	time.AfterFunc(d, func() { close(c) })
	return c
}

var compatStream = []string{
	`data: {"choices": [{"delta": {"content": "{\"ticket_id\": \"T-1\"}"}, "finish_reason": "stop"}]}`,
	`data: [DONE]`,
}

func streamRuntime(s *streamServer) *Runtime {
	env := map[string]string{"OPENAI_API_KEY": "sk", "ANTHROPIC_API_KEY": "ak", "LOCAL_KEY": "lk"}
	return &Runtime{
		HTTP: s.Client(), Version: "1.2.3", Getenv: func(k string) string { return env[k] },
		Sleep: (&sleeps{}).sleep, Random: func() float64 { return 0 },
	}
}

func streamRequest(provider string, url string) *Request {
	req := request(provider, &server{Server: &httptest.Server{URL: url}})
	req.Stream = func(StreamEvent) {}
	return req
}

func TestStreamsLeftAtTheirLastEventReuseTheConnection(t *testing.T) {
	streams := map[string][]string{
		"openai-compatible": compatStream,
		"openai": {
			`data: {"type": "response.completed", "response": {"status": "completed", "output": [{"type": "message", "content": [{"type": "output_text", "text": "{\"ticket_id\": \"T-1\"}"}]}]}}`,
		},
		"anthropic": {
			`data: {"type": "message_start", "message": {"id": "m", "model": "claude"}}`,
			`data: {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use"}}`,
			`data: {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"ticket_id\": \"T-1\"}"}}`,
			`data: {"type": "message_delta", "delta": {"stop_reason": "tool_use"}}`,
			`data: {"type": "message_stop"}`,
		},
	}
	for provider, lines := range streams {
		t.Run(provider, func(t *testing.T) {
			var script []http.HandlerFunc
			for i := 0; i < 3; i++ {
				script = append(script, func(w http.ResponseWriter, r *http.Request) {
					sendThenEnd(after(50*time.Millisecond), lines...)(w, r)
				})
			}
			s := newStreamServer(t, script...)
			rt := streamRuntime(s)
			for i := 0; i < 3; i++ {
				resp, err := rt.Complete(context.Background(), streamRequest(provider, s.URL))
				if err != nil {
					t.Fatal(err)
				}
				if CanonicalString(resp.Output) != `{"ticket_id":"T-1"}` {
					t.Fatal(CanonicalString(resp.Output))
				}
				// the next call finds the connection idle once its body has ended
				waitIdle(t, s)
			}
			if n := s.accepted.Load(); n != 1 {
				t.Fatalf("three streamed calls opened %d connections, want 1", n)
			}
		})
	}
}

// waitIdle waits until the server has written an answer in full (its terminator included)
// and keeps the connection, then gives the client a moment to read that end.
func waitIdle(t *testing.T, s *streamServer) {
	t.Helper()
	select {
	case <-s.idle:
	case <-time.After(10 * time.Second):
		t.Fatal("the server never finished its answer")
	}
	time.Sleep(50 * time.Millisecond)
}

func TestAStreamWhoseBodyDoesNotEndIsClosedAndTheCallReturnsFirst(t *testing.T) {
	held := make(chan struct{}) // the first body's end never comes (until the test ends)
	s := newStreamServer(t,
		sendThenEnd(held, compatStream...),
		sendThenEnd(after(10*time.Millisecond), compatStream...),
	)
	t.Cleanup(func() { close(held) }) // before the server's Close, which waits for its handlers
	rt := streamRuntime(s)
	resp, err := rt.Complete(context.Background(), streamRequest("openai-compatible", s.URL))
	if err != nil || CanonicalString(resp.Output) != `{"ticket_id":"T-1"}` {
		t.Fatal(err, resp)
	}
	// The call returned with its connection still open (the body is being drained).
	select {
	case <-s.closed:
		t.Fatal("the connection was closed before the call returned")
	default:
	}
	select {
	case <-s.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("a body that never ends kept its connection open")
	}
	if _, err := rt.Complete(context.Background(), streamRequest("openai-compatible", s.URL)); err != nil {
		t.Fatal(err)
	}
	if n := s.accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (the first was not reusable)", n)
	}
}

func TestAStreamLeftByAnErrorIsClosed(t *testing.T) {
	failing := []string{
		`data: {"choices": [{"delta": {"content": "{\"ticket_"}}]}`,
		`data: {"error": {"type": "overloaded_error", "message": "busy"}}`,
	}
	s := newStreamServer(t,
		sendThenEnd(after(50*time.Millisecond), failing...),
		sendThenEnd(after(50*time.Millisecond), compatStream...),
	)
	rt := streamRuntime(s)
	resp, err := rt.Complete(context.Background(), streamRequest("openai-compatible", s.URL))
	if err != nil {
		t.Fatal(err)
	}
	if outline(resp.Attempts) != "call:fast error, retry:fast ok" {
		t.Fatal(outline(resp.Attempts))
	}
	if n := s.accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2 (a stream left by an error is not reused)", n)
	}
}

func TestAStreamLeftByACancellationIsClosed(t *testing.T) {
	held := make(chan struct{})
	s := newStreamServer(t, sendThenEnd(held, compatStream[0]))
	t.Cleanup(func() { close(held) })
	req := streamRequest("openai-compatible", s.URL)
	ctx, cancel := context.WithCancel(context.Background())
	req.Stream = func(StreamEvent) { cancel() }
	if _, err := streamRuntime(s).Complete(ctx, req); err == nil {
		t.Fatal("a cancelled call succeeded")
	}
	select {
	case <-s.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled stream kept its connection open")
	}
}

func TestAStreamWithMoreThan64KiBAfterItsLastEventIsClosed(t *testing.T) {
	tail := ": " + strings.Repeat("x", 200<<10) // a comment line after [DONE]
	lines := append(append([]string(nil), compatStream...), tail)
	s := newStreamServer(t, sendThenEnd(after(0), lines...), sendThenEnd(after(0), compatStream...))
	rt := streamRuntime(s)
	if _, err := rt.Complete(context.Background(), streamRequest("openai-compatible", s.URL)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("a body with more than 64 KiB left was read to its end and kept")
	}
	if _, err := rt.Complete(context.Background(), streamRequest("openai-compatible", s.URL)); err != nil {
		t.Fatal(err)
	}
	if n := s.accepted.Load(); n != 2 {
		t.Fatalf("%d connections, want 2", n)
	}
}
