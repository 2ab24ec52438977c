package sns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"transcoder/app/internal/shared"
)

// encodeBody renders m as an HTTP delivery body with encoding/json.
func encodeBody(m *Message) []byte {
	v := map[string]any{}
	put := func(k, s string) {
		if s != "" {
			v[k] = s
		}
	}
	v["Type"] = m.Type
	v["MessageId"] = m.MessageID
	v["TopicArn"] = m.TopicARN
	v["Message"] = m.Message
	v["Timestamp"] = m.Timestamp
	v["Signature"] = m.Signature
	v["SigningCertURL"] = m.SigningCertURL
	put("SignatureVersion", m.SignatureVersion)
	put("UnsubscribeURL", m.UnsubscribeURL)
	put("Token", m.Token)
	put("SubscribeURL", m.SubscribeURL)
	if m.Type != TypeNotification { // required, even when empty
		v["Token"] = m.Token
		v["SubscribeURL"] = m.SubscribeURL
	}
	if m.HasSubject || m.Subject != "" {
		v["Subject"] = m.Subject
	}
	if m.MessageAttributes != nil {
		v["MessageAttributes"] = m.MessageAttributes
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// looseEnvelope is how a careless consumer would decode the body: with
// encoding/json's case-insensitive, last-one-wins matching.
type looseEnvelope struct {
	Type             *string
	MessageId        *string
	Token            *string
	TopicArn         *string
	Subject          *string
	Message          *string
	Timestamp        *string
	SignatureVersion *string
	Signature        *string
	SigningCertURL   *string
	SubscribeURL     *string
	UnsubscribeURL   *string
}

func FuzzParse(f *testing.F) {
	// The real messages are extra seeds: without them, on a fresh clone,
	// the target still runs on its own.
	if dir, err := shared.Lookup("sns-real"); err == nil {
		for _, r := range readMessagesIn(f, dir) {
			f.Add(r.body)
		}
	}
	f.Add(object(notificationBody))
	f.Add(object(confirmationBody))
	f.Add(object(with(notificationBody, "Message", `"\ud83d\ude00 caf\u00e9 \"x\"\n"`)))
	f.Add(object(with(notificationBody, "Subject", "null")))
	f.Add(object(with(notificationBody, "Extra", `[{"a":[1,2.5e3,true,null]}]`)))
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Parse(body)
		if err != nil {
			if m != nil {
				t.Fatal("Parse returned a message with its error")
			}
			var me *MessageError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T) is not a *MessageError", err, err)
			}
			checkClass(t, err, ErrMalformed)
			return
		}

		// Whatever Parse accepts is JSON, and encoding/json sees in it the
		// very values Parse found, even decoding carelessly.
		var generic map[string]any
		if err := json.Unmarshal(body, &generic); err != nil {
			t.Fatalf("Parse accepted what encoding/json refuses: %v", err)
		}
		var loose looseEnvelope
		if err := json.Unmarshal(body, &loose); err != nil {
			t.Fatalf("encoding/json cannot decode the envelope Parse accepted: %v", err)
		}
		for _, c := range []struct {
			keys  []string
			loose *string
			got   string
		}{
			{[]string{"Type"}, loose.Type, m.Type},
			{[]string{"MessageId"}, loose.MessageId, m.MessageID},
			{[]string{"Token"}, loose.Token, m.Token},
			{[]string{"TopicArn"}, loose.TopicArn, m.TopicARN},
			{[]string{"Subject"}, loose.Subject, m.Subject},
			{[]string{"Message"}, loose.Message, m.Message},
			{[]string{"Timestamp"}, loose.Timestamp, m.Timestamp},
			{[]string{"SignatureVersion"}, loose.SignatureVersion, m.SignatureVersion},
			{[]string{"Signature"}, loose.Signature, m.Signature},
			{[]string{"SigningCertURL", "SigningCertUrl"}, loose.SigningCertURL, m.SigningCertURL},
			{[]string{"SubscribeURL"}, loose.SubscribeURL, m.SubscribeURL},
			{[]string{"UnsubscribeURL", "UnsubscribeUrl"}, loose.UnsubscribeURL, m.UnsubscribeURL},
		} {
			var want string
			for _, k := range c.keys {
				if s, ok := generic[k].(string); ok {
					want = s
				}
			}
			if c.got != want {
				t.Fatalf("%s: Parse found %q, encoding/json %q", c.keys[0], c.got, want)
			}
			if looseValue := ""; c.loose != nil {
				looseValue = *c.loose
				if looseValue != want {
					t.Fatalf("%s: Parse found %q, a case-insensitive decoder %q", c.keys[0], c.got, looseValue)
				}
			}
		}
		if _, isString := generic["Subject"].(string); isString != m.HasSubject {
			t.Fatalf("HasSubject = %v for Subject %#v", m.HasSubject, generic["Subject"])
		}

		// The fields round-trip through encoding/json.
		again, err := Parse(encodeBody(m))
		if err != nil {
			t.Fatalf("Parse refuses its own message re-encoded: %v", err)
		}
		compact := func(raw json.RawMessage) string {
			if raw == nil {
				return ""
			}
			var b bytes.Buffer
			if err := json.Compact(&b, raw); err != nil {
				t.Fatalf("MessageAttributes %q is not JSON: %v", raw, err)
			}
			return b.String()
		}
		if compact(m.MessageAttributes) != compact(again.MessageAttributes) {
			t.Fatalf("MessageAttributes changed: %s, then %s", m.MessageAttributes, again.MessageAttributes)
		}
		m.MessageAttributes, again.MessageAttributes = nil, nil
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip:\n%+v\n%+v", m, again)
		}
	})
}

func FuzzVerify(f *testing.F) {
	// Every real certificate, and the test signer's, pinned in one place.
	dir := f.TempDir()
	certs := realDir(f)
	pems, err := filepath.Glob(filepath.Join(certs, "*", "*.pem"))
	if err != nil || len(pems) == 0 {
		f.Fatalf("no certificates under %s: %v", certs, err)
	}
	for _, p := range append(pems, "") {
		data, name := pemOf(f, goodCert()), certPath()[1:]
		if p != "" {
			if data, err = os.ReadFile(p); err != nil {
				f.Fatal(err)
			}
			name = filepath.Base(p)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			f.Fatal(err)
		}
	}

	// The seeds, and the contents SNS (or the test signer) really signed.
	type seed struct {
		body     []byte
		tampered bool
	}
	var seeds []seed
	for _, r := range readRealMessages(f) {
		seeds = append(seeds, seed{r.body, r.tampered()})
	}
	for _, m := range []*Message{
		signed(f, "1"), signed(f, "2"),
		sign(f, testMessage(TypeSubscriptionConfirmation), signerKey()),
		sign(f, testMessage(TypeUnsubscribeConfirmation), signerKey()),
	} {
		seeds = append(seeds, seed{encodeBody(m), false})
	}
	genuine := map[string]bool{}
	var topics []string
	for _, s := range seeds {
		m, err := Parse(s.body)
		if err != nil {
			f.Fatal(err)
		}
		topics = append(topics, m.TopicARN)
		if !s.tampered {
			sts, _ := m.StringToSign()
			genuine[m.SignatureVersion+"\x00"+string(sts)] = true
		}
		f.Add(s.body)
	}
	v, err := NewVerifier(Options{TopicARNs: topics, CertDir: dir, HTTPClient: new(offline).Client()})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range seeds {
		m, _ := Parse(s.body)
		if err := v.Verify(context.Background(), m); (err == nil) == s.tampered {
			f.Fatalf("seed %s: Verify = %v", m.MessageID, err)
		}
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := Parse(body)
		if err != nil {
			return
		}
		err = v.Verify(context.Background(), m)
		if err != nil {
			n := 0
			for _, c := range classes {
				if errors.Is(err, c) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("error %q is in %d classes, want 1", err, n)
			}
			return
		}
		s, _ := m.StringToSign()
		if !genuine[m.SignatureVersion+"\x00"+string(s)] {
			t.Fatalf("Verify accepted signed content that SNS never signed:\n%q", s)
		}
	})
}
