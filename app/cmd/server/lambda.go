package main

import (
	"context"
	"encoding/json"
	"net/http"

	"transcoder/app/lambdafn"
	"transcoder/app/webhooks"
)

// lambdaHandler is the function's handler (see package lambdafn), with the
// dispatcher when webhooks are on.
func lambdaHandler(srv http.Handler, d *webhooks.Dispatcher) func(context.Context, json.RawMessage) (any, error) {
	if d == nil {
		return lambdafn.Handler(srv, nil) // not a typed nil
	}
	return lambdafn.Handler(srv, d)
}
