package bfdrun

import (
	"time"

	"gokeepalived/internal/bfd"
	"gokeepalived/internal/ctl"
)

// CtlStatus renders the newest published status, with the counters as
// they are now, for the daemon's snapshot (gokeepalivedctl status, the
// metrics, the dump files). Any goroutine may call it.
func (r *Runtime) CtlStatus() *ctl.BFDStatus {
	sts := r.Status()
	out := &ctl.BFDStatus{Sessions: make([]ctl.BFDSessionStatus, 0, len(sts)), Drops: make(map[string]uint64, bfd.NumDropReasons-1)}
	for i := range sts {
		out.Sessions = append(out.Sessions, sessionStatus(&sts[i]))
	}
	drops := r.Drops()
	for reason := bfd.DropReason(1); reason < bfd.NumDropReasons; reason++ {
		out.Drops[reason.String()] = drops[reason]
	}
	return out
}

func us(d time.Duration) int64 { return int64(d / time.Microsecond) }

func sessionStatus(st *Status) ctl.BFDSessionStatus {
	s := ctl.BFDSessionStatus{
		Name: st.Name, Remote: st.Remote.String(), Multihop: st.Multihop,
		State: st.State.String(), RemoteState: st.RemoteState.String(),
		LocalDiscr: st.LocalDiscr, RemoteDiscr: st.RemoteDiscr,
		LocalDiag: st.LocalDiag.String(), RemoteDiag: st.RemoteDiag.String(),
		Multiplier: int(st.DetectMult), RemoteMultiplier: int(st.RemoteDetectMult),
		DesiredMinTxUS: us(st.DesiredMinTx), RequiredMinRxUS: us(st.RequiredRx),
		RemoteMinTxUS: us(st.RemoteMinTx), RemoteMinRxUS: us(st.RemoteMinRx),
		TxIntervalUS: us(st.TxInterval), DetectionTimeUS: us(st.DetectionTime), PollActive: st.PollActive,
		Ups: st.Ups, Downs: st.Downs, LastChange: st.LastChange, LastReason: st.LastReason,
		Drops: make(map[string]uint64, bfd.NumDropReasons-1),
	}
	if st.Local.IsValid() {
		s.Local = st.Local.String()
	}
	if st.RemoteDetectMult > 0 {
		// The peer's packets are expected every detection time / its
		// multiplier (RFC 5880 §6.8.4).
		s.RxIntervalUS = us(st.DetectionTime / time.Duration(st.RemoteDetectMult))
	}
	if c := st.Counters; c != nil {
		s.PacketsReceived, s.PacketsSent, s.SendErrors = c.Received(), c.Sent(), c.SendErrors()
		for reason := bfd.DropReason(1); reason < bfd.NumDropReasons; reason++ {
			s.Drops[reason.String()] = c.Dropped(reason)
		}
	} else {
		s.SendErrors = st.SendErrors
	}
	return s
}
