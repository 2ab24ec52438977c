package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// tableActiveTimeout bounds how long CreateTable waits for a new table to
// become usable; DynamoDB takes seconds, emulators none.
const tableActiveTimeout = 5 * time.Minute

// CreateTable creates the jobs table as the Pulumi program declares it (see
// the package documentation), waits until it is active and turns on expiry
// by expiresAt. It is for tests and local development; production tables
// come from the infrastructure code.
//
// A table of that name that already exists with the same key schema and
// indexes is left as it is, so that local development may call CreateTable
// at every start; one without them (made before an index was added) is
// refused.
// Emulators that do not implement UpdateTimeToLive (dynalite) get a table
// without expiry, which changes nothing but the clean-up of old items.
func CreateTable(ctx context.Context, client *ddb.Client, table string) error {
	s := func(name string) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: &name, AttributeType: types.ScalarAttributeTypeS}
	}
	keys := func(hash, rng string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: &hash, KeyType: types.KeyTypeHash},
			{AttributeName: &rng, KeyType: types.KeyTypeRange},
		}
	}
	_, err := client.CreateTable(ctx, &ddb.CreateTableInput{
		TableName: &table,
		AttributeDefinitions: []types.AttributeDefinition{
			s(attrPK), s(attrSK), s(attrGSI1PK), s(attrGSI1SK), s(attrGSI2PK), s(attrGSI2SK),
		},
		KeySchema: keys(attrPK, attrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{
				IndexName:  ptr(indexByOwner),
				KeySchema:  keys(attrGSI1PK, attrGSI1SK),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll},
			},
			{
				IndexName:  ptr(indexByDue),
				KeySchema:  keys(attrGSI2PK, attrGSI2SK),
				Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
			},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	var exists *types.ResourceInUseException
	switch {
	case errors.As(err, &exists):
		if err := checkTable(ctx, client, table); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("dynamodb: create table %q: %w", table, err)
	}

	waiter := ddb.NewTableExistsWaiter(client, func(o *ddb.TableExistsWaiterOptions) {
		o.MinDelay, o.MaxDelay = 100*time.Millisecond, 5*time.Second
	})
	if err := waiter.Wait(ctx, &ddb.DescribeTableInput{TableName: &table}, tableActiveTimeout); err != nil {
		return fmt.Errorf("dynamodb: wait for table %q to become active: %w", table, err)
	}
	return enableTTL(ctx, client, table)
}

// checkTable makes sure an existing table is keyed and indexed as this
// store needs.
func checkTable(ctx context.Context, client *ddb.Client, table string) error {
	out, err := client.DescribeTable(ctx, &ddb.DescribeTableInput{TableName: &table})
	if err != nil {
		return fmt.Errorf("dynamodb: describe existing table %q: %w", table, err)
	}
	if !keyedBy(out.Table.KeySchema, attrPK, attrSK) {
		return fmt.Errorf("dynamodb: table %q exists but is not keyed by %s (hash) and %s (range): delete it or choose another table name", table, attrPK, attrSK)
	}
	for _, want := range []struct{ name, hash, rng string }{
		{indexByOwner, attrGSI1PK, attrGSI1SK},
		{indexByDue, attrGSI2PK, attrGSI2SK},
	} {
		i := slices.IndexFunc(out.Table.GlobalSecondaryIndexes, func(d types.GlobalSecondaryIndexDescription) bool {
			return deref(d.IndexName) == want.name
		})
		if i < 0 || !keyedBy(out.Table.GlobalSecondaryIndexes[i].KeySchema, want.hash, want.rng) {
			return fmt.Errorf("dynamodb: table %q exists but has no index %s keyed by %s (hash) and %s (range): delete it or choose another table name", table, want.name, want.hash, want.rng)
		}
	}
	return nil
}

// keyedBy reports whether a key schema is hash then range.
func keyedBy(ks []types.KeySchemaElement, hash, rng string) bool {
	return len(ks) == 2 && deref(ks[0].AttributeName) == hash && ks[0].KeyType == types.KeyTypeHash &&
		deref(ks[1].AttributeName) == rng && ks[1].KeyType == types.KeyTypeRange
}

// enableTTL turns on expiry by expiresAt unless it is on already.
func enableTTL(ctx context.Context, client *ddb.Client, table string) error {
	desc, err := client.DescribeTimeToLive(ctx, &ddb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		return fmt.Errorf("dynamodb: describe expiry of table %q: %w", table, err)
	}
	if d := desc.TimeToLiveDescription; d != nil &&
		(d.TimeToLiveStatus == types.TimeToLiveStatusEnabled || d.TimeToLiveStatus == types.TimeToLiveStatusEnabling) {
		if name := deref(d.AttributeName); name != attrTTL {
			return fmt.Errorf("dynamodb: table %q expires items by %q, not %q: delete it or choose another table name", table, name, attrTTL)
		}
		return nil
	}
	_, err = client.UpdateTimeToLive(ctx, &ddb.UpdateTimeToLiveInput{
		TableName: &table,
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: ptr(attrTTL),
			Enabled:       ptr(true),
		},
	})
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "UnknownOperationException" {
		return nil // an emulator without expiry
	}
	if err != nil {
		return fmt.Errorf("dynamodb: turn on expiry by %q for table %q: %w", attrTTL, table, err)
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
