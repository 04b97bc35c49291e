package main

import (
	"context"
	"errors"
	"flag"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/ports"
)

// storeOptions are the flags that choose the store.
type storeOptions struct {
	db       *string
	postgres *string
	schema   *string
	// onRetry, when set, is told of each transaction run again.
	onRetry func(attempt int, err error)
}

func storeFlags(fl *flag.FlagSet) storeOptions {
	return storeOptions{
		db:       fl.String("db", "entitle.db", "the SQLite database file"),
		postgres: fl.String("postgres", "", "a PostgreSQL DSN, used instead of SQLite (many instances share it);\nbetter given as ENTITLE_POSTGRES, which ps does not show"),
		schema:   fl.String("postgres-schema", "", "the PostgreSQL schema of entitle's tables, created and migrated when missing\n(default: the first schema of the DSN's search_path parameter, else public)"),
	}
}

func (o storeOptions) open(ctx context.Context) (ports.Store, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if *o.postgres != "" {
		return postgres.Open(ctx, *o.postgres, postgres.Options{Schema: *o.schema, OnRetry: o.onRetry})
	}
	return sqlite.Open(*o.db, sqlite.Options{OnRetry: o.onRetry})
}

// describe says which store the flags name, for logs.
func (o storeOptions) describe() string {
	if *o.postgres != "" {
		return "postgres"
	}
	return "sqlite:" + *o.db
}

// check refuses flags that name no one store.
func (o storeOptions) check() error {
	if *o.schema != "" && *o.postgres == "" {
		return errors.New("--postgres-schema (ENTITLE_POSTGRES_SCHEMA) is given without --postgres (ENTITLE_POSTGRES)")
	}
	return nil
}
