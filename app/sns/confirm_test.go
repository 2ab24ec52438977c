package sns

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestConfirmVisitsTheSubscribeURL(t *testing.T) {
	e := newEnv(t, nil, nil)
	var got string
	e.sns.Handle(func(w http.ResponseWriter, r *http.Request) {
		got = r.Host + r.URL.RequestURI()
		w.Write([]byte("<ConfirmSubscriptionResponse/>"))
	})
	m := sign(t, testMessage(TypeSubscriptionConfirmation), signerKey())
	if err := e.v.Confirm(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if want := strings.TrimPrefix(m.SubscribeURL, "https://"); got != want {
		t.Errorf("the server saw %q, want %q", got, want)
	}
}

func TestConfirmNeverFetchesARefusedURL(t *testing.T) {
	tests := []struct {
		name    string
		message func(*Message)
		class   error
		want    string
	}{
		{"a notification", func(m *Message) { m.Type = TypeNotification },
			ErrRejected, `message type is "Notification", not SubscriptionConfirmation`},
		{"an unsubscribe confirmation", func(m *Message) { m.Type = TypeUnsubscribeConfirmation },
			ErrRejected, "not SubscriptionConfirmation"},
		{"a topic outside the allow-list", func(m *Message) { m.TopicARN += "-other" },
			ErrRejected, "is not in the allow-list"},
		{"a plain http URL", func(m *Message) { m.SubscribeURL = strings.Replace(m.SubscribeURL, "https", "http", 1) },
			ErrRejected, `scheme "http" is not https`},
		{"a URL with a port", func(m *Message) { m.SubscribeURL = strings.Replace(m.SubscribeURL, ".com/", ".com:443/", 1) },
			ErrRejected, "must not name a port"},
		{"a URL with user info", func(m *Message) { m.SubscribeURL = strings.Replace(m.SubscribeURL, "//", "//u@", 1) },
			ErrRejected, "must not contain user info"},
		{"a URL on an S3 bucket called sns", func(m *Message) {
			m.SubscribeURL = strings.Replace(m.SubscribeURL, "sns.us-east-1", "sns.s3-us-west-2", 1)
		}, ErrRejected, "is not sns.<region>.amazonaws.com"},
		{"a URL with another path", func(m *Message) { m.SubscribeURL = strings.Replace(m.SubscribeURL, ".com/?", ".com/evil?", 1) },
			ErrRejected, `path "/evil" is not /`},
		{"a URL with another action", func(m *Message) {
			m.SubscribeURL = strings.Replace(m.SubscribeURL, "ConfirmSubscription", "Unsubscribe", 1)
		}, ErrRejected, `Action is "Unsubscribe", not ConfirmSubscription`},
		{"a URL without a token", func(m *Message) { m.SubscribeURL = m.SubscribeURL[:strings.Index(m.SubscribeURL, "&Token")] },
			ErrRejected, "query parameter Token is missing"},
		{"a URL with an extra parameter", func(m *Message) { m.SubscribeURL += "&Endpoint=x" },
			ErrRejected, `query parameter "Endpoint" is not one of`},
		{"a URL for another topic", func(m *Message) {
			m.SubscribeURL = strings.Replace(m.SubscribeURL, "transcoder-jobs", "other", 1)
		}, ErrRejected, `TopicArn parameter "arn:aws:sns:us-east-1:123456789012:other" differs from the message's TopicArn`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			e.sns.Handle(func(w http.ResponseWriter, r *http.Request) {})
			m := testMessage(TypeSubscriptionConfirmation)
			tt.message(m)
			err := e.v.Confirm(context.Background(), m)
			checkClass(t, err, tt.class)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if n, d := e.sns.requests.Load(), e.sns.dials.Load(); n != 0 || d != 0 {
				t.Errorf("%d requests and %d connections for a refused URL, want none", n, d)
			}
		})
	}
}

func TestConfirmFailuresAreUnavailable(t *testing.T) {
	tests := []struct {
		name   string
		handle http.HandlerFunc
		silent bool // the server does not answer while the client waits
		opts   func(*Options)
		want   string
	}{
		{"a 500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "", 500) }, false, nil, "HTTP status 500"},
		{"a 403", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "", 403) }, false, nil, "HTTP status 403"},
		{"a redirect, which is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "https://sns.us-west-2.amazonaws.com/", http.StatusMovedPermanently)
		}, false, nil, "HTTP status 301"},
		// The silent server answers only once the subtest ends, not when its
		// request's context ends, which a loaded machine could let the
		// client read as an answer.
		{"a response slower than FetchTimeout", nil, true,
			func(o *Options) { o.FetchTimeout = 50 * time.Millisecond }, ""}, // the deadline may strike in the TLS handshake or the wait: either is unavailable
		{"a network failure", nil, false, func(o *Options) { o.HTTPClient = new(offline).Client() }, "offline: no network"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, tt.opts)
			handle := tt.handle
			if tt.silent {
				release := make(chan struct{})
				t.Cleanup(func() { close(release) }) // before the server closes: cleanups run last first
				handle = func(http.ResponseWriter, *http.Request) { <-release }
			}
			e.sns.Handle(handle)
			m := testMessage(TypeSubscriptionConfirmation)
			err := e.v.Confirm(context.Background(), m)
			ce := checkErr[*ConfirmError](t, err, ErrUnavailable, tt.want)
			if ce.URL != m.SubscribeURL {
				t.Errorf("ConfirmError.URL = %q", ce.URL)
			}
			if strings.Contains(err.Error(), m.Token) {
				t.Errorf("the error message %q repeats the confirmation token", err)
			}
		})
	}
}
