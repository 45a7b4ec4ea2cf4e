package config

import (
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
}

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

	MulticastGroup4  netip.Addr // default 224.0.0.18
	MulticastGroup6  netip.Addr // default ff02::12
	VRRPVersion      int        // default 2
	Strict           bool
	SkipCheckAdvAddr bool
	// V3ChecksumAsV2: VRRPv3 over IPv4 checksum over the message only (RFC
	// 9568, Cisco, Juniper) instead of keepalived's default with the IPv4
	// pseudo-header. keepalived >= 2.3 keyword, accepted here for interop.
	V3ChecksumAsV2          bool
	CheckUnicastSrc         bool
	LowerPrioNoAdvert       bool // default false, true under vrrp_strict
	HigherPrioSendAdvert    bool
	GARP                    GARP
	GARPInterval            time.Duration // between GARPs on one interface; default 0
	GNAInterval             time.Duration // between unsolicited NAs; default 0
	MinGARP                 bool
	ScriptUser, ScriptGroup string // "" = keepalived_script if it exists, else root
	EnableScriptSecurity    bool
	NotifyFIFO              *ScriptRef // notify_fifo FIFO [user [group]]
	NotifyFIFOScript        *ScriptRef
	VRRPNotifyFIFO          *ScriptRef
	VRRPNotifyFIFOScript    *ScriptRef
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
	// EnableTraps is enable_traps: send keepalived's SNMP notifications.
	EnableTraps bool
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
	SMTPAlert                        *bool
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
	Notify         Notify
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
	Pos                Pos
	Name               string
	State              string // initial state: "MASTER" or "BACKUP" (default)
	Interface          string // may be "" for unicast without link-local peers
	VRID               int
	Priority           int           // default 100
	AdvertInt          time.Duration // default 1s
	Version            int           // 2 or 3 (IPv6 always 3)
	Family             int           // 4 or 6, from the first VIP (4 if none)
	Auth               *Auth
	VIPs               []VIP
	ExcludedVIPs       []VIP
	Routes             []Route
	Rules              []Rule
	McastSrc           netip.Addr
	UnicastSrc         netip.Addr
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

	DontTrackPrimary bool
	TrackInterface   []Track
	TrackScript      []Track
	TrackFile        []Track
	TrackProcess     []Track
	Notify           Notify

	UseVMAC      bool
	VMACName     string
	VMACAddr     string
	VMACXmitBase bool

	SyncGroup string // name of the sync group it belongs to, if any
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

// VirtualServer is a virtual_server.
type VirtualServer struct {
	Pos                    Pos
	Addr                   netip.Addr // set for `virtual_server IP [PORT]`
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
	SMTPAlert              *bool
	Timing                 Timing // defaults inherited by real servers and checkers
	InhibitOnFailure       bool
	RealServers            []*RealServer
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
type SMTPCheck struct{ HeloName string }

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
