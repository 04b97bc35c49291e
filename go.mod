module github.com/entitle-rules/entitle

go 1.26.8

require (
	github.com/expr-lang/expr v1.17.8
	github.com/goccy/go-yaml v1.19.2
	github.com/google/go-cmp v0.7.0
	github.com/shopspring/decimal v1.6.0
)
