// Package stacktest runs a Pulumi program offline under mocks and records
// every resource it declares, so that tests can assert the wiring and the
// security of the whole stack without the Pulumi CLI, the AWS provider or an
// AWS account.
package stacktest

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"sync"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The account the mocks pretend to be.
const (
	Account   = "123456789012"
	Partition = "aws"
)

// Mocks answers the engine's calls as AWS would, in shape if not in content:
// every resource gets a deterministic ID and the outputs the program reads
// (ARNs, URLs, names), and the invokes the program makes (caller identity,
// partition) return the mock account. It records every resource.
type Mocks struct {
	// Region is where ARNs and URLs say the resources are.
	Region string

	mu        sync.Mutex
	resources []Resource
}

var _ pulumi.MockResourceMonitor = (*Mocks)(nil)

// NewResource records the resource and returns its ID and state: the inputs
// plus the outputs AWS would compute.
func (m *Mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	r := Resource{
		Type:   args.TypeToken,
		Name:   args.Name,
		Custom: args.Custom,
		Inputs: args.Inputs.Copy(),
	}
	if rpc := args.RegisterRPC; rpc != nil {
		r.Parent = urnName(rpc.GetParent())
		r.Protect = rpc.GetProtect()
		r.DeleteBeforeReplace = rpc.GetDeleteBeforeReplace()
		for _, dep := range rpc.GetDependencies() {
			r.DependsOn = append(r.DependsOn, urnName(dep))
		}
		slices.Sort(r.DependsOn)
		r.DependsOn = slices.Compact(r.DependsOn)
	}

	state := args.Inputs.Copy()
	id := ""
	if args.Custom {
		var computed map[string]any
		id, computed = m.computed(args.TypeToken, args.Name, args.Inputs)
		for k, v := range computed {
			state[resource.PropertyKey(k)] = resource.NewPropertyValue(v)
		}
	}
	r.ID = id
	r.State = state.Copy()

	m.mu.Lock()
	m.resources = append(m.resources, r)
	m.mu.Unlock()
	return id, state, nil
}

// Call answers the invokes the program makes.
func (m *Mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "aws:index/getCallerIdentity:getCallerIdentity":
		return resource.NewPropertyMapFromMap(map[string]any{
			"accountId": Account,
			"arn":       fmt.Sprintf("arn:%s:iam::%s:user/deployer", Partition, Account),
			"id":        Account,
			"userId":    "AIDAMOCKDEPLOYER",
		}), nil
	case "aws:index/getPartition:getPartition":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id":               Partition,
			"partition":        Partition,
			"dnsSuffix":        "amazonaws.com",
			"reverseDnsPrefix": "com.amazonaws",
		}), nil
	case "aws:index/getRegion:getRegion":
		return resource.NewPropertyMapFromMap(map[string]any{
			"id":   m.Region,
			"name": m.Region,
		}), nil
	}
	return nil, fmt.Errorf("stacktest: no mock for invoke %s", args.Token)
}

// computed returns the ID and the outputs AWS computes for a resource.
func (m *Mocks) computed(typ, name string, in resource.PropertyMap) (string, map[string]any) {
	physical := str(in, "name")
	if physical == "" {
		physical = name
	}
	arn := func(service, res string) string {
		return fmt.Sprintf("arn:%s:%s:%s:%s:%s", Partition, service, m.Region, Account, res)
	}
	out := map[string]any{}
	id := physical
	switch typ {
	case "aws:s3/bucketV2:BucketV2":
		bucket := str(in, "bucket")
		id = bucket
		out["bucket"] = bucket
		out["arn"] = fmt.Sprintf("arn:%s:s3:::%s", Partition, bucket)
		out["bucketDomainName"] = bucket + ".s3.amazonaws.com"
		out["bucketRegionalDomainName"] = fmt.Sprintf("%s.s3.%s.amazonaws.com", bucket, m.Region)
	case "aws:sns/topic:Topic":
		id = arn("sns", physical)
		out["arn"] = id
		out["name"] = physical
	case "aws:sns/topicSubscription:TopicSubscription":
		id = fmt.Sprintf("%s:%s", str(in, "topic"), shortHash(name))
		out["arn"] = id
	case "aws:sqs/queue:Queue":
		id = fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", m.Region, Account, physical)
		out["arn"] = arn("sqs", physical)
		out["url"] = id
		out["name"] = physical
	case "aws:iam/role:Role":
		out["arn"] = fmt.Sprintf("arn:%s:iam::%s:role/%s", Partition, Account, physical)
		out["name"] = physical
		out["uniqueId"] = "AROAMOCK" + strings.ToUpper(shortHash(physical))
	case "aws:lambda/function:Function":
		out["arn"] = arn("lambda", "function:"+physical)
		out["invokeArn"] = fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", Partition, m.Region, out["arn"])
		out["name"] = physical
		out["version"] = "$LATEST"
	case "aws:lambda/functionUrl:FunctionUrl":
		urlID := shortHash(str(in, "functionName")) + shortHash(name)
		id = str(in, "functionName")
		out["urlId"] = urlID
		out["functionUrl"] = fmt.Sprintf("https://%s.lambda-url.%s.on.aws/", urlID, m.Region)
		out["functionArn"] = arn("lambda", "function:"+str(in, "functionName"))
	case "aws:lambda/permission:Permission":
		id = str(in, "statementId")
	case "aws:cloudwatch/eventRule:EventRule":
		out["arn"] = arn("events", "rule/"+physical)
		out["name"] = physical
	case "aws:cloudwatch/eventTarget:EventTarget":
		id = str(in, "rule") + "-" + str(in, "targetId")
	case "aws:cloudwatch/logGroup:LogGroup":
		out["arn"] = arn("logs", "log-group:"+physical)
		out["name"] = physical
	case "aws:cloudwatch/metricAlarm:MetricAlarm":
		out["arn"] = arn("cloudwatch", "alarm:"+physical)
		out["name"] = physical
	case "aws:mediaconvert/queue:Queue":
		out["arn"] = arn("mediaconvert", "queues/"+physical)
		out["name"] = physical
	case "aws:elastictranscoder/pipeline:Pipeline":
		id = "1700000000000-" + shortHash(physical)[:6]
		out["arn"] = arn("elastictranscoder", "pipeline/"+id)
	case "aws:dynamodb/table:Table":
		out["arn"] = arn("dynamodb", "table/"+physical)
		out["name"] = physical
	case "aws:kms/key:Key":
		id = "mock-key-" + shortHash(name)
		out["keyId"] = id
		out["arn"] = arn("kms", "key/"+id)
	case "aws:kms/alias:Alias":
		out["arn"] = arn("kms", physical)
	default:
		id = name + "-id"
	}
	return id, out
}

func str(in resource.PropertyMap, key string) string {
	v, ok := in[resource.PropertyKey(key)]
	if !ok {
		return ""
	}
	if s, ok := Plain(v, true).(string); ok {
		return s
	}
	return ""
}

func shortHash(s string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(s))
	return fmt.Sprintf("%016x", h.Sum64())[:10]
}

// urnName is the logical name at the end of a URN.
func urnName(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}
