package stack

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/budgets"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// BudgetArgs sets the monthly limit and whom to tell.
type BudgetArgs struct {
	Names Namer
	// LimitUSD is the monthly limit in US dollars.
	LimitUSD float64
	// Email, when set, is told as the month's cost nears and passes the
	// limit; without it the budget is kept but tells nobody.
	Email string
}

// Budget is a monthly AWS Budgets cost budget over the costs of this stack's
// resources: the whole-account backstop for a deployment strangers can use,
// since the per-owner quotas hold back each owner but not the sum of them.
//
// The budget counts the costs tagged CostTag with this stack's name prefix.
// AWS counts them only once CostTag is activated as a cost allocation tag in
// the Billing console (or `aws ce update-cost-allocation-tags-status
// --cost-allocation-tags-status TagKey=deployment,Status=Active`, in the
// management account of an organization): it can be activated once a tagged
// resource exists, takes up to 24 hours, and applies to costs from then on.
// Until then the budget sees no cost at all. A MediaConvert job's minutes are
// tagged with the job's own tags, unless CreateJob sets BillingTagsSource to
// QUEUE so that the queue's tags count.
type Budget struct {
	pulumi.ResourceState

	Monthly *budgets.Budget
}

// budgetNotifications are when the budget tells the e-mail address: as the
// month's cost reaches 80% and 100% of the limit, and as soon as AWS
// forecasts that the month will end above it.
var budgetNotifications = []struct {
	kind    string
	percent float64
}{
	{"ACTUAL", 80},
	{"ACTUAL", 100},
	{"FORECASTED", 100},
}

// NewBudget declares the stack's monthly cost budget.
func NewBudget(ctx *pulumi.Context, name string, args *BudgetArgs, opts ...pulumi.ResourceOption) (*Budget, error) {
	c := &Budget{}
	if err := ctx.RegisterComponentResource("transcoder:stack:Budget", name, c, opts...); err != nil {
		return nil, err
	}
	n := args.Names

	var notifications budgets.BudgetNotificationArray
	if args.Email != "" {
		for _, b := range budgetNotifications {
			notifications = append(notifications, budgets.BudgetNotificationArgs{
				NotificationType:         pulumi.String(b.kind),
				ComparisonOperator:       pulumi.String("GREATER_THAN"),
				Threshold:                pulumi.Float64(b.percent),
				ThresholdType:            pulumi.String("PERCENTAGE"),
				SubscriberEmailAddresses: pulumi.ToStringArray([]string{args.Email}),
			})
		}
	}

	var err error
	c.Monthly, err = budgets.NewBudget(ctx, name+"-monthly", &budgets.BudgetArgs{
		Name:        pulumi.String(n.Name("monthly-cost")),
		BudgetType:  pulumi.String("COST"),
		TimeUnit:    pulumi.String("MONTHLY"),
		LimitAmount: pulumi.String(formatDollars(args.LimitUSD)),
		LimitUnit:   pulumi.String("USD"),
		CostFilters: budgets.BudgetCostFilterArray{
			budgets.BudgetCostFilterArgs{
				Name: pulumi.String("TagKeyValue"),
				// User-defined tags are "user:<key>$<value>" to Budgets.
				Values: pulumi.ToStringArray([]string{fmt.Sprintf("user:%s$%s", CostTag, n.Prefix())}),
			},
		},
		// Credits would hide what the stack spends until they run out.
		CostTypes:     budgets.BudgetCostTypesArgs{IncludeCredit: pulumi.Bool(false)},
		Notifications: notifications,
		Tags:          n.Tags(),
	}, pulumi.Parent(c), pulumi.DeleteBeforeReplace(true))
	if err != nil {
		return nil, err
	}
	return c, ctx.RegisterResourceOutputs(c, pulumi.Map{"budgetName": c.Monthly.Name})
}
