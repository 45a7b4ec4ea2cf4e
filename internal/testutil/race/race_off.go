//go:build !race

// Package race tells tests whether the race detector is built in.
package race

// Enabled reports whether the race detector is built in: it makes
// sync.Pool drop items at random and adds allocations of its own, so
// allocation-count tests skip under it.
const Enabled = false
