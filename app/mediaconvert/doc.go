// Package mediaconvert is the service's one place for AWS Elemental
// MediaConvert, in both directions:
//
//   - Engine (engine.go) starts and cancels jobs on MediaConvert: a
//     jobs.StartRequest becomes one CreateJob with an audio-only output
//     group per preset, written at jobs.OutputURI.
//   - Decode (decode.go, event.go) reads the job events MediaConvert sends
//     back into the domain's jobs.Update.
//   - Emitter (emit.go) writes those same events, for an engine that stands
//     in for MediaConvert (package localengine), so that one decoder reads
//     both and nothing downstream can tell them apart; NewJobID makes that
//     engine's job ids in MediaConvert's shape.
//
// MediaConvert reports a job's life to Amazon EventBridge as "MediaConvert
// Job State Change" events; an EventBridge rule that targets an SNS topic
// delivers the whole EventBridge event, envelope and detail, as the SNS
// Message. Decode reads that JSON, ignoring every field it does not need so
// that fields AWS adds later do no harm.
//
// What the engine shares with package elastictranscoder (its errors, the
// steps of Start and Cancel) is package awsengine's.
package mediaconvert
