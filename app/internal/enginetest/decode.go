package enginetest

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"transcoder/app/jobs"
)

// Decode is an engine's decoder: it reads the Message of an SNS
// notification into an update, dated at when the message carries no time.
type Decode func(message []byte, at time.Time) (*jobs.Update, error)

// Message is one SNS Message a decoder is given, named for the test.
type Message struct {
	Name    string
	Message string
}

// NotJobMessages are messages that are no engine's job event or
// notification, which every decoder must ignore: what else the topic may
// carry.
var NotJobMessages = []Message{
	{"plain text", "Hello from the SNS console"},
	{"an empty message", ""},
	{"a JSON string", `"COMPLETED"`},
	{"a JSON array", `[1,2]`},
	{"JSON null", `null`},
	{"an object from another service", `{"source":"aws.s3","detail-type":"Object Created","detail":{"jobId":"j","status":"COMPLETE"}}`},
}

// Ignores checks that decode answers every one of NotJobMessages and of
// more with an error that is notJob (the decoder's sentinel for a message
// that is not its engine's).
func Ignores(t *testing.T, decode Decode, notJob error, more ...Message) {
	for _, tt := range append(append([]Message(nil), NotJobMessages...), more...) {
		t.Run(tt.Name, func(t *testing.T) {
			u, err := decode([]byte(tt.Message), time.Now())
			if !errors.Is(err, notJob) {
				t.Fatalf("Decode = %v, %v; want %v", u, err, notJob)
			}
		})
	}
}

// Invalid is a message that claims to be the engine's but cannot be read,
// and a part of the reason the decoder must give.
type Invalid struct {
	Name    string
	Message string
	Reason  string
}

// Rejects checks that decode refuses every one of messages with the
// decoder's typed error, whose Reason reason returns (ok false when err is
// not of that type), and that the Reason names what is wrong.
func Rejects(t *testing.T, decode Decode, reason func(err error) (string, bool), messages []Invalid) {
	for _, tt := range messages {
		t.Run(tt.Name, func(t *testing.T) {
			u, err := decode([]byte(tt.Message), time.Now())
			got, ok := reason(err)
			if !ok {
				t.Fatalf("Decode = %v, %v; want the decoder's error for an invalid message", u, err)
			}
			if !strings.Contains(got, tt.Reason) {
				t.Errorf("Reason = %q, want it to mention %q", got, tt.Reason)
			}
		})
	}
}

// Fixture returns the content of testdata/name, in the package under test.
func Fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Show returns u as indented JSON, for a failure that shows an update.
func Show(u *jobs.Update) string {
	b, _ := json.MarshalIndent(u, "", "  ")
	return string(b)
}
