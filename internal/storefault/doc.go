// Package storefault lets this module's tests make the store's write
// transactions fail, or watch them, the way a full disk would fail them.
//
// It is internal, so no program outside this module can reach the hook and
// package store keeps it out of its API; tests of other packages here (the
// runner's reaction to a failed write, the crash tester's record of what a
// killed process was writing) need a fault at one chosen transaction, which
// no real file system fault can aim.
package storefault
