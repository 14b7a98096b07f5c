package store

/*
// The SQLite library go-sqlite3 compiles into the binary; the constants
// are sqlite3.h's.
typedef struct sqlite3 sqlite3;
int sqlite3_config(int, ...);
int sqlite3_db_config(sqlite3*, int, ...);
int sqlite3_auto_extension(void (*)(void));

#define ONCELINK_SQLITE_CONFIG_MEMSTATUS 9
#define ONCELINK_SQLITE_DBCONFIG_ENABLE_QPSG 1007

static int oncelink_sqlite_connection(sqlite3 *db, char **err, const void *api) {
	return sqlite3_db_config(db, ONCELINK_SQLITE_DBCONFIG_ENABLE_QPSG, 1, (int *)0);
}

static int oncelink_sqlite_memstatus_off(void) {
	return sqlite3_config(ONCELINK_SQLITE_CONFIG_MEMSTATUS, 0);
}

static int oncelink_sqlite_every_connection(void) {
	return sqlite3_auto_extension((void (*)(void))oncelink_sqlite_connection);
}

#include <stdlib.h> // defines __GLIBC__ with glibc
#ifdef __GLIBC__
#include <malloc.h>
static int oncelink_malloc_trim_threshold(int bytes) {
	return mallopt(M_TRIM_THRESHOLD, bytes);
}
#else
static int oncelink_malloc_trim_threshold(int bytes) { return 1; }
#endif
*/
import "C"

import (
	"fmt"
	"os"
	"strings"
)

// mallocTrimThreshold is how much free memory the C allocator keeps on top
// of each of its heaps before it gives the rest back to the kernel.
const mallocTrimThreshold = 256 << 10

// init sets SQLite up before any connection opens (sqlite3_config is
// refused once SQLite is initialized):
//
//   - No memory statistics. Kept, they make every allocation of every
//     connection take one process-wide mutex: with the writer and the
//     readers busy at once, threads queue on it, and each wait is a sleep
//     and a wake-up in the kernel. oncelink reads none of those statistics
//     and sets no soft heap limit, which is what they serve.
//   - Every connection plans a statement once, whatever values are bound
//     to it (the query planner stability guarantee). Otherwise a statement
//     whose plan looked at a bound value (a "column = ?" that no index
//     serves, a LIMIT ?) is marked for re-preparing whenever its values
//     are cleared, which go-sqlite3 does each time it puts a statement back
//     in its cache: such a statement was parsed and planned again on every
//     use, which made looking up an API key cost as much as the rest of
//     the request.
//   - With glibc, the C allocator keeps up to mallocTrimThreshold free on
//     top of each heap, not 128 KiB. Each write in a transaction keeps the
//     pages it changes in an in-memory statement journal (the writer's
//     per-write savepoints need it), some 20 to 30 KiB freed as the
//     statement ends, which took the heap across 128 KiB and back on every
//     write: an madvise call and then page faults to take the memory back,
//     thousands a second under load. Without them BenchmarkConsume takes
//     70 to 77 µs a consume rather than 97 to 108. MALLOC_TRIM_THRESHOLD_,
//     or a GLIBC_TUNABLES that sets trim_threshold, still decides.
func init() {
	if rc := C.oncelink_sqlite_memstatus_off(); rc != 0 {
		panic(fmt.Sprintf("store: sqlite3_config(SQLITE_CONFIG_MEMSTATUS): error %d", rc))
	}
	if rc := C.oncelink_sqlite_every_connection(); rc != 0 {
		panic(fmt.Sprintf("store: sqlite3_auto_extension: error %d", rc))
	}
	if os.Getenv("MALLOC_TRIM_THRESHOLD_") == "" && !strings.Contains(os.Getenv("GLIBC_TUNABLES"), "trim_threshold") {
		if C.oncelink_malloc_trim_threshold(mallocTrimThreshold) != 1 {
			panic("store: mallopt(M_TRIM_THRESHOLD) refused")
		}
	}
}
