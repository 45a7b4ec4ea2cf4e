package e2e

import (
	"context"
	"crypto/md5"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gokeepalived/internal/ctl"
	"gokeepalived/test/e2e/netns"
)

// The seed's virtual_server block (seeds/000_c7ac096899809bce.txt) as written, with its
// addresses mapped into the test networks (192.168.200.16 → VIP 192.0.2.100 on the client
// side, 192.168.200.{2,3,200} → 198.18.0.{2,3,200}) and the digests replaced by the MD5 of
// the pages our real servers serve (%[1]s for 198.18.0.2, %[2]s for 198.18.0.3). Its
// global_defs carries values keepalived itself refuses (vrrp_garp_interval 0 ...), so a clean
// global_defs and one vrrp_instance holding the VIP run beside it: both subsystems, no -P.
const lvsSeedConf = `! e2e: the seed's virtual_server block, addresses mapped
global_defs {
    router_id LVS_DEVEL
}

vrrp_instance VI_1 {
    state MASTER
    interface ens33
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        192.0.2.100/24
    }
}

virtual_server 192.0.2.100 1358 {
    # 健康检查时间间隔
    delay_loop 6
    # lvs调度算法rr wrr lc wlc lblc sh dh
    lb_algo rr
    # 负载均衡转发规则 NAT DR RUN
    lb_kind NAT
    # 同一IP的连接50秒内被分配到同一台realserver
    persistence_timeout 50
    # 使用的协议
    protocol TCP
    # 备用机，所有realserver失效后启用
    sorry_server 198.18.0.200 1358

    real_server 198.18.0.2 1358 {
        # 权重，最大越高，lvs就越优先访问
        weight 1
        # keepalived的健康检查方式HTTP_GET | SSL_GET | TCP_CHECK | SMTP_CHECK | MISC
        HTTP_GET {
            url {
              path /testurl/test.jsp
              digest %[1]s
            }
            url {
              path /testurl2/test.jsp
              digest %[1]s
            }
            # 要检测的URL，可以有多个
            url {
              # 具体路径
              path /testurl3/test.jsp
              # 检测效验码
              digest %[1]s
              # 检测返回http状态码
              status_code 200
            }
            # 3秒无响应超时
            connect_timeout 3
            # 重连次数3次
            retry 3
            # 重连间隔时间
            delay_before_retry 3
        }
    }

    real_server 198.18.0.3 1358 {
        weight 1
        HTTP_GET {
            url {
              path /testurl/test.jsp
              digest %[2]s
            }
            url {
              path /testurl2/test.jsp
              digest %[2]s
            }
            connect_timeout 3
            retry 3
            delay_before_retry 3
        }
    }
}
`

// lvsWeb is an nginx real server on port 1358 serving files from www, which the test edits.
type lvsWeb struct {
	node *netns.Node
	www  string
}

func startLVSWeb(t *testing.T, n *netns.Node, name string) *lvsWeb {
	t.Helper()
	dir := n.Dir("nginx")
	w := &lvsWeb{node: n, www: filepath.Join(dir, "www")}
	w.write(t, "index.html", name+"\n")
	for _, p := range []string{"testurl/test.jsp", "testurl2/test.jsp", "testurl3/test.jsp"} {
		w.write(t, p, lvsPage(name))
	}
	// user root: the scratch directory is private to root, and the page files live there.
	argv, err := netns.NginxConf{Dir: dir, Node: n.Name, User: "root", Listen: []string{"0.0.0.0:1358"}, Root: w.www}.Write()
	if err != nil {
		t.Fatal(err)
	}
	p := n.Start(argv...)
	netns.Eventually(t, 30*time.Second, func() (bool, string) {
		if p.Exited() {
			t.Fatalf("nginx on %s exited: %s", n.Name, p.Output())
		}
		out, err := n.Exec(context.Background(), "curl", "-sf", "--max-time", "1", "http://127.0.0.1:1358/")
		return err == nil && strings.TrimSpace(out) == name, "nginx on " + n.Name + ": " + out
	})
	return w
}

func lvsPage(name string) string { return "test page of " + name + "\n" }

func lvsDigest(name string) string { return fmt.Sprintf("%x", md5.Sum([]byte(lvsPage(name)))) }

func (w *lvsWeb) write(t *testing.T, path, content string) {
	t.Helper()
	p := filepath.Join(w.www, path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestLVSSeedVirtualServer runs gokeepalived (VRRP and checkers, --lb-backend=nft) on a director
// between a client and the seed's two real servers plus its sorry server:
//
//	client 192.0.2.10 ─ front ─ 192.0.2.1 director (VIP 192.0.2.100) 198.18.0.1 ─ back ─ rs1 198.18.0.2
//	                                                                                  ├ rs2 198.18.0.3
//	                                                                                  └ sorry 198.18.0.200
//
// The client reaches a real server through the VIP; a page whose digest changes takes its
// server out (status: down, "digest mismatch"; the client moves to the other one); restored,
// it is put back; with both down the sorry server answers; restored, real servers answer again.
// Timing is the seed's (delay_loop 6, retry 3 x delay_before_retry 3), so this takes about a minute.
func TestLVSSeedVirtualServer(t *testing.T) {
	netns.RequireRoot(t)
	topo := netns.New(t, "lvs")
	front, back := topo.Switch("front"), topo.Switch("back")
	client, dir := topo.Node("client"), topo.Node("director")
	rs1, rs2, sorry := topo.Node("rs1"), topo.Node("rs2"), topo.Node("sorry")
	topo.Link(client, front, "ens33", "192.0.2.10/24")
	topo.Link(dir, front, "ens33", "192.0.2.1/24")
	topo.Link(dir, back, "ens34", "198.18.0.1/24")
	topo.Link(rs1, back, "ens33", "198.18.0.2/24")
	topo.Link(rs2, back, "ens33", "198.18.0.3/24")
	topo.Link(sorry, back, "ens33", "198.18.0.200/24")
	client.MustExec("ip", "route", "add", "default", "via", "192.0.2.1")
	for _, n := range []*netns.Node{rs1, rs2, sorry} {
		n.MustExec("ip", "route", "add", "default", "via", "198.18.0.1")
	}
	dir.MustExec("sysctl", "-qw", "net.ipv4.ip_forward=1")
	web := map[string]*lvsWeb{"rs1": startLVSWeb(t, rs1, "rs1"), "rs2": startLVSWeb(t, rs2, "rs2")}
	startLVSWeb(t, sorry, "sorry")

	runner := &netns.GokeepalivedRunner{KeepalivedRunner: netns.KeepalivedRunner{Node: dir, Config: fmt.Sprintf(lvsSeedConf, lvsDigest("rs1"), lvsDigest("rs2")),
		AllProcesses: true, Args: []string{"--lb-backend=nft"}}}
	if err := runner.Start(); err != nil {
		t.Fatal(err)
	}
	gk, sock := runner.Proc, runner.Socket
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("gokeepalived output:\n%s", gk.Output())
		}
	})

	status := func() (*ctl.Status, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		resp, err := ctl.Call(ctx, sock, ctl.Request{Cmd: ctl.CmdStatus})
		if err != nil {
			return nil, err
		}
		return resp.Status, nil
	}
	// rsState waits until the status shows each listed real server up or down.
	rsState := func(timeout time.Duration, want map[string]bool, reason string) {
		t.Helper()
		netns.Eventually(t, timeout, func() (bool, string) {
			if gk.Exited() {
				t.Fatalf("gokeepalived exited:\n%s", gk.Output())
			}
			st, err := status()
			if err != nil {
				return false, err.Error()
			}
			if len(st.VirtualServers) != 1 {
				return false, fmt.Sprintf("%d virtual servers in status", len(st.VirtualServers))
			}
			vs := st.VirtualServers[0]
			var b strings.Builder
			ctl.WriteVirtualServers(&b, st.VirtualServers)
			if vs.Backend != "nft" || vs.Name != "192.0.2.100:1358/TCP" {
				t.Fatalf("virtual server status:\n%s", b.String())
			}
			for _, rs := range vs.RealServers {
				up, ok := want[rs.Addr]
				if !ok {
					continue
				}
				if rs.Up != up || rs.InTable != (up && vs.Quorum) {
					return false, b.String()
				}
				if !up && !strings.Contains(rs.Reason, reason) {
					return false, b.String()
				}
			}
			return true, b.String()
		})
	}
	// answers waits until the client, through the VIP, is answered by one of names.
	answers := func(timeout time.Duration, names ...string) string {
		t.Helper()
		var got string
		netns.Eventually(t, timeout, func() (bool, string) {
			out, err := client.Exec(context.Background(), "curl", "-s", "--max-time", "1", "http://192.0.2.100:1358/")
			got = strings.TrimSpace(out)
			for _, n := range names {
				if err == nil && got == n {
					return true, "answered by " + got
				}
			}
			return false, fmt.Sprintf("want an answer from %v, got %q (err %v)", names, got, err)
		})
		return got
	}

	// Warmup is up to delay_loop (6 s); a failure needs 3 retries 3 s apart.
	const detect = 30 * time.Second
	rsState(detect, map[string]bool{"198.18.0.2:1358": true, "198.18.0.3:1358": true}, "")
	first := answers(15*time.Second, "rs1", "rs2")
	other := map[string]string{"rs1": "rs2", "rs2": "rs1"}[first]
	addr := map[string]string{"rs1": "198.18.0.2:1358", "rs2": "198.18.0.3:1358"}
	t.Logf("client is served by %s (persistence_timeout 50 keeps it there)", first)

	// The page of the server the client sticks to changes: it is taken out, the client
	// is rescheduled to the other one.
	web[first].write(t, "testurl2/test.jsp", "edited by the test\n")
	rsState(detect, map[string]bool{addr[first]: false, addr[other]: true}, "digest mismatch on /testurl2/test.jsp")
	answers(10*time.Second, other)

	// Restored: put back in the table.
	web[first].write(t, "testurl2/test.jsp", lvsPage(first))
	rsState(detect, map[string]bool{addr[first]: true, addr[other]: true}, "")

	// Both pages change: quorum is lost and the sorry server answers.
	web["rs1"].write(t, "testurl/test.jsp", "edited by the test\n")
	web["rs2"].write(t, "testurl/test.jsp", "edited by the test\n")
	rsState(detect, map[string]bool{addr["rs1"]: false, addr["rs2"]: false}, "digest mismatch on /testurl/test.jsp")
	answers(10*time.Second, "sorry")
	st, err := status()
	if err != nil || !st.VirtualServers[0].Sorry || st.VirtualServers[0].Quorum {
		t.Fatalf("status with all real servers down: %+v, %v; want sorry and no quorum", st, err)
	}

	// Restored: real servers answer again.
	web["rs1"].write(t, "testurl/test.jsp", lvsPage("rs1"))
	web["rs2"].write(t, "testurl/test.jsp", lvsPage("rs2"))
	rsState(detect, map[string]bool{addr["rs1"]: true, addr["rs2"]: true}, "")
	answers(10*time.Second, "rs1", "rs2")

	// One log line per real server change, with its reason.
	logs := gk.Output()
	for _, want := range []string{
		"real server " + addr[first] + " of VS 192.0.2.100:1358/TCP down: digest mismatch on /testurl2/test.jsp",
		"real server " + addr[first] + " of VS 192.0.2.100:1358/TCP up",
		"virtual server 192.0.2.100:1358/TCP quorum down",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	// Both subsystems ran: the lone VRRP instance holds the VIP.
	if !dir.HasAddr("192.0.2.100") {
		t.Errorf("director does not hold the VIP: %v", dir.Addrs())
	}
}
