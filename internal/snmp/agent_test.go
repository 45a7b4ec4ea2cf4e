package snmp

import (
	"encoding/hex"
	"net"
	"path/filepath"
	"testing"
	"time"

	"gokeepalived/internal/snmp/agentx"
	"gokeepalived/internal/testutil/poll"
)

// fakeMaster is the master side of one AgentX session, driven by a test.
type fakeMaster struct {
	t *testing.T
	c net.Conn
}

func (m *fakeMaster) read() *agentx.PDU {
	m.t.Helper()
	_ = m.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	p, err := agentx.Read(m.c)
	if err != nil {
		m.t.Fatalf("master read: %v", err)
	}
	return p
}

func (m *fakeMaster) send(b []byte) {
	m.t.Helper()
	if _, err := m.c.Write(b); err != nil {
		m.t.Fatal(err)
	}
}

func (m *fakeMaster) sendPDU(p *agentx.PDU) {
	m.t.Helper()
	b, err := agentx.Marshal(p)
	if err != nil {
		m.t.Fatal(err)
	}
	m.send(b)
}

// accept takes the subagent's connection and answers its Open and
// Registers, checking what it registers.
func accept(t *testing.T, l net.Listener, want ...agentx.OID) *fakeMaster {
	t.Helper()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m := &fakeMaster{t: t, c: c}
	open := m.read()
	if open.Type != agentx.TypeOpen || open.ID.Compare(KeepalivedOID) != 0 {
		t.Fatalf("first PDU %s id %s, want Open", open.Type, open.ID)
	}
	m.sendPDU(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeResponse, Flags: agentx.FlagNetworkByteOrder, SessionID: 9, PacketID: open.PacketID}})
	for _, w := range want {
		r := m.read()
		if r.Type != agentx.TypeRegister || r.SessionID != 9 || r.Subtree.Compare(w) != 0 {
			t.Fatalf("got %s of %s in session %d, want Register of %s in session 9", r.Type, r.Subtree, r.SessionID, w)
		}
		m.sendPDU(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeResponse, Flags: agentx.FlagNetworkByteOrder, SessionID: 9, PacketID: r.PacketID}})
	}
	return m
}

// Against a scripted master: a PDU that does not decode is counted and
// dropped and the session goes on; requests in the master's little-endian
// byte order are answered; a Set is refused (read-only); a Close from the
// master ends the session and the subagent opens a new one.
func TestAgentAgainstScriptedMaster(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "master.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a := runAgent(t, Options{Socket: sock, VRRP: true}, fixed())
	m := accept(t, l, GlobalOID, VRRPOID)

	// A Get whose OID claims 200 sub-identifiers: sound header, bad payload.
	bad, _ := hex.DecodeString("0105100000000009000000010000006300000008" + "c800000000000000")
	m.send(bad)
	get := &agentx.PDU{Header: agentx.Header{Type: agentx.TypeGet, SessionID: 9, TransactionID: 2, PacketID: 100},
		Ranges: []agentx.SearchRange{{Start: InstanceEntryOID.Append(colName, 2)}}}
	m.sendPDU(get)
	r := m.read()
	if r.Type != agentx.TypeResponse || r.PacketID != 100 || r.TransactionID != 2 || len(r.VarBinds) != 1 || string(r.VarBinds[0].Bytes) != "VI_6" {
		t.Fatalf("answer to the Get after the malformed PDU: %+v", r)
	}
	if a.Malformed() != 1 {
		t.Errorf("%d malformed PDUs counted, want 1", a.Malformed())
	}

	m.sendPDU(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeTestSet, SessionID: 9, TransactionID: 3, PacketID: 101},
		VarBinds: []agentx.VarBind{agentx.Int32(InstanceEntryOID.Append(colBasePriority, 1), 200)}})
	if r := m.read(); r.PacketID != 101 || r.Error != agentx.NotWritable || r.Index != 1 {
		t.Errorf("TestSet answered %+v, want notWritable at 1", r)
	}

	m.sendPDU(&agentx.PDU{Header: agentx.Header{Type: agentx.TypeClose, Flags: agentx.FlagNetworkByteOrder, SessionID: 9}, Reason: agentx.ReasonByManager})
	accept(t, l, GlobalOID, VRRPOID)
	poll.Until(t, 10*time.Second, 10*time.Millisecond, func() (bool, string) {
		return a.Sessions() == 2, "a second session after the master's Close"
	})
}
