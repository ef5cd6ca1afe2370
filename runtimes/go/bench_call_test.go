package aiwfrt

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
)

// answerTransport answers every request in-process with one canned body, so that a
// benchmark measures the runtime's own work per call (no socket, no server).
type answerTransport struct{ body string }

func (a answerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
	return &http.Response{
		StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(a.body)), Request: req, ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

func cpuTime() int64 {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return u.Utime.Nano() + u.Stime.Nano()
}

// BenchmarkComplete is the runtime's CPU and allocations per call, answered in-process
// (go test -bench Complete -benchmem; -cpuprofile for where it goes).
func BenchmarkComplete(b *testing.B) {
	for _, provider := range []string{"openai", "anthropic", "openai-compatible"} {
		b.Run(provider, func(b *testing.B) {
			env := map[string]string{"OPENAI_API_KEY": "sk", "ANTHROPIC_API_KEY": "ak", "LOCAL_KEY": "lk"}
			rt := &Runtime{
				HTTP:   &http.Client{Transport: answerTransport{answers[provider]}},
				Getenv: func(k string) string { return env[k] },
			}
			req := request(provider, &server{Server: &httptest.Server{URL: "http://127.0.0.1:9"}})
			ctx := context.Background()
			b.ReportAllocs()
			before := cpuTime()
			for i := 0; i < b.N; i++ {
				if _, err := rt.Complete(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time (user + system) per call: steadier than ns/op on a busy machine.
			b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op")
		})
	}
}
