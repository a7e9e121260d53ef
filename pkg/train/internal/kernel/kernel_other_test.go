//go:build !amd64

package kernel

var useFMA bool

func fastModes() []bool { return []bool{false} }
