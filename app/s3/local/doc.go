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
//   - No request is authenticated: gofakes3 checks no signature, so any
//     credentials work and a presigned URL works whatever its signature
//     (a browser that sends another Content-Type than the one signed is not
//     refused here, as it is on AWS).
//     The server only refuses a presigned URL past its X-Amz-Date plus
//     X-Amz-Expires, as S3 would, so that expiry bugs show up locally. This
//     is why it listens on loopback only unless Options.AllowRemote is set:
//     it is a development server, not a storage service.
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
