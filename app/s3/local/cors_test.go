package local_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"

	"transcoder/app/s3/local"
)

func TestCORSPreflights(t *testing.T) {
	srv, _ := start(t, "")
	object := srv.URL() + "/" + inBucket + "/uploads/u1/up-1/a.mov?X-Amz-Algorithm=AWS4-HMAC-SHA256"
	tests := []struct {
		name    string
		origin  string
		method  string
		headers string
		allowed bool
	}{
		{"a PUT with Content-Type from the web app is allowed", webApp, "PUT", "content-type", true},
		{"a PUT with Content-MD5 and x-amz headers from the web app is allowed", webApp, "PUT", "Content-Type, content-md5,x-amz-meta-title", true},
		{"a PUT without extra headers from the web app is allowed", webApp, "PUT", "", true},
		{"a POST form upload from the web app is allowed", webApp, "POST", "", true},
		{"a PUT from another origin is refused", "http://evil.example", "PUT", "content-type", false},
		{"a PUT from the web app's host on another port is refused", "http://localhost:3000", "PUT", "content-type", false},
		{"a DELETE from the web app is refused", webApp, "DELETE", "", false},
		{"a GET from the web app is refused, as no rule covers downloads", webApp, "GET", "", false},
		{"a PUT with a header outside the rule is refused", webApp, "PUT", "content-type, authorization", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodOptions, object, nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Access-Control-Request-Method", tt.method)
			if tt.headers != "" {
				req.Header.Set("Access-Control-Request-Headers", tt.headers)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			h := resp.Header
			if !tt.allowed {
				if resp.StatusCode != http.StatusForbidden || h.Get("Access-Control-Allow-Origin") != "" {
					t.Fatalf("answered %s allowing origin %q, want 403 allowing none", resp.Status, h.Get("Access-Control-Allow-Origin"))
				}
				return
			}
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("answered %s, want 200", resp.Status)
			}
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.origin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.origin)
			}
			if got := h.Get("Access-Control-Allow-Methods"); !strings.Contains(got, tt.method) {
				t.Errorf("Access-Control-Allow-Methods %q, want it to hold %s", got, tt.method)
			}
			for name := range strings.SplitSeq(tt.headers, ",") {
				name = strings.ToLower(strings.TrimSpace(name))
				if got := h.Get("Access-Control-Allow-Headers"); name != "" && !strings.Contains(got, name) {
					t.Errorf("Access-Control-Allow-Headers %q, want it to hold %s", got, name)
				}
			}
			if got := h.Get("Access-Control-Expose-Headers"); got != "ETag" {
				t.Errorf("Access-Control-Expose-Headers %q, want ETag", got)
			}
			if h.Get("Access-Control-Max-Age") == "" {
				t.Error("no Access-Control-Max-Age: the browser would preflight every upload")
			}
			if !strings.Contains(h.Get("Vary"), "Origin") {
				t.Errorf("Vary %q, want it to hold Origin", h.Get("Vary"))
			}
		})
	}
}

func TestCORSPreflightsAreRefusedWithoutAllowedOrigins(t *testing.T) {
	srv, err := local.Start(context.Background(), local.Options{Dir: t.TempDir(), Buckets: []string{inBucket}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodOptions, srv.URL()+"/"+inBucket+"/a.mov", nil)
	req.Header.Set("Origin", webApp)
	req.Header.Set("Access-Control-Request-Method", "PUT")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("answered %s allowing %q, want 403 allowing nobody", resp.Status, resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestCORSHeadersOnUploadsAndDownloads(t *testing.T) {
	_, c := start(t, "")
	presign := awss3.NewPresignClient(c)
	up, err := presign.PresignPutObject(context.Background(), &awss3.PutObjectInput{Bucket: aws.String(inBucket), Key: aws.String("a.mov")})
	if err != nil {
		t.Fatal(err)
	}
	put(t, c, outBucket, "a.mp4", "video/mp4", []byte("mp4"))
	down, err := presign.PresignGetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String(outBucket), Key: aws.String("a.mp4")})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, url, origin string
		allowOrigin, expose       string
	}{
		{"an upload from the web app may be read by the page, ETag and all", "PUT", up.URL, webApp, webApp, "ETag"},
		{"an upload from another origin may not be read by its page", "PUT", up.URL, "http://evil.example", "", ""},
		{"a download read by a script is not allowed, as on AWS", "GET", down.URL, webApp, "", ""},
		{"a request without an origin gets no CORS headers", "GET", down.URL, "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, tt.url, strings.NewReader("movie"))
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("answered %s", resp.Status)
			}
			if got := resp.Header.Get("Access-Control-Allow-Origin"); got != tt.allowOrigin {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, tt.allowOrigin)
			}
			if got := resp.Header.Get("Access-Control-Expose-Headers"); got != tt.expose {
				t.Errorf("Access-Control-Expose-Headers %q, want %q", got, tt.expose)
			}
		})
	}
}
