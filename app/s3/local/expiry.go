package local

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"time"
)

// refuseExpired answers 403 to a presigned request past its expiry, as S3
// does, and passes every other request to next. gofakes3 checks neither
// signatures nor expiry; without this a presigned URL that is too short-lived
// on AWS would work forever locally.
func refuseExpired(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if !q.Has("X-Amz-Expires") {
			next.ServeHTTP(w, r)
			return
		}
		signed, err1 := time.Parse("20060102T150405Z", q.Get("X-Amz-Date"))
		secs, err2 := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err1 != nil || err2 != nil || secs < 0 {
			s3Error(w, http.StatusBadRequest, "AuthorizationQueryParametersError",
				"X-Amz-Date must be yyyyMMddTHHmmssZ and X-Amz-Expires a number of seconds")
			return
		}
		if expires := signed.Add(time.Duration(secs) * time.Second); time.Now().After(expires) {
			s3Error(w, http.StatusForbidden, "AccessDenied", "Request has expired")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// s3Error answers with an S3 error document, which the SDK decodes.
func s3Error(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	_ = xml.NewEncoder(w).Encode(struct {
		XMLName xml.Name `xml:"Error"`
		Code    string
		Message string
	}{Code: code, Message: message})
}
