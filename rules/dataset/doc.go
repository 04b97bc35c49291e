// Package dataset is entitle's data file: clients (with secrets, and the
// Account Manager partners' apiKeys), customers with their sites, the
// catalog, devices, existing subscriptions and trials, the seats part
// (companies, their users with roles and passwords, the seats they own and
// assignments of seats to users), and the accounts part (the companies'
// seed 003 fields, block records and premium subscriptions and seed 002
// services and SKUs; partners' client plans; their X-AccessTokens; and
// managed-billing links), with the seeds' field names. Parse reads it (YAML
// or JSON, strictly), Build checks every value and converts it to domain
// values, and Apply or Load writes it to a store. Past orders (orders.go)
// come with their lines and the subscriptions those granted, owned by their
// client through the order. `entitle load` and
// `entitle serve --example` use it, and the tests written in rule files load
// their fixtures with it. Secrets, apiKeys, access tokens and passwords are
// stored by hash only; seats.go and accounts.go say how loading a file again
// treats their parts.
package dataset
