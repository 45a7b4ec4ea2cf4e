package cli

import (
	"net"
	"os"
)

// sdNotify sends a state to systemd when running as a Type=notify service
// ($NOTIFY_SOCKET set; an initial '@' names an abstract socket). Outside
// systemd it does nothing. Errors are returned for logging only.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:]
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Write([]byte(state))
	return err
}
