package localsns

import (
	"encoding/json"
	"reflect"
	"testing"

	"transcoder/app/sns"
)

func TestABodyParsesBackIntoTheSameMessage(t *testing.T) {
	s := testSigner(t)
	cases := testMessages()
	cases["a notification whose text needs escaping"] = &sns.Message{
		Type: sns.TypeNotification, MessageID: "id-6", TopicARN: testTopicARN,
		Message: "quotes \" back\\slash\nnew line\ttab <tag> & ampersand é 🎬 \u2028 \x01",
		Subject: "<&>", HasSubject: true,
		Timestamp: "2024-05-02T10:11:12.345Z",
	}
	cases["a notification with message attributes"] = &sns.Message{
		Type: sns.TypeNotification, MessageID: "id-7", TopicARN: testTopicARN,
		Message: "x", Timestamp: "2024-05-02T10:11:12.345Z",
		MessageAttributes: json.RawMessage(`{"k":{"Type":"String","Value":"v"}}`),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			if err := s.Sign(m, "2"); err != nil {
				t.Fatal(err)
			}
			if m.Type == sns.TypeNotification {
				m.UnsubscribeURL = "http://127.0.0.1:1/?Action=Unsubscribe&SubscriptionArn=" + testTopicARN + ":1"
			}
			got, err := sns.Parse(Body(m))
			if err != nil {
				t.Fatalf("%v\n%s", err, Body(m))
			}
			if !reflect.DeepEqual(got, m) {
				t.Errorf("parsed back as\n%+v\nwant\n%+v", got, m)
			}
			if err := checkSignature(got, s.Certificate()); err != nil {
				t.Errorf("the parsed message does not verify: %v", err)
			}
		})
	}
}

func TestABodyIsLaidOutAsSNSLaysItOut(t *testing.T) {
	for name, tc := range map[string]struct {
		m    sns.Message
		want string
	}{
		"a notification without a subject": {
			sns.Message{
				Type: sns.TypeNotification, MessageID: "22b80b92", TopicARN: "arn:aws:sns:us-west-2:123456789012:MyTopic",
				Message: "Hello world!", Timestamp: "2012-05-02T00:54:06.655Z", SignatureVersion: "2",
				Signature: "c2ln", SigningCertURL: "http://h/SimpleNotificationService-ab.pem",
				UnsubscribeURL: "http://h/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9",
			},
			`{
  "Type" : "Notification",
  "MessageId" : "22b80b92",
  "TopicArn" : "arn:aws:sns:us-west-2:123456789012:MyTopic",
  "Message" : "Hello world!",
  "Timestamp" : "2012-05-02T00:54:06.655Z",
  "SignatureVersion" : "2",
  "Signature" : "c2ln",
  "SigningCertURL" : "http://h/SimpleNotificationService-ab.pem",
  "UnsubscribeURL" : "http://h/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9"
}`,
		},
		"a notification with a subject": {
			sns.Message{
				Type: sns.TypeNotification, MessageID: "1", TopicARN: "t", Subject: "S", HasSubject: true,
				Message: "{\"a\":1}", Timestamp: "ts", SignatureVersion: "1", Signature: "x", SigningCertURL: "c", UnsubscribeURL: "u",
			},
			`{
  "Type" : "Notification",
  "MessageId" : "1",
  "TopicArn" : "t",
  "Subject" : "S",
  "Message" : "{\"a\":1}",
  "Timestamp" : "ts",
  "SignatureVersion" : "1",
  "Signature" : "x",
  "SigningCertURL" : "c",
  "UnsubscribeURL" : "u"
}`,
		},
		"a subscription confirmation": {
			sns.Message{
				Type: sns.TypeSubscriptionConfirmation, MessageID: "1", Token: "tok", TopicARN: "t",
				Message: "m", SubscribeURL: "http://h/?Action=ConfirmSubscription&TopicArn=t&Token=tok",
				Timestamp: "ts", SignatureVersion: "2", Signature: "x", SigningCertURL: "c",
			},
			`{
  "Type" : "SubscriptionConfirmation",
  "MessageId" : "1",
  "Token" : "tok",
  "TopicArn" : "t",
  "Message" : "m",
  "SubscribeURL" : "http://h/?Action=ConfirmSubscription&TopicArn=t&Token=tok",
  "Timestamp" : "ts",
  "SignatureVersion" : "2",
  "Signature" : "x",
  "SigningCertURL" : "c"
}`,
		},
	} {
		t.Run(name, func(t *testing.T) {
			if got := string(Body(&tc.m)); got != tc.want {
				t.Errorf("got\n%s\nwant\n%s", got, tc.want)
			}
		})
	}
}
