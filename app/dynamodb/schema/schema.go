// Package schema names the DynamoDB job table's keys, indexes and expiry
// attribute. The service's DynamoDB store reads and writes them and the
// Pulumi program declares the table with them, so a rename in this one
// place reaches both, and neither can declare a key the other does not use.
//
// It imports nothing but the standard library, so that the Pulumi program
// can import it without the AWS SDK the store needs.
package schema

// The table's primary key: every item (a job, an invite, a tally) is
// addressed by a string partition key and a string sort key.
const (
	// PartitionKey is the table's hash key attribute.
	PartitionKey = "pk"
	// SortKey is the table's range key attribute.
	SortKey = "sk"
)

// TTLAttribute holds the epoch second after which DynamoDB deletes an item:
// an ended job past its retention, an expired tally.
const TTLAttribute = "expiresAt"

// The index that lists an owner's jobs, newest first, all attributes
// projected.
const (
	// OwnerIndex is the index's name.
	OwnerIndex = "byOwner"
	// OwnerIndexPartitionKey holds "OWNER#<owner>".
	OwnerIndexPartitionKey = "gsi1pk"
	// OwnerIndexSortKey holds the job's creation time and id, so that the
	// index sorts an owner's jobs by age.
	OwnerIndexSortKey = "gsi1sk"
)

// The index that holds only the jobs that owe a webhook call, by when it is
// due, keys only, so that the dispatcher finds them with a query instead of
// a scan.
const (
	// DueIndex is the index's name.
	DueIndex = "byDue"
	// DueIndexPartitionKey holds the same value on every due job.
	DueIndexPartitionKey = "gsi2pk"
	// DueIndexSortKey holds the due time of the job's next webhook call.
	DueIndexSortKey = "gsi2sk"
)
