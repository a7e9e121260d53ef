package kernel

import "golang.org/x/sys/cpu"

// kernelMode is one kernel path: assembly with or without AVX-512, or Go.
type kernelMode struct{ fma, avx512 bool }

// kernelModes lists the kernel paths this CPU can run, the default first.
func kernelModes() []kernelMode {
	var modes []kernelMode
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA && cpu.X86.HasAVX512F {
		modes = append(modes, kernelMode{true, true})
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		modes = append(modes, kernelMode{true, false})
	}
	return append(modes, kernelMode{})
}

func setMode(m kernelMode) { useFMA, useAVX512 = m.fma, m.avx512 }
