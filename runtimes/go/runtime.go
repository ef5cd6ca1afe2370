package aiwfrt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultTimeout is the time per attempt when the route sets none.
const DefaultTimeout = 600 * time.Second

// MaxRetryAfter is the longest wait a server may ask for that is honoured; a longer ask
// ends the call's retries at once (so a fallback route can take over).
const MaxRetryAfter = 60 * time.Second

// Runtime is the HTTP ModelClient (docs/wire.md §5 and §7): it calls the route's provider,
// retries retryable failures with backoff (honouring retry-after-ms, retry-after and
// x-should-retry), downgrades the structured-output mode of OpenAI-compatible servers that
// refuse it, checks every answer against the output contract and asks again with the
// problems (repair), and streams when the request asks for it. The zero value is ready to
// use; the fields are for tuning and tests.
type Runtime struct {
	HTTP *http.Client
	// Logger sees failed calls, retries and downgrades at DEBUG (nil: nothing is logged).
	Logger *slog.Logger
	// Version is the aiwf version in the User-Agent (aiwf/VERSION (go)).
	Version string
	// Getenv reads API keys and base URLs (default os.Getenv).
	Getenv func(string) string
	// Sleep waits between attempts (default: a timer that ctx can cancel).
	Sleep func(ctx context.Context, d time.Duration) error
	// Random is a uniform [0, 1) source for backoff jitter.
	Random func() float64
	// OnAttempt, when set, sees every attempt as it ends.
	OnAttempt func(Attempt, Metadata)

	once      sync.Once
	providers map[string]provider
}

// IdleConnsPerHost is how many idle keep-alive connections the default HTTP client keeps
// per host: net/http's default of 2 would close and reopen connections (a TLS handshake
// each) under a scatter of more calls in flight than that.
const IdleConnsPerHost = 256

var (
	sharedOnce   sync.Once
	sharedClient *http.Client
)

// sharedHTTP is the default client of every Runtime that is given none: net/http's default
// transport (proxies from the environment, HTTP/2, its timeouts) with IdleConnsPerHost.
func sharedHTTP() *http.Client {
	sharedOnce.Do(func() {
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConns = 0 // no limit over all hosts
		transport.MaxIdleConnsPerHost = IdleConnsPerHost
		sharedClient = &http.Client{Transport: transport}
	})
	return sharedClient
}

// NewRuntime returns a Runtime with the defaults.
func NewRuntime() *Runtime { return &Runtime{} }

func (r *Runtime) init() {
	r.once.Do(func() {
		r.providers = newProviders()
		if r.HTTP == nil {
			r.HTTP = sharedHTTP()
		}
		if r.Logger == nil {
			r.Logger = slog.New(discard{})
		}
		if r.Getenv == nil {
			r.Getenv = os.Getenv
		}
		if r.Sleep == nil {
			r.Sleep = sleepContext
		}
		if r.Random == nil {
			r.Random = rand.Float64
		}
	})
}

// discard is a slog.Handler that drops every record (slog.DiscardHandler needs Go 1.24).
type discard struct{}

func (discard) Enabled(context.Context, slog.Level) bool  { return false }
func (discard) Handle(context.Context, slog.Record) error { return nil }
func (d discard) WithAttrs([]slog.Attr) slog.Handler      { return d }
func (d discard) WithGroup(string) slog.Handler           { return d }

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// UserAgent is the User-Agent the runtime sends.
func (r *Runtime) UserAgent() string {
	version := r.Version
	if version == "" {
		version = "0"
	}
	return "aiwf/" + version + " (go)"
}

// callState is one call on one route: its turns, its attempts and what they cost.
type callState struct {
	req      *Request
	provider provider
	spec     RetrySpec
	started  time.Time
	deadline time.Time
	apiKey   string
	turns    [][2]string
	attempts []Attempt
	usage    Usage
	kind     string
	emitted  bool
}

type outcome struct {
	completion *completion
	value      Value
	turn       string
	problem    *answerProblem
	requestID  string
}

// Complete makes the call and returns the validated answer; a *ProviderError otherwise.
// Both carry every attempt the call made.
func (r *Runtime) Complete(ctx context.Context, req *Request) (*Response, error) {
	r.init()
	route := req.Route
	p, ok := r.providers[route.Provider]
	if !ok {
		return nil, routeError("unknown provider %q", route.Provider)
	}
	spec := DefaultRetry
	if req.Retry != nil {
		spec = *req.Retry
	} else if route.Retry != nil {
		spec = *route.Retry
	}
	if spec.MaxAttempts < 1 {
		spec.MaxAttempts = 1
	}
	st := &callState{req: req, provider: p, spec: spec, started: time.Now(), kind: "call"}
	if spec.Deadline > 0 {
		st.deadline = st.started.Add(seconds(spec.Deadline))
	}
	env := route.APIKeyEnv
	if env == "" {
		env = p.keyEnv()
	}
	if env != "" {
		st.apiKey = r.Getenv(env)
	}
	if st.apiKey == "" && p.keyRequired() {
		// R008, as the Python runtime (docs/wire.md's table says R001).
		return nil, &ProviderError{Code: CodeRoute, Provider: route.Provider, Model: route.Model, Message: "no API key: set $" + env}
	}
	input, err := Canonical(InContractOrder(req.Input, req.InputSchema))
	if err != nil {
		return nil, &ProviderError{Code: CodeProvider, Provider: route.Provider, Model: route.Model, Message: "the input cannot be sent: " + err.Error()}
	}
	st.turns = [][2]string{{"user", string(input)}}
	resp, err := r.call(ctx, st)
	if err != nil {
		var pe *ProviderError
		if errors.As(err, &pe) {
			pe.Attempts = st.attempts
		}
		r.Logger.Debug("model call failed", "error", err, "provider", route.Provider, "model", route.Model, "assistant", req.Metadata.Assistant)
		return nil, err
	}
	return resp, nil
}

func seconds(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// secondsText writes seconds as Python's {:g} does (5, 0.5, 1e-05).
func secondsText(s float64) string { return strconv.FormatFloat(s, 'g', 6, 64) }

// numberText64 writes seconds as canonical JSON writes the number (5, 0.5, 1e-7).
func numberText64(s float64) string {
	text, err := formatNumber(s)
	if err != nil {
		return strconv.FormatFloat(s, 'g', -1, 64)
	}
	return text
}

func (r *Runtime) call(ctx context.Context, st *callState) (*Response, error) {
	var last *outcome
	for repair := 0; repair <= st.spec.RepairAttempts; repair++ {
		if repair > 0 {
			st.kind = "repair"
		}
		out, err := r.withRetries(ctx, st)
		if err != nil {
			return nil, err
		}
		if out.problem == nil {
			model := out.completion.model
			if model == "" {
				model = st.req.Route.Model
			}
			return &Response{
				Output: out.value, Text: out.completion.text, Usage: st.usage, RequestID: out.requestID,
				Model: model, Provider: st.req.Route.Provider, Alias: st.req.Metadata.Alias,
				Attempts: st.attempts, Latency: time.Since(st.started), StopReason: out.completion.stop,
			}, nil
		}
		last = out
		st.turns = append(st.turns, [2]string{"assistant", out.turn}, [2]string{"user", out.problem.repairTurn()})
	}
	route := st.req.Route
	return nil, &ProviderError{
		Code: CodeOutputInvalid, Provider: route.Provider, Model: route.Model, RequestID: last.requestID,
		Problems: last.problem.problems,
		Message:  fmt.Sprintf("output invalid after %d answer(s): %s", st.spec.RepairAttempts+1, last.problem.summary()),
	}
}

// backoff is min(initial × 2^n, max) minus up to 25 % at random.
func (r *Runtime) backoff(spec RetrySpec, n int) time.Duration {
	base := math.Min(spec.InitialDelay*math.Pow(2, float64(min(n, 1000))), spec.MaxDelay)
	return seconds(base * (1 - 0.25*r.Random()))
}

func (r *Runtime) withRetries(ctx context.Context, st *callState) (*outcome, error) {
	for n := 1; ; n++ {
		out, err := r.attempt(ctx, st)
		if err == nil {
			return out, nil
		}
		var pe *ProviderError
		if !errors.As(err, &pe) || !pe.Retryable || n >= st.spec.MaxAttempts || ctx.Err() != nil {
			return nil, err
		}
		delay := r.backoff(st.spec, n-1)
		if pe.RetryAfter > 0 {
			if pe.RetryAfter > MaxRetryAfter {
				return nil, err
			}
			delay = pe.RetryAfter
		}
		if !st.deadline.IsZero() && !time.Now().Add(delay).Before(st.deadline) {
			return nil, err
		}
		r.Logger.Debug("retrying model call", "error", err, "delay", delay, "attempt", len(st.attempts))
		st.kind = "retry"
		if err := r.Sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// attempt sends one attempt; a provider that downgrades its structured-output mode after
// a 400 gets the same turns again at once.
func (r *Runtime) attempt(ctx context.Context, st *callState) (*outcome, error) {
	for {
		ex := r.exchange(st)
		out, err := r.send(ctx, st, ex)
		var pe *ProviderError
		if err != nil && errors.As(err, &pe) && pe.Code == CodeBadRequest && st.provider.downgrade(ex, pe) {
			st.kind = "downgrade"
			r.Logger.Debug("structured output mode refused; downgrading", "provider", ex.route.Provider, "model", ex.route.Model, "mode", ex.mode)
			continue
		}
		return out, err
	}
}

func (r *Runtime) exchange(st *callState) *exchange {
	req, route := st.req, st.req.Route
	ex := &exchange{
		req: req, route: route, turns: append([][2]string(nil), st.turns...), apiKey: st.apiKey,
		instructions: req.Instructions, stream: req.Stream != nil, userAgent: r.UserAgent(),
	}
	if req.Output != nil {
		ex.mode = st.provider.resolveMode(route)
		ex.wire = st.provider.prepareSchema(ex.mode, req.Output)
	}
	ex.maxTokens = req.MaxTokens
	if ex.maxTokens <= 0 {
		ex.maxTokens = route.MaxTokens
	}
	ex.temperature = req.Temperature
	if ex.temperature == nil {
		ex.temperature = route.Temperature
	}
	return ex
}

var (
	errAttemptTimeout = errors.New("attempt timeout")
	errFirstToken     = errors.New("first-token timeout")
)

func (r *Runtime) send(ctx context.Context, st *callState, ex *exchange) (*outcome, error) {
	route, meta := ex.route, st.req.Metadata
	number := len(st.attempts) + 1
	kind := st.kind
	st.kind = "retry" // a later attempt without another reason is a retry
	if ex.stream && st.emitted {
		st.req.Stream(StreamEvent{Type: "reset", Attempt: number, Reason: kind, Metadata: meta})
		st.emitted = false
	}
	started := time.Now()
	record := func(outcome string, usage Usage, requestID string, err error) {
		a := Attempt{Alias: meta.Alias, Provider: route.Provider, Model: route.Model, Kind: kind,
			Outcome: outcome, Usage: usage, RequestID: requestID, Latency: time.Since(started)}
		if err != nil {
			a.Error = err.Error()
		}
		st.attempts = append(st.attempts, a)
		if r.OnAttempt != nil {
			r.OnAttempt(a, meta)
		}
	}
	fail := func(pe *ProviderError) (*outcome, error) {
		if pe.Code != CodeRoute {
			pe.Provider, pe.Model = route.Provider, route.Model
		}
		if pe.outcome == "" {
			pe.outcome = "error" // no answer to name it by (a request that was not sent)
		}
		pe.Message = redact(pe.Message, st.apiKey)
		pe.RequestID = redact(pe.RequestID, st.apiKey)
		record(pe.outcome, Usage{}, pe.RequestID, pe)
		return nil, pe
	}
	perAttempt := DefaultTimeout
	if route.Timeout > 0 {
		perAttempt = seconds(route.Timeout)
	}
	budget, deadlineBound := perAttempt, false
	if !st.deadline.IsZero() {
		if remaining := time.Until(st.deadline); remaining <= perAttempt {
			budget, deadlineBound = remaining, true
		}
	}
	// An attempt that cannot be sent is still an attempt of the call (as in the Python
	// runtime): the deadline passed, or the route cannot be called.
	if budget <= 0 {
		return fail(&ProviderError{Code: CodeTimeout, Message: "call deadline exceeded", outcome: "timeout"})
	}
	call, err := st.provider.build(ex, r.Getenv)
	if err != nil {
		var pe *ProviderError
		if errors.As(err, &pe) {
			return fail(pe)
		}
		return nil, err
	}
	body, err := Canonical(call.body)
	if err != nil {
		return fail(&ProviderError{Code: CodeProvider, Message: "the request cannot be sent: " + err.Error()})
	}
	actx, cancel := context.WithCancelCause(ctx)
	// drained is set when a stream ended at its last event: the rest of its body is then
	// read after the attempt returns (drainStream), and that cancels actx when done.
	drained := false
	defer func() {
		if !drained {
			cancel(nil)
		}
	}()
	budgetTimer := time.AfterFunc(budget, func() { cancel(errAttemptTimeout) })
	defer budgetTimer.Stop()
	var firstToken *time.Timer
	ttft := route.FirstTokenTimeout
	if ex.stream && ttft > 0 && seconds(ttft) < budget {
		firstToken = time.AfterFunc(seconds(ttft), func() { cancel(errFirstToken) })
		defer firstToken.Stop()
	}
	// failure classifies a transport error: the caller's cancellation, a timeout, or a
	// connection that failed or was reset.
	failure := func(err error) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch context.Cause(actx) {
		case errAttemptTimeout:
			what := "attempt timeout of " + numberText64(perAttempt.Seconds()) + "s"
			if deadlineBound {
				what = "call deadline of " + numberText64(st.spec.Deadline) + "s"
			}
			return &ProviderError{Code: CodeTimeout, Message: "no complete answer within the " + what, Retryable: !deadlineBound, outcome: "timeout"}
		case errFirstToken:
			return &ProviderError{Code: CodeTimeout, Message: "no token within the first-token timeout of " + secondsText(ttft) + "s", Retryable: true, outcome: "timeout"}
		}
		return &ProviderError{Code: CodeProvider, Message: "connection failed", Retryable: true, outcome: "reset"}
	}
	failWith := func(err error) (*outcome, error) {
		var pe *ProviderError
		if errors.As(err, &pe) {
			return fail(pe)
		}
		return nil, err
	}
	hreq, err := http.NewRequestWithContext(actx, http.MethodPost, call.url, bytes.NewReader(body))
	if err != nil {
		return fail(&ProviderError{Code: CodeRoute, Message: "invalid base URL " + Quote(call.url)})
	}
	for _, h := range call.headers {
		hreq.Header.Set(h[0], h[1])
	}
	for k, v := range route.Headers {
		hreq.Header.Set(k, v)
	}
	resp, err := r.HTTP.Do(hreq)
	if err != nil {
		return failWith(failure(err))
	}
	defer func() {
		if !drained {
			resp.Body.Close()
		}
	}()
	if resp.StatusCode >= 400 {
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			return failWith(failure(err))
		}
		return fail(providerErrorFor(st.provider, resp.StatusCode, resp.Header, data))
	}
	requestID := ""
	for _, name := range st.provider.requestIDHeaders() {
		if v := resp.Header.Get(name); v != "" {
			requestID = v
			break
		}
	}
	var c *completion
	if ex.stream {
		emit := func(text string) {
			if firstToken != nil {
				firstToken.Stop()
			}
			st.emitted = true
			st.req.Stream(StreamEvent{Type: "text", Text: text, Attempt: number, Metadata: meta})
		}
		c, err = st.provider.parseStream(ex, newSSEReader(resp.Body, failure), emit)
		if err == nil {
			budgetTimer.Stop()
			if firstToken != nil {
				firstToken.Stop()
			}
			drained = true
			drainStream(resp.Body, func() { cancel(nil) })
		}
	} else {
		var data []byte
		if data, err = io.ReadAll(resp.Body); err != nil {
			return failWith(failure(err))
		}
		parsed, perr := Parse(data)
		if perr != nil {
			pe := malformed("not JSON")
			pe.RequestID = requestID
			return fail(pe)
		}
		c, err = st.provider.parse(ex, parsed)
	}
	if err != nil {
		var pe *ProviderError
		if errors.As(err, &pe) && pe.RequestID == "" {
			pe.RequestID = requestID
		}
		return failWith(err)
	}
	if requestID == "" {
		requestID = c.id
	}
	requestID = redact(requestID, st.apiKey)
	st.usage = st.usage.plus(c.usage)
	value, turn, problem := checkAnswer(ex, c)
	result := "ok"
	var problemErr error
	if problem != nil {
		result = problem.outcome
		problemErr = errors.New(problem.summary())
	}
	record(result, c.usage, requestID, problemErr)
	return &outcome{completion: c, value: value, turn: turn, problem: problem, requestID: requestID}, nil
}

// drainWait and drainLimit bound what is read of a streamed body after its last event:
// servers send the chunked body's end in a write of its own a moment later, and only a body
// read to its end lets net/http keep the connection for the next call.
const (
	drainWait  = time.Second
	drainLimit = 64 << 10
)

// drainStream reads and drops the rest of a stream's body in the background (the call does
// not wait), at most drainLimit bytes for at most drainWait, then closes it and calls done.
// A body that ended within that leaves its connection to the pool; one that did not is
// closed unread, which makes net/http close the connection.
func drainStream(body io.ReadCloser, done func()) {
	timer := time.AfterFunc(drainWait, func() { body.Close() })
	go func() {
		defer done()
		// one byte over the limit, so a rest of exactly drainLimit bytes still sees its end
		_, _ = io.Copy(io.Discard, io.LimitReader(body, drainLimit+1))
		timer.Stop()
		body.Close()
	}()
}

// parseRetryAfter reads retry-after-ms, then retry-after (seconds or an HTTP date).
func parseRetryAfter(h http.Header) time.Duration {
	if ms := strings.TrimSpace(h.Get("retry-after-ms")); ms != "" {
		if f, err := strconv.ParseFloat(ms, 64); err == nil {
			return time.Duration(f * float64(time.Millisecond))
		}
	}
	raw := strings.TrimSpace(h.Get("retry-after"))
	if raw == "" {
		return 0
	}
	if f, err := strconv.ParseFloat(raw, 64); err == nil {
		return seconds(f)
	}
	if t, err := http.ParseTime(raw); err == nil {
		return time.Until(t)
	}
	return 0
}
