package aiwfrt

import (
	"strings"
	"testing"
)

var testTypes = MustTypes(map[string]string{
	"Ticket": `{"kind":"object","nullable":false,"properties":[
		{"name":"id","type":{"kind":"string","nullable":false,"min_length":2,"max_length":4,"pattern":"^T-"},"required":true},
		{"name":"urgency","type":{"kind":"integer","nullable":false,"minimum":1,"maximum":5,"multiple_of":1},"required":true},
		{"name":"score","type":{"kind":"number","nullable":true,"exclusive_minimum":0,"exclusive_maximum":1.0},"required":false},
		{"name":"tags","type":{"kind":"array","nullable":false,"items":{"kind":"enum","nullable":false,"values":["a","b"]},"min_items":1,"max_items":2,"unique_items":true},"required":false},
		{"name":"when","type":{"kind":"string","nullable":false,"format":"date"},"required":false},
		{"name":"a/b~c","type":{"kind":"const","nullable":false,"value":{"k":[1,2]}},"required":false}
	],"additional":false}`,
	"Choice": `{"kind":"union","nullable":false,"exclusive":true,"variants":[{"kind":"string","nullable":false},{"kind":"enum","nullable":false,"values":["x",1]}]}`,
	"Any":    `{"kind":"union","nullable":false,"variants":[{"kind":"integer","nullable":false},{"kind":"boolean","nullable":false}]}`,
	"List":   `{"kind":"array","nullable":false,"items":{"kind":"ref","nullable":true,"name":"Ticket"}}`,
	"Facets": `{"kind":"by_kind","nullable":false,"number":{"kind":"number","nullable":false,"minimum":10},"string":{"kind":"string","nullable":false,"max_length":1}}`,
	"Never":  `{"kind":"never","nullable":false}`,
	"Both":   `{"kind":"intersection","nullable":false,"variants":[{"kind":"integer","nullable":false,"minimum":3},{"kind":"integer","nullable":false,"multiple_of":2}]}`,
	"Map":    `{"kind":"object","nullable":false,"properties":[],"additional":{"kind":"integer","nullable":false}}`,
})

func problemsOf(t *testing.T, contract, value string) []string {
	t.Helper()
	var out []string
	for _, p := range Problems(MustParse(value), testTypes.Contract(contract)) {
		out = append(out, p.String())
	}
	return out
}

func TestProblemsAreWrittenAndOrderedAsTheWireSays(t *testing.T) {
	cases := []struct {
		contract, value string
		want            []string
	}{
		{"Ticket", `{"id": "T-1", "urgency": 3}`, nil},
		{"Ticket", `{"id": "T-1", "urgency": 3.0}`, nil},
		{"Ticket", `{"id": "X", "urgency": 9, "zz": 1, "tags": ["a", "c", "a"], "when": "2026-02-30", "a/b~c": {"k": [1, 2.0]}, "aa": null}`, []string{
			"/id: minLength: expected at least 2 characters, got 1 character",
			"/id: pattern: expected a match for ^T-, got \"X\"",
			"/urgency: maximum: expected at most 5, got 9",
			"/tags: maxItems: expected at most 2 items, got 3 items",
			"/tags: uniqueItems: expected unique items, got a repeated item at index 2",
			"/tags/1: enum: expected one of [\"a\",\"b\"], got \"c\"",
			"/when: format: expected a valid date, got \"2026-02-30\"",
			"(root): additionalProperties: expected no property \"aa\", got property \"aa\"",
			"(root): additionalProperties: expected no property \"zz\", got property \"zz\"",
		}},
		{"Ticket", `{"id": "T-12345", "urgency": 2.5, "score": 1, "a/b~c": 1}`, []string{
			"/id: maxLength: expected at most 4 characters, got 7 characters",
			"/urgency: type: expected integer, got number",
			"/score: exclusiveMaximum: expected less than 1, got 1",
			"/a~1b~0c: const: expected {\"k\":[1,2]}, got 1",
		}},
		{"Ticket", `{"score": "x"}`, []string{
			"(root): required: expected property \"id\", got nothing",
			"(root): required: expected property \"urgency\", got nothing",
			"/score: type: expected number or null, got string",
		}},
		{"Ticket", `[]`, []string{"(root): type: expected object, got array"}},
		{"Choice", `"x"`, []string{"(root): oneOf: expected exactly one of 2 variants, got 2 matches"}},
		{"Choice", `1.0`, nil},
		{"Choice", `true`, []string{"(root): oneOf: expected exactly one of 2 variants, got none"}},
		{"Any", `"s"`, []string{"(root): anyOf: expected a match for one of 2 variants, got none"}},
		{"List", `[null, {"id": "T-1"}]`, []string{"/1: required: expected property \"urgency\", got nothing"}},
		{"Facets", `5`, []string{"(root): minimum: expected at least 10, got 5"}},
		{"Facets", `"ab"`, []string{"(root): maxLength: expected at most 1 character, got 2 characters"}},
		{"Facets", `[1]`, nil},
		{"Never", `{"a": "` + strings.Repeat("x", 80) + `"}`, []string{
			"(root): not: expected no value here, got {\"a\":\"" + strings.Repeat("x", 54) + "...",
		}},
		{"Both", `3`, []string{"(root): multipleOf: expected a multiple of 2, got 3"}},
		{"Map", `{"b": "x", "a": 1.5}`, []string{
			"/a: type: expected integer, got number",
			"/b: type: expected integer, got string",
		}},
	}
	for _, c := range cases {
		got := problemsOf(t, c.contract, c.value)
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("%s %s:\n got %q\nwant %q", c.contract, c.value, got, c.want)
		}
	}
}

func TestSummaryShowsThreeProblems(t *testing.T) {
	problems := Problems(MustParse(`{"a": "x", "b": "x", "c": "x", "d": "x", "e": "x"}`), testTypes.Contract("Map"))
	want := "/a: type: expected integer, got string; /b: type: expected integer, got string; /c: type: expected integer, got string (and 2 more)"
	if got := Summary(problems); got != want {
		t.Fatalf("got %s", got)
	}
}

func TestFormatsFollowThePythonValidator(t *testing.T) {
	for _, c := range []struct {
		format, value string
		ok            bool
	}{
		{"date", "2026-02-28", true}, {"date", "2026-02-30", false}, {"date", "2026-2-28", false},
		{"time", "12:00:00Z", true}, {"time", "24:00:00Z", false}, {"time", "12:00:00", false},
		{"time", "12:00:00.5+01:00", true}, {"date-time", "2026-01-01T12:00:00z", true},
		{"date-time", "2026-01-01 12:00:00Z", true}, {"date-time", "2026-01-01X12:00:00Z", false},
		{"duration", "P1D", true}, {"duration", "P", false}, {"duration", "PT", false}, {"duration", "PT1H", true},
		{"duration", "P1Y2M3W4DT5H6M7.5S", true}, {"email", "a@b.c", true}, {"email", "a b@c.d", false},
		{"hostname", "a-b.example", true}, {"hostname", "-a", false}, {"ipv4", "1.2.3.4", true},
		{"ipv4", "01.2.3.4", false}, {"ipv6", "::1", true}, {"ipv6", "1.2.3.4", false},
		{"uri", "https://x.y/z", true}, {"uri", "no scheme", false}, {"uri-reference", "a b", false},
		{"uuid", "123e4567-e89b-12d3-a456-426614174000", true}, {"uuid", "123e4567e89b12d3a456426614174000", false},
		{"regex", "a(b", false}, {"regex", "^a+$", true}, {"unknown", "anything", true},
	} {
		if got := CheckFormat(c.format, c.value); got != c.ok {
			t.Errorf("%s %q: %v, want %v", c.format, c.value, got, c.ok)
		}
	}
}
