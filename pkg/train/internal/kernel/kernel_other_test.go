//go:build !amd64

package kernel

type kernelMode struct{}

func kernelModes() []kernelMode { return []kernelMode{{}} }

func setMode(kernelMode) {}
