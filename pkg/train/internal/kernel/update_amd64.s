#include "textflag.h"

// w[i] = w[i] - eta*(g[i] + t*w[i]) for n a positive multiple of 8
// (float32) or 4 (float64): one FMA forms the penalised gradient, a
// second (negated) one applies it.

// func updateF32(w, grad *float32, n int, eta, t float32)
TEXT ·updateF32(SB), NOSPLIT, $0-32
	MOVQ         w+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVSS        eta+24(FP), X2
	MOVSS        t+28(FP), X3
	VBROADCASTSS X2, Y2
	VBROADCASTSS X3, Y3
	SHRQ         $3, CX

loopf32:
	VMOVUPS      (DI), Y0
	VMOVUPS      (SI), Y1
	VFMADD231PS  Y0, Y3, Y1
	VFNMADD231PS Y1, Y2, Y0
	VMOVUPS      Y0, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	DECQ         CX
	JNZ          loopf32
	VZEROUPPER
	RET

// func updateF64(w, grad *float64, n int, eta, t float64)
TEXT ·updateF64(SB), NOSPLIT, $0-40
	MOVQ         w+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         n+16(FP), CX
	MOVSD        eta+24(FP), X2
	MOVSD        t+32(FP), X3
	VBROADCASTSD X2, Y2
	VBROADCASTSD X3, Y3
	SHRQ         $2, CX

loopf64:
	VMOVUPD      (DI), Y0
	VMOVUPD      (SI), Y1
	VFMADD231PD  Y0, Y3, Y1
	VFNMADD231PD Y1, Y2, Y0
	VMOVUPD      Y0, (DI)
	ADDQ         $32, DI
	ADDQ         $32, SI
	DECQ         CX
	JNZ          loopf64
	VZEROUPPER
	RET
