// Package elastictranscoder is the service's one place for the legacy
// Amazon Elastic Transcoder, in both directions:
//
//   - Engine (engine.go) starts and cancels jobs on one pipeline: a
//     jobs.StartRequest becomes one CreateJob with an output per preset,
//     each made by the matching system preset and keyed to land at
//     jobs.OutputURI.
//   - Decoder (decode.go, notification.go) reads the pipeline's job
//     notifications into the domain's jobs.Update.
//
// A pipeline publishes a JSON notification to SNS when a job starts
// (PROGRESSING), finishes (COMPLETED), meets a warning (WARNING) or fails
// (ERROR); the SNS Message is that JSON. It names output files by key only,
// relative to the pipeline's output bucket, and carries no time: the Decoder
// is configured with the bucket and dated by the caller.
//
// What the engine shares with package mediaconvert (its errors, the steps of
// Start and Cancel) is package awsengine's.
package elastictranscoder
