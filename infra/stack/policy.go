package stack

import (
	"encoding/json"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// PolicyDocument is an IAM policy: identity, resource, trust or key policy.
// Every policy of the program is written as one, so the tests can read them
// all the same way.
type PolicyDocument struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a policy document.
type Statement struct {
	Sid       string     `json:"Sid,omitempty"`
	Effect    string     `json:"Effect"`
	Principal *Principal `json:"Principal,omitempty"`
	Action    []string   `json:"Action"`
	Resource  []string   `json:"Resource,omitempty"`
	// Condition maps an operator ("StringEquals") to keys and their values.
	Condition map[string]map[string][]string `json:"Condition,omitempty"`
}

// Principal names who a resource or trust policy applies to.
type Principal struct {
	AWS     []string `json:"AWS,omitempty"`
	Service []string `json:"Service,omitempty"`
}

// Anyone is every principal, authenticated or not: only ever used here to
// deny, or where the resource must be public (the Function URL).
var Anyone = &Principal{AWS: []string{"*"}}

// Service is an AWS service principal ("events.amazonaws.com").
func Service(names ...string) *Principal { return &Principal{Service: names} }

// AWSPrincipal is an account or role principal.
func AWSPrincipal(arns ...string) *Principal { return &Principal{AWS: arns} }

// Policy builds a document from its statements.
func Policy(statements ...Statement) PolicyDocument {
	return PolicyDocument{Version: "2012-10-17", Statement: statements}
}

// Allow grants actions on resources.
func Allow(sid string, actions []string, resources ...string) Statement {
	return Statement{Sid: sid, Effect: "Allow", Action: actions, Resource: resources}
}

// Deny refuses actions on resources.
func Deny(sid string, actions []string, resources ...string) Statement {
	return Statement{Sid: sid, Effect: "Deny", Action: actions, Resource: resources}
}

// By sets the statement's principal.
func (s Statement) By(p *Principal) Statement { s.Principal = p; return s }

// When adds a condition (operator, key, values) to the statement.
func (s Statement) When(operator, key string, values ...string) Statement {
	c := make(map[string]map[string][]string, len(s.Condition)+1)
	for op, kv := range s.Condition {
		c[op] = kv
	}
	inner := make(map[string][]string, len(c[operator])+1)
	for k, v := range c[operator] {
		inner[k] = v
	}
	inner[key] = values
	c[operator] = inner
	s.Condition = c
	return s
}

// DenyInsecureTransport refuses every listed action made without TLS.
func DenyInsecureTransport(actions []string, resources ...string) Statement {
	return Deny("DenyInsecureTransport", actions, resources...).
		By(Anyone).
		When("Bool", "aws:SecureTransport", "false")
}

// JSON renders the document. Keys of maps come out sorted, so the text is
// stable from one run to the next and diffs only when the policy does.
func (d PolicyDocument) JSON() (string, error) {
	b, err := json.Marshal(d)
	return string(b), err
}

// PolicyFrom renders a document that needs resource outputs (ARNs, names):
// refs are resolved first and handed to build by name.
func PolicyFrom(refs pulumi.StringMap, build func(ref map[string]string) PolicyDocument) pulumi.StringOutput {
	return refs.ToStringMapOutput().ApplyT(func(ref map[string]string) (string, error) {
		return build(ref).JSON()
	}).(pulumi.StringOutput)
}
