#include "textflag.h"

// func widenAVX2(dst *float64, src *float32, n int)
// n is a positive multiple of 8. float32 → float64 is exact, so this
// agrees bit for bit with the Go loop. The prefetch asks for the source
// 512 bytes on into L2: a float64 evaluation widens X 128 elements of a row
// at a time, so that is the row's next piece (1-3% less CPU per float64
// epoch on the AVX2 path in interleaved A/Bs).
TEXT ·widenAVX2(SB), NOSPLIT, $0-24
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+16(FP), CX
	SHRQ $3, CX

loop:
	PREFETCHT1 512(SI)
	VCVTPS2PD (SI), Y0
	VCVTPS2PD 16(SI), Y1
	VMOVUPD   Y0, (DI)
	VMOVUPD   Y1, 32(DI)
	ADDQ      $32, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       loop
	VZEROUPPER
	RET
