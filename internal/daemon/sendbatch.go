package daemon

import "gokeepalived/internal/linux/vrrpconn"

// batchSender is a Conn that sends many adverts with one system call (the
// Linux adapter: sendmmsg). Test fakes send one at a time.
type batchSender interface {
	SendBatch(msgs []vrrpconn.Out, errs []error)
}

// queuedAdvert is an advert encoded into its instance's sendBuf, waiting
// for the end of fireTimers.
type queuedAdvert struct {
	in   *instance
	prio uint8
}

// flushSends sends the adverts queued so far, one batch per socket, in
// the order they were queued, then accounts for each as sendAdvert does.
// At 1,000 instances whose timers run in step, a tick's adverts leave
// together: one sendmmsg per interface instead of one sendmsg each, and
// the peer's reader reads them with one recvmmsg.
func (d *Daemon) flushSends() {
	if len(d.txq) == 0 {
		return
	}
	now := d.now()
	for start := 0; start < len(d.txq); {
		sc := d.txq[start].in.conn
		msgs := d.txMsgs[:0]
		for _, q := range d.txq[start:] {
			if q.in != nil && q.in.conn == sc {
				msgs = append(msgs, vrrpconn.Out{Payload: q.in.sendBuf, Src: q.in.src, Dst: q.in.dsts[0]})
			}
		}
		errs := d.txErrs[:0]
		for range msgs {
			errs = append(errs, nil)
		}
		sc.c.(batchSender).SendBatch(msgs, errs)
		i := 0
		for k := start; k < len(d.txq); k++ {
			q := &d.txq[k]
			if q.in == nil || q.in.conn != sc {
				continue
			}
			ok, bad := d.sent(q.in, q.prio, q.in.dsts[0], now, errs[i])
			d.sendsDone(q.in, ok, bad)
			q.in.txQueued = false
			q.in = nil // done
			i++
		}
		clear(msgs)
		d.txMsgs, d.txErrs = msgs[:0], errs[:0]
		for start < len(d.txq) && d.txq[start].in == nil {
			start++
		}
	}
	clear(d.txq)
	d.txq = d.txq[:0]
}
