package sns

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
)

// Parse decodes an SNS delivery body (or the Sns record of a Lambda event)
// into a Message, checking that it is a JSON object that holds every field
// its Type requires, each as a string. It does not verify the signature:
// that is Verify's job.
//
// Parse is stricter than encoding/json so that whatever else reads the body
// sees the very values that were verified: a key repeated (also as its
// Lambda spelling), a key that differs from a known one only in letter case,
// invalid UTF-8 and unpaired UTF-16 surrogate escapes are all refused.
// Every error is a *MessageError, of class ErrMalformed.
//
// Decoded values share one allocation; Parse keeps no reference to body.
func Parse(body []byte) (*Message, error) {
	p := parser{data: body, buf: make([]byte, 0, len(body))}
	if err := p.object(); err != nil {
		return nil, err
	}
	return p.message()
}

// field identifies a known key of the SNS envelope.
type field uint8

const (
	fType field = iota
	fMessageID
	fToken
	fTopicARN
	fSubject
	fMessage
	fTimestamp
	fSignatureVersion
	fSignature
	fSigningCertURL
	fSubscribeURL
	fUnsubscribeURL
	fMessageAttributes
	numFields
)

// fieldNames are the canonical JSON keys, for error messages.
var fieldNames = [numFields]string{
	"Type", "MessageId", "Token", "TopicArn", "Subject", "Message", "Timestamp",
	"SignatureVersion", "Signature", "SigningCertURL", "SubscribeURL", "UnsubscribeURL",
	"MessageAttributes",
}

// knownKeys are every accepted spelling, for the letter-case check.
var knownKeys = [][]byte{
	[]byte("Type"), []byte("MessageId"), []byte("Token"), []byte("TopicArn"),
	[]byte("Subject"), []byte("Message"), []byte("Timestamp"), []byte("SignatureVersion"),
	[]byte("Signature"), []byte("SigningCertURL"), []byte("SigningCertUrl"),
	[]byte("SubscribeURL"), []byte("UnsubscribeURL"), []byte("UnsubscribeUrl"),
	[]byte("MessageAttributes"),
}

func lookupField(key []byte) (field, bool) {
	switch string(key) { // no allocation: the compiler compares in place
	case "Type":
		return fType, true
	case "MessageId":
		return fMessageID, true
	case "Token":
		return fToken, true
	case "TopicArn":
		return fTopicARN, true
	case "Subject":
		return fSubject, true
	case "Message":
		return fMessage, true
	case "Timestamp":
		return fTimestamp, true
	case "SignatureVersion":
		return fSignatureVersion, true
	case "Signature":
		return fSignature, true
	case "SigningCertURL", "SigningCertUrl": // HTTP delivery, Lambda event
		return fSigningCertURL, true
	case "SubscribeURL":
		return fSubscribeURL, true
	case "UnsubscribeURL", "UnsubscribeUrl": // HTTP delivery, Lambda event
		return fUnsubscribeURL, true
	case "MessageAttributes":
		return fMessageAttributes, true
	}
	return 0, false
}

// The state of a known field in the body.
const (
	absent uint8 = iota
	null         // present as JSON null (Subject, MessageAttributes only)
	set          // present with a value
)

// span locates a decoded string value in parser.buf, or for
// MessageAttributes the raw value in parser.data.
type span struct {
	lo, hi int
	state  uint8
}

// maxDepth bounds the nesting of ignored values, so that hostile input
// cannot exhaust the stack.
const maxDepth = 64

type parser struct {
	data   []byte
	i      int
	buf    []byte // decoded string values, back to back
	fields [numFields]span
}

func (p *parser) syntaxError(what string) error {
	return &MessageError{Reason: fmt.Sprintf("invalid JSON at offset %d: %s", p.i, what)}
}

func (p *parser) skipSpace() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// object parses the top-level object, recording the known fields.
func (p *parser) object() error {
	p.skipSpace()
	if p.i >= len(p.data) {
		return &MessageError{Reason: "body is empty"}
	}
	if p.data[p.i] != '{' {
		return &MessageError{Reason: "body is not a JSON object"}
	}
	p.i++
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == '}' {
		p.i++
	} else {
		for {
			if err := p.member(); err != nil {
				return err
			}
			p.skipSpace()
			if p.i >= len(p.data) {
				return p.syntaxError("unexpected end of input")
			}
			c := p.data[p.i]
			p.i++
			if c == '}' {
				break
			}
			if c != ',' {
				p.i--
				return p.syntaxError("want ',' or '}' after an object member")
			}
			p.skipSpace()
		}
	}
	p.skipSpace()
	if p.i != len(p.data) {
		return p.syntaxError("data after the JSON object")
	}
	return nil
}

// member parses one "key": value pair of the top-level object.
func (p *parser) member() error {
	if p.i >= len(p.data) || p.data[p.i] != '"' {
		return p.syntaxError("want a string key")
	}
	mark := len(p.buf)
	if err := p.str(); err != nil {
		return err
	}
	key := p.buf[mark:]
	f, known := lookupField(key)
	if !known {
		for _, k := range knownKeys {
			if bytes.EqualFold(key, k) {
				return &MessageError{Reason: fmt.Sprintf("key %s differs from %s only in letter case", quote(string(key)), k)}
			}
		}
	} else if p.fields[f].state != absent {
		return &MessageError{Field: fieldNames[f], Reason: fmt.Sprintf("appears more than once (again as %s)", quote(string(key)))}
	}
	p.buf = p.buf[:mark] // the key is no longer needed
	p.skipSpace()
	if p.i >= len(p.data) || p.data[p.i] != ':' {
		return p.syntaxError("want ':' after an object key")
	}
	p.i++
	p.skipSpace()
	if !known {
		return p.skipValue(1)
	}
	return p.fieldValue(f)
}

// fieldValue parses the value of a known field.
func (p *parser) fieldValue(f field) error {
	if p.i >= len(p.data) {
		return p.syntaxError("unexpected end of input")
	}
	start := p.i
	switch c := p.data[p.i]; {
	case c == '"' && f != fMessageAttributes:
		lo := len(p.buf)
		if err := p.str(); err != nil {
			return err
		}
		p.fields[f] = span{lo: lo, hi: len(p.buf), state: set}
		return nil
	case c == '{' && f == fMessageAttributes:
		if err := p.skipValue(1); err != nil {
			return err
		}
		p.fields[f] = span{lo: start, hi: p.i, state: set}
		return nil
	case c == 'n' && (f == fSubject || f == fMessageAttributes):
		if err := p.skipValue(1); err != nil {
			return err
		}
		p.fields[f].state = null
		return nil
	}
	if err := p.skipValue(1); err != nil {
		return err
	}
	want := "a string"
	if f == fMessageAttributes {
		want = "an object"
	}
	return &MessageError{Field: fieldNames[f], Reason: "is " + kind(p.data[start]) + ", want " + want}
}

// kind names the JSON type of the value that starts with c.
func kind(c byte) string {
	switch c {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// skipValue checks and skips any JSON value.
func (p *parser) skipValue(depth int) error {
	if depth > maxDepth {
		return p.syntaxError("nested too deeply")
	}
	if p.i >= len(p.data) {
		return p.syntaxError("unexpected end of input")
	}
	switch c := p.data[p.i]; c {
	case '"':
		mark := len(p.buf)
		err := p.str()
		p.buf = p.buf[:mark]
		return err
	case '{', '[':
		return p.skipComposite(depth, c)
	case 't':
		return p.literal("true")
	case 'f':
		return p.literal("false")
	case 'n':
		return p.literal("null")
	}
	return p.number()
}

// skipComposite skips an object or array that starts at p.i.
func (p *parser) skipComposite(depth int, open byte) error {
	closing := byte('}')
	if open == '[' {
		closing = ']'
	}
	p.i++
	p.skipSpace()
	if p.i < len(p.data) && p.data[p.i] == closing {
		p.i++
		return nil
	}
	for {
		if open == '{' {
			if p.i >= len(p.data) || p.data[p.i] != '"' {
				return p.syntaxError("want a string key")
			}
			mark := len(p.buf)
			err := p.str()
			p.buf = p.buf[:mark]
			if err != nil {
				return err
			}
			p.skipSpace()
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return p.syntaxError("want ':' after an object key")
			}
			p.i++
			p.skipSpace()
		}
		if err := p.skipValue(depth + 1); err != nil {
			return err
		}
		p.skipSpace()
		if p.i >= len(p.data) {
			return p.syntaxError("unexpected end of input")
		}
		c := p.data[p.i]
		if c == closing {
			p.i++
			return nil
		}
		if c != ',' {
			return p.syntaxError(fmt.Sprintf("want ',' or '%c'", closing))
		}
		p.i++
		p.skipSpace()
	}
}

func (p *parser) literal(word string) error {
	if !bytes.HasPrefix(p.data[p.i:], []byte(word)) {
		return p.syntaxError("invalid literal")
	}
	p.i += len(word)
	return nil
}

// number skips a JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *parser) number() error {
	if p.i < len(p.data) && p.data[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.data) && p.data[p.i] == '0':
		p.i++
	case p.i < len(p.data) && '1' <= p.data[p.i] && p.data[p.i] <= '9':
		p.digits()
	default:
		return p.syntaxError("invalid character")
	}
	if p.i < len(p.data) && p.data[p.i] == '.' {
		p.i++
		if p.digits() == 0 {
			return p.syntaxError("want a digit after '.'")
		}
	}
	if p.i < len(p.data) && (p.data[p.i] == 'e' || p.data[p.i] == 'E') {
		p.i++
		if p.i < len(p.data) && (p.data[p.i] == '+' || p.data[p.i] == '-') {
			p.i++
		}
		if p.digits() == 0 {
			return p.syntaxError("want a digit in the exponent")
		}
	}
	return nil
}

func (p *parser) digits() int {
	start := p.i
	for p.i < len(p.data) && '0' <= p.data[p.i] && p.data[p.i] <= '9' {
		p.i++
	}
	return p.i - start
}

// str decodes the JSON string that starts at p.i and appends it to p.buf.
func (p *parser) str() error {
	p.i++ // the opening quote
	for {
		start := p.i
		for p.i < len(p.data) && plain[p.data[p.i]] {
			p.i++
		}
		p.buf = append(p.buf, p.data[start:p.i]...)
		if p.i >= len(p.data) {
			return p.syntaxError("unterminated string")
		}
		switch c := p.data[p.i]; {
		case c == '"':
			p.i++
			return nil
		case c == '\\':
			if err := p.escape(); err != nil {
				return err
			}
		case c < 0x20:
			return p.syntaxError("control character in a string")
		default:
			r, size := utf8.DecodeRune(p.data[p.i:])
			if r == utf8.RuneError && size == 1 {
				return p.syntaxError("invalid UTF-8")
			}
			p.buf = append(p.buf, p.data[p.i:p.i+size]...)
			p.i += size
		}
	}
}

// plain marks the bytes a string may hold as they are: printable ASCII
// other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// escape decodes the escape sequence at p.i (a backslash).
func (p *parser) escape() error {
	if p.i+1 >= len(p.data) {
		return p.syntaxError("unterminated string")
	}
	var c byte
	switch p.data[p.i+1] {
	case '"':
		c = '"'
	case '\\':
		c = '\\'
	case '/':
		c = '/'
	case 'b':
		c = '\b'
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'u':
		return p.unicodeEscape()
	default:
		return p.syntaxError("invalid escape sequence")
	}
	p.buf = append(p.buf, c)
	p.i += 2
	return nil
}

// unicodeEscape decodes \uXXXX at p.i, or a surrogate pair \uXXXX\uXXXX.
func (p *parser) unicodeEscape() error {
	r, ok := hex4(p.data, p.i+2)
	if !ok {
		return p.syntaxError("invalid \\u escape")
	}
	p.i += 6
	if utf16.IsSurrogate(r) {
		if r >= 0xDC00 {
			return p.syntaxError("unpaired UTF-16 surrogate")
		}
		if p.i+1 >= len(p.data) || p.data[p.i] != '\\' || p.data[p.i+1] != 'u' {
			return p.syntaxError("unpaired UTF-16 surrogate")
		}
		lo, ok := hex4(p.data, p.i+2)
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return p.syntaxError("unpaired UTF-16 surrogate")
		}
		r = utf16.DecodeRune(r, lo)
		p.i += 6
	}
	p.buf = utf8.AppendRune(p.buf, r)
	return nil
}

func hex4(b []byte, at int) (rune, bool) {
	if at+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[at : at+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// required lists the fields each Type must carry. SignatureVersion is not
// among them: Verify refuses a missing one as ErrUnknownSignatureVersion.
var required = map[string][]field{
	TypeNotification: {fMessageID, fTopicARN, fMessage, fTimestamp, fSignature, fSigningCertURL},
	TypeSubscriptionConfirmation: {fMessageID, fToken, fTopicARN, fMessage, fSubscribeURL,
		fTimestamp, fSignature, fSigningCertURL},
	TypeUnsubscribeConfirmation: {fMessageID, fToken, fTopicARN, fMessage, fSubscribeURL,
		fTimestamp, fSignature, fSigningCertURL},
}

// message checks the recorded fields and builds the Message.
func (p *parser) message() (*Message, error) {
	t := p.fields[fType]
	if t.state != set {
		return nil, &MessageError{Field: "Type", Reason: "is missing"}
	}
	need, ok := required[string(p.buf[t.lo:t.hi])] // no allocation
	if !ok {
		return nil, &MessageError{Field: "Type", Reason: quote(string(p.buf[t.lo:t.hi])) + " is not a known message type"}
	}
	for _, f := range need {
		if p.fields[f].state != set {
			return nil, &MessageError{Field: fieldNames[f], Reason: "is missing"}
		}
	}

	all := string(p.buf) // one allocation for every value
	get := func(f field) string {
		if s := p.fields[f]; s.state == set {
			return all[s.lo:s.hi]
		}
		return ""
	}
	m := &Message{
		Type:             get(fType),
		MessageID:        get(fMessageID),
		Token:            get(fToken),
		TopicARN:         get(fTopicARN),
		Subject:          get(fSubject),
		HasSubject:       p.fields[fSubject].state == set,
		Message:          get(fMessage),
		Timestamp:        get(fTimestamp),
		SignatureVersion: get(fSignatureVersion),
		Signature:        get(fSignature),
		SigningCertURL:   get(fSigningCertURL),
		SubscribeURL:     get(fSubscribeURL),
		UnsubscribeURL:   get(fUnsubscribeURL),
	}
	if s := p.fields[fMessageAttributes]; s.state == set {
		m.MessageAttributes = bytes.Clone(p.data[s.lo:s.hi])
	}
	if _, err := parseTimestamp(m.Timestamp); err != nil {
		return nil, &MessageError{Field: "Timestamp", Reason: quote(m.Timestamp) + " is not an RFC 3339 time"}
	}
	return m, nil
}
