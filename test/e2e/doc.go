// Package e2e holds end-to-end scenarios: real daemons (gokeepalived by default, real
// keepalived as a peer or on request), nginx and a client in network namespaces, built with the harness in ./netns. They run in
// the normal `go test ./...` and need root; GOKEEPALIVED_SKIP_E2E=1 skips them without root.
// GOKEEPALIVED_E2E_DAEMONS=keepalived,gokeepalived selects the daemons (default gokeepalived;
// every master/backup combination is run, so two names also give both interop mixes).
package e2e
