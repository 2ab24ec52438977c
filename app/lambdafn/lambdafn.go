// Package lambdafn is the service as an AWS Lambda function: one handler
// that serves Function URL requests with the service's HTTP handler
// (streamed, as the RESPONSE_STREAM URL requires) and delivers the webhook
// calls that are due, and runs the other periodic work (keeping the SNS
// subscription confirmed), when the stack's EventBridge schedule invokes
// it, since nothing else runs between requests.
package lambdafn

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	lambdaevents "github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"
)

// Deliverer makes the webhook calls that are due; *webhooks.Dispatcher is
// the one the service runs.
type Deliverer interface {
	DeliverDue(ctx context.Context) (int, error)
}

// Ticker is work done on every scheduled event besides webhook calls, such
// as keeping the SNS subscription confirmed. It reports its own failures:
// nothing it does may fail the event.
type Ticker interface {
	Tick(ctx context.Context)
}

// tickBudget bounds the tickers of one scheduled event, so that the due
// webhook calls keep most of the invocation.
const tickBudget = 3 * time.Second

// Handler is the function's handler. d may be nil (webhooks off): a
// scheduled event then makes no call. A scheduled event runs every ticker
// first.
func Handler(srv http.Handler, d Deliverer, tickers ...Ticker) func(context.Context, json.RawMessage) (any, error) {
	serve := lambdaurl.Wrap(srv)
	return func(ctx context.Context, payload json.RawMessage) (any, error) {
		var kind struct {
			Source     string `json:"source"`
			DetailType string `json:"detail-type"`
		}
		if json.Unmarshal(payload, &kind) == nil && kind.Source == "aws.events" && kind.DetailType == "Scheduled Event" {
			tick(ctx, tickers)
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

// tick runs the tickers, one after the other, within tickBudget.
func tick(ctx context.Context, tickers []Ticker) {
	if len(tickers) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, tickBudget)
	defer cancel()
	for _, t := range tickers {
		t.Tick(ctx)
	}
}
