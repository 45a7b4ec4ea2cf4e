// Package chaos is the chaos harness of issue 10: a few VRRP nodes
// (gokeepalived, and real keepalived as a peer in some runs) on one LAN in
// network namespaces (the e2e harness, test/e2e/netns) under a seeded random
// schedule of real faults: link down and up, interface deleted and created
// again, the primary address removed, the VIP removed by hand, kill -9 and a
// restart, SIGSTOP and SIGCONT, incoming VRRP dropped (all of it, or a random
// share with nftables: this kernel has no sch_netem, so there is no delay
// fault), SIGHUP with a changed configuration (VIP list, priority) and
// priority changes through a track_file.
//
// The invariants are read from the kernel (netlink in every namespace,
// sampled every few milliseconds), not from the daemons' status:
//
//   - the VIP is never absent from every node for longer than
//     Master_Down_Interval + one advert interval + a tolerance, counted
//     from the last moment no node could hold it;
//   - no two nodes hold it for longer than that bound, counted from the end
//     of the last partition, SIGSTOP, loss or crash window;
//   - at each checkpoint (every fault repaired) the node with the highest
//     effective priority holds every VIP, the virtual route and the virtual
//     rule, no other node holds any of them, and every gokeepalived's status
//     (state, vips_held, effective priority) agrees with the kernel;
//   - at the end, once the daemons are stopped, no VIP, VMAC, route, rule or
//     process is left in any namespace, and no namespace is left after the
//     harness's cleanup.
//
// A failing run prints its seed and its schedule; CHAOS_SEED=N replays the
// seed (the schedule depends on the seed and the size only) and
// CHAOS_SCHEDULE='...' replays a printed step list. CHAOS_STEPS sets the
// number of faults per cluster, CHAOS_TOLERANCE the tolerance. `make chaos`
// runs the long version.
package chaos
