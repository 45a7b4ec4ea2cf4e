package config

import (
	"net"
	"net/netip"
	"time"

	"gokeepalived/internal/config/syntax"
)

// Pos is a position in a configuration file.
type Pos = syntax.Pos

// Config is a whole, validated keepalived configuration. Every value has
// keepalived 2.2.7's default applied; every object keeps its position.
type Config struct {
	Global              Global
	Scripts             []*Script // vrrp_script, in file order
	TrackFiles          []*TrackFile
	TrackProcesses      []*TrackProcess
	SyncGroups          []*SyncGroup
	Instances           []*Instance
	VirtualServerGroups []*VirtualServerGroup
	VirtualServers      []*VirtualServer
	SSL                 *SSLConfig // the top-level SSL block, if any
	BFDInstances        []*BFDInstance
	// Static entries (static_ipaddress, static_routes, static_rules): put
	// in place when the VRRP runtime starts (after removing any left by an
	// earlier run), put back when deleted unless no_track, changed by a
	// reload, and removed when it stops, as keepalived 2.2.7 does.
	StaticAddresses []VIP
	StaticRoutes    []Route
	StaticRules     []Rule
	TrackGroups     []*TrackGroup
	BGP             *BGP // the gokeepalived-only bgp block, or --bgp-config's

	// GARPGroups are the garp_group blocks: the least time between two
	// gratuitous ARPs (NAs) sent on their interfaces (internal/daemon
	// garppace.go). Interfaces in no group pace with global_defs
	// vrrp_garp_interval / vrrp_gna_interval, each on its own.
	GARPGroups []*GARPGroup
	// LinkbeatInterfaces are the linkbeat_interfaces lines: their link
	// state is polled (ETHTOOL, SIOCGIFFLAGS) every second instead of
	// followed through netlink.
	LinkbeatInterfaces []LinkbeatInterface
	// InterfaceDelays are the interface_up_down_delays lines: how long a
	// link change waits before the instances act on it.
	InterfaceDelays []InterfaceDelay
}

// GARPGroup is one garp_group block.
type GARPGroup struct {
	Pos Pos
	// GARPInterval, GNAInterval: set only with HasGARP, HasGNA.
	GARPInterval, GNAInterval time.Duration
	HasGARP, HasGNA           bool
	// Interfaces share the delays: one interface (interface), or several
	// aggregated, as if behind one switch (interfaces { }; Aggregate).
	Interfaces []string
	Aggregate  bool
	// Number is the group's aggregation number (keepalived's dump), 0
	// for an interface keyword.
	Number int
}

// LinkbeatInterface is one linkbeat_interfaces line: NAME [MII|ETHTOOL|IOCTL].
type LinkbeatInterface struct {
	Pos  Pos
	Name string
	Type string // "" (MII, else ETHTOOL, else IOCTL), "MII", "ETHTOOL" or "IOCTL"
}

// InterfaceDelay is one interface_up_down_delays line.
type InterfaceDelay struct {
	Pos      Pos
	Name     string
	Down, Up time.Duration
}

// GARPExtraIf is garp_extra_if / vrrp_garp_extra_if: while MASTER, every
// Interval, one gratuitous ARP/NA for each address on another interface
// than the instance's (All), or on another VMAC (without All).
type GARPExtraIf struct {
	Interval time.Duration // 0: off
	All      bool
}

// BFDInstance is a bfd_instance block: one BFD session (RFC 5880/5881).
type BFDInstance struct {
	Pos      Pos
	Name     string
	Neighbor netip.Addr // neighbor_ip (required)
	Source   netip.Addr // source_ip; invalid: chosen by route
	MinRx    time.Duration
	MinTx    time.Duration
	IdleTx   time.Duration
	// Multiplier is the detect multiplier (default 5).
	Multiplier int
	Passive    bool
	// TTL is the TTL / hop limit sent with; 0 in the file means
	// keepalived's default, 255 for IPv4 and 64 for IPv6 (set by the
	// builder). Received packets must have at least TTL - MaxHops.
	TTL     int
	MaxHops int // -1: no TTL check
	// Weight and Reverse are the default of track_bfd lines that give no
	// weight (keepalived: weight 0, FAULT while the session is down).
	Weight  int
	Reverse bool
	// VRRP and Checker are the vrrp and checker keywords: which of
	// track_bfd and BFD_CHECK hear the session. Neither given: both
	// (keepalived: the BFD process tells both the VRRP and the checker
	// process). Use TellsVRRP and TellsCheckers.
	VRRP, Checker bool
}

// TellsVRRP reports whether track_bfd may follow the session.
func (b *BFDInstance) TellsVRRP() bool { return b.VRRP || !b.Checker }

// TellsCheckers reports whether BFD_CHECK may follow the session.
func (b *BFDInstance) TellsCheckers() bool { return b.Checker || !b.VRRP }

// BFD defaults of keepalived 2.2.7 (bfd.h).
const (
	BFDDefaultMinRx      = 10 * time.Millisecond
	BFDDefaultMinTx      = 10 * time.Millisecond
	BFDDefaultIdleTx     = time.Second
	BFDDefaultMultiplier = 5
)

// Global is global_defs.
type Global struct {
	Pos                   Pos
	RouterID              string // "" = the local host name
	NotificationEmail     []string
	NotificationEmailFrom string // "" = keepalived@<host name>
	SMTPServer            string // host or IP; "" = none
	SMTPPort              uint16 // default 25
	SMTPHeloName          string // "" = local host name
	SMTPConnectTimeout    time.Duration
	SMTPAlert             *bool // nil = not set (per-area defaults apply)
	SMTPAlertVRRP         *bool
	SMTPAlertChecker      *bool
	NoEmailFaults         bool
	CheckerLogAllFailures bool
	DefaultInterface      string // default "eth0"
	// LVSFlush is lvs_flush: clear the whole load-balancer table at start.
	LVSFlush bool
	// LVSFlushOnStop is lvs_flush_on_stop: "" (not set: remove our own
	// virtual servers unless -I), "ALL" (no argument: clear the whole
	// table) or "VS" (remove our own virtual servers).
	LVSFlushOnStop string
	// LVSTimeouts is lvs_timeouts: the IPVS connection timeouts (zero =
	// the kernel's).
	LVSTimeouts LVSTimeouts
	// LVSSyncDaemon is lvs_sync_daemon (or a vrrp_instance's
	// lvs_sync_daemon_interface); nil = none.
	LVSSyncDaemon *LVSSyncDaemon
	// NetNamespaceIPVS is net_namespace_ipvs: the network namespace the
	// load-balancer table (IPVS, or the nft backend's table, and the
	// nftables_ipvs marks) is programmed in, while checks run in the
	// daemon's own. nil = the daemon's namespace; "" = the default
	// namespace (pid 1's), as keepalived.
	NetNamespaceIPVS *string
	// NFTablesIPVS is nftables_ipvs [TABLE]: the nftables table (families
	// ip and ip6) whose input-hook chain marks the packets of
	// virtual_server_group address ranges so that one IPVS fwmark service
	// per group and protocol serves them ("" = off; keepalived's default
	// name keepalived_ipvs). NFTablesIPVSPriority and
	// NFTablesIPVSStartFWMark are its chain priority (default -1) and its
	// first mark (default 1000); nftables_ipvs resets both when it is read,
	// as keepalived does.
	NFTablesIPVS            string
	NFTablesIPVSPriority    int32
	NFTablesIPVSStartFWMark uint32
	// LVSNetlinkCmdRcvBufs (lvs_netlink_cmd_rcv_bufs, 0 = not set) is the
	// receive buffer of the load balancer's command sockets (IPVS generic
	// netlink, nftables); LVSNetlinkMonitorRcvBufs that of the socket that
	// reads the kernel's connection table (conntrack, for lc/wlc/sed/nq on
	// nftables). With ..Force SO_RCVBUFFORCE is used (beyond rmem_max).
	LVSNetlinkCmdRcvBufs          uint32
	LVSNetlinkCmdRcvBufsForce     bool
	LVSNetlinkMonitorRcvBufs      uint32
	LVSNetlinkMonitorRcvBufsForce bool
	// NoCheckerEmails is no_checker_emails: a checker's mail is sent only
	// when its real server changes state (not for each checker of it).
	NoCheckerEmails bool

	// ConfigSaveDir is config_save_dir: where each reload saves the
	// configuration before and after it ("" none). TmpConfigDirectory is
	// tmp_config_directory (no effect: no child re-reads the file).
	ConfigSaveDir, TmpConfigDirectory string

	// ReloadCheckConfig is reload_check_config's log file ("" not set;
	// /dev/null without a file): where a reload's check is written.
	ReloadCheckConfig string

	// DisableLocalIGMP is disable_local_igmp: no IGMP reports for
	// link-local groups (224.0.0.18) while the daemon runs.
	DisableLocalIGMP bool

	// NetNamespace is the top-level net_namespace: the network namespace
	// (/var/run/netns/NAME) the daemon runs in; -s overrides it.
	NetNamespace string

	// DynamicInterfaces is dynamic_interfaces: an interface the VRRP
	// configuration names may be missing at start (a warning, not an
	// error); its instances wait in FAULT until it appears.
	// AllowIfChanges is its allow_if_changes option (an interface may come
	// back as another type or on another parent).
	DynamicInterfaces, AllowIfChanges bool

	// ReloadTimeFile is reload_time_file: a file holding the time of a
	// scheduled reload ("" none); ReloadRepeat (reload_repeat) keeps a
	// time-only file after its reload, so it fires every day.
	ReloadTimeFile string
	ReloadRepeat   bool
	// ReloadFile is reload_file: the file created before and removed after
	// the configuration is read on each reload. ReloadFileSet without a
	// path means keepalived's default, keepalived.reload beside the pid
	// files (internal/cli).
	ReloadFile    string
	ReloadFileSet bool

	// NamespaceWithIpsets is the top-level namespace_with_ipsets
	// (keepalived: ipsets in a namespace on kernels before 3.13). The
	// accept-mode firewall is nftables, namespace-aware on every kernel.
	NamespaceWithIpsets bool

	// Netlink receive buffers: vrrp_netlink_cmd_rcv_bufs[_force] (the
	// socket of the VRRP side's kernel requests and dumps),
	// vrrp_netlink_monitor_rcv_bufs[_force] (its link, address and route
	// subscriptions), process_monitor_rcv_bufs[_force] (no such socket:
	// vrrp_track_process scans /proc). Zero bytes: the defaults.
	VRRPNetlinkCmdBufs, VRRPNetlinkMonitorBufs, ProcessMonitorBufs NetlinkBufs

	// RxBufsPolicy is vrrp_rx_bufs_policy: how a VRRP socket's receive
	// buffer is sized from its instances ("" gokeepalived's default,
	// RxBufsMTU, RxBufsAdvert or RxBufsSize with RxBufsBytes per
	// instance); RxBufsMultiplier is vrrp_rx_bufs_multiplier (default 3).
	RxBufsPolicy     string
	RxBufsBytes      int
	RxBufsMultiplier int

	// ProcessName is the process's name (process_name; "" = unchanged);
	// VRRPProcessName the VRRP threads' (vrrp_process_name, or
	// keepalived_vrrp with process_names); CheckerProcessName is
	// checker_process_name (keepalived_lvs with process_names), which has
	// no thread to name here.
	ProcessName, VRRPProcessName, CheckerProcessName string

	// Firewall is the accept-mode firewall (nftables, nftables_priority,
	// nftables_ifindex, nftables_counters; vrrp_iptables and vrrp_ipsets
	// mapped onto the same nftables table).
	Firewall Firewall

	MulticastGroup4  netip.Addr // default 224.0.0.18
	MulticastGroup6  netip.Addr // default ff02::12
	VRRPVersion      int        // default 2
	Strict           bool
	SkipCheckAdvAddr bool
	// V3ChecksumAsV2: VRRPv3 over IPv4 checksum over the message only (RFC
	// 9568, Cisco, Juniper) instead of keepalived's default with the IPv4
	// pseudo-header. keepalived >= 2.3 keyword, accepted here for interop.
	V3ChecksumAsV2       bool
	CheckUnicastSrc      bool
	LowerPrioNoAdvert    bool // default false, true under vrrp_strict
	HigherPrioSendAdvert bool
	GARP                 GARP
	GARPInterval         time.Duration // between GARPs on one interface; default 0
	GNAInterval          time.Duration // between unsolicited NAs; default 0
	GARPExtraIf          GARPExtraIf   // vrrp_garp_extra_if: the instances' default
	// LinkbeatUsePolling is the top-level linkbeat_use_polling: every
	// instance's interface is polled (see Config.LinkbeatInterfaces).
	LinkbeatUsePolling      bool
	MinGARP                 bool
	ScriptUser, ScriptGroup string // "" = keepalived_script if it exists, else root
	EnableScriptSecurity    bool
	NotifyFIFO              *ScriptRef // notify_fifo FIFO [user [group]]
	NotifyFIFOScript        *ScriptRef
	VRRPNotifyFIFO          *ScriptRef
	VRRPNotifyFIFOScript    *ScriptRef
	// LVSNotifyFIFO and LVSNotifyFIFOScript are lvs_notify_fifo and
	// lvs_notify_fifo_script: virtual and real server state lines.
	LVSNotifyFIFO       *ScriptRef
	LVSNotifyFIFOScript *ScriptRef
	// RSInitNotifies is rs_init_notifies: a real server that starts up
	// gets its notify_up script and FIFO line too.
	RSInitNotifies        bool
	NotifyPriorityChanges bool // vrrp_notify_priority_changes
	DownTimerAdverts      int  // vrrp_down_timer_adverts: the instances' default; 3
	LogUnknownVRIDs       bool // log_unknown_vrids: log adverts for VRIDs not configured
	// FIFOWriteStatesOnReload: after a reload, the notify FIFOs get the
	// state of every instance and sync group the reload did not change.
	FIFOWriteStatesOnReload bool
	// StartupScript runs before the runtimes start, ShutdownScript after
	// they stopped, each bounded by its timeout (default 10 s).
	StartupScript, ShutdownScript               *ScriptRef
	StartupScriptTimeout, ShutdownScriptTimeout time.Duration
	// VMACPrefix is vmac_prefix: use_vmac names its interface
	// PREFIX.VRID ("" means keepalived's "vrrp").
	VMACPrefix string
	// VMACAddrPrefix is vmac_addr_prefix: the prefix of the VMACs that
	// use_vmac_addr (or a VIP's use_vmac) makes on other interfaces (""
	// means VMACPrefix).
	VMACAddrPrefix string
	// InstanceName is the top-level `instance NAME`; UsePidDir is
	// use_pid_dir; DataUseInstance is data_use_instance (the dump files
	// carry the instance name).
	InstanceName    string
	UsePidDir       bool
	DataUseInstance bool
	// StartupDelay is vrrp_startup_delay: the instances start that long
	// after the daemon (not after a reload).
	StartupDelay time.Duration
	// Umask is global_defs umask (-1: not set); the -u/--umask command
	// line option wins over it, as in keepalived.
	Umask int
	// RandomSeed seeds ${_RANDOM} (random_seed; the file is read again
	// with it).
	RandomSeed    int64
	RandomSeedSet bool
	// ChildWaitTime is child_wait_time: keepalived waits that long for its
	// children at shutdown. gokeepalived has no child processes; kept for
	// the dump (docs/migration.md).
	ChildWaitTime time.Duration

	// Process knobs. keepalived applies vrrp_* to its VRRP child and
	// checker_* to its checker child; gokeepalived is one process, so
	// vrrp_* apply to the VRRP loop and socket reader threads, and the
	// process-wide ones (no_swap: mlockall) to the whole process
	// (docs/migration.md, "Process knobs").
	VRRPProc, CheckerProc ProcessKnobs
	// BFDProc are the bfd_* knobs: the BFD loop and reader threads get
	// bfd_rt_priority (else SCHED_RR at the VRRP loop's default priority;
	// a nonzero bfd_priority without it: SCHED_OTHER at that nice value)
	// and bfd_cpu_affinity; bfd_no_swap locks the process in memory and
	// bfd_rlimit_rttime bounds its real-time threads (docs/migration.md,
	// "Process knobs").
	BFDProc ProcessKnobs
	// BFDProcessName is bfd_process_name: the BFD loop thread's name
	// (/proc/PID/task/TID/comm; the kernel keeps 15 bytes); "" = "gk_bfd".
	BFDProcessName string
	// MaxAutoPriority is max_auto_priority: 0 unset, -1 disabled, else the
	// highest SCHED_RR priority the VRRP loop is raised to when it runs
	// late by more than MinAutoPriorityDelay (default 1s).
	MaxAutoPriority      int
	MinAutoPriorityDelay time.Duration

	// SNMPSocket is snmp_socket: the AgentX master's socket ("" = net-snmp's
	// default, unix:/var/agentx/master).
	SNMPSocket string
	// EnableSNMPVRRP is enable_snmp_vrrp: serve KEEPALIVED-MIB's vrrp tree.
	EnableSNMPVRRP bool
	// EnableSNMPRFCv2 is enable_snmp_rfcv2: serve VRRP-MIB (RFC 2787).
	EnableSNMPRFCv2 bool
	// EnableSNMPRFCv3 is enable_snmp_rfcv3: serve VRRPv3-MIB (RFC 6527).
	// enable_snmp_rfc sets both.
	EnableSNMPRFCv3 bool
	// EnableSNMPChecker is enable_snmp_checker: serve KEEPALIVED-MIB's
	// check tree (virtual and real servers).
	EnableSNMPChecker bool
	// EnableTraps is enable_traps: send keepalived's SNMP notifications.
	EnableTraps bool
	// EnableDBus is enable_dbus: serve keepalived's DBus interface on the
	// system bus; DBusServiceName is dbus_service_name (the bus name, ""
	// = org.keepalived.Vrrp1).
	EnableDBus      bool
	DBusServiceName string
}

// NetlinkBufs is a netlink socket's receive buffer: Bytes (0 = the
// default) set with SO_RCVBUF, or SO_RCVBUFFORCE with Force (above
// net.core.rmem_max).
type NetlinkBufs struct {
	Bytes int
	Force bool
}

// The vrrp_rx_bufs_policy values.
const (
	RxBufsMTU    = "MTU"
	RxBufsAdvert = "ADVERT"
	RxBufsSize   = "SIZE"
)

// ProcessKnobs are one keepalived child's process settings (global_defs
// <role>_priority, _rt_priority, _no_swap, _cpu_affinity, _rlimit_rttime).
type ProcessKnobs struct {
	Nice         int   // <role>_priority, -20..19; used without an RT priority
	RTPriority   int   // <role>_rt_priority, 1..99; 0 = not set
	NoSwap       bool  // <role>_no_swap
	CPUs         []int // <role>_cpu_affinity; nil = any CPU
	RLimitRTTime int64 // <role>_rlimit_rttime in microseconds; default 10000
}

// GARP holds the gratuitous ARP / unsolicited NA timing of keepalived.
type GARP struct {
	MasterDelay         time.Duration // second burst after becoming master; default 5s (0 = none)
	MasterRepeat        int           // messages per burst; default 5
	MasterRefresh       time.Duration // periodic refresh while master; default 0 (off)
	MasterRefreshRepeat int           // default 1
	LowerPrioDelay      time.Duration // default MasterDelay
	LowerPrioRepeat     int           // default MasterRepeat
}

// ScriptRef is a script or FIFO with the user and group it runs as.
type ScriptRef struct {
	Pos   Pos
	Args  []string // argv; a quoted "path arg arg" is split on blanks
	User  string
	Group string
}

// Script is a vrrp_script.
type Script struct {
	Pos      Pos
	Name     string
	Command  ScriptRef
	Interval time.Duration // default 1s
	Timeout  time.Duration // 0 = not set
	Weight   int           // default 0: failure puts trackers in FAULT
	Reverse  bool
	Rise     int // default 1
	Fall     int // default 1
	InitFail bool
}

// TrackFile is a track_file (alias vrrp_track_file).
type TrackFile struct {
	Pos           Pos
	Name          string
	Path          string
	Weight        int // default 1
	Reverse       bool
	InitFile      bool
	InitValue     int64
	InitOverwrite bool
}

// TrackProcess is a vrrp_track_process.
type TrackProcess struct {
	Pos            Pos
	Name           string
	Process        []string // name and optional parameters
	ParamMatch     string   // "", "initial" or "partial"
	Weight         int      // default 1
	Reverse        bool
	Quorum         int // default 1
	QuorumMax      int // 0 = no maximum
	ForkDelay      time.Duration
	TerminateDelay time.Duration
	FullCommand    bool
}

// Track is one entry of a track_interface/script/file/process block.
type Track struct {
	Pos       Pos
	Name      string
	Weight    int
	HasWeight bool // weight given on the line (otherwise the tracked object's applies)
	Reverse   bool
}

// Notify holds the notify scripts of an instance or sync group.
type Notify struct {
	Master, Backup, Fault, Stop, Any *ScriptRef
	MasterRxLowerPri                 *ScriptRef // instances only
	Deleted                          *ScriptRef // notify_deleted SCRIPT; instances only
	SMTPAlert                        *bool
	// PriorityChanges is notify_priority_changes as written (nil: inherit
	// from the sync group, then global_defs vrrp_notify_priority_changes);
	// Instance.NotifyPriorityChanges is the result.
	PriorityChanges *bool
}

// SyncGroup is a vrrp_sync_group.
type SyncGroup struct {
	Pos            Pos
	Name           string
	Members        []string
	MemberPos      []Pos
	TrackInterface []Track
	TrackScript    []Track
	TrackFile      []Track
	TrackProcess   []Track
	TrackBFD       []Track // track_bfd: bfd_instance names
	Notify         Notify
	// TrackingWeight is sync_group_tracking_weight (or the deprecated
	// global_tracking): the members keep the weights of their own tracked
	// objects. Without it, as in keepalived (vrrp.c), a member's weighted
	// track_interface counts as weight 0 (FAULT), and its weighted
	// track_script, track_bfd and explicitly weighted track_file are
	// ignored (a track_file with the default weight 1 counts as weight 0);
	// the group's own track_* keep their weights.
	TrackingWeight bool
}

// VIP is one line of virtual_ipaddress or virtual_ipaddress_excluded:
// ADDR[/LEN] [brd X] [dev IF] [scope S] [label L] [peer X] [home] [-nodad]
// [mngtmpaddr] [noprefixroute] [autojoin] [no_track] [preferred_lft N|forever]
// [use_vmac].
type VIP struct {
	Pos           Pos
	Prefix        netip.Prefix
	Broadcast     netip.Addr // IPv4 only; brd + is resolved to the prefix's last address; zero = none
	Dev           string     // "" = the instance's interface
	Scope         Scope      // default global (link for an IPv6 link-local address)
	Label         string
	Peer          netip.Addr
	Home          bool
	NoDAD         bool
	MngTmpAddr    bool
	NoPrefixRoute bool
	AutoJoin      bool
	NoTrack       bool
	PreferredLft  string // "", a number or "forever"
	UseVMAC       bool
	// TrackGroup (static_ipaddress only) names the track_group whose
	// instances track the address's interface.
	TrackGroup string
}

// TrackGroup is a top-level track_group: the VRRP instances that track
// the interfaces of the static addresses, routes and rules naming it
// (keepalived's vrrp_static_track.c: each member goes to FAULT while such
// an interface is down, as with a weight-0 track_interface).
type TrackGroup struct {
	Pos     Pos
	Name    string
	Members []string
}

// UnicastPeer is one line of unicast_peer.
type UnicastPeer struct {
	Pos    Pos
	Addr   netip.Addr
	MinTTL int // -1 = not set
	MaxTTL int // -1 = not set
}

// Auth is the authentication block (VRRPv2 only).
type Auth struct {
	Pos  Pos
	Type string // "PASS" (AH is refused)
	Pass string // at most 8 bytes, as sent on the wire
}

// Instance is a vrrp_instance.
type Instance struct {
	Pos          Pos
	Name         string
	State        string // initial state: "MASTER" or "BACKUP" (default)
	Interface    string // may be "" for unicast without link-local peers
	InterfacePos Pos    // of the interface argument, for host checks
	VRID         int
	Priority     int           // default 100
	AdvertInt    time.Duration // default 1s
	Version      int           // 2 or 3 (IPv6 always 3)
	Family       int           // 4 or 6, from the first VIP (4 if none)
	Auth         *Auth
	VIPs         []VIP
	ExcludedVIPs []VIP
	Routes       []Route
	Rules        []Rule
	McastSrc     netip.Addr
	// McastDst is mcast_dst_ip: the instance's multicast group; invalid:
	// global_defs vrrp_mcast_group4/6.
	McastDst   netip.Addr
	UnicastSrc netip.Addr
	// OldUnicastChecksum is old_unicast_checksum: "" (not set), "on"
	// (unicast VRRPv3 IPv4 adverts are checksummed over the multicast
	// group vrrp_mcast_group4, as keepalived < 1.3.6) or "never".
	OldUnicastChecksum string
	// TrackSrcIP is track_src_ip: FAULT while the configured source
	// address (unicast_src_ip, else mcast_src_ip) is not on the interface.
	TrackSrcIP bool
	// KernelRxBufSize is kernel_rx_buf_size: the bytes this instance adds
	// to its socket's receive buffer (0: gokeepalived's default share).
	KernelRxBufSize int
	// NativeIPv6 is native_ipv6: the instance is IPv6 whatever its
	// addresses (IPv4 ones are refused).
	NativeIPv6         bool
	UnicastPeers       []UnicastPeer
	UnicastFaultNoPeer bool
	UnicastTTL         int // default 255
	CheckUnicastSrc    bool

	Preempt              bool // default true; nopreempt clears it
	PreemptDelay         time.Duration
	Accept               bool // default true unless strict
	Strict               bool // strict_mode, default vrrp_strict
	SkipCheckAdvAddr     bool
	V3ChecksumAsV2       bool // see Global.V3ChecksumAsV2
	LowerPrioNoAdvert    bool
	HigherPrioSendAdvert bool
	DownTimerAdverts     int // default 3
	GARP                 GARP
	GARPExtraIf          GARPExtraIf // default global_defs vrrp_garp_extra_if
	// LinkbeatUsePolling (deprecated instance keyword): the instance's
	// interface is polled, as if in linkbeat_interfaces.
	LinkbeatUsePolling bool

	DontTrackPrimary bool
	TrackInterface   []Track
	TrackScript      []Track
	TrackFile        []Track
	TrackProcess     []Track
	TrackBFD         []Track // track_bfd: bfd_instance names
	Notify           Notify

	// PromoteSecondaries is promote_secondaries: the interface's
	// net.ipv4.conf.IF.promote_secondaries is 1 while the instance runs
	// (set back to 0 at stop if we set it).
	PromoteSecondaries bool

	UseVMAC  bool
	VMACName string
	// VMACAddr is the MAC address given to use_vmac, as written; VMACMAC
	// is it resolved (5 octets given: the VRID is the 6th), nil when none
	// is given (the RFC's 00:00:5e:00:01|02:VRID).
	VMACAddr     string
	VMACMAC      net.HardwareAddr
	VMACXmitBase bool
	// UseVMACAddr is use_vmac_addr: every VIP/eVIP on another interface
	// than the instance's (dev), or of the other address family, goes on
	// a VMAC of its own made on that interface (named vmac_addr_prefix,
	// else vmac_prefix, else "vrrp", then .VRID). A VIP's own use_vmac
	// option does the same for that address alone.
	UseVMACAddr bool
	// IPVLAN is use_ipvlan: the instance runs on an L2-mode ipvlan of its
	// interface instead of a macvlan; nil without.
	IPVLAN *IPVLAN
	// VRF is vrf: a unicast instance without interface sends and receives
	// in that VRF (its socket is bound to the VRF device).
	VRF string

	SyncGroup string // name of the sync group it belongs to, if any
	// NotifyPriorityChanges: an effective priority change is written to
	// the notify FIFOs as INSTANCE "NAME" MASTER_PRIORITY|BACKUP_PRIORITY
	// PRIO (keepalived's notify_priority_changes, resolved: the
	// instance's, else its sync group's, else vrrp_notify_priority_changes).
	NotifyPriorityChanges bool
	// NotifyDeleted is notify_deleted: an instance a reload removes is
	// notified as DELETED (and runs Notify.Deleted) instead of FAULT.
	NotifyDeleted bool
	// Debug is the instance's debug level (0-4). keepalived 2.2.7 only
	// stores it and prints it in its dump; so do we.
	Debug int
}

// VirtualServerGroup is a virtual_server_group.
type VirtualServerGroup struct {
	Pos     Pos
	Name    string
	Entries []VSGroupEntry
}

// VSGroupEntry is one line of a virtual_server_group: an address range
// (First..Last inclusive) with an optional port, or a fwmark.
type VSGroupEntry struct {
	Pos         Pos
	First, Last netip.Addr
	Port        uint16
	FWMark      uint32
	Family      string // for fwmarks: "", "inet", "inet6"
}

// The values the schema allows for lvs_method (VirtualServer.Method,
// RealServer.Method), protocol (VirtualServer.Protocol) and ip_family or a
// group's fwmark family (VirtualServer.IPFamily, VSGroupEntry.Family; ""
// when not set). Nothing else reaches the model.
const (
	MethodNAT   = "NAT"
	MethodDR    = "DR"
	MethodTUN   = "TUN"
	ProtoTCP    = "TCP"
	ProtoUDP    = "UDP"
	ProtoSCTP   = "SCTP"
	FamilyInet  = "inet"
	FamilyInet6 = "inet6"
)

// LVSTimeouts are lvs_timeouts tcp/tcpfin/udp (whole seconds; 0 = not set).
type LVSTimeouts struct {
	TCP, TCPFin, UDP time.Duration
}

// LVSSyncDaemon is the IPVS connection-synchronisation daemon
// (lvs_sync_daemon IFNAME [inst NAME] [id N] [maxlen N] [port N] [ttl N]
// [group ADDR]). With an instance, it runs as master while the instance
// is MASTER and as backup otherwise; without one, both run all the time.
type LVSSyncDaemon struct {
	Pos       Pos
	Interface string
	Instance  string // "" = none
	// SyncID is the sync id; -1 = not set (the instance's VRID, or 0).
	SyncID int
	MaxLen int // 0 = the kernel's
	Port   int // 0 = the kernel's (8848)
	TTL    int // 0 = the kernel's (1)
	Group  netip.Addr
}

// EffectiveSyncID is the sync id in use: as configured, else the VRID of
// the instance the daemon follows, else 0.
func (c *Config) EffectiveSyncID() int {
	sd := c.Global.LVSSyncDaemon
	if sd == nil {
		return 0
	}
	if sd.SyncID >= 0 {
		return sd.SyncID
	}
	for _, in := range c.Instances {
		if in.Name == sd.Instance {
			return in.VRID
		}
	}
	return 0
}

// VirtualServer is a virtual_server.
type VirtualServer struct {
	Pos                    Pos
	KeywordPos             map[string]Pos // where each keyword of the block was written (last use)
	Addr                   netip.Addr     // set for `virtual_server IP [PORT]`
	Port                   uint16
	FWMark                 uint32        // set for `virtual_server fwmark N`
	Group                  string        // set for `virtual_server group NAME`
	Protocol               string        // TCP, UDP or SCTP
	Scheduler              string        // lvs_sched / lb_algo; default "wlc"
	Method                 string        // lvs_method / lb_kind: NAT (default), DR, TUN
	TunnelArgs             []string      // the words after TUN, as written
	Tunnel                 Tunnel        // TunnelArgs, parsed
	Persistence            time.Duration // 0 = none; bare keyword = 360s
	PersistenceGranularity string        // as written
	PersistenceBits        int           // PersistenceGranularity as a prefix length; 0 = not set
	IPFamily               string
	Sorry                  *RealServer // sorry_server, if any
	HASuspend              bool
	Alpha, Omega           bool
	Quorum                 int // default 1
	Hysteresis             int
	QuorumUp, QuorumDown   *ScriptRef
	VirtualHost            string
	// SNMPName is snmp_name: the name KEEPALIVED-MIB's virtualServerName
	// shows ("" = none).
	SNMPName         string
	SMTPAlert        *bool
	Timing           Timing // defaults inherited by real servers and checkers
	InhibitOnFailure bool
	RealServers      []*RealServer
	// Flags are the flag keywords that took effect (ops, flag-1..3,
	// sh-port, sh-fallback, mh-port, mh-fallback), in file order.
	Flags []string
	// PersistenceEngine is persistence_engine (sip); "" = none.
	PersistenceEngine string
	// Weight is the weight of real servers that set none (default 1).
	Weight   int
	schedSet bool // lvs_sched/lb_algo read so far (vsFlagKw)
}

// Name is the server's identity for logs and diffs: "IP:PORT/PROTO",
// "fwmark N" or "group NAME".
func (vs *VirtualServer) Name() string {
	switch {
	case vs.Group != "":
		return "group " + vs.Group
	case vs.FWMark != 0:
		return "fwmark " + itoa(int64(vs.FWMark))
	}
	return netip.AddrPortFrom(vs.Addr, vs.Port).String() + "/" + vs.Protocol
}

// Tunnel is the encapsulation of `lvs_method TUN [type ipip|gue port N|gre]
// [nocsum|csum|remcsum]`, normalised to what the kernel reports back.
type Tunnel struct {
	Type     string // "" (ipip, the default), "gue" or "gre"
	Port     uint16 // GUE destination port
	Checksum string // "" (nocsum, the default), "csum" or "remcsum"
}

// Timing is the checker timing a virtual server, real server or checker
// sets; each level inherits from the one above.
type Timing struct {
	ConnectTimeout   time.Duration // default 5s
	Retry            int           // default 1 (MISC_CHECK 0, DNS_CHECK 3)
	DelayBeforeRetry time.Duration // default 1s (HTTP/SSL 3s, DNS delay_loop)
	Warmup           time.Duration // default delay_loop
	DelayLoop        time.Duration // default 60s
	set              uint8         // which fields were configured at this level
}

const (
	setConnectTimeout uint8 = 1 << iota
	setRetry
	setDelayBeforeRetry
	setWarmup
	setDelayLoop
)

// RealServer is a real_server (or the sorry_server).
type RealServer struct {
	Pos              Pos
	KeywordPos       map[string]Pos // where each keyword of the block was written (last use)
	Addr             netip.Addr
	Port             uint16
	Weight           int    // default 1
	Method           string // default: the virtual server's
	TunnelArgs       []string
	Tunnel           Tunnel
	NotifyUp         *ScriptRef
	NotifyDown       *ScriptRef
	InhibitOnFailure bool
	Alpha            bool
	VirtualHost      string
	SMTPAlert        *bool
	Timing           Timing
	Checkers         []*Checker
	// UThreshold and LThreshold are uthreshold/lthreshold (0 = none).
	UThreshold, LThreshold int
	// SNMPName is snmp_name: the name KEEPALIVED-MIB's realServerName
	// shows ("" = none).
	SNMPName  string
	weightSet bool // weight was written in the block
}

// Checker is one health checker of a real server.
type Checker struct {
	Pos            Pos
	Type           string // HTTP_GET, SSL_GET, TCP_CHECK, MISC_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK, PING_CHECK, FILE_CHECK
	ConnectIP      netip.Addr
	ConnectPort    uint16
	BindTo         netip.Addr
	BindIf         string
	BindPort       uint16
	FWMark         uint32
	Alpha          bool
	LogAllFailures bool
	Timing         Timing

	HTTP *HTTPCheck
	Misc *MiscCheck
	SMTP *SMTPCheck
	DNS  *DNSCheck
	UDP  *UDPCheck
	File *FileCheck
	BFD  *BFDCheck
}

// BFDCheck holds BFD_CHECK specifics: the real server follows the state
// of a bfd_instance (up while the session is Up).
type BFDCheck struct {
	Name string // the bfd_instance
}

// HTTPCheck holds HTTP_GET and SSL_GET specifics.
type HTTPCheck struct {
	Protocol     string // "1.0" (default), "1.0C", "1.1"
	FastRecovery bool
	VirtualHost  string
	EnableSNI    bool
	URLs         []URL
}

// URL is one url block.
type URL struct {
	Pos         Pos
	Path        string
	Digest      string // lower-case hex MD5 of the body, "" = not checked
	StatusCodes []StatusRange
	VirtualHost string
	// Regex is matched against the body (keepalived: PCRE2; here
	// regexp2, checked for what it cannot do the same, see regex.go).
	Regex          string
	RegexNoMatch   bool     // the check fails when the regex matches
	RegexOptions   []string // keepalived's PCRE2 option names, as written (those that take effect)
	RegexMinOffset int      // the match must start at or after this body offset
	RegexMaxOffset int      // ... and at or before this one; -1 = no bound
	RegexStackMax  int      // regex_stack's max (bytes); 0 = not set
}

// StatusRange is an inclusive range of HTTP status codes; default 200-299.
type StatusRange struct{ From, To int }

// MiscCheck holds MISC_CHECK specifics.
type MiscCheck struct {
	Command ScriptRef
	Timeout time.Duration // default: delay_loop
	Dynamic bool
}

// SMTPCheck holds SMTP_CHECK specifics.
type SMTPCheck struct {
	HeloName string
	// Host is the position of the `host` block this checker was made
	// from (zero for the SMTP_CHECK's own connection).
	Host Pos

	hosts []*Checker // host blocks, while the block is read
}

// DNSCheck holds DNS_CHECK specifics.
type DNSCheck struct {
	Type string // default SOA
	Name string // default "."
}

// UDPCheck holds UDP_CHECK specifics.
type UDPCheck struct {
	Payload      []byte
	RequireReply bool
	ReplyPattern string // hex with X wildcards
	// ReplyValue and ReplyMask are ReplyPattern as bytes: a reply byte b
	// matches when b&mask == value (an X nibble has mask 0).
	ReplyValue, ReplyMask []byte
	MinReplyLength        int
	MaxReplyLength        int // default 255
}

// FileCheck holds FILE_CHECK specifics.
type FileCheck struct {
	TrackFile string
	Dynamic   bool
	Weight    int
	Reverse   bool
}

// SSLConfig is the top-level SSL block.
type SSLConfig struct {
	Pos                                Pos
	Password, CA, Certificate, KeyFile string
}

// PosOf is where keyword (or, if absent, the first of alts present) was
// written in the virtual server's block, or the block's own position.
func (vs *VirtualServer) PosOf(keyword string, alts ...string) Pos {
	return posOf(vs.Pos, vs.KeywordPos, keyword, alts)
}

// PosOf is where keyword (or one of alts) was written in the real server's
// block, or the block's own position.
func (rs *RealServer) PosOf(keyword string, alts ...string) Pos {
	return posOf(rs.Pos, rs.KeywordPos, keyword, alts)
}

func posOf(def Pos, m map[string]Pos, keyword string, alts []string) Pos {
	for _, k := range append([]string{keyword}, alts...) {
		if p, ok := m[k]; ok {
			return p
		}
	}
	return def
}

// Firewall is keepalived's accept-mode firewall: while a non-owner
// instance without accept mode (no_accept, or vrrp_strict without accept)
// is MASTER, its virtual addresses are in an nftables set whose traffic is
// dropped, in and out (keepalived's vrrp_nftables.c).
type Firewall struct {
	// Table is the nftables table name (nftables [NAME], default
	// "keepalived"); "" means not configured, and DefaultFirewallTable is
	// used when an instance needs the firewall, as keepalived does.
	Table string
	// Priority is the base chains' priority (nftables_priority, default -1).
	Priority int
	// Ifindex keys link-local IPv6 addresses by interface index even under
	// dont_track_primary (nftables_ifindex).
	Ifindex bool
	// Counters adds a counter to every rule (nftables_counters).
	Counters bool
	// Iptables is vrrp_iptables [IN [OUT]]: mapped onto nftables (Table
	// "keepalived"), as keepalived built without iptables does; the chain
	// names are kept for the dump only.
	Iptables []string
	// Ipsets is vrrp_ipsets [NAME...]: the set names of keepalived's
	// iptables mode; the nftables table's own sets replace them.
	Ipsets []string
	// IpsetsSet is true when vrrp_ipsets was given (with or without names).
	IpsetsSet bool
}

// DefaultFirewallTable is keepalived's default nftables table name.
const DefaultFirewallTable = "keepalived"

// FirewallTable is the table the accept-mode firewall uses: the
// configured one, else the default when some instance needs it (a
// non-owner without accept mode), else "" (no firewall).
func (c *Config) FirewallTable() string {
	if c.Global.Firewall.Table != "" {
		return c.Global.Firewall.Table
	}
	for _, in := range c.Instances {
		if in.NeedsFirewall() {
			return DefaultFirewallTable
		}
	}
	return ""
}

// NeedsFirewall reports whether the instance's virtual addresses refuse
// traffic while it is MASTER: it is not the address owner and accept mode
// is off (keepalived's vrrp_handle_accept_mode).
func (in *Instance) NeedsFirewall() bool {
	return !in.Accept && in.Priority != 255
}

// IPVLAN is use_ipvlan [NAME] [ADDRESS[/LEN]] [bridge|private|vepa].
type IPVLAN struct {
	// Name is the ipvlan's name ("": vmac_prefix naming, as use_vmac).
	Name string
	// Addr is the address put on the ipvlan (the adverts' source unless
	// unicast_src_ip/mcast_src_ip is given); required for IPv4. Without a
	// length it is a host address (/32, /128).
	Addr netip.Prefix
	// Mode is the ipvlan flag: "bridge" (default), "private" or "vepa".
	Mode string
}
