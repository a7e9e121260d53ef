// Package atomicfile writes a file so that readers only ever see all of its
// old content or all of its new content, never a part.
//
// The content goes to a temporary file in the destination's directory,
// which is then linked (to create) or renamed (to replace) into place; on
// any error the temporary file is removed and the destination is as it was.
package atomicfile
