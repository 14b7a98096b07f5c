package store

/*
// The SQLite library go-sqlite3 compiles into the binary.
int sqlite3_config(int, ...);

// SQLITE_CONFIG_MEMSTATUS, from sqlite3.h.
#define ONCELINK_SQLITE_CONFIG_MEMSTATUS 9

static int oncelink_sqlite_memstatus_off(void) {
	return sqlite3_config(ONCELINK_SQLITE_CONFIG_MEMSTATUS, 0);
}
*/
import "C"

import "fmt"

// init turns off SQLite's memory statistics before any connection opens
// (sqlite3_config is refused once SQLite is initialized). Kept, they make
// every allocation of every connection take one process-wide mutex: with
// the writer and the readers busy at once, threads queue on it, and each
// wait is a sleep and a wake-up in the kernel. oncelink reads none of
// those statistics and sets no soft heap limit, which is what they serve.
func init() {
	if rc := C.oncelink_sqlite_memstatus_off(); rc != 0 {
		panic(fmt.Sprintf("store: sqlite3_config(SQLITE_CONFIG_MEMSTATUS): error %d", rc))
	}
}
