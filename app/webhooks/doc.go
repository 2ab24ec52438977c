// Package webhooks calls a job's callback URL once for every transition of
// the job: a signed JSON POST, retried with exponential back-off until the
// receiver answers 2xx or the attempts run out. By default that is about a
// day: DefaultMaxAttempts calls, the last 22 to 27 hours after the first
// (DefaultBackoff, RetryWindow), so that a receiver down overnight still
// gets every call.
//
// The outbox is the job itself (jobs.WebhookCall, in Job.Webhooks): recording a
// transition and owing its call are one write, so no call is lost across
// restarts. A Dispatcher finds due calls with jobs.Store.Due, claims each one
// with a lease through jobs.Store.Modify (which lets exactly one of several
// dispatchers win), makes the call and records its outcome the same way, so
// every attempt is visible in the job view.
//
// Receivers check calls with Verify: the Transcoder-Signature header is an
// HMAC-SHA256 over the send time and the body, with the job owner's secret
// (OwnerSecret, derived from the operator's), so that one owner cannot forge
// calls to another's receiver; Transcoder-Delivery names the transition, the
// same on every retry, for de-duplication.
package webhooks
