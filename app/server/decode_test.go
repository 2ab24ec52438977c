package server

import (
	"strings"
	"testing"
)

func TestARequestBodyIsReadStrictlyAndEveryRefusalNamesTheField(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"a field in snake case", `{"input":"k","callback_url":"https://x"}`, "unknown field callback_url: did you mean callbackUrl?"},
		{"a field with a typo", `{"input":"k","prestes":["mp3"]}`, "unknown field prestes: did you mean presets?"},
		{"a field with dashes", `{"input":"k","callback-url":"x"}`, "unknown field callback-url: did you mean callbackUrl?"},
		{"a field like no other", `{"input":"k","priority":5}`, "unknown field priority: this endpoint takes input, presets, name, callbackUrl"},
		{"a value of the wrong type", `{"input":"k","presets":"mp3"}`, "presets: a JSON string is not a list of strings"},
		{"not an object", `["input"]`, "send a JSON object"},
		{"two objects", `{"input":"k"}{"input":"j"}`, "more than one JSON object"},
		{"no body", ``, "the body is empty"},
		{"broken JSON", `{"input":`, "not valid JSON"},
		{"JSON with a stray comma", `{"input":"k",}`, "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req createJobRequest
			err := decodeStrict(strings.NewReader(tt.body), &req)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to say %q", err, tt.want)
			}
		})
	}
	var req createJobRequest
	if err := decodeStrict(strings.NewReader(`{"input":"k","presets":["mp3"],"name":"<b>","callbackUrl":""}`), &req); err != nil || req.Name != "<b>" {
		t.Fatalf("a good body: %v %+v", err, req)
	}
}
