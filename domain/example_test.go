package domain_test

import (
	"fmt"
	"time"

	"github.com/entitle-rules/entitle/domain"
)

// A one-year part started on seed 001's sample serviceStartDate ends on its
// sample serviceEndDate; month arithmetic clamps to the end of the month.
func ExampleDuration_After() {
	start, _ := domain.ParseDate("2025-04-24")
	oneYear := domain.Duration{N: 1, Unit: domain.Years}
	fmt.Println(oneYear.After(start))

	jan31, _ := domain.ParseDate("2024-01-31")
	fmt.Println(domain.Duration{N: 1, Unit: domain.Months}.After(jan31))
	// Output:
	// 2026-04-24
	// 2024-02-29
}

// The same instant is a different civil date in the Pacific zone (service
// dates) and in UTC (activation dates).
func ExampleToday() {
	now := time.Date(2025, time.March, 6, 7, 30, 0, 0, time.UTC)
	fmt.Println("Pacific:", domain.Today(now, domain.Pacific))
	fmt.Println("UTC:    ", domain.Today(now, domain.UTC))
	// Output:
	// Pacific: 2025-03-05
	// UTC:     2025-03-06
}

func ExampleDate_AddMonths() {
	d, _ := domain.ParseDate("2025-01-31")
	fmt.Println(d.AddMonths(1), d.AddMonths(2), d.AddMonths(-2))
	// Output: 2025-02-28 2025-03-31 2024-11-30
}

func ExampleFormatStamp() {
	created := time.Date(2025, time.April, 24, 10, 28, 10, 0, time.UTC)
	fmt.Println(domain.FormatStamp(created))
	// Output: 24-APR-25 10.28.10.000000 AM UTC
}

// Seed 001's example: the store holds "TESTApi01", the request says "TestAPI01".
func ExampleSameSerial() {
	fmt.Println(domain.SameSerial("TESTApi01", "TestAPI01"))
	fmt.Println(domain.SameSerial("TESTApi01", "TESTApi02"))
	// Output:
	// true
	// false
}
