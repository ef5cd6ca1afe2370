package aiwfrt

import (
	"sort"
	"strings"
)

// RetrySpec is how a call is retried (a retry: block of the spec, defaults filled in).
type RetrySpec struct {
	MaxAttempts    int
	InitialDelay   float64 // seconds
	MaxDelay       float64 // seconds
	Deadline       float64 // seconds for the whole call, retries included; 0: none
	RepairAttempts int
}

// DefaultRetry is the retry spec when neither the assistant nor the route sets one.
var DefaultRetry = RetrySpec{MaxAttempts: 3, InitialDelay: 0.5, MaxDelay: 8, RepairAttempts: 1}

// Route is a model alias of the spec: which provider and model answer, and how.
type Route struct {
	Provider          string // openai, anthropic or openai-compatible
	Model             string
	BaseURL           string
	APIKeyEnv         string
	MaxTokens         int // 0: not set
	Temperature       *float64
	Timeout           float64 // seconds per attempt; 0: the default (600)
	FirstTokenTimeout float64 // seconds to the first streamed text; 0: none
	StructuredOutput  string  // auto, json_schema, tool, native, json_object, prompt
	Retry             *RetrySpec
	Fallback          []string
	Headers           map[string]string
	APIVersion        string
}

// RouteOverride changes a route at run time, without regenerating the SDK: each field that
// is not empty (or zero) replaces the route's own.
type RouteOverride struct {
	BaseURL   string
	Model     string
	APIKeyEnv string
	// Timeout and FirstTokenTimeout are seconds.
	Timeout           float64
	FirstTokenTimeout float64
}

// Apply is route with the override's fields.
func (o RouteOverride) Apply(route Route) Route {
	if o.BaseURL != "" {
		route.BaseURL = o.BaseURL
	}
	if o.Model != "" {
		route.Model = o.Model
	}
	if o.APIKeyEnv != "" {
		route.APIKeyEnv = o.APIKeyEnv
	}
	if o.Timeout > 0 {
		route.Timeout = o.Timeout
	}
	if o.FirstTokenTimeout > 0 {
		route.FirstTokenTimeout = o.FirstTokenTimeout
	}
	return route
}

// Merge is o with the fields other sets (several overrides of one alias combine).
func (o RouteOverride) Merge(other RouteOverride) RouteOverride {
	if other.BaseURL != "" {
		o.BaseURL = other.BaseURL
	}
	if other.Model != "" {
		o.Model = other.Model
	}
	if other.APIKeyEnv != "" {
		o.APIKeyEnv = other.APIKeyEnv
	}
	if other.Timeout > 0 {
		o.Timeout = other.Timeout
	}
	if other.FirstTokenTimeout > 0 {
		o.FirstTokenTimeout = other.FirstTokenTimeout
	}
	return o
}

// EnvironmentVariable names the environment an SDK runs in when none is chosen in code.
const EnvironmentVariable = "AIWF_ENV"

// Routing is how an SDK resolves its aliases: the spec's routes, the routes of each
// environment of the project config (alias -> the whole route with the environment's
// overrides merged in; only the aliases it overrides), and the run-time choices.
type Routing struct {
	Spec         map[string]Route
	Environments map[string]map[string]Route
	// Environment is the chosen environment ("": none).
	Environment string
	// Overrides apply last, per alias.
	Overrides map[string]RouteOverride
}

// Resolve is the routes in effect: the spec's, then the environment's, then the
// overrides. An unknown environment is an R008 error that names the known ones.
func (r Routing) Resolve() (map[string]Route, error) {
	routes := make(map[string]Route, len(r.Spec))
	for alias, route := range r.Spec {
		routes[alias] = route
	}
	if r.Environment != "" {
		env, ok := r.Environments[r.Environment]
		if !ok {
			known := make([]string, 0, len(r.Environments))
			for name := range r.Environments {
				known = append(known, name)
			}
			sort.Strings(known)
			list := "none"
			if len(known) > 0 {
				list = strings.Join(known, ", ")
			}
			return nil, routeError("unknown environment %q (known: %s)", r.Environment, list)
		}
		for alias, route := range env {
			routes[alias] = route
		}
	}
	for alias, o := range r.Overrides {
		route, ok := routes[alias]
		if !ok {
			return nil, routeError("unknown model alias %q in a route override", alias)
		}
		routes[alias] = o.Apply(route)
	}
	return routes, nil
}
