package stack

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

var notNameChar = regexp.MustCompile(`[^a-z0-9-]+`)

// Slug is the prefix of every physical name: project and stack, lower-case,
// with anything AWS would refuse in a bucket name turned into hyphens.
func Slug(project, stack string) string {
	s := notNameChar.ReplaceAllString(strings.ToLower(project+"-"+stack), "-")
	return strings.Trim(s, "-")
}

// Namer derives every physical name and ARN from the project, the stack and
// the account, so that two stacks in one account never collide and a reader
// can tell from a name which stack owns it.
type Namer struct {
	// Project and Stack are the Pulumi project and stack.
	Project, Stack string
	// Account, Partition and Region locate the stack in AWS.
	Account, Partition, Region string
}

// Prefix is the slug all names start with ("transcoder-dev").
func (n Namer) Prefix() string { return Slug(n.Project, n.Stack) }

// Name is the physical name of a stack-scoped resource ("transcoder-dev-events").
func (n Namer) Name(purpose string) string { return n.Prefix() + "-" + purpose }

// BucketName is a bucket name, unique across all of S3 since it ends in the
// account ID ("transcoder-dev-input-123456789012").
func (n Namer) BucketName(purpose string) string {
	return n.Name(purpose) + "-" + n.Account
}

// ARN builds an ARN in this stack's partition, region and account.
func (n Namer) ARN(service, resource string) string {
	return fmt.Sprintf("arn:%s:%s:%s:%s:%s", n.Partition, service, n.Region, n.Account, resource)
}

// AccountRoot is the account's root principal, which stands for the account
// owner (and, in key policies, delegates to IAM).
func (n Namer) AccountRoot() string {
	return fmt.Sprintf("arn:%s:iam::%s:root", n.Partition, n.Account)
}

// CostTag is the tag whose value, the name prefix, is unique to one stack in
// its account: the stack's budget counts the costs carrying it. AWS counts a
// tag in budgets only once it is activated as a cost allocation tag.
const CostTag = "deployment"

// Tags marks every taggable resource with its project and stack, and with
// CostTag.
func (n Namer) Tags() pulumi.StringMap {
	return pulumi.StringMap{
		"project":    pulumi.String(n.Project),
		"stack":      pulumi.String(n.Stack),
		"managed-by": pulumi.String("pulumi"),
		CostTag:      pulumi.String(n.Prefix()),
	}
}
