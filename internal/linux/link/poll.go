package link

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Link state polling, for keepalived's linkbeat_interfaces and
// linkbeat_use_polling (vrrp_if.c init_linkbeat_status,
// if_linkbeat_refresh_thread): instead of trusting netlink, ask the
// driver. The methods, in keepalived's default order:
//
//   - MII: the PHY's Basic Mode Status Register (SIOCGMIIPHY, then
//     SIOCGMIIREG of BMSR; read twice, its link bit latches low);
//   - ETHTOOL: the driver's link state (SIOCETHTOOL ETHTOOL_GLINK);
//   - IOCTL: the interface flags only (SIOCGIFFLAGS: IFF_UP and
//     IFF_RUNNING).
//
// A method the interface does not support falls to the next (the IOCTL
// one always answers); MII and ETHTOOL answers that say up are checked
// against the flags too, as keepalived does for drivers that report a
// link on an interface that is down.

// Polling methods.
const (
	PollMII     = "MII"
	PollEthtool = "ETHTOOL"
	PollIoctl   = "IOCTL"
)

// MII registers and bits (linux/mii.h).
const (
	miiBMCR     = 0x00
	miiBMSR     = 0x01
	bmsrLStatus = 0x0004
)

// ifreqPtr is struct ifreq with ifr_data (a pointer) in its union.
type ifreqPtr struct {
	name [unix.IFNAMSIZ]byte
	data unsafe.Pointer
	_    [24 - unsafe.Sizeof(uintptr(0))]byte
}

// ifreqMII is struct ifreq with struct mii_ioctl_data in its union.
type ifreqMII struct {
	name                         [unix.IFNAMSIZ]byte
	phyID, regNum, valIn, valOut uint16
	_                            [16]byte
}

// ethtoolValue is struct ethtool_value.
type ethtoolValue struct{ cmd, data uint32 }

// Probe polls ifname's link state with method ("" for keepalived's
// order: MII, ETHTOOL, IOCTL; a named method the interface does not
// support falls to the others) and returns it with the method that
// answered. An interface that does not exist is an error.
func Probe(ifname, method string) (up bool, used string, err error) {
	if len(ifname) >= unix.IFNAMSIZ {
		return false, "", fmt.Errorf("link probe: interface name %q too long", ifname)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false, "", fmt.Errorf("link probe: socket: %w", err)
	}
	defer unix.Close(fd)
	flagsUp, err := ioctlFlagsUp(fd, ifname)
	if err != nil {
		return false, "", fmt.Errorf("link probe %s: %w", ifname, err)
	}
	order := []string{PollMII, PollEthtool}
	if method == PollEthtool {
		order = []string{PollEthtool, PollMII}
	}
	if method != PollIoctl {
		for _, m := range order {
			var ok bool
			var carrier bool
			if m == PollMII {
				carrier, ok = miiProbe(fd, ifname)
			} else {
				carrier, ok = ethtoolProbe(fd, ifname)
			}
			if ok {
				return carrier && flagsUp, m, nil
			}
		}
	}
	return flagsUp, PollIoctl, nil
}

func ioctl(fd int, req uint, arg unsafe.Pointer) error {
	if _, _, e := unix.Syscall(unix.SYS_IOCTL, uintptr(fd), uintptr(req), uintptr(arg)); e != 0 {
		return e
	}
	return nil
}

// ioctlFlagsUp reads the interface flags: up and running.
func ioctlFlagsUp(fd int, ifname string) (bool, error) {
	ifr, err := unix.NewIfreq(ifname)
	if err != nil {
		return false, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		if errors.Is(err, unix.ENODEV) {
			return false, fmt.Errorf("no such device: %w", err)
		}
		return false, err
	}
	f := ifr.Uint16()
	return f&unix.IFF_UP != 0 && f&unix.IFF_RUNNING != 0, nil
}

// ethtoolProbe asks the driver (ETHTOOL_GLINK); ok is false when it
// cannot answer.
func ethtoolProbe(fd int, ifname string) (up, ok bool) {
	v := ethtoolValue{cmd: unix.ETHTOOL_GLINK}
	var ifr ifreqPtr
	copy(ifr.name[:], ifname)
	ifr.data = unsafe.Pointer(&v)
	if err := ioctl(fd, unix.SIOCETHTOOL, unsafe.Pointer(&ifr)); err != nil {
		return false, false
	}
	return v.data != 0, true
}

// miiProbe reads the PHY's status register; ok is false when the driver
// has no MII interface.
func miiProbe(fd int, ifname string) (up, ok bool) {
	var ifr ifreqMII
	copy(ifr.name[:], ifname)
	if err := ioctl(fd, unix.SIOCGMIIPHY, unsafe.Pointer(&ifr)); err != nil {
		return false, false
	}
	read := func(reg uint16) (uint16, bool) {
		r := ifr
		r.regNum = reg
		if err := ioctl(fd, unix.SIOCGMIIREG, unsafe.Pointer(&r)); err != nil {
			return 0, false
		}
		return r.valOut, true
	}
	if v, ok := read(miiBMCR); !ok || v == 0xffff {
		return false, false
	}
	first, ok := read(miiBMSR)
	if !ok || first == 0 {
		return false, false
	}
	second, _ := read(miiBMSR) // the link bit latches low: read again
	return first&bmsrLStatus != 0 || second&bmsrLStatus != 0, true
}
