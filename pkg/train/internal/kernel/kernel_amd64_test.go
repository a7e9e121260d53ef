package kernel

import "golang.org/x/sys/cpu"

// fastModes lists the kernel paths this CPU can run, the default first.
func fastModes() []bool {
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		return []bool{true, false}
	}
	return []bool{false}
}
