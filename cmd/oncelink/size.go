package main

import (
	"strconv"
	"strings"

	"oncelink/core"
)

// sizeUnits are the units parseSize takes: binary (IEC) multiples only, so
// that "25MiB" cannot be read as 25 000 000 bytes or 26 214 400.
var sizeUnits = map[string]int64{"": 1, "b": 1, "bytes": 1, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}

// Bounds of a size flag: smaller is surely a typo, larger overflows sums.
const (
	minSizeFlag = 1 << 10
	maxSizeFlag = 1 << 40
)

// parseSize reads a size such as "25MiB", "500KiB", "2GiB" or "1048576"
// (bytes): a whole number with an optional binary unit, any case, spaces
// allowed between them.
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && t[i] >= '0' && t[i] <= '9' {
		i++
	}
	unit, ok := sizeUnits[strings.ToLower(strings.TrimSpace(t[i:]))]
	if i == 0 || !ok {
		return 0, &badValue{"cli.flag_error.size"}
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil || n > maxSizeFlag/unit || n*unit > maxSizeFlag || n*unit < minSizeFlag {
		return 0, &badValue{"cli.flag_error.size_range"}
	}
	return n * unit, nil
}

// sizeFlag reads parseSize's form into a byte count.
type sizeFlag struct{ n *int64 }

// String writes the size as the pages and messages do, as the flag's
// default in the help text.
func (f sizeFlag) String() string {
	if f.n == nil {
		return ""
	}
	return core.LimitSize(*f.n)
}

func (f sizeFlag) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*f.n = n
	return nil
}
