package aiwfrt

import (
	"encoding/json"
	"net/http"
	"strings"
	"sync"
)

// The wire formats of docs/wire.md §5: request bodies (members in the order given there),
// headers, and the answers of each provider, whole or streamed.

// AnthropicVersion is the anthropic-version header when the route sets no api_version.
const AnthropicVersion = "2026-10-21"

// anthropicMaxTokens is max_tokens when neither the assistant nor the route sets one.
const anthropicMaxTokens = 4096

const toolDescription = "Record the answer. Its input is the answer."

type wireSchema struct {
	schema  Value
	wrapped bool
	strict  bool
}

// exchange is everything one attempt needs to build its request.
type exchange struct {
	req          *Request
	route        Route
	turns        [][2]string // (role, text)
	mode         string      // "" for free text
	wire         *wireSchema
	apiKey       string
	maxTokens    int
	temperature  *float64
	instructions string
	stream       bool
	userAgent    string
}

type httpCall struct {
	url     string
	headers [][2]string
	body    *Object
}

// completion is a provider-neutral answer of one attempt.
type completion struct {
	text      string
	usage     Usage
	model     string
	id        string
	stop      string
	truncated bool
	value     Value // a forced tool's input, already parsed
	hasValue  bool
}

type provider interface {
	name() string
	keyEnv() string
	keyRequired() bool
	resolveMode(route Route) string
	prepareSchema(mode string, out *Output) *wireSchema
	build(ex *exchange, getenv func(string) string) (*httpCall, error)
	parse(ex *exchange, body Value) (*completion, error)
	parseStream(ex *exchange, events *sseReader, emit func(string)) (*completion, error)
	requestIDHeaders() []string
	downgrade(ex *exchange, err *ProviderError) bool
}

func newProviders() map[string]provider {
	return map[string]provider{"openai": openAI{}, "anthropic": anthropic{}, "openai-compatible": &openAICompatible{}}
}

func baseHeaders(ex *exchange) [][2]string {
	accept := "application/json"
	if ex.stream {
		accept = "text/event-stream"
	}
	headers := [][2]string{{"Content-Type", "application/json"}, {"Accept", accept}, {"User-Agent", ex.userAgent}}
	if ex.apiKey != "" {
		headers = append(headers, [2]string{"Authorization", "Bearer " + ex.apiKey})
	}
	return headers
}

// instructionsFor is the system prompt, with the schema described in prompt and
// json_object modes (json_object needs the word JSON in the prompt).
func instructionsFor(ex *exchange) string {
	if (ex.mode == "prompt" || ex.mode == "json_object") && ex.wire != nil {
		extra := promptInstruction + schemaText(ex.wire.schema)
		if ex.instructions != "" {
			return ex.instructions + "\n\n" + extra
		}
		return extra
	}
	return ex.instructions
}

func baseURL(getenv func(string) string, route, env, fallback string) string {
	base := route
	if base == "" {
		base = getenv(env)
	}
	if base == "" {
		base = fallback
	}
	return strings.TrimSuffix(base, "/")
}

func turnList(turns [][2]string) []Value {
	out := make([]Value, 0, len(turns))
	for _, t := range turns {
		out = append(out, Obj("role", t[0], "content", t[1]))
	}
	return out
}

func malformed(what string) *ProviderError {
	return &ProviderError{Code: CodeProvider, Message: "malformed response: " + what, Retryable: true, outcome: "malformed"}
}

// refused is a refusal: "the model refused", with ": TEXT" when the model said why.
func refused(text string) *ProviderError {
	message := "the model refused"
	if text != "" {
		message += ": " + text
	}
	return &ProviderError{Code: CodeProvider, Message: message, outcome: "refused"}
}

// streamEnded is a stream that stopped before its last event (retryable).
func streamEnded(before string) *ProviderError {
	return &ProviderError{Code: CodeProvider, Message: "stream ended before " + before, Retryable: true, outcome: "error"}
}

// errorMessage reads every provider's error body: (message, type, request id).
func errorMessage(body []byte) (string, string, string) {
	text := strings.TrimSpace(string(body))
	v, err := Parse([]byte(text))
	if err != nil {
		if text == "" {
			return "no error message", "", ""
		}
		return truncate(text, 300), "", ""
	}
	data, ok := v.(*Object)
	if !ok {
		return truncate(text, 300), "", ""
	}
	requestID, _ := At(data, "request_id").(string)
	str := func(x Value) string {
		if IsMissing(x) || x == nil {
			return ""
		}
		if s, ok := x.(string); ok {
			return s
		}
		return CanonicalString(x)
	}
	switch e := At(data, "error").(type) {
	case *Object:
		message := str(At(e, "message"))
		if message == "" {
			message = truncate(CanonicalString(e), 300)
		}
		etype := str(At(e, "type"))
		if etype == "" {
			etype = str(At(e, "code"))
		}
		return message, etype, requestID
	case string:
		return e, "", requestID
	}
	if At(data, "object") == "error" || !IsMissing(At(data, "message")) {
		etype := str(At(data, "type"))
		if etype == "" {
			etype = str(At(data, "code"))
		}
		return str(At(data, "message")), etype, requestID
	}
	if d := At(data, "detail"); !IsMissing(d) {
		detail, ok := d.(string)
		if !ok {
			detail = CanonicalString(d)
		}
		return truncate(detail, 300), "", requestID
	}
	return truncate(text, 300), "", requestID
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n])
	}
	return s
}

// streamError is the error for an error object inside a 200 answer (a stream error event,
// a failed response): its type picks the code.
func streamError(data Value) *ProviderError {
	errObj := At(data, "error")
	if IsMissing(errObj) {
		errObj = data
	}
	e, ok := errObj.(*Object)
	if !ok {
		e = Obj("message", CanonicalString(errObj))
	}
	etype, _ := At(e, "type").(string)
	if etype == "" {
		etype, _ = At(e, "code").(string)
	}
	if etype == "" {
		etype = "error"
	}
	msg, ok := At(e, "message").(string)
	if !ok {
		msg = "stream failed"
	}
	message := etype + ": " + msg
	status := map[string]int{
		"overloaded_error": 529, "api_error": 500, "rate_limit_error": 429, "invalid_request_error": 400,
		"authentication_error": 401, "permission_error": 403, "not_found_error": 404, "request_too_large": 413,
	}[etype]
	if status == 0 {
		return &ProviderError{Code: CodeServer, Message: message, Retryable: true, outcome: "error"}
	}
	pe := errorForStatus(status, message, nil)
	pe.Status, pe.outcome = 0, "error"
	return pe
}

func usageOf(v Value, in, out string) Usage {
	n := func(key string) int {
		num, _ := At(v, key).(json.Number)
		i, _ := num.Int64()
		return int(i)
	}
	return Usage{InputTokens: n(in), OutputTokens: n(out)}
}

func strOf(v Value, path ...any) string {
	s, _ := At(v, path...).(string)
	return s
}

func streamJSON(ev sseEvent) (Value, error) {
	v, err := Parse([]byte(ev.data))
	if err != nil {
		name := ev.event
		if name == "" {
			name = "message"
		}
		return nil, malformed("stream event " + Quote(name) + " is not JSON")
	}
	return v, nil
}

// --- OpenAI Responses API ---------------------------------------------------------------

type openAI struct{}

func (openAI) name() string                             { return "openai" }
func (openAI) keyEnv() string                           { return "OPENAI_API_KEY" }
func (openAI) keyRequired() bool                        { return true }
func (openAI) requestIDHeaders() []string               { return []string{"x-request-id"} }
func (openAI) downgrade(*exchange, *ProviderError) bool { return false }

func (openAI) resolveMode(route Route) string {
	switch route.StructuredOutput {
	case "", "auto", "native", "tool":
		return "json_schema"
	}
	return route.StructuredOutput
}

func (openAI) prepareSchema(mode string, out *Output) *wireSchema {
	if mode == "json_schema" {
		return &wireSchema{schema: out.Strict, wrapped: out.IsWrapped, strict: true}
	}
	return &wireSchema{schema: out.Plain}
}

func (openAI) build(ex *exchange, getenv func(string) string) (*httpCall, error) {
	base := baseURL(getenv, ex.route.BaseURL, "OPENAI_BASE_URL", "https://api.openai.com/v1")
	headers := baseHeaders(ex)
	if org := getenv("OPENAI_ORG_ID"); org != "" {
		headers = append(headers, [2]string{"OpenAI-Organization", org})
	}
	if project := getenv("OPENAI_PROJECT_ID"); project != "" {
		headers = append(headers, [2]string{"OpenAI-Project", project})
	}
	body := Obj("model", ex.route.Model)
	if instructions := instructionsFor(ex); instructions != "" {
		body.Set("instructions", instructions)
	}
	if len(ex.turns) == 1 && ex.turns[0][0] == "user" {
		body.Set("input", ex.turns[0][1])
	} else {
		body.Set("input", turnList(ex.turns))
	}
	if ex.temperature != nil {
		body.Set("temperature", *ex.temperature)
	}
	if ex.maxTokens > 0 {
		body.Set("max_output_tokens", Int(ex.maxTokens))
	}
	if ex.wire != nil && ex.mode == "json_schema" {
		body.Set("text", Obj("format", Obj("type", "json_schema", "name", schemaName(ex.req.Output.Contract), "schema", schemaJSON(ex.wire.schema), "strict", true)))
	} else if ex.wire != nil && ex.mode == "json_object" {
		body.Set("text", Obj("format", Obj("type", "json_object")))
	}
	if ex.stream {
		body.Set("stream", true)
	}
	return &httpCall{url: base + "/responses", headers: headers, body: body}, nil
}

func (openAI) parse(ex *exchange, body Value) (*completion, error) {
	output, ok := At(body, "output").([]Value)
	if !ok {
		return nil, malformed("no output list")
	}
	status := strOf(body, "status")
	if status == "failed" {
		e := At(body, "error")
		if IsMissing(e) || e == nil {
			e = NewObject()
		}
		return nil, streamError(Obj("error", e))
	}
	var parts []string
	refusal, wasRefused := "", false
	for _, item := range output {
		if strOf(item, "type") != "message" {
			continue
		}
		content, _ := At(item, "content").([]Value)
		for _, part := range content {
			switch strOf(part, "type") {
			case "output_text":
				parts = append(parts, strOf(part, "text"))
			case "refusal":
				refusal, wasRefused = strOf(part, "refusal"), true
			}
		}
	}
	if len(parts) == 0 && wasRefused {
		return nil, refused(refusal)
	}
	reason := strOf(body, "incomplete_details", "reason")
	stop := reason
	if stop == "" {
		stop = status
	}
	return &completion{
		text: strings.Join(parts, ""), usage: usageOf(At(body, "usage"), "input_tokens", "output_tokens"),
		model: strOf(body, "model"), id: strOf(body, "id"), stop: stop,
		truncated: status == "incomplete" && reason == "max_output_tokens",
	}, nil
}

func (p openAI) parseStream(ex *exchange, events *sseReader, emit func(string)) (*completion, error) {
	for {
		ev, err := events.next()
		if err != nil {
			return nil, err
		}
		if ev == nil || ev.data == "[DONE]" {
			break
		}
		data, err := streamJSON(*ev)
		if err != nil {
			return nil, err
		}
		kind := ev.event
		if kind == "message" {
			kind = strOf(data, "type")
		}
		switch kind {
		case "response.output_text.delta":
			if delta := strOf(data, "delta"); delta != "" {
				emit(delta)
			}
		case "response.completed", "response.incomplete", "response.failed":
			return p.parse(ex, At(data, "response"))
		case "error":
			return nil, streamError(data)
		}
	}
	return nil, streamEnded("response.completed")
}

// --- Anthropic Messages API -------------------------------------------------------------

type anthropic struct{}

func (anthropic) name() string                             { return "anthropic" }
func (anthropic) keyEnv() string                           { return "ANTHROPIC_API_KEY" }
func (anthropic) keyRequired() bool                        { return true }
func (anthropic) requestIDHeaders() []string               { return []string{"request-id", "x-request-id"} }
func (anthropic) downgrade(*exchange, *ProviderError) bool { return false }

func (anthropic) resolveMode(route Route) string {
	switch route.StructuredOutput {
	case "", "auto", "tool":
		return "tool"
	case "native", "json_schema":
		return "native"
	}
	return route.StructuredOutput
}

func (anthropic) prepareSchema(mode string, out *Output) *wireSchema {
	if mode == "tool" || mode == "native" {
		return &wireSchema{schema: out.Wrapped, wrapped: out.IsWrapped}
	}
	return &wireSchema{schema: out.Plain}
}

func (anthropic) build(ex *exchange, getenv func(string) string) (*httpCall, error) {
	base := baseURL(getenv, ex.route.BaseURL, "ANTHROPIC_BASE_URL", "https://api.anthropic.com")
	version := ex.route.APIVersion
	if version == "" {
		version = AnthropicVersion
	}
	headers := append(baseHeaders(ex), [2]string{"anthropic-version", version})
	maxTokens := ex.maxTokens
	if maxTokens <= 0 {
		maxTokens = anthropicMaxTokens
	}
	body := Obj("model", ex.route.Model, "max_tokens", Int(maxTokens), "messages", turnList(ex.turns))
	if instructions := instructionsFor(ex); instructions != "" {
		body.Set("system", instructions)
	}
	if ex.temperature != nil && version < AnthropicVersion {
		// API versions from 2026-10-21 on take no sampling parameters.
		body.Set("temperature", *ex.temperature)
	}
	if ex.wire != nil && ex.mode == "tool" {
		name := schemaName(ex.req.Output.Contract)
		body.Set("tools", []Value{Obj("name", name, "description", toolDescription, "input_schema", schemaJSON(ex.wire.schema))})
		body.Set("tool_choice", Obj("type", "tool", "name", name))
	} else if ex.wire != nil && ex.mode == "native" {
		body.Set("output_config", Obj("format", Obj("type", "json_schema", "schema", schemaJSON(ex.wire.schema))))
	}
	if ex.stream {
		body.Set("stream", true)
	}
	return &httpCall{url: base + "/v1/messages", headers: headers, body: body}, nil
}

func (anthropic) parse(ex *exchange, body Value) (*completion, error) {
	content, ok := At(body, "content").([]Value)
	if !ok {
		return nil, malformed("no content list")
	}
	if strOf(body, "type") == "error" {
		return nil, streamError(body)
	}
	c := &completion{}
	var texts []string
	for _, block := range content {
		switch strOf(block, "type") {
		case "text":
			texts = append(texts, strOf(block, "text"))
		case "tool_use":
			if ex.mode == "tool" {
				c.value, c.hasValue = Whole(At(block, "input")), true
			}
		}
	}
	c.text = strings.Join(texts, "")
	if c.hasValue {
		c.text = CanonicalString(c.value)
	}
	c.usage = usageOf(At(body, "usage"), "input_tokens", "output_tokens")
	c.model, c.id, c.stop = strOf(body, "model"), strOf(body, "id"), strOf(body, "stop_reason")
	c.truncated = c.stop == "max_tokens"
	if c.stop == "refusal" && !c.hasValue {
		return nil, refused(strings.TrimSpace(strings.Join(texts, "")))
	}
	return c, nil
}

func (anthropic) parseStream(ex *exchange, events *sseReader, emit func(string)) (*completion, error) {
	c := &completion{}
	blocks := map[int]*strings.Builder{}
	kinds := map[int]string{}
	var order []int
	block := func(i int) *strings.Builder {
		if b, ok := blocks[i]; ok {
			return b
		}
		b := &strings.Builder{}
		blocks[i] = b
		order = append(order, i)
		return b
	}
	index := func(data Value) int {
		n, _ := At(data, "index").(json.Number)
		i, _ := n.Int64()
		return int(i)
	}
	finished := false
	for !finished {
		ev, err := events.next()
		if err != nil {
			return nil, err
		}
		if ev == nil {
			break
		}
		data, err := streamJSON(*ev)
		if err != nil {
			return nil, err
		}
		kind := strOf(data, "type")
		if kind == "" {
			kind = ev.event
		}
		switch kind {
		case "message_start":
			message := At(data, "message")
			c.model, c.id = strOf(message, "model"), strOf(message, "id")
			c.usage = usageOf(At(message, "usage"), "input_tokens", "output_tokens")
		case "content_block_start":
			i := index(data)
			kinds[i] = strOf(data, "content_block", "type")
			b := block(i)
			if text := strOf(data, "content_block", "text"); kinds[i] == "text" && text != "" {
				b.WriteString(text)
				emit(text)
			}
		case "content_block_delta":
			i := index(data)
			piece := ""
			switch strOf(data, "delta", "type") {
			case "text_delta":
				piece = strOf(data, "delta", "text")
			case "input_json_delta":
				piece = strOf(data, "delta", "partial_json")
			}
			if piece != "" {
				block(i).WriteString(piece)
				emit(piece)
			}
		case "message_delta":
			if stop := strOf(data, "delta", "stop_reason"); stop != "" {
				c.stop = stop
			}
			// message_delta usage is cumulative.
			u := usageOf(At(data, "usage"), "input_tokens", "output_tokens")
			if u.OutputTokens != 0 {
				c.usage.OutputTokens = u.OutputTokens
			}
			if u.InputTokens != 0 {
				c.usage.InputTokens = u.InputTokens
			}
		case "message_stop":
			finished = true
		case "error":
			return nil, streamError(data)
		}
	}
	if !finished {
		return nil, streamEnded("message_stop")
	}
	c.truncated = c.stop == "max_tokens"
	var texts, tools []string
	for _, i := range sortedInts(order) {
		switch kinds[i] {
		case "text":
			texts = append(texts, blocks[i].String())
		case "tool_use":
			tools = append(tools, blocks[i].String())
		}
	}
	if ex.mode == "tool" && len(tools) > 0 {
		// The tool input is parsed like text, so truncation and invalid JSON take the same
		// repair path.
		c.text = tools[0]
		if c.text == "" {
			c.text = "{}"
		}
	} else {
		c.text = strings.Join(texts, "")
	}
	return c, nil
}

// --- OpenAI-compatible Chat Completions -------------------------------------------------

var formatWords = []string{"response_format", "json_schema", "json_object", "schema", "format", "grammar"}

type openAICompatible struct {
	mu         sync.Mutex
	downgraded map[[2]string]string // (base URL, model) -> mode
}

func (*openAICompatible) name() string               { return "openai-compatible" }
func (*openAICompatible) keyEnv() string             { return "" }
func (*openAICompatible) keyRequired() bool          { return false }
func (*openAICompatible) requestIDHeaders() []string { return []string{"x-request-id"} }

func (p *openAICompatible) resolveMode(route Route) string {
	switch route.StructuredOutput {
	case "", "auto":
		p.mu.Lock()
		defer p.mu.Unlock()
		if m, ok := p.downgraded[[2]string{route.BaseURL, route.Model}]; ok {
			return m
		}
		return "json_schema"
	case "tool", "native":
		return "json_schema"
	}
	return route.StructuredOutput
}

// downgrade moves an auto route to the next mode (json_schema, json_object, prompt) after
// a 400 that names the response format, and remembers it for the route.
func (p *openAICompatible) downgrade(ex *exchange, err *ProviderError) bool {
	mode := ex.route.StructuredOutput
	if (mode != "" && mode != "auto") || (ex.mode != "json_schema" && ex.mode != "json_object") {
		return false
	}
	if err.Status != 400 {
		return false
	}
	text := strings.ToLower(err.Message)
	found := false
	for _, w := range formatWords {
		found = found || strings.Contains(text, w)
	}
	if !found {
		return false
	}
	next := "json_object"
	if ex.mode == "json_object" {
		next = "prompt"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.downgraded == nil {
		p.downgraded = map[[2]string]string{}
	}
	p.downgraded[[2]string{ex.route.BaseURL, ex.route.Model}] = next
	return true
}

// prepareSchema sends the schema as written in every mode: local servers constrain
// decoding with it (docs/wire.md §4).
func (*openAICompatible) prepareSchema(mode string, out *Output) *wireSchema {
	return &wireSchema{schema: out.Plain}
}

func (*openAICompatible) build(ex *exchange, getenv func(string) string) (*httpCall, error) {
	if ex.route.BaseURL == "" {
		return nil, routeError("openai-compatible routes need base_url")
	}
	messages := []Value{}
	if instructions := instructionsFor(ex); instructions != "" {
		messages = append(messages, Obj("role", "system", "content", instructions))
	}
	messages = append(messages, turnList(ex.turns)...)
	body := Obj("model", ex.route.Model, "messages", messages)
	if ex.temperature != nil {
		body.Set("temperature", *ex.temperature)
	}
	if ex.maxTokens > 0 {
		body.Set("max_tokens", Int(ex.maxTokens))
	}
	if ex.wire != nil && ex.mode == "json_schema" {
		body.Set("response_format", Obj("type", "json_schema", "json_schema",
			Obj("name", schemaName(ex.req.Output.Contract), "schema", schemaJSON(ex.wire.schema), "strict", true)))
	} else if ex.wire != nil && ex.mode == "json_object" {
		body.Set("response_format", Obj("type", "json_object"))
	}
	if ex.stream {
		body.Set("stream", true)
		body.Set("stream_options", Obj("include_usage", true))
	}
	url := strings.TrimSuffix(ex.route.BaseURL, "/") + "/chat/completions"
	return &httpCall{url: url, headers: baseHeaders(ex), body: body}, nil
}

func (*openAICompatible) parse(ex *exchange, body Value) (*completion, error) {
	if strOf(body, "object") == "error" {
		return nil, streamError(body)
	}
	choices, _ := At(body, "choices").([]Value)
	if len(choices) == 0 {
		return nil, malformed("no choices")
	}
	choice, ok := choices[0].(*Object)
	if !ok {
		return nil, malformed("no choices")
	}
	finish := strOf(choice, "finish_reason")
	return &completion{
		text: strOf(choice, "message", "content"), usage: usageOf(At(body, "usage"), "prompt_tokens", "completion_tokens"),
		model: strOf(body, "model"), id: strOf(body, "id"), stop: finish, truncated: finish == "length",
	}, nil
}

func (*openAICompatible) parseStream(ex *exchange, events *sseReader, emit func(string)) (*completion, error) {
	c := &completion{}
	var parts []string
	done := false
	for !done {
		ev, err := events.next()
		if err != nil {
			return nil, err
		}
		if ev == nil {
			break
		}
		if strings.TrimSpace(ev.data) == "[DONE]" {
			done = true
			break
		}
		data, err := streamJSON(*ev)
		if err != nil {
			return nil, err
		}
		obj, ok := data.(*Object)
		if !ok {
			continue
		}
		if _, hasError := obj.Get("error"); hasError || strOf(obj, "object") == "error" {
			return nil, streamError(obj)
		}
		if model := strOf(obj, "model"); model != "" {
			c.model = model
		}
		if id := strOf(obj, "id"); id != "" {
			c.id = id
		}
		choices, _ := At(obj, "choices").([]Value)
		for _, choice := range choices {
			if piece := strOf(choice, "delta", "content"); piece != "" {
				parts = append(parts, piece)
				emit(piece)
			}
			if finish := strOf(choice, "finish_reason"); finish != "" {
				c.stop = finish
			}
		}
		if usage, ok := At(obj, "usage").(*Object); ok {
			c.usage = usageOf(usage, "prompt_tokens", "completion_tokens")
		}
	}
	if !done && c.stop == "" {
		return nil, streamEnded("[DONE]")
	}
	c.text = strings.Join(parts, "")
	c.truncated = c.stop == "length"
	return c, nil
}

// providerErrorFor is the error for an HTTP error status.
func providerErrorFor(p provider, status int, header http.Header, body []byte) *ProviderError {
	message, etype, bodyID := errorMessage(body)
	if etype != "" && !strings.Contains(message, etype) {
		message = etype + ": " + message
	}
	var should *bool
	switch strings.ToLower(strings.TrimSpace(header.Get("x-should-retry"))) {
	case "true":
		should = Ptr(true)
	case "false":
		should = Ptr(false)
	}
	e := errorForStatus(status, message, should)
	e.RetryAfter = parseRetryAfter(header)
	e.RequestID = bodyID
	for _, name := range p.requestIDHeaders() {
		if v := header.Get(name); v != "" {
			e.RequestID = v
			break
		}
	}
	return e
}

// Ptr returns a pointer to v (generated code: optional numbers of routes and assistants).
func Ptr[T any](v T) *T { return &v }
