// Package localsns is a local Amazon SNS topic with HTTP(S) subscriptions,
// so that the whole pipeline runs on one machine without an AWS account
// (make dev, end-to-end tests) and the completion endpoint is exercised
// exactly as SNS exercises it: the SubscriptionConfirmation handshake,
// signed messages, retries, duplicates and reordering.
//
// It is also the project's one owner of SNS signing (Signer) and of the
// delivery body's layout (Body); package sns owns the other direction,
// parsing and verifying.
//
// # What it does
//
// A Topic keeps a 2048-bit RSA key and a self-signed certificate (CN
// sns.local, valid for ten years) in its data directory, and serves the
// certificate at BaseURL/SimpleNotificationService-<hex>.pem. A verifier
// trusts it by pinning exactly that URL and certificate; nothing about it
// resembles Amazon's, so it can never pass for them.
//
// Subscribe records a pending subscription and POSTs a signed
// SubscriptionConfirmation; the endpoint confirms by GETting its
// SubscribeURL on Handler. Publish signs a Notification (SignatureVersion
// 2) and delivers it to every subscription with the SNS HTTP/S delivery
// policy (DeliveryPolicy), holding it for a subscription still pending —
// AWS would drop it; see Publish for why this topic does not. Subscriptions
// and every undone delivery are files in the data directory, written
// before Subscribe and Publish return, so a restart resumes them.
// SubscribeOnly is Subscribe for a topic whose one subscriber may move
// between runs (the local pipeline's own endpoint, on another port): it
// removes every other subscription, handing their undone notifications on,
// so that no message is queued, and retried, for an endpoint nobody serves.
// Options.Duplicates and Options.Reorder make SNS's at-least-once,
// unordered delivery happen on demand.
//
// # Why not goaws
//
// github.com/Admiral-Piett/goaws, the Go SNS/SQS emulator, was read
// (app/gosns/gosns.go, subscribe.go, confirm_subscription.go, publish.go,
// app/router/router.go) and does not serve:
//
//   - it signs SignatureVersion 1 (SHA-1) only;
//   - its certificate is made in an init function at every start, with a
//     new key each time, no CN (O=Amazon, C=USA), and NotAfter five
//     seconds after start: any verifier that checks validity refuses every
//     message after the first seconds, and no trust survives a restart;
//   - the certificate URL is http://host:port/SimpleNotificationService/<uuid>.pem,
//     a new URL per message, which defeats a verifier's cache and pinning;
//   - a delivery is one POST with http.DefaultClient (no timeout) and no
//     retry at all: a failure is logged and the message is gone; the
//     Content-Type is application/json, not SNS's text/plain;
//   - confirmation changes nothing: notifications go to every subscription
//     whether confirmed or not, and one pending token is kept per topic, so
//     a second subscription overwrites the first's;
//   - all state is in package globals set up by init functions, in memory
//     only; it is a server to run, not a library, and cannot be embedded
//     in the service or a test without its globals;
//   - it has no switches for duplicates or reordering.
//
// What it gets right, and this package agrees with: a delivery counts as
// made for any status from 200 to 499; the string to sign and the
// confirmation handshake's shape.
//
// # The delivery policy modelled
//
// From the SNS developer guide ("Amazon SNS message delivery retries",
// "Creating an HTTP/S delivery policy", and the AWS CDK's HealthyRetryPolicy):
// an HTTP/S delivery is retried in four phases (immediate, pre-backoff at
// minDelayTarget, backoff from minDelayTarget to maxDelayTarget, post-backoff
// at maxDelayTarget); by default three retries 20 seconds apart, linear;
// at most 100 retries and an hour in all; only server-side failures (5xx,
// timeouts, connection errors) are retried. DeliveryPolicy documents where
// this model departs from SNS (no jitter; the count restarts after a
// restart).
package localsns
