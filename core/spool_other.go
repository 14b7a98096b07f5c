//go:build !unix

package core

import "os"

// lockSpool does nothing where there is no flock: there a file that is
// open cannot be deleted, which keeps SweepUploads off spools in use.
func lockSpool(*os.File) error { return nil }

func spoolFree(*os.File) bool { return true }
