package localsns

import (
	"bytes"
	"encoding/json"

	"transcoder/app/sns"
)

// TimestampFormat is how SNS writes a Timestamp: UTC with milliseconds.
const TimestampFormat = "2006-01-02T15:04:05.000Z"

// Body renders m as the JSON body Amazon SNS POSTs to an HTTP(S)
// subscriber: its fields in SNS's order and layout for m's Type, Subject
// only when m has one, MessageAttributes (a Notification's, unsigned) when
// set. sns.Parse(Body(m)) gives m back.
//
// Strings are written as JSON strings (so invalid UTF-8 would become
// U+FFFD and break the signature: Topic.Publish refuses it).
func Body(m *sns.Message) []byte {
	var b bytes.Buffer
	w := objectWriter{buf: &b}
	w.field("Type", m.Type)
	w.field("MessageId", m.MessageID)
	if m.Type == sns.TypeNotification {
		w.field("TopicArn", m.TopicARN)
		if m.HasSubject || m.Subject != "" {
			w.field("Subject", m.Subject)
		}
		w.field("Message", m.Message)
		w.field("Timestamp", m.Timestamp)
		w.field("SignatureVersion", m.SignatureVersion)
		w.field("Signature", m.Signature)
		w.field("SigningCertURL", m.SigningCertURL)
		w.field("UnsubscribeURL", m.UnsubscribeURL)
		if len(m.MessageAttributes) > 0 {
			w.raw("MessageAttributes", m.MessageAttributes)
		}
	} else {
		w.field("Token", m.Token)
		w.field("TopicArn", m.TopicARN)
		w.field("Message", m.Message)
		w.field("SubscribeURL", m.SubscribeURL)
		w.field("Timestamp", m.Timestamp)
		w.field("SignatureVersion", m.SignatureVersion)
		w.field("Signature", m.Signature)
		w.field("SigningCertURL", m.SigningCertURL)
	}
	b.WriteString("\n}")
	return b.Bytes()
}

// objectWriter writes a JSON object the way SNS lays one out:
// two-space indent, one member a line, " : " between name and value.
type objectWriter struct {
	buf *bytes.Buffer
	n   int
}

func (w *objectWriter) name(k string) {
	if w.n == 0 {
		w.buf.WriteString("{\n  \"")
	} else {
		w.buf.WriteString(",\n  \"")
	}
	w.n++
	w.buf.WriteString(k)
	w.buf.WriteString("\" : ")
}

func (w *objectWriter) field(k, v string) {
	w.name(k)
	enc := json.NewEncoder(w.buf)
	enc.SetEscapeHTML(false) // SNS writes & < > as they are (see SubscribeURL)
	_ = enc.Encode(v)        // a string always encodes
	w.buf.Truncate(w.buf.Len() - 1)
}

func (w *objectWriter) raw(k string, v json.RawMessage) {
	w.name(k)
	w.buf.Write(v)
}
