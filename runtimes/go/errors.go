package aiwfrt

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The error codes every aiwf runtime uses (docs/wire.md §8).
const (
	CodeAuth          = "R001" // 401/403, or no key where the provider needs one
	CodeRateLimited   = "R002" // 429 after the retries
	CodeBadRequest    = "R003" // 400/404/413/422 (any other 4xx)
	CodeServer        = "R004" // 5xx after the retries; a stream error event
	CodeTimeout       = "R005" // attempt timeout, first-token timeout, call deadline
	CodeOutputInvalid = "R006" // invalid after the last repair
	CodeProvider      = "R007" // connection failure, malformed response, refusal
	CodeRoute         = "R008" // unknown alias, provider or environment; missing base_url

	CodeStepFailed      = "E500" // a step failed (the cause's code is inside the message)
	CodeResultInvalid   = "E501" // the result of a workflow is not valid for its contract
	CodeInputInvalid    = "E502" // the input of a workflow is not valid for its contract
	CodeUnknownWorkflow = "E504" // RunWorkflow with a name the SDK does not know
)

// ErrorCode is the aiwf code of err ("R003", "E502", ...): that of the first error in its
// chain that has one, "" when none has.
func ErrorCode(err error) string {
	var coded interface{ ErrorCode() string }
	if errors.As(err, &coded) {
		return coded.ErrorCode()
	}
	return ""
}

// ProviderError is a failed model call.
type ProviderError struct {
	Code      string // R001 ... R008
	Provider  string
	Model     string
	Status    int // the HTTP status; 0: none
	Message   string
	RequestID string
	Retryable bool
	// RetryAfter is the wait the server asked for (retry-after-ms, retry-after); 0: none.
	RetryAfter time.Duration
	// Problems are the validation problems of the last answer (R006).
	Problems []Problem
	// Attempts are the attempts the call made, every route included.
	Attempts []Attempt
	// outcome is how the attempt that failed ended, for its trace ("http 429", "reset" ...).
	outcome string
}

// ErrorCode is the error's aiwf code.
func (e *ProviderError) ErrorCode() string { return e.Code }

// Error renders "PROVIDER MODEL: MESSAGE (HTTP 429, request id ID)".
func (e *ProviderError) Error() string {
	text := e.Message
	if e.Provider != "" {
		where := e.Provider
		if e.Model != "" {
			where += " " + e.Model
		}
		text = where + ": " + text
	}
	var details []string
	if e.Status != 0 {
		details = append(details, "HTTP "+strconv.Itoa(e.Status))
	}
	if e.RequestID != "" {
		details = append(details, "request id "+e.RequestID)
	}
	if len(details) > 0 {
		text += " (" + strings.Join(details, ", ") + ")"
	}
	return text
}

// fallsBack reports whether the error exhausts a route, so that its fallbacks are tried
// (docs/wire.md §7): rate limits, server errors, timeouts, invalid output and provider
// errors do; a bad request, an auth error and a route error are mistakes to fix.
func (e *ProviderError) fallsBack() bool {
	switch e.Code {
	case CodeRateLimited, CodeServer, CodeTimeout, CodeOutputInvalid, CodeProvider:
		return true
	}
	return false
}

// errorForStatus is the error for an HTTP error status: 408, 409, 429 and from 500 up are
// retryable; an x-should-retry header (shouldRetry) wins.
func errorForStatus(status int, message string, shouldRetry *bool) *ProviderError {
	e := &ProviderError{Status: status, Message: message, outcome: "http " + strconv.Itoa(status)}
	switch {
	case status == 401 || status == 403:
		e.Code = CodeAuth
	case status == 429:
		e.Code, e.Retryable = CodeRateLimited, true
	case status == 408:
		e.Code, e.Retryable = CodeTimeout, true
	case status == 409:
		e.Code, e.Retryable = CodeProvider, true
	case status >= 500:
		e.Code, e.Retryable = CodeServer, true
	default:
		e.Code = CodeBadRequest
	}
	if shouldRetry != nil {
		e.Retryable = *shouldRetry
	}
	return e
}

// routeError is an R008 error: a route that cannot be called as configured.
func routeError(format string, args ...any) *ProviderError {
	return &ProviderError{Code: CodeRoute, Message: fmt.Sprintf(format, args...)}
}

// StepError is a failed workflow step; Index >= 0 is one item of a scattered step.
type StepError struct {
	Step  string
	Index int
	// Err is the cause: a *ProviderError, a *ValidationError (the step's input, with
	// InputContract), or any error a custom ModelClient returned.
	Err error
	// InputContract names the contract the step's input broke (Err is then a
	// *ValidationError).
	InputContract string
}

// ErrorCode is E500: the run's code (the cause's is inside the message).
func (e *StepError) ErrorCode() string { return CodeStepFailed }

// Error renders "step ID failed: [CODE] CAUSE" ("step ID item I failed: ..." for an item).
func (e *StepError) Error() string {
	where := "step " + e.Step
	if e.Index >= 0 {
		where += " item " + strconv.Itoa(e.Index)
	}
	if e.InputContract != "" {
		return where + " failed: its input is not valid for " + e.InputContract + ": " + e.Err.Error()
	}
	cause := oneLine(e.Err.Error())
	if code := ErrorCode(e.Err); code != "" {
		cause = "[" + code + "] " + cause
	}
	return where + " failed: " + cause
}

// Unwrap is the cause.
func (e *StepError) Unwrap() error { return e.Err }

// RunError is a workflow run that failed outside its steps: an invalid input (E502), an
// invalid result (E501), an unknown workflow (E504).
type RunError struct {
	Code     string
	Message  string
	Problems []Problem
}

// ErrorCode is the error's aiwf code.
func (e *RunError) ErrorCode() string { return e.Code }

func (e *RunError) Error() string { return e.Message }

func oneLine(text string) string { return strings.Join(strings.Fields(text), " ") }

// redact replaces every occurrence of secret in text (a server may echo the key back).
func redact(text, secret string) string {
	if secret == "" || len(secret) < 4 {
		return text
	}
	return strings.ReplaceAll(text, secret, "***")
}
