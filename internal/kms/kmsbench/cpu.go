package kmsbench

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrNoProcessCPU is returned by [ProcessCPU] where a process's CPU time
// cannot be read: anywhere but Linux.
var ErrNoProcessCPU = errors.New("the CPU time of another process is read from /proc/PID/stat, on Linux only")

// ProcessCPU is the CPU time (user + system) that process pid has used so
// far, read from /proc/PID/stat. It returns [ErrNoProcessCPU] on systems
// other than Linux. Its resolution is a clock tick (10 ms almost
// everywhere), so read it around runs of at least a second.
func ProcessCPU(pid int) (time.Duration, error) {
	if runtime.GOOS != "linux" {
		return 0, ErrNoProcessCPU
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("cannot read the CPU time of process %d: %w", pid, err)
	}
	return parseStat(string(b), clockTicks())
}

// parseStat reads utime and stime (fields 14 and 15, in clock ticks of
// hz per second) from a /proc/PID/stat line and returns their sum. The
// command name (field 2) is in parentheses and may itself hold spaces and
// parentheses, so fields are counted from the last ')'.
func parseStat(line string, hz int64) (time.Duration, error) {
	i := strings.LastIndexByte(line, ')')
	if i < 0 || hz <= 0 {
		return 0, fmt.Errorf("not a /proc/PID/stat line: %.40q", line)
	}
	f := strings.Fields(line[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/PID/stat line has %d fields after the command, want at least 13", len(f))
	}
	var ticks int64
	for _, s := range f[11:13] { // utime, stime
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("/proc/PID/stat: CPU time %q is not a number of ticks", s)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / time.Duration(hz), nil
}

// clockTicks is the kernel's clock ticks per second (USER_HZ), the unit of
// /proc/PID/stat's times: AT_CLKTCK from this process's auxiliary vector,
// or 100, its value on every common Linux, if that cannot be read.
var clockTicks = sync.OnceValue(func() int64 {
	const atClktck = 17
	b, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return 100
	}
	w := strconv.IntSize / 8
	for ; len(b) >= 2*w; b = b[2*w:] {
		key, val := word(b[:w]), word(b[w:2*w])
		if key == atClktck && val > 0 {
			return int64(val)
		}
		if key == 0 {
			break
		}
	}
	return 100
})

// word reads one native-endian word of the auxiliary vector.
func word(b []byte) uint64 {
	if len(b) == 4 {
		return uint64(binary.NativeEndian.Uint32(b))
	}
	return binary.NativeEndian.Uint64(b)
}
