package orders_test

import (
	"runtime"
	"syscall"
	"testing"
	"unsafe"
)

// threadCPU reports, as the metric cpu-ns/op, the CPU time the benchmark's
// thread spent per operation: unlike ns/op it does not count the time the
// thread waited for a core, so on a machine busy with other work the
// engine / hand-written ratio is still read from it. Call it at the start of
// a (sub-)benchmark and call what it returns at the end:
// defer threadCPU(b)().
func threadCPU(b *testing.B) func() {
	runtime.LockOSThread()
	start := threadNanos()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(threadNanos()-start)/float64(b.N), "cpu-ns/op")
		}
		runtime.UnlockOSThread()
	}
}

// threadNanos returns the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID).
func threadNanos() int64 {
	var ts syscall.Timespec
	const clockThreadCPUTime = 3
	if _, _, e := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); e != 0 {
		return 0
	}
	return ts.Nano()
}
