package aiwfrt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// A scripted provider server on 127.0.0.1: each request gets the next scripted answer, and
// every request is recorded as it arrived.

type recorded struct {
	path    string
	headers http.Header
	body    string
}

type server struct {
	*httptest.Server
	mu       sync.Mutex
	requests []recorded
	script   []http.HandlerFunc
}

func newServer(t *testing.T, script ...http.HandlerFunc) *server {
	t.Helper()
	s := &server{script: script}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		n := len(s.requests)
		s.requests = append(s.requests, recorded{r.URL.Path, r.Header.Clone(), string(body)})
		s.mu.Unlock()
		if n >= len(s.script) {
			http.Error(w, "unexpected request", http.StatusTeapot)
			return
		}
		s.script[n](w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) bodies() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.requests))
	for i, r := range s.requests {
		out[i] = r.body
	}
	return out
}

func reply(status int, body string, headers ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

// reset closes the connection without an answer.
func reset(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		conn.Close()
	}
}

// events streams server-sent events, waiting before the first one.
func events(wait time.Duration, lines ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		select {
		case <-time.After(wait):
		case <-r.Context().Done():
			return
		}
		for _, line := range lines {
			_, _ = io.WriteString(w, line+"\n\n")
			w.(http.Flusher).Flush()
		}
	}
}

type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func testRuntime(s *server, slept *sleeps) *Runtime {
	env := map[string]string{"OPENAI_API_KEY": "sk-test-key", "ANTHROPIC_API_KEY": "ak-test-key", "LOCAL_KEY": "lk"}
	return &Runtime{
		HTTP: s.Client(), Version: "1.2.3", Getenv: func(k string) string { return env[k] },
		Sleep: slept.sleep, Random: func() float64 { return 0 },
	}
}

var triage = &Output{
	Contract: "Triage (v2)",
	Type: MustTypes(map[string]string{"T": `{"kind":"object","nullable":false,"properties":[
		{"name":"ticket_id","type":{"kind":"string","nullable":false},"required":true},
		{"name":"urgency","type":{"kind":"integer","nullable":false,"minimum":1,"maximum":5},"required":false}],"additional":false}`}).Contract("T"),
	Plain:   MustParse(`{"type":"object","properties":{"ticket_id":{"type":"string"},"urgency":{"type":"integer","minimum":1,"maximum":5}},"required":["ticket_id"],"additionalProperties":false}`),
	Wrapped: MustParse(`{"type":"object","properties":{"ticket_id":{"type":"string"},"urgency":{"type":"integer","minimum":1,"maximum":5}},"required":["ticket_id"],"additionalProperties":false}`),
	Strict:  MustParse(`{"type":"object","properties":{"ticket_id":{"type":"string"},"urgency":{"type":["integer","null"],"minimum":1,"maximum":5}},"required":["ticket_id","urgency"],"additionalProperties":false}`),
}

var ticketSchema = MustParse(`{"type":"object","properties":{"id":{"type":"string"},"body":{"type":"string"}}}`)

func request(provider string, s *server) *Request {
	req := &Request{
		Instructions: "Classify the ticket.",
		Input:        MustParse(`{"z": [1.0, 2.5e0], "body": "Refund é <b>\n", "id": "T-1"}`),
		InputSchema:  ticketSchema, Output: triage,
		Retry:    &RetrySpec{MaxAttempts: 3, InitialDelay: 0.5, MaxDelay: 8, RepairAttempts: 1},
		Metadata: Metadata{Alias: "fast", Index: -1},
	}
	switch provider {
	case "openai":
		req.Route = Route{Provider: "openai", Model: "gpt-5.4-mini", BaseURL: s.URL + "/v1/", Temperature: Ptr(0.2)}
	case "anthropic":
		req.Route = Route{Provider: "anthropic", Model: "claude-sonnet-5-5", BaseURL: s.URL, MaxTokens: 1024, Temperature: Ptr(1.0)}
	default:
		req.Route = Route{Provider: "openai-compatible", Model: "llama3.1", BaseURL: s.URL + "/v1", APIKeyEnv: "LOCAL_KEY", MaxTokens: 100}
	}
	return req
}

const userTurn = `"{\"id\":\"T-1\",\"body\":\"Refund é <b>\\n\",\"z\":[1,2.5]}"`

var answers = map[string]string{
	"openai":            `{"id": "resp_1", "status": "completed", "model": "gpt-5.4-mini-2026", "output": [{"type": "message", "content": [{"type": "output_text", "text": "{\"ticket_id\": \"T-1\", \"urgency\": null}"}]}], "usage": {"input_tokens": 10, "output_tokens": 5}}`,
	"anthropic":         `{"id": "msg_1", "type": "message", "model": "claude-sonnet-5-5", "content": [{"type": "tool_use", "id": "tu_1", "name": "Triage__v2_", "input": {"urgency": 3, "ticket_id": "T-1"}}], "stop_reason": "tool_use", "usage": {"input_tokens": 10, "output_tokens": 5}}`,
	"openai-compatible": `{"id": "c1", "object": "chat.completion", "model": "llama3.1", "choices": [{"index": 0, "message": {"role": "assistant", "content": "{\"ticket_id\": \"T-1\", \"urgency\": 3}"}, "finish_reason": "stop"}], "usage": {"prompt_tokens": 10, "completion_tokens": 5}}`,
}

// The bodies of docs/wire.md §5, members in order, the input in contract order.
var wantBodies = map[string]string{
	"openai": `{"model":"gpt-5.4-mini","instructions":"Classify the ticket.","input":` + userTurn + `,"temperature":0.2,` +
		`"text":{"format":{"type":"json_schema","name":"Triage__v2_","schema":{"type":"object","properties":{"ticket_id":{"type":"string"},"urgency":{"type":["integer","null"],"minimum":1,"maximum":5}},"required":["ticket_id","urgency"],"additionalProperties":false},"strict":true}}}`,
	"anthropic": `{"model":"claude-sonnet-5-5","max_tokens":1024,"messages":[{"role":"user","content":` + userTurn + `}],"system":"Classify the ticket.",` +
		`"tools":[{"name":"Triage__v2_","description":"Record the answer. Its input is the answer.","input_schema":{"type":"object","properties":{"ticket_id":{"type":"string"},"urgency":{"type":"integer","minimum":1,"maximum":5}},"required":["ticket_id"],"additionalProperties":false}}],` +
		`"tool_choice":{"type":"tool","name":"Triage__v2_"}}`,
	// OpenAI-compatible servers get the schema as written (docs/wire.md §4).
	"openai-compatible": `{"model":"llama3.1","messages":[{"role":"system","content":"Classify the ticket."},{"role":"user","content":` + userTurn + `}],"max_tokens":100,` +
		`"response_format":{"type":"json_schema","json_schema":{"name":"Triage__v2_","schema":{"type":"object","properties":{"ticket_id":{"type":"string"},"urgency":{"type":"integer","minimum":1,"maximum":5}},"required":["ticket_id"],"additionalProperties":false},"strict":true}}}`,
}

func TestRequestsFollowTheWireRules(t *testing.T) {
	for _, provider := range []string{"openai", "anthropic", "openai-compatible"} {
		t.Run(provider, func(t *testing.T) {
			s := newServer(t, reply(200, answers[provider], "x-request-id", "req-9"))
			resp, err := testRuntime(s, &sleeps{}).Complete(context.Background(), request(provider, s))
			if err != nil {
				t.Fatal(err)
			}
			if got := s.bodies()[0]; got != wantBodies[provider] {
				t.Fatalf("body:\n got %s\nwant %s", got, wantBodies[provider])
			}
			h := s.requests[0].headers
			want := map[string]string{"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "aiwf/1.2.3 (go)"}
			switch provider {
			case "openai":
				want["Authorization"] = "Bearer sk-test-key"
			case "anthropic":
				want["Authorization"], want["Anthropic-Version"] = "Bearer ak-test-key", "2026-10-21"
			default:
				want["Authorization"] = "Bearer lk"
			}
			for k, v := range want {
				if h.Get(k) != v {
					t.Errorf("%s: %q, want %q", k, h.Get(k), v)
				}
			}
			if !Equal(resp.Output, MustParse(`{"ticket_id":"T-1"}`)) && !Equal(resp.Output, MustParse(`{"ticket_id":"T-1","urgency":3}`)) {
				t.Fatalf("output %s", CanonicalString(resp.Output))
			}
			if resp.Usage != (Usage{10, 5}) || len(resp.Attempts) != 1 || resp.Attempts[0].Outcome != "ok" || resp.RequestID != "req-9" {
				t.Fatalf("response %+v", resp)
			}
		})
	}
}

func TestRouteHeadersComeLastAndReplace(t *testing.T) {
	s := newServer(t, reply(200, answers["openai"]))
	req := request("openai", s)
	req.Route.Headers = map[string]string{"user-agent": "mine", "X-Extra": "1"}
	if _, err := testRuntime(s, &sleeps{}).Complete(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	h := s.requests[0].headers
	if h.Get("User-Agent") != "mine" || h.Get("X-Extra") != "1" || len(h.Values("User-Agent")) != 1 {
		t.Fatalf("headers %v", h)
	}
}

func outline(attempts []Attempt) string {
	var parts []string
	for _, a := range attempts {
		parts = append(parts, a.Kind+":"+a.Alias+" "+a.Outcome)
	}
	return strings.Join(parts, ", ")
}

func TestRetriesHonourTheServer(t *testing.T) {
	cases := []struct {
		name     string
		script   []http.HandlerFunc
		attempts string
		sleeps   []time.Duration
		code     string
	}{
		{"retry-after-ms", []http.HandlerFunc{reply(429, `{"error": {"message": "slow down"}}`, "retry-after-ms", "7"), reply(200, answers["openai"])},
			"call:fast http 429, retry:fast ok", []time.Duration{7 * time.Millisecond}, ""},
		{"retry-after seconds", []http.HandlerFunc{reply(503, `{}`, "retry-after", "2"), reply(200, answers["openai"])},
			"call:fast http 503, retry:fast ok", []time.Duration{2 * time.Second}, ""},
		{"backoff", []http.HandlerFunc{reply(500, ``), reply(529, ``), reply(200, answers["openai"])},
			"call:fast http 500, retry:fast http 529, retry:fast ok", []time.Duration{500 * time.Millisecond, time.Second}, ""},
		{"too long a wait", []http.HandlerFunc{reply(429, `{"error": "busy"}`, "retry-after", "61")},
			"call:fast http 429", nil, CodeRateLimited},
		{"x-should-retry false", []http.HandlerFunc{reply(500, ``, "x-should-retry", "false")},
			"call:fast http 500", nil, CodeServer},
		{"x-should-retry true", []http.HandlerFunc{reply(400, `{}`, "x-should-retry", "true"), reply(200, answers["openai"])},
			"call:fast http 400, retry:fast ok", []time.Duration{500 * time.Millisecond}, ""},
		{"never retried", []http.HandlerFunc{reply(422, `{"detail": "no"}`)}, "call:fast http 422", nil, CodeBadRequest},
		{"reset", []http.HandlerFunc{reset, reset, reset}, "call:fast reset, retry:fast reset, retry:fast reset",
			[]time.Duration{500 * time.Millisecond, time.Second}, CodeProvider},
		{"malformed", []http.HandlerFunc{reply(200, `not json`), reply(200, `{"output": 1}`), reply(200, answers["openai"])},
			"call:fast malformed, retry:fast malformed, retry:fast ok", []time.Duration{500 * time.Millisecond, time.Second}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t, c.script...)
			slept := &sleeps{}
			resp, err := testRuntime(s, slept).Complete(context.Background(), request("openai", s))
			var attempts []Attempt
			if err != nil {
				var pe *ProviderError
				if !errors.As(err, &pe) || pe.Code != c.code {
					t.Fatalf("error %v, want %s", err, c.code)
				}
				attempts = pe.Attempts
			} else {
				if c.code != "" {
					t.Fatalf("no error, want %s", c.code)
				}
				attempts = resp.Attempts
			}
			if got := outline(attempts); got != c.attempts {
				t.Fatalf("attempts %s, want %s", got, c.attempts)
			}
			if fmt.Sprint(slept.d) != fmt.Sprint(c.sleeps) {
				t.Fatalf("slept %v, want %v", slept.d, c.sleeps)
			}
		})
	}
}

func TestRetriesAreLoggedOnlyToTheGivenLogger(t *testing.T) {
	var global, given bytes.Buffer
	previous := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&global, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer slog.SetDefault(previous)
	script := []http.HandlerFunc{reply(503, `{}`), reply(200, answers["openai"])}
	// No logger: a library writes nothing, not even to slog.Default().
	s := newServer(t, script...)
	if _, err := testRuntime(s, &sleeps{}).Complete(context.Background(), request("openai", s)); err != nil {
		t.Fatal(err)
	}
	if global.Len() != 0 {
		t.Fatalf("logged to slog.Default(): %s", global.String())
	}
	s = newServer(t, script...)
	runtime := testRuntime(s, &sleeps{})
	runtime.Logger = slog.New(slog.NewTextHandler(&given, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, err := runtime.Complete(context.Background(), request("openai", s)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(given.String(), "retrying model call") || global.Len() != 0 {
		t.Fatalf("given %q, default %q", given.String(), global.String())
	}
	if strings.Contains(given.String(), "sk-test-key") {
		t.Fatal("the API key reached the log")
	}
}

func TestErrorMessages(t *testing.T) {
	for _, c := range []struct {
		script http.HandlerFunc
		want   string
	}{
		{reply(400, `{"error": {"message": "bad schema", "type": "invalid_request_error"}}`, "x-request-id", "req-1"),
			"openai gpt-5.4-mini: invalid_request_error: bad schema (HTTP 400, request id req-1)"},
		{reply(401, `{"error": {"message": "key sk-test-key is wrong", "code": "invalid_api_key"}}`),
			"openai gpt-5.4-mini: invalid_api_key: key *** is wrong (HTTP 401)"},
		{reply(404, `{"error": "model not found"}`), "openai gpt-5.4-mini: model not found (HTTP 404)"},
		{reply(413, `{"object": "error", "message": "too long", "type": "BadRequestError"}`), "openai gpt-5.4-mini: BadRequestError: too long (HTTP 413)"},
		{reply(422, `{"detail": "nope"}`), "openai gpt-5.4-mini: nope (HTTP 422)"},
		{reply(403, `plain text`), "openai gpt-5.4-mini: plain text (HTTP 403)"},
		{reply(200, `{"output": [{"type": "message", "content": [{"type": "refusal", "refusal": "I will not."}]}]}`),
			"openai gpt-5.4-mini: the model refused: I will not."},
	} {
		s := newServer(t, c.script)
		_, err := testRuntime(s, &sleeps{}).Complete(context.Background(), request("openai", s))
		if err == nil || err.Error() != c.want {
			t.Errorf("got %v, want %s", err, c.want)
		}
	}
}

func TestNoKeyFailsBeforeAnyRequest(t *testing.T) {
	s := newServer(t)
	req := request("openai", s)
	req.Route.APIKeyEnv = "MISSING_KEY"
	_, err := testRuntime(s, &sleeps{}).Complete(context.Background(), req)
	if ErrorCode(err) != CodeRoute || err.Error() != "openai gpt-5.4-mini: no API key: set $MISSING_KEY" || len(s.bodies()) != 0 {
		t.Fatalf("%v", err)
	}
}

func TestInvalidAnswersAreRepaired(t *testing.T) {
	s := newServer(t,
		reply(200, `{"choices": [{"message": {"content": "Sure! {"}, "finish_reason": "stop"}]}`),
		reply(200, `{"choices": [{"message": {"content": "{\"ticket_id\": 7, \"urgency\": 9}"}, "finish_reason": "stop"}]}`),
		reply(200, answers["openai-compatible"]),
	)
	req := request("openai-compatible", s)
	req.Retry.RepairAttempts = 2
	resp, err := testRuntime(s, &sleeps{}).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if got := outline(resp.Attempts); got != "call:fast invalid, repair:fast invalid, repair:fast ok" {
		t.Fatal(got)
	}
	third := s.bodies()[2]
	want := `{"role":"assistant","content":"Sure! {"},{"role":"user","content":"Your previous answer is not valid JSON.\nReply again with only the corrected, complete JSON value."},` +
		`{"role":"assistant","content":"{\"ticket_id\": 7, \"urgency\": 9}"},{"role":"user","content":"Your previous answer is not valid against the output schema: ` +
		`/ticket_id: type: expected string, got integer; /urgency: maximum: expected at most 5, got 9\nReply again with only the corrected, complete JSON value."}]`
	if !strings.Contains(third, want) {
		t.Fatalf("third body %s", third)
	}
}

func TestRepairsRunOutWithR006(t *testing.T) {
	s := newServer(t,
		reply(200, `{"choices": [{"message": {"content": "{\"ticket_id\": \"T"}, "finish_reason": "length"}]}`),
		reply(200, `{"choices": [{"message": {"content": "{}"}, "finish_reason": "stop"}]}`),
	)
	_, err := testRuntime(s, &sleeps{}).Complete(context.Background(), request("openai-compatible", s))
	want := `openai-compatible llama3.1: output invalid after 2 answer(s): (root): required: expected property "ticket_id", got nothing`
	if ErrorCode(err) != CodeOutputInvalid || err.Error() != want {
		t.Fatalf("%v", err)
	}
	if !strings.Contains(s.bodies()[1], `"Your previous answer was cut off before the JSON was complete.\nReply again`) {
		t.Fatal(s.bodies()[1])
	}
	var pe *ProviderError
	errors.As(err, &pe)
	if got := outline(pe.Attempts); got != "call:fast truncated, repair:fast invalid" {
		t.Fatal(got)
	}
}

func TestAnthropicToolAnswersGoBackInContractOrder(t *testing.T) {
	s := newServer(t,
		reply(200, `{"type": "message", "content": [{"type": "tool_use", "input": {"urgency": 9, "ticket_id": "T-1"}}], "stop_reason": "tool_use"}`),
		reply(200, answers["anthropic"]),
	)
	if _, err := testRuntime(s, &sleeps{}).Complete(context.Background(), request("anthropic", s)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.bodies()[1], `{"role":"assistant","content":"{\"ticket_id\":\"T-1\",\"urgency\":9}"}`) {
		t.Fatal(s.bodies()[1])
	}
}

func TestCompatibleServersDowngradeTheFormatOnce(t *testing.T) {
	s := newServer(t,
		reply(400, `{"error": "response_format json_schema is not supported"}`),
		reply(400, `{"error": {"message": "json_object is not supported"}}`),
		reply(200, `{"choices": [{"message": {"content": "Here: {\"ticket_id\": \"T-1\"} ok"}}]}`),
		reply(200, answers["openai-compatible"]),
	)
	rt := testRuntime(s, &sleeps{})
	resp, err := rt.Complete(context.Background(), request("openai-compatible", s))
	if err != nil {
		t.Fatal(err)
	}
	if got := outline(resp.Attempts); got != "call:fast http 400, downgrade:fast http 400, downgrade:fast ok" {
		t.Fatal(got)
	}
	bodies := s.bodies()
	if !strings.Contains(bodies[1], `"response_format":{"type":"json_object"}`) || strings.Contains(bodies[2], "response_format") {
		t.Fatal(bodies)
	}
	if !strings.Contains(bodies[2], `"content":"Classify the ticket.\n\nRespond with only one JSON value that matches this JSON Schema: no prose, no code fences.\n{\"type\":\"object\"`) {
		t.Fatal(bodies[2])
	}
	// remembered for the route
	if _, err := rt.Complete(context.Background(), request("openai-compatible", s)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.bodies()[3], "response_format") {
		t.Fatal(s.bodies()[3])
	}
}

func TestAttemptTimeoutIsRetriedThenFails(t *testing.T) {
	slow := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(2 * time.Second):
		case <-r.Context().Done():
		}
	}
	s := newServer(t, slow, slow)
	req := request("openai", s)
	req.Route.Timeout = 0.05
	req.Retry.MaxAttempts = 2
	_, err := testRuntime(s, &sleeps{}).Complete(context.Background(), req)
	if ErrorCode(err) != CodeTimeout || err.Error() != "openai gpt-5.4-mini: no complete answer within the attempt timeout of 0.05s" {
		t.Fatalf("%v", err)
	}
}

func TestStreamingFollowsEachProvider(t *testing.T) {
	streams := map[string][]string{
		"openai": {
			`event: response.output_text.delta` + "\n" + `data: {"type": "response.output_text.delta", "delta": "{\"ticket_id\": "}`,
			`data: {"type": "response.output_text.delta", "delta": "\"T-1\"}"}`,
			`data: {"type": "response.completed", "response": {"status": "completed", "output": [{"type": "message", "content": [{"type": "output_text", "text": "{\"ticket_id\": \"T-1\"}"}]}], "usage": {"input_tokens": 3, "output_tokens": 4}}}`,
		},
		"anthropic": {
			`data: {"type": "message_start", "message": {"id": "m", "model": "claude", "usage": {"input_tokens": 3, "output_tokens": 1}}}`,
			`: ping`,
			`data: {"type": "content_block_start", "index": 0, "content_block": {"type": "tool_use"}}`,
			`data: {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"ticket_id\": "}}`,
			`data: {"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "\"T-1\"}"}}`,
			`data: {"type": "message_delta", "delta": {"stop_reason": "tool_use"}, "usage": {"output_tokens": 4}}`,
			`data: {"type": "message_stop"}`,
		},
		"openai-compatible": {
			`data: {"choices": [{"delta": {"content": "{\"ticket_id\": "}}]}`,
			`data: {"choices": [{"delta": {"content": "\"T-1\"}"}, "finish_reason": "stop"}]}`,
			`data: {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 4}}`,
			`data: [DONE]`,
		},
	}
	for provider, lines := range streams {
		t.Run(provider, func(t *testing.T) {
			s := newServer(t, events(0, lines...))
			req := request(provider, s)
			var got []string
			req.Stream = func(ev StreamEvent) { got = append(got, ev.Type+":"+ev.Text) }
			resp, err := testRuntime(s, &sleeps{}).Complete(context.Background(), req)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != `text:{"ticket_id": |text:"T-1"}` {
				t.Fatal(got)
			}
			if CanonicalString(resp.Output) != `{"ticket_id":"T-1"}` || resp.Usage != (Usage{3, 4}) {
				t.Fatalf("%s %+v", CanonicalString(resp.Output), resp.Usage)
			}
			body := s.bodies()[0]
			wantTail := `,"stream":true}`
			if provider == "openai-compatible" {
				wantTail = `,"stream":true,"stream_options":{"include_usage":true}}`
			}
			if strings.TrimSuffix(body, wantTail) != strings.TrimSuffix(wantBodies[provider], "}") {
				t.Fatalf("streamed body\n got %s\nwant %s + %s", body, wantBodies[provider], wantTail)
			}
			if s.requests[0].headers.Get("Accept") != "text/event-stream" {
				t.Fatal(s.requests[0].headers)
			}
		})
	}
}

func TestFirstTokenTimeoutRetriesAndResetsAreAnnounced(t *testing.T) {
	compat := func(text string) string {
		return `data: {"choices": [{"delta": {"content": ` + Quote(text) + `}, "finish_reason": "stop"}]}`
	}
	s := newServer(t,
		events(time.Second, compat(`{"ticket_id": "T-1"}`), `data: [DONE]`),
		events(0, compat(`{"ticket_`), `data: {"error": {"type": "overloaded_error", "message": "busy"}}`),
		events(0, compat(`{"ticket_id": "T-1"}`), `data: [DONE]`),
	)
	req := request("openai-compatible", s)
	req.Route.FirstTokenTimeout = 0.05
	var got []string
	req.Stream = func(ev StreamEvent) {
		got = append(got, fmt.Sprintf("%s:%d:%s%s", ev.Type, ev.Attempt, ev.Reason, ev.Text))
	}
	resp, err := testRuntime(s, &sleeps{}).Complete(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if outline(resp.Attempts) != "call:fast timeout, retry:fast error, retry:fast ok" {
		t.Fatal(outline(resp.Attempts))
	}
	if strings.Join(got, " | ") != `text:2:{"ticket_ | reset:3:retry | text:3:{"ticket_id": "T-1"}` {
		t.Fatal(got)
	}
}

func TestFallbacksTakeOverWithAFreshBudget(t *testing.T) {
	s := newServer(t, reply(503, `{}`), reply(503, `{}`), reply(200, answers["anthropic"]))
	rt := testRuntime(s, &sleeps{})
	routes := map[string]Route{
		"fast":    {Provider: "openai", Model: "gpt", BaseURL: s.URL, Fallback: []string{"careful", "fast"}},
		"careful": {Provider: "anthropic", Model: "claude", BaseURL: s.URL, Fallback: []string{"fast"}},
	}
	router := &Router{Routes: routes, Client: rt}
	a := &Assistant{Name: "classify", Model: "fast", Instructions: "x", InputSchema: ticketSchema, Output: triage,
		Retry: &RetrySpec{MaxAttempts: 2, InitialDelay: 0.1, MaxDelay: 1, RepairAttempts: 1}}
	resp, attempts, err := router.Call(context.Background(), a, MustParse(`{"id": "T-1"}`), Metadata{Index: -1})
	if err != nil {
		t.Fatal(err)
	}
	if outline(attempts) != "call:fast http 503, retry:fast http 503, fallback:careful ok" || resp.Alias != "careful" {
		t.Fatal(outline(attempts), resp.Alias)
	}
	// a bad request does not fall back
	s2 := newServer(t, reply(400, `{}`))
	routes["fast"] = Route{Provider: "openai", Model: "gpt", BaseURL: s2.URL, Fallback: []string{"careful"}}
	router.Client = testRuntime(s2, &sleeps{})
	if _, attempts, err := router.Call(context.Background(), a, MustParse(`{}`), Metadata{Index: -1}); ErrorCode(err) != CodeBadRequest || len(attempts) != 1 {
		t.Fatal(err, attempts)
	}
	if _, _, err := router.Call(context.Background(), &Assistant{Model: "nope"}, nil, Metadata{}); err == nil || err.Error() != `unknown model alias "nope"` || ErrorCode(err) != CodeRoute {
		t.Fatal(err)
	}
}

func TestRoutingPicksEnvironmentThenOverrides(t *testing.T) {
	routing := Routing{
		Spec:         map[string]Route{"fast": {Provider: "openai", Model: "a"}, "local": {Provider: "openai-compatible", Model: "l", BaseURL: "http://x"}},
		Environments: map[string]map[string]Route{"staging": {"fast": {Provider: "openai", Model: "b", BaseURL: "http://staging"}}},
		Environment:  "staging",
		Overrides:    map[string]RouteOverride{"fast": {APIKeyEnv: "STAGING_KEY"}, "local": {BaseURL: "http://y", Model: "m"}},
	}
	routes, err := routing.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if r := routes["fast"]; r.Model != "b" || r.BaseURL != "http://staging" || r.APIKeyEnv != "STAGING_KEY" {
		t.Fatalf("%+v", r)
	}
	if r := routes["local"]; r.Model != "m" || r.BaseURL != "http://y" {
		t.Fatalf("%+v", r)
	}
	routing.Environment = "prod"
	if _, err := routing.Resolve(); err == nil || err.Error() != `unknown environment "prod" (known: staging)` || ErrorCode(err) != CodeRoute {
		t.Fatal(err)
	}
}

func TestTheDefaultClientKeepsConnectionsForAWideScatter(t *testing.T) {
	r := NewRuntime()
	r.init()
	transport, ok := r.HTTP.Transport.(*http.Transport)
	if !ok || transport.MaxIdleConnsPerHost < 100 {
		t.Fatalf("default transport keeps too few idle connections per host: %#v", r.HTTP.Transport)
	}
	if NewRuntime().init(); sharedHTTP() != r.HTTP {
		t.Fatal("runtimes given no client share one")
	}
}
