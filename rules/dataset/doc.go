// Package dataset is entitle's data file: clients, customers with their
// sites, the catalog, devices, existing subscriptions and trials, with the
// seed's field names. Parse reads it (YAML or JSON, strictly), Build checks
// every value and converts it to domain values, and Apply or Load writes it
// to a store. `entitle load` and `entitle serve --example` use it, and the
// tests written in rule files load their fixtures with it.
package dataset
