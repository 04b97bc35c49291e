//go:build race

package machine_test

// raceEnabled: the race detector slows the stores down many times over
// (modernc.org/sqlite, pure Go, most of all), so go test -race checks fewer
// and shorter histories (see scale); .ci/run runs the CI budget without it.
const raceEnabled = true
