package main

import (
	"context"
	"flag"

	"github.com/entitle-rules/entitle/adapters/postgres"
	"github.com/entitle-rules/entitle/adapters/sqlite"
	"github.com/entitle-rules/entitle/ports"
)

// storeOptions are the flags that choose the store.
type storeOptions struct {
	db       *string
	postgres *string
}

func storeFlags(fl *flag.FlagSet) storeOptions {
	return storeOptions{
		db:       fl.String("db", "entitle.db", "the SQLite database file"),
		postgres: fl.String("postgres", "", "a PostgreSQL DSN, used instead of SQLite (many instances share it)"),
	}
}

func (o storeOptions) open(ctx context.Context) (ports.Store, error) {
	if *o.postgres != "" {
		return postgres.Open(ctx, *o.postgres, postgres.Options{})
	}
	return sqlite.Open(*o.db, sqlite.Options{})
}

// describe says which store the flags name, for logs.
func (o storeOptions) describe() string {
	if *o.postgres != "" {
		return "postgres"
	}
	return "sqlite:" + *o.db
}
