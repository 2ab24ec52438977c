package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecode feeds Decode arbitrary messages, seeded with every fixture of
// both engines: it must never panic, must answer either an update that
// validates or one of its two kinds of error, and never both or neither.
func FuzzDecode(f *testing.F) {
	for _, dir := range []string{mediaConvertData, elasticTranscoderData} {
		for _, name := range fixtures(f, dir) {
			message := fixture(f, dir, name)
			f.Add(message)
			var compact bytes.Buffer
			if err := json.Compact(&compact, []byte(message)); err != nil {
				f.Fatal(err)
			}
			f.Add(compact.String())
		}
	}
	for _, s := range []string{"", "hello", "{}", "null", `{"state":"COMPLETED","jobId":"j","pipelineId":"p"}`} {
		f.Add(s)
	}

	f.Fuzz(func(t *testing.T, message string) {
		u, err := both.Decode(message, snsTime)
		var invalid *InvalidEventError
		switch {
		case err == nil && u == nil:
			t.Fatal("Decode returned neither an update nor an error")
		case err == nil:
			if verr := u.Validate(); verr != nil {
				t.Fatalf("Decode returned an update that does not validate: %v\n%+v", verr, u)
			}
		case u != nil:
			t.Fatalf("Decode returned both an update and %v", err)
		case errors.Is(err, ErrNotTranscoderEvent):
		case errors.As(err, &invalid):
			if invalid.Engine == "" || invalid.Reason == "" {
				t.Fatalf("an InvalidEventError says too little: %+v", invalid)
			}
		default:
			t.Fatalf("Decode returned an error of neither kind: %v", err)
		}
	})
}
