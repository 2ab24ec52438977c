package localsns

import (
	"crypto/subtle"
	"encoding/xml"
	"log/slog"
	"net/http"
	"strings"

	"transcoder/app/internal/ids"
)

// apiNamespace is the XML namespace of SNS's query API answers.
const apiNamespace = "http://sns.amazonaws.com/doc/2010-03-31/"

// maxForm bounds a request to the Handler.
const maxForm = 64 << 10

// Handler serves the part of SNS's HTTP surface a subscriber touches:
//
//	GET  <BaseURL>/SimpleNotificationService-<hex>.pem        the signing certificate
//	GET  <BaseURL>/?Action=ConfirmSubscription&TopicArn=…&Token=…
//	GET  <BaseURL>/?Action=Unsubscribe&SubscriptionArn=…
//
// (the actions also as POST forms), answering in SNS's XML. Mount it at
// BaseURL's path, with or without http.StripPrefix.
func (t *Topic) Handler() http.Handler {
	return http.HandlerFunc(t.serveHTTP)
}

func (t *Topic) serveHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	if t.basePath != "" && (p == t.basePath || strings.HasPrefix(p, t.basePath+"/")) {
		p = strings.TrimPrefix(p, t.basePath)
	}
	switch p {
	case t.certPath:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			apiError(w, http.StatusMethodNotAllowed, "InvalidAction", "use GET")
			return
		}
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Write(t.signer.certPEM)
	case "", "/":
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			w.Header().Set("Allow", "GET, POST")
			apiError(w, http.StatusMethodNotAllowed, "InvalidAction", "use GET or POST")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxForm)
		switch action := r.FormValue("Action"); action {
		case "ConfirmSubscription":
			t.confirm(w, r.FormValue("TopicArn"), r.FormValue("Token"))
		case "Unsubscribe":
			t.unsubscribe(w, r.FormValue("SubscriptionArn"))
		default:
			apiError(w, http.StatusBadRequest, "InvalidAction", "this local topic serves ConfirmSubscription and Unsubscribe only")
		}
	default:
		apiError(w, http.StatusNotFound, "NotFound", "no such resource")
	}
}

// confirm confirms the subscription whose token this is, and releases the
// notifications held for it. Confirming again is harmless.
func (t *Topic) confirm(w http.ResponseWriter, topicARN, token string) {
	if topicARN != t.arn {
		apiError(w, http.StatusNotFound, "NotFound", "Topic does not exist")
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		apiError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "the topic is closed")
		return
	}
	var sub *subscription
	for _, s := range t.subs {
		if subtle.ConstantTimeCompare([]byte(s.Token), []byte(token)) == 1 {
			sub = s
		}
	}
	if sub == nil {
		apiError(w, http.StatusBadRequest, "InvalidParameter", "Invalid token")
		return
	}
	if !sub.Confirmed {
		sub.Confirmed = true
		if err := t.saveSubscriptions(); err != nil {
			sub.Confirmed = false
			t.log.Error("localsns: could not record a confirmation", slog.String("error", err.Error()))
			apiError(w, http.StatusInternalServerError, "InternalError", "could not record the confirmation")
			return
		}
		held := sub.held
		sub.held = nil
		for _, d := range held {
			t.enqueue(d)
		}
		t.log.Info("localsns: subscription confirmed", slog.String("subscription", sub.ARN),
			slog.String("endpoint", sub.Endpoint), slog.Int("released", len(held)))
	}
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name `xml:"ConfirmSubscriptionResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Arn     string   `xml:"ConfirmSubscriptionResult>SubscriptionArn"`
		ID      string   `xml:"ResponseMetadata>RequestId"`
	}{Xmlns: apiNamespace, Arn: sub.ARN, ID: ids.UUID()})
}

// unsubscribe deletes a subscription and every delivery still due to it.
// Unlike SNS it sends no UnsubscribeConfirmation.
func (t *Topic) unsubscribe(w http.ResponseWriter, arn string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		apiError(w, http.StatusServiceUnavailable, "ServiceUnavailable", "the topic is closed")
		return
	}
	var sub *subscription
	for _, s := range t.subs {
		if s.ARN == arn {
			sub = s
		}
	}
	if sub == nil {
		apiError(w, http.StatusNotFound, "NotFound", "Subscription does not exist")
		return
	}
	delete(t.subs, sub.Endpoint)
	if err := t.saveSubscriptions(); err != nil {
		t.subs[sub.Endpoint] = sub
		t.log.Error("localsns: could not record an unsubscription", slog.String("error", err.Error()))
		apiError(w, http.StatusInternalServerError, "InternalError", "could not record the unsubscription")
		return
	}
	dropped := t.drop(sub)
	t.log.Info("localsns: unsubscribed", slog.String("subscription", sub.ARN),
		slog.String("endpoint", sub.Endpoint), slog.Int("dropped", dropped))
	writeXML(w, http.StatusOK, struct {
		XMLName xml.Name `xml:"UnsubscribeResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		ID      string   `xml:"ResponseMetadata>RequestId"`
	}{Xmlns: apiNamespace, ID: ids.UUID()})
}

// apiError answers in the XML error format of SNS's query API.
func apiError(w http.ResponseWriter, status int, code, message string) {
	typ := "Sender"
	if status >= 500 {
		typ = "Receiver"
	}
	writeXML(w, status, struct {
		XMLName xml.Name `xml:"ErrorResponse"`
		Xmlns   string   `xml:"xmlns,attr"`
		Type    string   `xml:"Error>Type"`
		Code    string   `xml:"Error>Code"`
		Message string   `xml:"Error>Message"`
		ID      string   `xml:"RequestId"`
	}{Xmlns: apiNamespace, Type: typ, Code: code, Message: message, ID: ids.UUID()})
}

// writeXML answers with status and v as an XML document.
func writeXML(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(v) // fixed shapes of strings: cannot fail
}
