package sns_test

import (
	"context"
	"errors"
	"log"
	"net/http"
	"time"

	"transcoder/app/sns"
)

// A delivery handler parses, checks the headers, verifies, then acts; the
// error class alone chooses the status, and the error text says why.
func Example() {
	v, err := sns.NewVerifier(sns.Options{
		TopicARNs: []string{"arn:aws:sns:us-east-1:123456789012:transcoder-jobs"},
		MaxAge:    time.Hour,
	})
	if err != nil {
		log.Fatal(err)
	}
	handle := func(ctx context.Context, r *http.Request, body []byte) (int, error) {
		m, err := sns.Parse(body)
		if err == nil {
			err = m.CheckHeaders(r.Header.Get("x-amz-sns-topic-arn"), r.Header.Get("x-amz-sns-message-type"))
		}
		if err == nil {
			err = v.Verify(ctx, m)
		}
		if err == nil && m.Type == sns.TypeSubscriptionConfirmation {
			err = v.Confirm(ctx, m)
		}
		switch {
		case err == nil:
			return http.StatusOK, nil
		case errors.Is(err, sns.ErrMalformed):
			return http.StatusBadRequest, err
		case errors.Is(err, sns.ErrUnavailable):
			return http.StatusBadGateway, err // SNS will retry
		default: // sns.ErrRejected
			return http.StatusForbidden, err
		}
	}
	_ = handle
}
