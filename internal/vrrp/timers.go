package vrrp

import "time"

// Centisecs is a VRRP time quantity in the RFC's unit, hundredths of a
// second. VRRPv3 carries Max Advertise Interval in centiseconds (12 bits,
// 1..4095); VRRPv2's one-byte Adver Int is whole seconds and is held here as
// seconds*100 so that both versions share one set of formulas.
type Centisecs uint32

// Duration converts a centisecond quantity to a time.Duration (the edge).
func (c Centisecs) Duration() time.Duration { return time.Duration(c) * 10 * time.Millisecond }

// CentisecsOf converts d to centiseconds, truncating below 10ms.
func CentisecsOf(d time.Duration) Centisecs { return Centisecs(d / (10 * time.Millisecond)) }

// SkewTime returns Skew_Time for priority prio.
//
//	RFC 3768 §6.1 (v2):  Skew_Time = (256 - Priority) / 256            seconds
//	RFC 9568 §6.1 (v3):  Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256   centiseconds
//
// For v2 the formula does not scale with the advertisement interval; it is
// the v3 formula with Master_Adver_Interval fixed at 100cs (one second).
// The quotient is not a whole number of centiseconds, so it is returned as a
// time.Duration at nanosecond precision rather than rounded to 10ms: keepalived
// computes it in microseconds ("Master down timer = 3414062 usecs" for
// priority 150, v2, 1s), and rounding would change the takeover order of
// backups whose priorities differ by one.
func SkewTime(version uint8, prio uint8, masterAdverInterval Centisecs) time.Duration {
	mai := masterAdverInterval
	if version == 2 {
		mai = 100 // RFC 3768 §6.1: (256 - Priority) / 256 seconds
	}
	// ((256-P) * MAI cs * 10ms/cs) / 256, in nanoseconds.
	return time.Duration(int64(256-int64(prio)) * int64(mai) * int64(10*time.Millisecond) / 256)
}

// MasterDownInterval returns Master_Down_Interval (RFC 9568 calls it
// Active_Down_Interval):
//
//	RFC 3768 §6.1:  Master_Down_Interval = (3 * Advertisement_Interval) + Skew_Time
//	RFC 9568 §6.1:  Active_Down_Interval = (3 * Active_Adver_Interval) + Skew_Time
//
// adverts is the multiplier, 3 in both RFCs; keepalived's down_timer_adverts
// (1..100) changes it. For v2 masterAdverInterval is our own configured
// Advertisement_Interval, since a v2 advert with another interval is dropped
// (RFC 3768 §7.1); for v3 it is the interval learned from the master.
func MasterDownInterval(version uint8, prio uint8, masterAdverInterval Centisecs, adverts int) time.Duration {
	return time.Duration(adverts)*masterAdverInterval.Duration() + SkewTime(version, prio, masterAdverInterval)
}
