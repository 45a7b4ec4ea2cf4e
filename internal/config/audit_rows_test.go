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
	"global_defs config_save_dir":      {Effect: []string{"TestConfigSaveDir"}},
	"global_defs tmp_config_directory": {NoEffect: "one process parses the configuration once into memory: no temporary copy is ever written"},
	"global_defs reload_check_config":  {Effect: []string{"TestReloadCheckConfigLog"}},
	"global_defs vrrp_strict":          {Effect: []string{"TestStrictFirewall", "TestStrictWithoutAcceptWarns"}},
	// Dynamic interfaces, scheduled reloads, buffer sizes (issue 11).
	"global_defs dynamic_interfaces":                  {Effect: []string{"TestDynamicInterfaceAppears", "TestDynamicInterfacesHostCheck", "TestDynamicInterfaces"}},
	"global_defs reload_time_file":                    {Effect: []string{"TestReloadTimeSchedule", "TestReloadTimeFile"}},
	"global_defs reload_repeat":                       {Effect: []string{"TestReloadTimeRepeat"}},
	"global_defs reload_file":                         {Effect: []string{"TestReloadFileMarksReading"}},
	"global_defs vrrp_netlink_cmd_rcv_bufs":           {Effect: []string{"TestCommandReceiveBuffer"}},
	"global_defs vrrp_netlink_cmd_rcv_bufs_force":     {Effect: []string{"TestCommandReceiveBuffer"}},
	"global_defs vrrp_netlink_monitor_rcv_bufs":       {Effect: []string{"TestMonitorReceiveBuffer"}},
	"global_defs vrrp_netlink_monitor_rcv_bufs_force": {Effect: []string{"TestMonitorReceiveBuffer"}},
	"global_defs process_monitor_rcv_bufs":            {NoEffect: "no process-event netlink socket exists: vrrp_track_process scans /proc (warned)"},
	"global_defs process_monitor_rcv_bufs_force":      {NoEffect: "no process-event netlink socket exists: vrrp_track_process scans /proc (warned)"},
	"global_defs vrrp_rx_bufs_policy":                 {Effect: []string{"TestRxBufsPolicy", "TestDynamicInterfaces"}},
	"global_defs vrrp_rx_bufs_multiplier":             {Line: "vrrp_rx_bufs_multiplier 5", Effect: []string{"TestRxBufsPolicy"}},
	// vrrp_instance: lines the generator cannot make.
	"vrrp_instance authentication":             {Line: "authentication {\n        auth_type PASS\n        auth_pass 1111\n    }", Effect: []string{"TestNginxPairFailover"}},
	"vrrp_instance virtual_ipaddress":          {Line: "virtual_ipaddress {\n        192.0.2.101/24\n    }", SameDump: "the template has its own block, after this line: a repeat is warned and the last one used", Effect: []string{"TestNginxPairFailover"}},
	"vrrp_instance virtual_ipaddress_excluded": {Line: "virtual_ipaddress_excluded {\n        192.0.2.102/24\n    }"},
	"vrrp_instance virtual_routes":             {Line: "virtual_routes {\n        203.0.113.0/24 via 192.0.2.254\n    }", Effect: []string{"TestFeatureVirtualRoutes"}},
	"vrrp_instance virtual_rules":              {Line: "virtual_rules {\n        from 192.0.2.100/32 table 100\n    }", Effect: []string{"TestFeatureVirtualRoutes"}},
	"vrrp_instance mcast_src_ip":               {Line: "mcast_src_ip 192.0.2.1"},
	"vrrp_instance unicast_src_ip":             {Line: "unicast_src_ip 192.0.2.1", Effect: []string{"TestUnicastPair"}},
	"vrrp_instance unicast_peer":               {Line: "unicast_peer {\n        192.0.2.2\n    }", Effect: []string{"TestUnicastPair"}},
	"vrrp_instance preempt":                    {SameDump: "preempt is the default (nopreempt clears it)", Effect: []string{"TestNginxPairNoPreempt"}},
	"vrrp_instance accept":                     {SameDump: "accept is the default without vrrp_strict", Effect: []string{"TestStrictFirewall"}},
	"vrrp_instance no_accept":                  {Effect: []string{"TestSegmentFirewallNoAccept"}},
	"vrrp_instance track_interface":            {Line: "track_interface {\n        eth1\n    }"},
	"vrrp_instance track_script":               {Line: "track_script {\n        chk\n    }", Effect: []string{"TestTrackFailover"}},
	"vrrp_instance track_file":                 {Line: "track_file {\n        tf\n    }"},
	"vrrp_instance track_process":              {Line: "track_process {\n        tp\n    }", Effect: []string{"TestTrackFailover"}},
	"vrrp_instance track_bfd":                  {Line: "track_bfd {\n        b1\n    }"},
	// global_defs: lines the generator cannot make.
	"global_defs notification_email": {Line: "notification_email {\n        ops@example.com\n    }", Effect: []string{"TestTrackScriptNotify"}},
	"global_defs snmp_socket":        {Line: "snmp_socket unix:/run/agentx.sock", Effect: []string{"TestSNMPDifferential"}},
	// vrrp_instance keywords the IPv4 template cannot show.
	"vrrp_instance native_ipv6": {Base: "vrrp_instance VI_1 {\n    interface eth0\n    virtual_router_id 51\n%s\n    virtual_ipaddress_excluded {\n        2001:db8::10/64\n    }\n}\n",
		Effect: []string{"TestIssue11InstanceKeywords"}},
	// VMAC family (issue 11).
	"vrrp_instance use_vmac_addr": {Effect: []string{"TestSegmentUseVMACAddr", "TestFeatureUseVMACAddr"}},
	"vrrp_instance use_ipvlan":    {Line: "use_ipvlan gk51 192.0.2.50/24", Effect: []string{"TestSegmentUseIPVLAN", "TestFeatureUseIPVLAN"}},
	"vrrp_instance vrf": {Line: "vrf blue", Base: "vrrp_instance VI_1 {\n    virtual_router_id 51\n    unicast_src_ip 192.0.2.1\n    unicast_peer {\n        192.0.2.2\n    }\n%s\n    virtual_ipaddress {\n        192.0.2.100/24 dev eth0\n    }\n}\n",
		Effect: []string{"TestSegmentVRF", "TestFeatureVRF"}},
	"global_defs vmac_addr_prefix": {Line: "vmac_addr_prefix va", Effect: []string{"TestSegmentUseVMACAddr", "TestFeatureUseVMACAddr"}},
	// LVS globals (the IPVS VM tests show their run-time effect).
	"global_defs lvs_timeouts":           {Line: "lvs_timeouts tcp 7200 tcpfin 120 udp 30", Effect: []string{"TestIPVSKeywordsInKernel", "TestLVSTimeoutsRestored"}},
	"global_defs lvs_sync_daemon":        {Line: "lvs_sync_daemon eth0 inst VI_1 id 5", Effect: []string{"TestIPVSDaemonPairSync", "TestSyncDaemonFollowsVRRP"}},
	"global_defs lvs_notify_fifo":        {Effect: []string{"TestLVSNotifyFIFO"}},
	"global_defs lvs_notify_fifo_script": {Effect: []string{"TestLVSNotifyFIFO"}},
	"global_defs rs_init_notifies":       {Effect: []string{"TestLVSNotifyFIFO"}},
	// nftables_ipvs: group ranges marked for one IPVS fwmark service.
	"global_defs nftables_ipvs":              {Effect: []string{"TestIPVSNFTablesMarks", "TestMarksInKernel", "TestTranslateNFTablesIPVS"}},
	"global_defs nftables_ipvs_priority":     {Line: "nftables_ipvs\n    nftables_ipvs_priority 7", Effect: []string{"TestMarksInKernel", "TestTranslateNFTablesIPVS"}},
	"global_defs nftables_ipvs_start_fwmark": {Line: "nftables_ipvs\n    nftables_ipvs_start_fwmark 2000", Effect: []string{"TestTranslateNFTablesIPVS"}},
	// The load balancer's netlink receive buffers (SO_RCVBUF read back).
	"global_defs lvs_netlink_cmd_rcv_bufs":           {Effect: []string{"TestLVSNetlinkRcvBufs", "TestIPVSNetlinkRcvBufs"}},
	"global_defs lvs_netlink_cmd_rcv_bufs_force":     {Effect: []string{"TestLVSNetlinkRcvBufs", "TestIPVSNetlinkRcvBufs"}},
	"global_defs lvs_netlink_monitor_rcv_bufs":       {Effect: []string{"TestLVSNetlinkRcvBufs", "TestIPVSNetlinkRcvBufs"}},
	"global_defs lvs_netlink_monitor_rcv_bufs_force": {Effect: []string{"TestLVSNetlinkRcvBufs", "TestIPVSNetlinkRcvBufs"}},
	// The checkers' SMTP alerts.
	"global_defs no_checker_emails": {Effect: []string{"TestCheckerMail"}},
	// SNMP and DBus.
	"global_defs enable_snmp_vrrp":  {Effect: []string{"TestSNMPDifferential", "TestSNMPRunnerFollowsReloads"}},
	"global_defs enable_snmp_rfc":   {Effect: []string{"TestSNMPDifferential"}},
	"global_defs enable_snmp_rfcv2": {Effect: []string{"TestSnmpdRFC2787"}},
	"global_defs enable_snmp_rfcv3": {Effect: []string{"TestSnmpdRFC6527"}},
	"global_defs enable_traps":      {Effect: []string{"TestSNMPDifferential", "TestSnmpTrap"}},
	"global_defs enable_dbus":       {Effect: []string{"TestDBusDifferential", "TestDBusRunnerFollowsReloads"}},
	"global_defs dbus_service_name": {Line: "dbus_service_name org.example.Vrrp", Effect: []string{"TestDBusRunnerFollowsReloads"}},
	"global_defs data_use_instance": {Effect: []string{"TestDBusDifferential", "TestDumpPath"}},
	// GARP pacing and link watching (internal/daemon garppace.go, linkwatch.go).
	"global_defs vrrp_garp_interval":     {Effect: []string{"TestGARPGroupPacing", "TestGARPInterval"}},
	"global_defs vrrp_gna_interval":      {Effect: []string{"TestGARPGroupPacing", "TestGARPInterval"}},
	"global_defs vrrp_garp_extra_if":     {Line: "vrrp_garp_extra_if all 30", Effect: []string{"TestGARPExtraIf"}},
	"vrrp_instance garp_extra_if":        {Line: "garp_extra_if all 30", Effect: []string{"TestGARPExtraIf", "TestFeatureGARPGroup"}},
	"vrrp_instance linkbeat_use_polling": {Effect: []string{"TestLinkbeatPolling", "TestFeatureLinkDelaysAndLinkbeat"}},
	"global_defs enable_snmp_checker":    {Effect: []string{"TestSNMPChecker", "TestSnmpdChecker"}},
}

// auditRowsMissing is how many implemented global_defs keywords may still
// lack a row (audited on the model only); it may only go down.
const auditRowsMissing = 58
