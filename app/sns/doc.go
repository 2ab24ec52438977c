// Package sns verifies Amazon SNS messages delivered over HTTP(S) (or in a
// Lambda event) before anything acts on them, and confirms subscriptions.
//
// The work is split into steps that can each be tested alone:
//
//   - Parse decodes the JSON envelope into a Message, strictly;
//   - ValidateCertURL and ValidateSubscribeURL decide whether a URL can only
//     be Amazon SNS's, before anything is fetched;
//   - the Verifier retrieves the signing certificate (pinned, cached or
//     fetched once per URL), checks its form, key, name and validity, and
//     checks the RSA signature over the string to sign (Message.StringToSign)
//     with the certificate's key prepared once, which costs two thirds of a
//     crypto/rsa verification and gives the same answers (verifyKey);
//   - Verifier.Confirm visits the SubscribeURL of a verified confirmation.
//
// Every error about a message belongs to exactly one class, ErrMalformed
// (answer 400), ErrRejected (403) or ErrUnavailable (502, so that SNS
// retries), and is a typed error whose message names the rule that failed,
// in the manner of crypto/x509. The package uses net/http only as a client and knows no HTTP
// framework.
package sns
