// Package local runs an S3-compatible server inside the transcoder process
// for local mode (make dev, no AWS account), so that the service's one S3
// code path (package s3 over the AWS SDK) serves there as it does on AWS:
// browsers upload with presigned PUTs and download with presigned GETs,
// engines read inputs and write outputs through the same client.
//
// The server is github.com/johannesboyne/gofakes3 over its s3afero backend:
// each object is a plain file under Options.Dir/buckets/<bucket>/<key>, and
// its metadata (content type, content disposition, x-amz-meta-*) and MD5 are
// a JSON file under Options.Dir/metadata, so objects and their content types
// survive a restart. Uploads are first written whole to Options.Dir/spool and
// only then stored, so that an upload cut short leaves no truncated object
// behind and a slow upload does not hold the backend's lock (which s3afero
// keeps while it writes an object) against every other request.
//
// What differs from S3, on purpose or because gofakes3 does:
//
//   - Every request must carry a valid Signature Version 4 by the server's
//     own credentials (the ones Client signs with: access key AccessKeyID,
//     and a secret made once and kept in Options.Dir/secret-access-key),
//     in the Authorization header (X-Amz-Date within 15 minutes of the
//     server's time) or as a presigned URL (until X-Amz-Date plus
//     X-Amz-Expires), for the method, path, query and signed headers it was
//     signed for: a presigned PUT's Content-Type and Content-Length are
//     enforced, as on AWS. The payload may be UNSIGNED-PAYLOAD or a hex
//     SHA-256, which the body must match as it streams; aws-chunked
//     (STREAMING-*) payloads are refused, as Client never sends them.
//     Refusals are S3's XML errors (AccessDenied, SignatureDoesNotMatch,
//     InvalidAccessKeyId, RequestTimeTooSkewed, XAmzContentSHA256Mismatch)
//     whose message says which rule failed. Signatures are checked against
//     those credentials only: there are no users, policies or ACLs.
//   - Browser form uploads (POST of a form encoding, which S3 takes with a
//     signed policy) are refused with 405: a form is what any web page can
//     send across sites without a CORS preflight.
//   - Bodies are bounded by Options.MaxBodySize (413 EntityTooLarge), and
//     whole requests and answers by Options.ReadTimeout and WriteTimeout.
//   - Every object read is answered as a download (Content-Disposition:
//     attachment, keeping the file name a presigned URL asks for with
//     response-content-disposition), with X-Content-Type-Options: nosniff
//     and a sandboxing Content-Security-Policy, so that nothing stored is
//     ever shown by a browser as a page of the server's origin.
//   - The server is plain HTTP: it listens on loopback only unless
//     Options.AllowRemote is set, as anyone watching the network could
//     replay what they see. It is a development server, not a storage
//     service.
//   - CORS is one rule for every bucket, the rule the infrastructure puts on
//     the input bucket: PUT and POST from Options.AllowedOrigins, with the
//     headers content-type, content-md5 and x-amz-*, exposing ETag.
//     gofakes3 would allow every origin, method and header; this package
//     answers preflights itself and takes gofakes3's headers off the rest.
//   - Keys are file paths, so keys that S3 tells apart but a file system
//     does not ("a" and "a/b", "a//b" and "a/b") collide; package s3's URI
//     rules refuse the second kind.
//   - Overwriting an object keeps metadata the new upload does not set
//     (gofakes3 merges them), and no versions are kept.
//   - Copy Options.Dir with its modification times (cp -a, rsync -t): when
//     an object's file changes size or time behind s3afero's back, it
//     recomputes the ETag from the wrong file, and an object file without
//     its metadata file answers 500 on every request.
package local
