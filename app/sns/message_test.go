package sns

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// kv is one member of a JSON object under construction; v is raw JSON.
type kv struct{ k, v string }

func object(members []kv) []byte {
	var b bytes.Buffer
	b.WriteString("{")
	for i, m := range members {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + m.k + `":` + m.v)
	}
	b.WriteString("}")
	return b.Bytes()
}

// with returns members with key k set to v (replaced in place, or appended).
func with(members []kv, k, v string) []kv {
	out := append([]kv(nil), members...)
	for i := range out {
		if out[i].k == k {
			out[i].v = v
			return out
		}
	}
	return append(out, kv{k, v})
}

func without(members []kv, k string) []kv {
	var out []kv
	for _, m := range members {
		if m.k != k {
			out = append(out, m)
		}
	}
	return out
}

var notificationBody = []kv{
	{"Type", `"Notification"`},
	{"MessageId", `"22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324"`},
	{"TopicArn", `"arn:aws:sns:us-west-2:123456789012:MyTopic"`},
	{"Subject", `"My First Message"`},
	{"Message", `"Hello world!"`},
	{"Timestamp", `"2012-05-02T00:54:06.655Z"`},
	{"SignatureVersion", `"1"`},
	{"Signature", `"EXAMPLEw6JRN=="`},
	{"SigningCertURL", `"https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"`},
	{"UnsubscribeURL", `"https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x"`},
}

var confirmationBody = []kv{
	{"Type", `"SubscriptionConfirmation"`},
	{"MessageId", `"165545c9-2a5c-472c-8df2-7ff2be2b3b1b"`},
	{"Token", `"2336412f37f"`},
	{"TopicArn", `"arn:aws:sns:us-west-2:123456789012:MyTopic"`},
	{"Message", `"You have chosen to subscribe."`},
	{"SubscribeURL", `"https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37f"`},
	{"Timestamp", `"2012-04-26T20:45:04.751Z"`},
	{"SignatureVersion", `"1"`},
	{"Signature", `"EXAMPLEpH+=="`},
	{"SigningCertURL", `"https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"`},
}

func TestParseKeepsEveryValueExactlyAsReceived(t *testing.T) {
	body := object(with(with(notificationBody,
		"Message", `"line 1\nline 2 \"quoted\" caf\u00e9 \ud83d\ude00 \/ \\"`),
		"MessageAttributes", `{"AWS.SNS.MOBILE.MPNS.Type":{"Type":"String","Value":"token"}}`))
	m, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	want := &Message{
		Type:              "Notification",
		MessageID:         "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
		TopicARN:          "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Subject:           "My First Message",
		HasSubject:        true,
		Message:           "line 1\nline 2 \"quoted\" café 😀 / \\",
		Timestamp:         "2012-05-02T00:54:06.655Z",
		SignatureVersion:  "1",
		Signature:         "EXAMPLEw6JRN==",
		SigningCertURL:    "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
		UnsubscribeURL:    "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
		MessageAttributes: json.RawMessage(`{"AWS.SNS.MOBILE.MPNS.Type":{"Type":"String","Value":"token"}}`),
	}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("Parse =\n%+v\nwant\n%+v", m, want)
	}
	if got := m.Time().Format("2006-01-02T15:04:05.000Z07:00"); got != "2012-05-02T00:54:06.655Z" {
		t.Errorf("Time() = %s", got)
	}
}

func TestParseDoesNotKeepTheCallersBuffer(t *testing.T) {
	body := object(with(notificationBody, "MessageAttributes", `{"a":{"Type":"String","Value":"b"}}`))
	m, err := Parse(body)
	if err != nil {
		t.Fatal(err)
	}
	for i := range body {
		body[i] = 'X'
	}
	if m.Message != "Hello world!" || string(m.MessageAttributes) != `{"a":{"Type":"String","Value":"b"}}` {
		t.Errorf("the message changed with the buffer: %+v", m)
	}
}

func TestParseAcceptsEachDeliveryShape(t *testing.T) {
	tests := []struct {
		name        string
		body        []byte
		wantSubject string
		wantHas     bool
		wantCertURL string
		wantUnsub   string
	}{
		{
			name:    "an HTTP notification with a Subject",
			body:    object(notificationBody),
			wantHas: true, wantSubject: "My First Message",
			wantCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
			wantUnsub:   "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
		},
		{
			name:        "an HTTP notification without a Subject",
			body:        object(without(notificationBody, "Subject")),
			wantCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
			wantUnsub:   "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
		},
		{
			name: "a Lambda record with a null Subject and Url spellings",
			body: object(with(with(without(without(notificationBody, "SigningCertURL"), "UnsubscribeURL"),
				"Subject", "null"),
				"SigningCertUrl", `"https://sns.us-west-2.amazonaws.com/SimpleNotificationService-a.pem"`)),
			wantCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-a.pem",
		},
		{
			name:    "a Lambda record with UnsubscribeUrl",
			body:    object(with(without(notificationBody, "UnsubscribeURL"), "UnsubscribeUrl", `"https://x"`)),
			wantHas: true, wantSubject: "My First Message",
			wantCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
			wantUnsub:   "https://x",
		},
		{
			name:        "a notification with an empty Subject, which is present",
			body:        object(with(notificationBody, "Subject", `""`)),
			wantHas:     true,
			wantCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
			wantUnsub:   "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
		},
		{
			name:    "a body with unknown keys of every JSON type and whitespace",
			body:    []byte(" \n\t" + string(object(with(notificationBody, "Extra", ` { "a" : [ 1 , -2.5e+3 , true , false , null , "s" , { } , [ ] ] } `))) + "\r\n"),
			wantHas: true, wantSubject: "My First Message",
			wantCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
			wantUnsub:   "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
		},
		{
			name:    "a notification with null MessageAttributes",
			body:    object(with(without(notificationBody, "UnsubscribeURL"), "MessageAttributes", "null")),
			wantHas: true, wantSubject: "My First Message",
			wantCertURL: "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse(tt.body)
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tt.wantSubject || m.HasSubject != tt.wantHas {
				t.Errorf("Subject = %q, HasSubject = %v; want %q, %v", m.Subject, m.HasSubject, tt.wantSubject, tt.wantHas)
			}
			if m.SigningCertURL != tt.wantCertURL || m.UnsubscribeURL != tt.wantUnsub {
				t.Errorf("SigningCertURL = %q, UnsubscribeURL = %q", m.SigningCertURL, m.UnsubscribeURL)
			}
		})
	}
}

func TestParseAcceptsEachConfirmationType(t *testing.T) {
	for _, typ := range []string{TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation} {
		m, err := Parse(object(with(confirmationBody, "Type", `"`+typ+`"`)))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if m.Type != typ || m.Token != "2336412f37f" || !strings.HasPrefix(m.SubscribeURL, "https://sns.us-west-2") {
			t.Errorf("%s: %+v", typ, m)
		}
	}
}

func TestParseLeavesAMissingSignatureVersionToVerify(t *testing.T) {
	m, err := Parse(object(without(notificationBody, "SignatureVersion")))
	if err != nil {
		t.Fatal(err)
	}
	if m.SignatureVersion != "" {
		t.Errorf("SignatureVersion = %q", m.SignatureVersion)
	}
}

func TestParseRefusesMalformedBodies(t *testing.T) {
	deep := strings.Repeat("[", 70) + strings.Repeat("]", 70)
	tests := []struct {
		name string
		body string
		want string // in the error message
	}{
		{"an empty body", "", "body is empty"},
		{"a body of whitespace", " \n ", "body is empty"},
		{"a body that is not JSON", "hello", "not a JSON object"},
		{"a JSON array", "[]", "not a JSON object"},
		{"a JSON string", `"Notification"`, "not a JSON object"},
		{"a JSON number", "42", "not a JSON object"},
		{"JSON null", "null", "not a JSON object"},
		{"a truncated object", string(object(notificationBody))[:40], "invalid JSON"},
		{"an object without its closing brace", strings.TrimSuffix(string(object(notificationBody)), "}"), "unexpected end of input"},
		{"data after the object", string(object(notificationBody)) + "{}", "data after the JSON object"},
		{"a trailing comma", strings.TrimSuffix(string(object(notificationBody)), "}") + ",}", "want a string key"},
		{"a key that is not a string", `{Type:"Notification"}`, "want a string key"},
		{"a missing colon", `{"Type" "Notification"}`, "want ':'"},
		{"an empty object", "{}", "Type is missing"},
		{"a missing Type", string(object(without(notificationBody, "Type"))), "Type is missing"},
		{"an unknown Type", string(object(with(notificationBody, "Type", `"Notice"`))), `Type "Notice" is not a known message type`},
		{"a Type in the wrong case", string(object(with(notificationBody, "Type", `"notification"`))), "is not a known message type"},
		{"a numeric Type", string(object(with(notificationBody, "Type", `1`))), "Type is a number, want a string"},
		{"a notification without MessageId", string(object(without(notificationBody, "MessageId"))), "MessageId is missing"},
		{"a notification without TopicArn", string(object(without(notificationBody, "TopicArn"))), "TopicArn is missing"},
		{"a notification without Message", string(object(without(notificationBody, "Message"))), "Message is missing"},
		{"a notification without Timestamp", string(object(without(notificationBody, "Timestamp"))), "Timestamp is missing"},
		{"a notification without Signature", string(object(without(notificationBody, "Signature"))), "Signature is missing"},
		{"a notification without SigningCertURL", string(object(without(notificationBody, "SigningCertURL"))), "SigningCertURL is missing"},
		{"a confirmation without Token", string(object(without(confirmationBody, "Token"))), "Token is missing"},
		{"a confirmation without SubscribeURL", string(object(without(confirmationBody, "SubscribeURL"))), "SubscribeURL is missing"},
		{"an unsubscribe confirmation without Token", string(object(without(with(confirmationBody, "Type", `"UnsubscribeConfirmation"`), "Token"))), "Token is missing"},
		{"a null Message", string(object(with(notificationBody, "Message", "null"))), "Message is null, want a string"},
		{"a null TopicArn", string(object(with(notificationBody, "TopicArn", "null"))), "TopicArn is null, want a string"},
		{"a numeric MessageId", string(object(with(notificationBody, "MessageId", "12"))), "MessageId is a number, want a string"},
		{"a boolean Subject", string(object(with(notificationBody, "Subject", "true"))), "Subject is a boolean, want a string"},
		{"an object Subject", string(object(with(notificationBody, "Subject", `{}`))), "Subject is an object, want a string"},
		{"an array Signature", string(object(with(notificationBody, "Signature", `["a"]`))), "Signature is an array, want a string"},
		{"a numeric SignatureVersion", string(object(with(notificationBody, "SignatureVersion", `1`))), "SignatureVersion is a number, want a string"},
		{"a string MessageAttributes", string(object(with(notificationBody, "MessageAttributes", `"a"`))), "MessageAttributes is a string, want an object"},
		{"a Timestamp that is not a time", string(object(with(notificationBody, "Timestamp", `"yesterday"`))), `Timestamp "yesterday" is not an RFC 3339 time`},
		{"a Timestamp without a zone", string(object(with(notificationBody, "Timestamp", `"2012-05-02T00:54:06.655"`))), "is not an RFC 3339 time"},
		{"a Timestamp with a space", string(object(with(notificationBody, "Timestamp", `"2012-05-02 00:54:06Z"`))), "is not an RFC 3339 time"},
		{"a repeated key", string(object(append(notificationBody, kv{"Message", `"evil"`}))), "Message appears more than once"},
		{"a key repeated in its Lambda spelling", string(object(append(notificationBody, kv{"SigningCertUrl", `"x"`}))), `SigningCertURL appears more than once (again as "SigningCertUrl")`},
		{"a key repeated through an escape", string(object(append(notificationBody, kv{`Mess\u0061ge`, `"evil"`}))), "Message appears more than once"},
		{"a repeated null Subject", string(object(append(with(notificationBody, "Subject", "null"), kv{"Subject", `"x"`}))), "Subject appears more than once"},
		{"a key that differs in letter case", string(object(append(notificationBody, kv{"message", `"evil"`}))), `key "message" differs from Message only in letter case`},
		{"a key that differs by Unicode case folding", string(object(append(confirmationBody, kv{"To\u212aen", `"evil"`}))), "differs from Token only in letter case"},
		{"invalid UTF-8 in a value", string(object(with(notificationBody, "Message", "\"caf\xe9\""))), "invalid UTF-8"},
		{"a UTF-8 encoded surrogate", string(object(with(notificationBody, "Message", "\"\xed\xa0\x80\""))), "invalid UTF-8"},
		{"an unpaired high surrogate", string(object(with(notificationBody, "Message", `"\ud83d"`))), "unpaired UTF-16 surrogate"},
		{"a high surrogate before a non-surrogate", string(object(with(notificationBody, "Message", `"\ud83d\u0041"`))), "unpaired UTF-16 surrogate"},
		{"an unpaired low surrogate", string(object(with(notificationBody, "Message", `"\ude00"`))), "unpaired UTF-16 surrogate"},
		{"a short \\u escape", string(object(with(notificationBody, "Message", `"\u12"`))), `invalid \u escape`},
		{"an unknown escape", string(object(with(notificationBody, "Message", `"\x41"`))), "invalid escape sequence"},
		{"a raw line break in a string", string(object(with(notificationBody, "Message", "\"a\nb\""))), "control character"},
		{"an unterminated string", `{"Type":"Notif`, "unterminated string"},
		{"a bad literal in an unknown key", string(object(with(notificationBody, "X", "tru"))), "invalid literal"},
		{"a number with a leading zero", string(object(with(notificationBody, "X", "01"))), "want ',' or '}'"},
		{"a number without digits after the point", string(object(with(notificationBody, "X", "1."))), "want a digit after '.'"},
		{"a number without exponent digits", string(object(with(notificationBody, "X", "1e"))), "want a digit in the exponent"},
		{"a lone minus sign", string(object(with(notificationBody, "X", "-"))), "invalid character"},
		{"an unclosed array in an unknown key", string(object(with(notificationBody, "X", "[1 2]"))), "want ',' or ']'"},
		{"deeply nested unknown values", string(object(with(notificationBody, "X", deep))), "nested too deeply"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Parse([]byte(tt.body))
			if m != nil {
				t.Errorf("Parse returned a message with its error: %+v", m)
			}
			checkErr[*MessageError](t, err, ErrMalformed, tt.want)
		})
	}
}

func TestStringToSignFollowsAWSOrderPerType(t *testing.T) {
	tests := []struct {
		name string
		m    Message
		want string
	}{
		{
			name: "a notification with a Subject signs it between MessageId and Timestamp",
			m: Message{Type: TypeNotification, MessageID: "id", TopicARN: "arn", Subject: "subj", HasSubject: true,
				Message: "a\nb", Timestamp: "2012-05-02T00:54:06.655Z", Token: "unsigned", SubscribeURL: "unsigned"},
			want: "Message\na\nb\nMessageId\nid\nSubject\nsubj\nTimestamp\n2012-05-02T00:54:06.655Z\nTopicArn\narn\nType\nNotification\n",
		},
		{
			name: "a notification without a Subject leaves it out",
			m:    Message{Type: TypeNotification, MessageID: "id", TopicARN: "arn", Message: "m", Timestamp: "ts"},
			want: "Message\nm\nMessageId\nid\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n",
		},
		{
			name: "a notification with an empty but present Subject signs it",
			m:    Message{Type: TypeNotification, MessageID: "id", TopicARN: "arn", Message: "m", Timestamp: "ts", HasSubject: true},
			want: "Message\nm\nMessageId\nid\nSubject\n\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n",
		},
		{
			name: "a built notification with a Subject signs it even without HasSubject",
			m:    Message{Type: TypeNotification, MessageID: "id", TopicARN: "arn", Message: "m", Timestamp: "ts", Subject: "s"},
			want: "Message\nm\nMessageId\nid\nSubject\ns\nTimestamp\nts\nTopicArn\narn\nType\nNotification\n",
		},
		{
			name: "a subscription confirmation signs SubscribeURL and Token",
			m: Message{Type: TypeSubscriptionConfirmation, MessageID: "id", TopicARN: "arn", Message: "m",
				Timestamp: "ts", Token: "tok", SubscribeURL: "https://u", Subject: "unsigned"},
			want: "Message\nm\nMessageId\nid\nSubscribeURL\nhttps://u\nTimestamp\nts\nToken\ntok\nTopicArn\narn\nType\nSubscriptionConfirmation\n",
		},
		{
			name: "an unsubscribe confirmation signs the same fields",
			m: Message{Type: TypeUnsubscribeConfirmation, MessageID: "id", TopicARN: "arn", Message: "m",
				Timestamp: "ts", Token: "tok", SubscribeURL: "https://u"},
			want: "Message\nm\nMessageId\nid\nSubscribeURL\nhttps://u\nTimestamp\nts\nToken\ntok\nTopicArn\narn\nType\nUnsubscribeConfirmation\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.m.StringToSign()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("StringToSign =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestStringToSignRefusesAnUnknownType(t *testing.T) {
	_, err := (&Message{Type: "Other"}).StringToSign()
	checkErr[*MessageError](t, err, ErrMalformed, `Type "Other" is not a known message type`)
}

func TestCheckHeaders(t *testing.T) {
	m := testMessage(TypeNotification)
	tests := []struct {
		name      string
		topic     string
		typ       string
		wantError string // empty for none
	}{
		{"absent headers pass", "", "", ""},
		{"headers equal to the body pass", testTopic, TypeNotification, ""},
		{"a topic header alone passes when equal", testTopic, "", ""},
		{"a different topic header is refused", "arn:aws:sns:us-east-1:123456789012:other", TypeNotification,
			`header x-amz-sns-topic-arn "arn:aws:sns:us-east-1:123456789012:other" differs from the body's TopicArn`},
		{"a different type header is refused", testTopic, TypeSubscriptionConfirmation,
			`header x-amz-sns-message-type "SubscriptionConfirmation" differs from the body's Type "Notification"`},
		{"a type header in another case is refused", "", "notification", "differs from the body's Type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := m.CheckHeaders(tt.topic, tt.typ)
			if tt.wantError == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkErr[*MessageError](t, err, ErrMalformed, tt.wantError)
		})
	}
}
