package config

// auditRows are the keyword audit's rows (audit_test.go), by "block
// keyword". Add the row of a keyword with the tests that show its
// run-time effect. Keywords without a row are audited on the model only.
var auditRows = map[string]auditRow{
	// The accept-mode firewall.
	"global_defs nftables":          {Effect: []string{"TestSegmentFirewallKeywords", "TestStrictFirewall", "TestRulesetLikeKeepalived"}},
	"global_defs nftables_priority": {Effect: []string{"TestSegmentFirewallKeywords", "TestRulesetLikeKeepalived"}},
	"global_defs nftables_ifindex":  {Effect: []string{"TestSegmentFirewallKeywords"}},
	"global_defs nftables_counters": {Effect: []string{"TestSegmentFirewallKeywords", "TestStrictFirewall"}},
	"global_defs vrrp_iptables":     {Effect: []string{"TestFirewallKeywords"}},
	"global_defs vrrp_ipsets":       {NoEffect: "the ipset names have no nftables counterpart: accepted with a warning, shown by -d"},
	// Process names and knobs.
	"global_defs process_names":        {Effect: []string{"TestProcessNames"}, Line: "process_names"},
	"global_defs process_name":         {Effect: []string{"TestFeatureProcessKnobs"}},
	"global_defs vrrp_process_name":    {Effect: []string{"TestFeatureProcessKnobs"}},
	"global_defs checker_process_name": {NoEffect: "the checkers are goroutines without a thread of their own (warned)"},
	"global_defs vrrp_priority":        {Effect: []string{"TestFeatureProcessKnobs"}},
	"global_defs vrrp_rt_priority":     {Effect: []string{"TestFeatureProcessKnobs"}},
	"global_defs vrrp_no_swap":         {Effect: []string{"TestFeatureProcessKnobs"}},
	"global_defs vrrp_cpu_affinity":    {Effect: []string{"TestFeatureProcessKnobs"}, Line: "vrrp_cpu_affinity 0"},
	"global_defs vrrp_rlimit_rttime":   {Effect: []string{"TestFeatureProcessKnobs"}},
	"global_defs checker_no_swap":      {Effect: []string{"TestProcessKnobs"}},
	"global_defs disable_local_igmp":   {Effect: []string{"TestFeatureProcessKnobs", "TestDisableAndRestore"}},
	"global_defs vrrp_strict":          {Effect: []string{"TestStrictFirewall", "TestStrictWithoutAcceptWarns"}},
	// Lines the generator cannot make.
	"global_defs notification_email": {Line: "notification_email {\n        ops@example.com\n    }", Effect: []string{"TestTrackScriptNotify"}},
	"global_defs snmp_socket":        {Line: "snmp_socket unix:/run/agentx.sock", Effect: []string{"TestSNMPDifferential"}},
}

// auditRowsMissing is how many implemented global_defs keywords may still
// lack a row (audited on the model only); it may only go down.
const auditRowsMissing = 60
