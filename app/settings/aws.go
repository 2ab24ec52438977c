package settings

import "regexp"

// The shapes of the AWS identifiers the service is given. The engines'
// roles and queues are in the commercial, China or GovCloud partitions.
// region is the shape of a region's name, as in us-east-1 or us-gov-west-1.
const region = `[a-z]{2}(-[a-z]+)+-\d`

var (
	regionName = regexp.MustCompile(`^` + region + `$`)
	topicARN   = regexp.MustCompile(`^arn:aws(-cn|-us-gov|-iso|-iso-b)?:sns:` + region + `:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$`)
	roleARN    = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/[\w+=,.@/-]{1,512}$`)
	queueARN   = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:mediaconvert:(` + region + `):\d{12}:queues/[\w-]{1,128}$`)
	// pipelineID is how Elastic Transcoder writes a pipeline's id: 13
	// digits, a hyphen, 6 letters or digits.
	pipelineID = regexp.MustCompile(`^\d{13}-\w{6}$`)
)

// IsRegion reports whether s has the shape of an AWS region's name (like
// us-east-1 or eu-west-1), as the stack's aws:region must.
func IsRegion(s string) bool { return regionName.MatchString(s) }

// IsTopicARN reports whether s is an SNS topic's ARN
// (arn:aws:sns:<region>:<account>:<name>), as SNS_TOPIC_ARNS lists them.
func IsTopicARN(s string) bool { return topicARN.MatchString(s) }

// IsRoleARN reports whether s is an IAM role's ARN
// (arn:aws:iam::<account>:role/<path and name>), the shape
// MEDIACONVERT_ROLE_ARN must have for MediaConvert to assume the role.
func IsRoleARN(s string) bool { return roleARN.MatchString(s) }

// QueueRegion returns the region of the MediaConvert queue whose ARN is s
// (arn:aws:mediaconvert:<region>:<account>:queues/<name>), and false if s
// is not a queue's ARN: a job can be submitted only to a queue of the
// client's own region.
func QueueRegion(s string) (region string, ok bool) {
	m := queueARN.FindStringSubmatch(s)
	if m == nil {
		return "", false
	}
	return m[2], true
}

// IsQueueARN reports whether s is a MediaConvert queue's ARN, the shape
// MEDIACONVERT_QUEUE_ARN must have.
func IsQueueARN(s string) bool { return queueARN.MatchString(s) }

// IsPipelineID reports whether s is an Elastic Transcoder pipeline id (13
// digits, a hyphen, 6 letters or digits), the shape
// ELASTICTRANSCODER_PIPELINE_ID must have.
func IsPipelineID(s string) bool { return pipelineID.MatchString(s) }
