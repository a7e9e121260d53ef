// Package storefault lets this module's tests make chosen store writes fail:
// a test installs a hook for one database path, and pkg/store calls it before
// each commit on that file. Being internal, it is no part of sweep's API.
package storefault
