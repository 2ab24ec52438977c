package sns

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// ValidateCertURL checks that a SigningCertURL can only be Amazon SNS's own:
// https, no user info, no port, no query, no fragment, host exactly
// sns.<region>.amazonaws.com or sns.<region>.amazonaws.com.cn with <region>
// shaped like a real region, and path exactly
// /SimpleNotificationService-<hex>.pem. A URL that fails is never fetched.
//
// The region rule is stricter than the official validators' pattern
// (sns\.[a-zA-Z0-9-]{3,}\.amazonaws\.com) on purpose: that one admits
// sns.s3-us-west-2.amazonaws.com, which is an S3 bucket anyone can name
// "sns". The error is a *CertURLError, of class ErrRejected.
func ValidateCertURL(raw string) error {
	_, err := parseCertURL(raw)
	return err
}

func parseCertURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, &CertURLError{URL: raw, Reason: "SigningCertURL is empty"}
	}
	u, reason := parseSNSURL(raw)
	if reason == "" {
		switch {
		case u.RawQuery != "" || u.ForceQuery:
			reason = "must not have a query"
		case !isCertPath(u.EscapedPath()):
			reason = fmt.Sprintf("path %s is not /SimpleNotificationService-<hex>.pem", quote(u.EscapedPath()))
		}
	}
	if reason != "" {
		return nil, &CertURLError{URL: raw, Reason: reason}
	}
	return u, nil
}

// ValidateSubscribeURL checks that a SubscribeURL can only be Amazon SNS's
// ConfirmSubscription action: the host rules of ValidateCertURL, path "/",
// and a query of exactly Action=ConfirmSubscription, TopicArn and Token,
// each once. A URL that fails is never fetched. The error is a
// *SubscribeURLError, of class ErrRejected.
func ValidateSubscribeURL(raw string) error {
	_, _, err := parseSubscribeURL(raw)
	return err
}

// subscribeParams are the query parameters of a ConfirmSubscription URL.
var subscribeParams = []string{"Action", "TopicArn", "Token"}

func parseSubscribeURL(raw string) (*url.URL, url.Values, error) {
	fail := func(reason string) (*url.URL, url.Values, error) {
		return nil, nil, &SubscribeURLError{URL: raw, Reason: reason}
	}
	if raw == "" {
		return fail("SubscribeURL is empty")
	}
	u, reason := parseSNSURL(raw)
	if reason != "" {
		return fail(reason)
	}
	if p := u.EscapedPath(); p != "/" {
		return fail(fmt.Sprintf("path %s is not /", quote(p)))
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return fail("query is not valid: " + err.Error())
	}
	var extra []string
	for k := range q {
		if !slices.Contains(subscribeParams, k) {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return fail(fmt.Sprintf("query parameter %s is not one of Action, TopicArn, Token", quote(extra[0])))
	}
	for _, k := range subscribeParams {
		switch vs := q[k]; {
		case len(vs) == 0 || vs[0] == "":
			return fail("query parameter " + k + " is missing")
		case len(vs) > 1:
			return fail(fmt.Sprintf("query parameter %s appears %d times", k, len(vs)))
		}
	}
	if a := q.Get("Action"); a != "ConfirmSubscription" {
		return fail(fmt.Sprintf("Action is %s, not ConfirmSubscription", quote(a)))
	}
	return u, q, nil
}

// parseSNSURL applies the rules common to certificate and subscribe URLs,
// returning the parsed URL or the rule raw breaks.
func parseSNSURL(raw string) (*url.URL, string) {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, "not a URL: " + err.Error()
	}
	switch {
	case u.Scheme != "https":
		return nil, fmt.Sprintf("scheme %s is not https", quote(u.Scheme))
	case u.Opaque != "":
		return nil, "not a hierarchical URL (https://host/path)"
	case u.User != nil:
		return nil, "must not contain user info"
	case u.Port() != "" || strings.HasSuffix(u.Host, ":"):
		return nil, fmt.Sprintf("must not name a port (host %s)", quote(u.Host))
	case !isSNSHost(u.Host):
		return nil, fmt.Sprintf("host %s is not sns.<region>.amazonaws.com (or .com.cn)", quote(u.Host))
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return nil, "must not have a fragment"
	}
	return u, ""
}

// isSNSHost reports whether h is sns.<region>.amazonaws.com or
// sns.<region>.amazonaws.com.cn.
func isSNSHost(h string) bool {
	rest, ok := strings.CutPrefix(h, "sns.")
	if !ok {
		return false
	}
	if region, ok := strings.CutSuffix(rest, ".amazonaws.com"); ok {
		return isRegion(region)
	}
	if region, ok := strings.CutSuffix(rest, ".amazonaws.com.cn"); ok {
		return isRegion(region)
	}
	return false
}

// isRegion reports whether s has the shape of an AWS region name,
// ^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$: us-east-1, us-gov-west-1, cn-north-1,
// us-isob-east-1. It refuses s3-us-west-2 and anything with a dot.
func isRegion(s string) bool {
	if len(s) < 6 || !isLower(s[0]) || !isLower(s[1]) {
		return false
	}
	i, words := 2, 0
	for {
		if i >= len(s) || s[i] != '-' {
			return false
		}
		i++
		j := i
		for j < len(s) && isLower(s[j]) {
			j++
		}
		if j == i {
			break // the number
		}
		words++
		i = j
	}
	n := len(s) - i
	if words == 0 || n < 1 || n > 2 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isLower(c byte) bool { return 'a' <= c && c <= 'z' }

// isCertPath reports whether p is /SimpleNotificationService-<hex>.pem, with
// 1 to 64 lower-case hexadecimal digits.
func isCertPath(p string) bool {
	hex, ok := strings.CutPrefix(p, "/SimpleNotificationService-")
	if !ok {
		return false
	}
	hex, ok = strings.CutSuffix(hex, ".pem")
	if !ok || len(hex) < 1 || len(hex) > 64 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
