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
*/
import "C"

import "fmt"

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
func init() {
	if rc := C.oncelink_sqlite_memstatus_off(); rc != 0 {
		panic(fmt.Sprintf("store: sqlite3_config(SQLITE_CONFIG_MEMSTATUS): error %d", rc))
	}
	if rc := C.oncelink_sqlite_every_connection(); rc != 0 {
		panic(fmt.Sprintf("store: sqlite3_auto_extension: error %d", rc))
	}
}
