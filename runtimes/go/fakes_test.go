package aiwfrt

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestFingerprintIsTheEngines(t *testing.T) {
	// aiwf.engine._replay.fingerprint of the same request (Python), for both file versions.
	req := &Request{
		Instructions: "Classify é.",
		Input:        MustParse(`{"b": [1, 2.5, 1e-7, 12345678901234567891], "a": "x\u2028\""}`),
		Output:       &Output{Contract: "Triage", Plain: MustParse(`{"type": "object", "properties": {"z": {}, "a": {}}}`)},
	}
	// Version 2: canonical JSON, members sorted.
	if got := Fingerprint(req); got != "sha256:be8f7dcb8202ac3c547d41b68c24e917459b7e988cc43e73cd2a1c06b30b578a" {
		t.Fatal(got)
	}
	// Version 1 files hashed Python's json.dumps text.
	if got := fingerprint(req, 1); got != "sha256:f2076ea78b850d3659cfb895c2b1c86094ac49d089e128ba492944ba38a0c038" {
		t.Fatal(got)
	}
}

func TestReplayAnswersAndFailsAsRecorded(t *testing.T) {
	req := &Request{Instructions: "x", Input: MustParse(`{"id": 1}`), Metadata: Metadata{Assistant: "a"}}
	fp := Fingerprint(req)
	path := filepath.Join(t.TempDir(), "run.jsonl")
	lines := `{"aiwf_replay": 2, "spec": "s"}
{"fingerprint": "` + fp + `", "response": {"output": {"ok": true}, "text": "{}", "usage": {"input_tokens": 3, "output_tokens": 4}, "provider": "openai", "model": "m", "attempt_log": [{"alias": "fast", "provider": "openai", "model": "m", "outcome": "http 429", "kind": "call", "input_tokens": 0, "output_tokens": 0}, {"alias": "fast", "provider": "openai", "model": "m", "outcome": "ok", "kind": "retry", "input_tokens": 3, "output_tokens": 4}]}}
{"fingerprint": "` + fp + `", "error": {"code": "R003", "message": "openai m: bad (HTTP 400)", "retryable": false, "attempt_log": [{"alias": "fast", "provider": "openai", "model": "m", "outcome": "http 400", "kind": "call"}]}}
`
	if err := os.WriteFile(path, []byte(lines), 0o644); err != nil {
		t.Fatal(err)
	}
	replay, err := OpenReplay(path)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := replay.Complete(context.Background(), req)
	if err != nil || CanonicalString(resp.Output) != `{"ok":true}` || outline(resp.Attempts) != "call:fast http 429, retry:fast ok" {
		t.Fatal(resp, err)
	}
	_, err = replay.Complete(context.Background(), req)
	if ErrorCode(err) != CodeBadRequest || err.Error() != "openai m: bad (HTTP 400)" {
		t.Fatal(err)
	}
}
