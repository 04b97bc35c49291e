// Package dataset is entitle's data file: clients (with secrets, and the
// Account Manager partners' apiKeys), customers with their sites, the
// catalog, devices, existing subscriptions and trials, and the seats part
// (companies, their users with roles and passwords, the seats they own and
// assignments of seats to users), with the seeds' field names. Parse reads
// it (YAML or JSON, strictly), Build checks every value and converts it to
// domain values, and Apply or Load writes it to a store. `entitle load` and
// `entitle serve --example` use it, and the tests written in rule files load
// their fixtures with it. Secrets, apiKeys and passwords are stored by hash
// only; seats.go says how loading a file again treats the seats part.
package dataset
