package lab

import (
	"bufio"
	"errors"
	"os"
	"strconv"
	"strings"
)

// ErrNeedRoot is returned when the process lacks CAP_NET_ADMIN or
// CAP_SYS_ADMIN, which making namespaces and TUN devices needs.
var ErrNeedRoot = errors.New("the kernel lab needs CAP_NET_ADMIN and CAP_SYS_ADMIN (run it as root)")

// The capability bits of include/uapi/linux/capability.h.
const (
	capNetAdmin = 12
	capSysAdmin = 21
)

// CheckPrivileges returns ErrNeedRoot unless the process has both
// capabilities in its effective set.
func CheckPrivileges() error {
	eff, err := effectiveCaps()
	if err != nil {
		return err
	}
	if eff&(1<<capNetAdmin) == 0 || eff&(1<<capSysAdmin) == 0 {
		return ErrNeedRoot
	}
	return nil
}

// effectiveCaps reads CapEff from /proc/self/status.
func effectiveCaps() (uint64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "CapEff:"); ok {
			return strconv.ParseUint(strings.TrimSpace(v), 16, 64)
		}
	}
	return 0, errors.New("/proc/self/status has no CapEff line")
}
