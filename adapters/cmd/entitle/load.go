package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/entitle-rules/entitle/domain"
	"github.com/entitle-rules/entitle/ports"
	"github.com/entitle-rules/entitle/rules/dataset"
)

// load reads a data file into the configured store: all of it in one
// transaction, or nothing when any field is wrong.
func load(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("load", flag.ContinueOnError)
	fl.SetOutput(stderr)
	so := storeFlags(fl)
	if err := parseFlags(fl, args); err != nil {
		return 2
	}
	if fl.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: entitle load [--db FILE | --postgres DSN [--postgres-schema S]] FILE")
		return 2
	}
	ctx := context.Background()
	store, err := so.open(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "entitle load: %v\n", err)
		return 1
	}
	defer store.Close()
	n, err := loadFile(ctx, store, fl.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "entitle load: %s: %v\n", fl.Arg(0), err)
		return 1
	}
	fmt.Fprintf(stdout, "loaded %s: %s\n", fl.Arg(0), n)
	return 0
}

// loadFile reads and loads a data file; it returns what was loaded.
func loadFile(ctx context.Context, store ports.Store, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	return loadData(ctx, store, b)
}

// loadData parses YAML or JSON (JSON is YAML) strictly: an unknown field is
// refused with its line and column, a bad value with its field path.
func loadData(ctx context.Context, store ports.Store, b []byte) (string, error) {
	ds, err := dataset.Parse(b)
	if err != nil {
		return "", err
	}
	w, err := ds.Load(ctx, store)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) && len(de.Violations) > 0 {
			msg := "the data file is invalid:"
			for _, v := range de.Violations {
				msg += "\n  " + v.Field + ": " + v.Message
			}
			return "", errors.New(msg)
		}
		return "", err
	}
	seatsOwned := 0
	for _, l := range w.Licenses {
		seatsOwned += l.Seats
	}
	return fmt.Sprintf("%d clients, %d customers, %d price lists, %d parts, %d models, %d devices, %d subscriptions, %d past orders, "+
		"%d companies, %d users, %d seats, %d assignments, %d client plans, %d access tokens, %d managed links",
		len(w.Clients), len(w.Customers), len(w.PriceLists), len(w.Parts), len(w.Models), len(w.Devices), len(w.Subscriptions), len(w.Orders),
		len(w.Companies), len(w.Users), seatsOwned, len(w.Assignments), len(w.ClientPlans), len(w.AccessTokens), len(w.ManagedLinks)), nil
}
