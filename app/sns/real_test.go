package sns

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// realMessage is one AWS-signed message from the shared test data.
type realMessage struct {
	dir, name string // folder (which holds its certificate) and file name
	body      []byte
}

// tampered reports whether the shared test data marks the message as
// altered after signing.
func (r realMessage) tampered() bool { return strings.Contains(r.name, "tampered") }

func readRealMessages(t testing.TB) []realMessage {
	t.Helper()
	return readMessagesIn(t, realDir(t))
}

// readMessagesIn reads every message under dir, one folder per certificate.
func readMessagesIn(t testing.TB, dir string) []realMessage {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 {
		t.Fatalf("no messages under %s: the shared test data is incomplete", dir)
	}
	var out []realMessage
	for _, n := range names {
		body, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, realMessage{dir: filepath.Dir(n), name: filepath.Base(n), body: body})
	}
	return out
}

func TestRealAWSMessages(t *testing.T) {
	for _, r := range readRealMessages(t) {
		verdict := "verifies"
		if r.tampered() {
			verdict = "is refused"
		}
		t.Run(filepath.Base(r.dir)+"/"+r.name+" "+verdict, func(t *testing.T) {
			m, err := Parse(r.body)
			if err != nil {
				t.Fatal(err)
			}
			ts := m.Time()
			for _, o := range []struct {
				name   string
				maxAge time.Duration
				now    time.Time
			}{
				{"without an age limit", 0, time.Now()},
				{"an hour old at most, received when sent", time.Hour, ts},
				{"an hour old at most, received 59 minutes later", time.Hour, ts.Add(59 * time.Minute)},
			} {
				net := new(offline)
				v, err := NewVerifier(Options{
					TopicARNs:  []string{m.TopicARN},
					MaxAge:     o.maxAge,
					Now:        func() time.Time { return o.now },
					CertDir:    r.dir,
					HTTPClient: net.Client(),
				})
				if err != nil {
					t.Fatal(err)
				}
				err = v.Verify(context.Background(), m)
				if r.tampered() {
					checkErr[*SignatureError](t, err, ErrRejected, "does not match the message")
				} else if err != nil {
					t.Errorf("%s: %v", o.name, err)
				}
				if n := net.calls.Load(); n != 0 {
					t.Errorf("%s: %d network requests with a pinned certificate", o.name, n)
				}
			}
		})
	}
}

func TestRealAWSMessagesFailEveryRuleTheyBreak(t *testing.T) {
	dir := filepath.Join(realDir(t), "java-v2-2026")
	body, err := os.ReadFile(dir + "/test-notification-signature-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		opts  func(*Options, *Message)
		edit  func(*Message)
		class error
		want  string
	}{
		{"a day late with a one-hour limit", func(o *Options, m *Message) {
			o.MaxAge = time.Hour
			o.Now = func() time.Time { return m.Time().Add(24 * time.Hour) }
		}, nil, ErrRejected, "is 24h0m0s old"},
		{"checked against another topic", func(o *Options, m *Message) {
			o.TopicARNs = []string{"arn:aws:sns:us-west-2:131990247566:other"}
		}, nil, ErrRejected, "is not in the allow-list"},
		{"with its SignatureVersion changed", nil, func(m *Message) { m.SignatureVersion = "1" },
			ErrRejected, "does not match the message (RSA PKCS #1 v1.5 with SHA-1)"},
		{"with its Timestamp re-formatted", nil, func(m *Message) { m.Timestamp = strings.TrimSuffix(m.Timestamp, "Z") + "+00:00" },
			ErrRejected, "does not match"},
		{"with a Subject added", nil, func(m *Message) { m.Subject = "x" }, ErrRejected, "does not match"},
		{"with its certificate dated a year later", nil, func(m *Message) { m.Timestamp = "2027-03-06T20:00:26.893Z" },
			ErrRejected, "expired at the message Timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(body)
			if err != nil {
				t.Fatal(err)
			}
			o := Options{TopicARNs: []string{m.TopicARN}, CertDir: dir, HTTPClient: new(offline).Client()}
			if tt.opts != nil {
				tt.opts(&o, m)
			}
			if tt.edit != nil {
				tt.edit(m)
			}
			v, err := NewVerifier(o)
			if err != nil {
				t.Fatal(err)
			}
			err = v.Verify(context.Background(), m)
			checkClass(t, err, tt.class)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestRealSubscribeURLsAreValid(t *testing.T) {
	for _, r := range readRealMessages(t) {
		m, err := Parse(r.body)
		if err != nil {
			t.Fatal(err)
		}
		if err := ValidateCertURL(m.SigningCertURL); err != nil {
			t.Errorf("%s: %v", r.name, err)
		}
		if m.Type == TypeSubscriptionConfirmation {
			if err := ValidateSubscribeURL(m.SubscribeURL); err != nil {
				t.Errorf("%s: %v", r.name, err)
			}
		}
	}
}
