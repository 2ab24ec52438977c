// Package s3 is transcoder's one path to its media in Amazon S3, or in the
// S3-compatible server of local mode (package s3/local): the same AWS SDK
// calls serve both, and only the client given to New differs.
//
// Media never passes through the service. Users upload straight to the
// input bucket with a presigned PUT (Storage.PresignUpload, under a key that
// UploadKey builds from untrusted names), the service learns that an upload
// has landed with Storage.Head, engines read inputs and write outputs, and
// users download outputs with a presigned GET (Storage.PresignDownload).
//
// Objects are named by URI, s3://bucket/key, the form jobs store, and the
// folders outputs are written under by s3://bucket/prefix/. ParseURI and
// ParsePrefix are strict, so that a URI that reaches S3 names exactly the
// object it seems to: their errors, like UploadKey's, are typed and say which
// rule failed.
package s3
