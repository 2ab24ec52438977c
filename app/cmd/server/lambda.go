package main

import (
	"context"
	"encoding/json"
	"net/http"

	"transcoder/app/lambdafn"
	"transcoder/app/subscription"
	"transcoder/app/webhooks"
)

// lambdaHandler is the function's handler (see package lambdafn), with the
// dispatcher when webhooks are on and the subscription check when it is
// configured; each scheduled event runs both.
func lambdaHandler(srv http.Handler, d *webhooks.Dispatcher, check *subscription.Checker) func(context.Context, json.RawMessage) (any, error) {
	var tickers []lambdafn.Ticker
	if check != nil { // not a typed nil
		tickers = append(tickers, check)
	}
	if d == nil {
		return lambdafn.Handler(srv, nil, tickers...) // not a typed nil
	}
	return lambdafn.Handler(srv, d, tickers...)
}
