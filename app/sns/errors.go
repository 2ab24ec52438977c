package sns

import (
	"errors"
	"net/url"
	"strconv"
	"unicode/utf8"
)

// The three error classes. Every error that Parse, CheckHeaders, Verify,
// Confirm, ValidateCertURL and ValidateSubscribeURL return wraps exactly one
// of them, so that the HTTP layer can choose its answer with errors.Is and
// without knowing the rules: the typed errors below say which rule failed.
var (
	// ErrMalformed is the class of bodies and headers that are not a
	// well-formed SNS message. The HTTP layer answers 400: resending the same
	// bytes cannot succeed.
	ErrMalformed = errors.New("sns: malformed message")

	// ErrRejected is the class of well-formed messages that fail a rule:
	// signature, signature version, certificate, certificate URL, topic,
	// age or subscribe URL. The HTTP layer answers 403.
	ErrRejected = errors.New("sns: message rejected")

	// ErrUnavailable is the class of failures to reach Amazon SNS (fetching
	// a signing certificate, confirming a subscription). The HTTP layer
	// answers 502 so that SNS delivers the message again later.
	ErrUnavailable = errors.New("sns: Amazon SNS unavailable")
)

// ErrUnknownSignatureVersion reports a SignatureVersion other than "1"
// (RSA PKCS #1 v1.5 over SHA-1) or "2" (over SHA-256), including a missing
// one. It is of class ErrRejected: an unknown scheme is never guessed at.
var ErrUnknownSignatureVersion = classed(ErrRejected, "sns: unknown signature version")

// classed returns a sentinel error of a class.
func classed(class error, msg string) error { return &classedError{class: class, msg: msg} }

type classedError struct {
	class error
	msg   string
}

func (e *classedError) Error() string { return e.msg }
func (e *classedError) Unwrap() error { return e.class }

// MessageError reports a body or header that is not a well-formed SNS
// message: not JSON, not an object, a missing or mistyped field, an unknown
// Type, a Timestamp that is not RFC 3339, or a header that contradicts the
// body. It is of class ErrMalformed.
type MessageError struct {
	// Field names the JSON key or header at fault ("Timestamp",
	// "header x-amz-sns-topic-arn"); it is empty when the body as a whole
	// is at fault.
	Field string
	// Reason says which rule the field or body breaks.
	Reason string
}

func (e *MessageError) Error() string {
	if e.Field == "" {
		return "sns: malformed message: " + e.Reason
	}
	return "sns: malformed message: " + e.Field + " " + e.Reason
}

// Unwrap returns ErrMalformed.
func (e *MessageError) Unwrap() error { return ErrMalformed }

// CertURLError reports a SigningCertURL that is not an Amazon SNS
// certificate URL (https://sns.<region>.amazonaws.com[.cn]/SimpleNotificationService-<hex>.pem).
// Such a URL is never fetched. It is of class ErrRejected.
type CertURLError struct {
	URL    string // the SigningCertURL as received
	Reason string // the rule it breaks
}

func (e *CertURLError) Error() string { return "sns: certificate URL rejected: " + e.Reason }

// Unwrap returns ErrRejected.
func (e *CertURLError) Unwrap() error { return ErrRejected }

// CertificateError reports a signing certificate that is not acceptable:
// not exactly one PEM certificate, not RSA, not issued to an SNS signing
// name, or not valid at the message's Timestamp. It is of class ErrRejected.
type CertificateError struct {
	URL    string // the SigningCertURL the certificate came from
	Reason string // the rule it breaks
}

func (e *CertificateError) Error() string {
	return "sns: certificate rejected: " + e.Reason + " (" + e.URL + ")"
}

// Unwrap returns ErrRejected.
func (e *CertificateError) Unwrap() error { return ErrRejected }

// TopicError reports a TopicArn that is not in Options.TopicARNs: the
// message may be genuine, but it is not for us. It is of class ErrRejected.
type TopicError struct {
	TopicARN string
}

func (e *TopicError) Error() string {
	return "sns: topic " + quote(e.TopicARN) + " is not in the allow-list"
}

// Unwrap returns ErrRejected.
func (e *TopicError) Unwrap() error { return ErrRejected }

// TimestampError reports a message older than Options.MaxAge or dated too
// far in the future: a replay, or a clock gone wrong. It is of class
// ErrRejected.
type TimestampError struct {
	Timestamp string // the Timestamp as received
	Reason    string // how far off it is
}

func (e *TimestampError) Error() string {
	return "sns: message timestamp rejected: " + e.Reason
}

// Unwrap returns ErrRejected.
func (e *TimestampError) Unwrap() error { return ErrRejected }

// SignatureError reports a Signature that is not valid base64 or does not
// match the message under the signing certificate's key. It is of class
// ErrRejected.
type SignatureError struct {
	Reason string
}

func (e *SignatureError) Error() string { return "sns: signature rejected: " + e.Reason }

// Unwrap returns ErrRejected.
func (e *SignatureError) Unwrap() error { return ErrRejected }

// SubscribeURLError reports a SubscribeURL that is not an Amazon SNS
// ConfirmSubscription URL, or a message Confirm must not act on. Such a URL
// is never fetched. It is of class ErrRejected.
type SubscribeURLError struct {
	URL    string // the SubscribeURL as received
	Reason string // the rule it breaks
}

func (e *SubscribeURLError) Error() string { return "sns: subscribe URL rejected: " + e.Reason }

// Unwrap returns ErrRejected.
func (e *SubscribeURLError) Unwrap() error { return ErrRejected }

// FetchError reports that a signing certificate could not be obtained: a
// network failure, a timeout, an HTTP status other than 200, or an
// unreadable pinned file. Failures are not cached, so a later delivery
// tries again. It is of class ErrUnavailable.
type FetchError struct {
	URL string // the SigningCertURL
	Err error  // what went wrong
}

func (e *FetchError) Error() string {
	return "sns: certificate unavailable: GET " + e.URL + ": " + causeText(e.Err)
}

// Unwrap returns ErrUnavailable and the underlying error.
func (e *FetchError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// ConfirmError reports that visiting a SubscribeURL failed: a network
// failure, a timeout or an HTTP status outside 2xx. It is of class
// ErrUnavailable, so that SNS sends the confirmation again.
type ConfirmError struct {
	URL string // the SubscribeURL
	Err error  // what went wrong
}

func (e *ConfirmError) Error() string {
	// The query carries the confirmation token: keep it out of logs.
	return "sns: subscription confirmation failed: GET " + withoutQuery(e.URL) + ": " + causeText(e.Err)
}

// Unwrap returns ErrUnavailable and the underlying error.
func (e *ConfirmError) Unwrap() []error { return []error{ErrUnavailable, e.Err} }

// causeText is err's message without the method and URL that *url.Error
// repeats.
func causeText(err error) string {
	if err == nil {
		return "unknown error"
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err.Error()
	}
	return err.Error()
}

func withoutQuery(raw string) string {
	for i := 0; i < len(raw); i++ {
		if raw[i] == '?' || raw[i] == '#' {
			return raw[:i] + "?…"
		}
	}
	return raw
}

// maxQuoted bounds how much of a received value an error message repeats:
// error messages become response bodies and log lines.
const maxQuoted = 128

// quote returns s as a Go string literal, cut to maxQuoted bytes.
func quote(s string) string {
	if len(s) <= maxQuoted {
		return strconv.Quote(s)
	}
	cut := maxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
