package sns

import (
	"encoding/json"
	"time"
)

// The values of Message.Type, and of the x-amz-sns-message-type header.
const (
	// TypeNotification is a message published to the topic.
	TypeNotification = "Notification"
	// TypeSubscriptionConfirmation asks the endpoint to visit SubscribeURL
	// to confirm a new subscription.
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	// TypeUnsubscribeConfirmation tells the endpoint that its subscription
	// was deleted; visiting SubscribeURL would subscribe it again.
	TypeUnsubscribeConfirmation = "UnsubscribeConfirmation"
)

// Message is one Amazon SNS HTTP(S) delivery, or the Sns record of a Lambda
// event, as Parse found it. Values are kept exactly as received after JSON
// unescaping (a Timestamp is never re-formatted) because the signature
// covers those exact bytes.
//
// Only Type, MessageID, TopicARN, Message, Timestamp, Subject (for a
// Notification) and Token and SubscribeURL (for the confirmations) are
// signed; UnsubscribeURL and MessageAttributes are not, so nothing may rely
// on them.
type Message struct {
	Type             string // TypeNotification, TypeSubscriptionConfirmation or TypeUnsubscribeConfirmation
	MessageID        string // JSON "MessageId"
	Token            string // confirmations only
	TopicARN         string // JSON "TopicArn"
	Subject          string // Notification only; see HasSubject
	Message          string // the payload
	Timestamp        string // RFC 3339, as received; see Time
	SignatureVersion string // "1" (SHA-1) or "2" (SHA-256)
	Signature        string // base64
	SigningCertURL   string // JSON "SigningCertURL", or "SigningCertUrl" in a Lambda event
	SubscribeURL     string // confirmations only
	UnsubscribeURL   string // JSON "UnsubscribeURL", or "UnsubscribeUrl" in a Lambda event; unsigned

	// HasSubject reports that the body carried a Subject string, even an
	// empty one: SNS signs Subject whenever it is present and not null.
	// A non-empty Subject is signed whatever HasSubject says.
	HasSubject bool

	// MessageAttributes is the raw JSON object, if any. It is not signed.
	MessageAttributes json.RawMessage
}

// Time returns the Timestamp as a time, or the zero time if it is not
// RFC 3339 (Parse refuses such messages).
func (m *Message) Time() time.Time {
	t, _ := parseTimestamp(m.Timestamp)
	return t
}

func parseTimestamp(s string) (time.Time, error) {
	// time.RFC3339 also accepts the fractional seconds SNS writes.
	return time.Parse(time.RFC3339, s)
}

// signsSubject reports whether Subject is part of the string to sign.
func (m *Message) signsSubject() bool { return m.HasSubject || m.Subject != "" }

// StringToSign returns the bytes SNS signs for m: the signed fields of its
// Type in AWS's order, each written as "Name\nValue\n". It is exported so
// that anything that signs messages (a local emulator) builds the very same
// bytes; Verify computes it itself.
func (m *Message) StringToSign() ([]byte, error) {
	return m.appendStringToSign(nil)
}

func (m *Message) appendStringToSign(b []byte) ([]byte, error) {
	switch m.Type {
	case TypeNotification:
		b = appendPair(b, "Message", m.Message)
		b = appendPair(b, "MessageId", m.MessageID)
		if m.signsSubject() {
			b = appendPair(b, "Subject", m.Subject)
		}
		b = appendPair(b, "Timestamp", m.Timestamp)
		b = appendPair(b, "TopicArn", m.TopicARN)
		b = appendPair(b, "Type", m.Type)
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		b = appendPair(b, "Message", m.Message)
		b = appendPair(b, "MessageId", m.MessageID)
		b = appendPair(b, "SubscribeURL", m.SubscribeURL)
		b = appendPair(b, "Timestamp", m.Timestamp)
		b = appendPair(b, "Token", m.Token)
		b = appendPair(b, "TopicArn", m.TopicARN)
		b = appendPair(b, "Type", m.Type)
	default:
		return b, &MessageError{Field: "Type", Reason: quote(m.Type) + " is not a known message type"}
	}
	return b, nil
}

func appendPair(b []byte, name, value string) []byte {
	b = append(b, name...)
	b = append(b, '\n')
	b = append(b, value...)
	return append(b, '\n')
}

// CheckHeaders checks the x-amz-sns-topic-arn and x-amz-sns-message-type
// header values against the body: a header that is present (non-empty) must
// equal the field it repeats. The headers are not signed, so a mismatch
// means the request was tampered with or assembled by hand; the error is of
// class ErrMalformed.
func (m *Message) CheckHeaders(topicARN, messageType string) error {
	if topicARN != "" && topicARN != m.TopicARN {
		return &MessageError{
			Field:  "header x-amz-sns-topic-arn",
			Reason: quote(topicARN) + " differs from the body's TopicArn " + quote(m.TopicARN),
		}
	}
	if messageType != "" && messageType != m.Type {
		return &MessageError{
			Field:  "header x-amz-sns-message-type",
			Reason: quote(messageType) + " differs from the body's Type " + quote(m.Type),
		}
	}
	return nil
}
