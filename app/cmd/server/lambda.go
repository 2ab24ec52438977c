package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"

	"transcoder/app/webhooks"
)

// lambdaHandler is the function's handler: a Function URL request is served
// by the HTTP handler (streamed, as the RESPONSE_STREAM URL requires), and
// the EventBridge schedule the stack declares when webhooks are on delivers
// the webhook calls that are due, since nothing else runs between requests.
func lambdaHandler(srv http.Handler, d *webhooks.Dispatcher) func(context.Context, json.RawMessage) (any, error) {
	serve := lambdaurl.Wrap(srv)
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		var kind struct {
			Source     string `json:"source"`
			DetailType string `json:"detail-type"`
		}
		if json.Unmarshal(payload, &kind) == nil && kind.Source == "aws.events" && kind.DetailType == "Scheduled Event" {
			if d == nil {
				return map[string]int{"calls": 0}, nil
			}
			n, err := d.DeliverDue(ctx)
			if errors.Is(err, context.DeadlineExceeded) {
				// Calls left due wait for the next minute's event; an
				// error would only make Lambda retry this one.
				err = nil
			}
			return map[string]int{"calls": n}, err
		}
		var req lambdaevents.LambdaFunctionURLRequest
		if err := json.Unmarshal(payload, &req); err != nil {
			return nil, fmt.Errorf("the function takes Function URL requests and scheduled events: %w", err)
		}
		return serve(ctx, &req)
	}
}
