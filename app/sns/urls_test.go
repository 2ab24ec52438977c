package sns

import "testing"

func TestValidateCertURLAcceptsSNSCertificateURLsInEveryPartition(t *testing.T) {
	for _, u := range []string{
		"https://sns.us-east-1.amazonaws.com/SimpleNotificationService-bb750dd426d95ee9390147a5624348ee.pem",
		"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-b95095beb82e8f6a046b3aafc7f4149a.pem",
		"https://sns.ap-southeast-2.amazonaws.com/SimpleNotificationService-0.pem",
		"https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
		"https://sns.il-central-1.amazonaws.com/SimpleNotificationService-abc.pem",
		"https://sns.us-isob-east-1.amazonaws.com/SimpleNotificationService-abc.pem",
		"https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
		"https://sns.cn-northwest-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
		"https://sns.ap-southeast-10.amazonaws.com/SimpleNotificationService-abc.pem",
	} {
		if err := ValidateCertURL(u); err != nil {
			t.Errorf("ValidateCertURL(%q) = %v", u, err)
		}
	}
}

func TestValidateCertURLRefusesEveryOtherURL(t *testing.T) {
	const path = "/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
	tests := []struct {
		name string
		url  string
		want string
	}{
		{"an empty URL", "", "SigningCertURL is empty"},
		{"an unparsable URL", "https://sns.us-east-1.amazonaws.com/%zz", "not a URL"},
		{"plain http", "http://sns.us-east-1.amazonaws.com" + path, `scheme "http" is not https`},
		{"a relative URL", path, `scheme "" is not https`},
		{"another scheme", "file:///etc/passwd", `scheme "file" is not https`},
		{"an opaque URL", "https:sns.us-east-1.amazonaws.com" + path, "not a hierarchical URL"},
		{"user info", "https://user:pass@sns.us-east-1.amazonaws.com" + path, "must not contain user info"},
		{"user info that looks like the host", "https://sns.us-east-1.amazonaws.com@evil.example" + path, "must not contain user info"},
		{"a port", "https://sns.us-east-1.amazonaws.com:443" + path, `must not name a port (host "sns.us-east-1.amazonaws.com:443")`},
		{"an empty port", "https://sns.us-east-1.amazonaws.com:" + path, "must not name a port"},
		{"a query", "https://sns.us-east-1.amazonaws.com" + path + "?x=1", "must not have a query"},
		{"an empty query", "https://sns.us-east-1.amazonaws.com" + path + "?", "must not have a query"},
		{"a fragment", "https://sns.us-east-1.amazonaws.com" + path + "#x", "must not have a fragment"},
		{"an empty fragment", "https://sns.us-east-1.amazonaws.com" + path + "#", "must not have a fragment"},
		{"an S3 bucket called sns", "https://sns.s3-us-west-2.amazonaws.com" + path,
			`host "sns.s3-us-west-2.amazonaws.com" is not sns.<region>.amazonaws.com`},
		{"an S3 bucket called sns in the dotted form", "https://sns.s3.amazonaws.com" + path, "is not sns.<region>.amazonaws.com"},
		{"a lookalike suffix", "https://sns.us-east-1.amazonaws.com.evil.com" + path, "is not sns.<region>.amazonaws.com"},
		{"another domain", "https://sns.us-east-1.example.com" + path, "is not sns.<region>.amazonaws.com"},
		{"another service", "https://sqs.us-east-1.amazonaws.com" + path, "is not sns.<region>.amazonaws.com"},
		{"a missing region", "https://sns.amazonaws.com" + path, "is not sns.<region>.amazonaws.com"},
		{"a region without a number", "https://sns.us-east.amazonaws.com" + path, "is not sns.<region>.amazonaws.com"},
		{"a region without words", "https://sns.us-1.amazonaws.com" + path, "is not sns.<region>.amazonaws.com"},
		{"a compute host name", "https://sns.compute-1.amazonaws.com" + path, "is not sns.<region>.amazonaws.com"},
		{"an extra label", "https://x.sns.us-east-1.amazonaws.com" + path, "is not sns.<region>.amazonaws.com"},
		{"an upper-case host", "https://SNS.US-EAST-1.AMAZONAWS.COM" + path, "is not sns.<region>.amazonaws.com"},
		{"a trailing dot", "https://sns.us-east-1.amazonaws.com." + path, "is not sns.<region>.amazonaws.com"},
		{"an IP address", "https://52.94.236.248" + path, "is not sns.<region>.amazonaws.com"},
		{"an IPv6 address", "https://[::1]" + path, "is not sns.<region>.amazonaws.com"},
		{"a root path", "https://sns.us-east-1.amazonaws.com/", `path "/" is not /SimpleNotificationService-<hex>.pem`},
		{"another file", "https://sns.us-east-1.amazonaws.com/evil.pem", "is not /SimpleNotificationService-<hex>.pem"},
		{"a deeper path", "https://sns.us-east-1.amazonaws.com/x" + path, "is not /SimpleNotificationService-<hex>.pem"},
		{"a non-hex name", "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-xyz.pem", "is not /SimpleNotificationService"},
		{"upper-case hex", "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-ABC.pem", "is not /SimpleNotificationService"},
		{"an empty hex part", "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-.pem", "is not /SimpleNotificationService"},
		{"another extension", "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-abc.crt", "is not /SimpleNotificationService"},
		{"a percent-encoded path", "https://sns.us-east-1.amazonaws.com/%53impleNotificationService-abc.pem", "is not /SimpleNotificationService"},
		{"an encoded traversal", "https://sns.us-east-1.amazonaws.com/..%2fSimpleNotificationService-abc.pem", "is not /SimpleNotificationService"},
		{"a traversal", "https://sns.us-east-1.amazonaws.com/a/../SimpleNotificationService-abc.pem", "is not /SimpleNotificationService"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := checkErr[*CertURLError](t, ValidateCertURL(tt.url), ErrRejected, tt.want)
			if e.URL != tt.url {
				t.Errorf("CertURLError.URL = %q, want %q", e.URL, tt.url)
			}
		})
	}
}

func TestValidateSubscribeURL(t *testing.T) {
	const (
		host  = "https://sns.us-west-2.amazonaws.com"
		query = "Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37f"
	)
	tests := []struct {
		name string
		url  string
		want string // empty when the URL is valid
	}{
		{"the URL SNS sends is accepted", host + "/?" + query, ""},
		{"a China URL is accepted", "https://sns.cn-north-1.amazonaws.com.cn/?" + query, ""},
		{"parameters in any order are accepted", host + "/?Token=t&TopicArn=a&Action=ConfirmSubscription", ""},
		{"an empty URL is refused", "", "SubscribeURL is empty"},
		{"plain http is refused", "http://sns.us-west-2.amazonaws.com/?" + query, `scheme "http" is not https`},
		{"a port is refused", "https://sns.us-west-2.amazonaws.com:8443/?" + query, "must not name a port"},
		{"user info is refused", "https://u@sns.us-west-2.amazonaws.com/?" + query, "must not contain user info"},
		{"a fragment is refused", host + "/?" + query + "#f", "must not have a fragment"},
		{"an S3 bucket host is refused", "https://sns.s3-us-west-2.amazonaws.com/?" + query, "is not sns.<region>.amazonaws.com"},
		{"a lookalike host is refused", "https://sns.us-west-2.amazonaws.com.evil.com/?" + query, "is not sns.<region>.amazonaws.com"},
		{"another path is refused", host + "/evil?" + query, `path "/evil" is not /`},
		{"an empty path is refused", host + "?" + query, `path "" is not /`},
		{"another action is refused", host + "/?Action=Unsubscribe&TopicArn=a&Token=t", `Action is "Unsubscribe", not ConfirmSubscription`},
		{"a missing action is refused", host + "/?TopicArn=a&Token=t", "query parameter Action is missing"},
		{"a missing topic is refused", host + "/?Action=ConfirmSubscription&Token=t", "query parameter TopicArn is missing"},
		{"an empty token is refused", host + "/?Action=ConfirmSubscription&TopicArn=a&Token=", "query parameter Token is missing"},
		{"a repeated action is refused", host + "/?Action=ConfirmSubscription&Action=Unsubscribe&TopicArn=a&Token=t", "query parameter Action appears 2 times"},
		{"an extra parameter is refused", host + "/?" + query + "&Endpoint=https://evil", `query parameter "Endpoint" is not one of`},
		{"a semicolon separator is refused", host + "/?Action=ConfirmSubscription;TopicArn=a&Token=t", "query is not valid"},
		{"a bad escape in the query is refused", host + "/?Action=ConfirmSubscription&TopicArn=%zz&Token=t", "query is not valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateSubscribeURL(tt.url)
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			checkErr[*SubscribeURLError](t, err, ErrRejected, tt.want)
		})
	}
}

func TestIsRegionMatchesRealRegionNamesOnly(t *testing.T) {
	for s, want := range map[string]bool{
		"us-east-1": true, "eu-west-1": true, "ap-southeast-2": true, "us-gov-west-1": true,
		"cn-north-1": true, "il-central-1": true, "us-isob-east-1": true, "eusc-de-east-1": false,
		"ap-southeast-10": true, "us-east-100": false, "s3-us-west-2": false, "s3": false,
		"us-east": false, "us-1": false, "us--1": false, "-us-east-1": false, "us-east-1-": false,
		"us-East-1": false, "us_east_1": false, "us-east-1.x": false, "": false, "a-b-1": false,
	} {
		if got := isRegion(s); got != want {
			t.Errorf("isRegion(%q) = %v, want %v", s, got, want)
		}
	}
}
