package main

import (
	"bytes"
	"io"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// table lays out the lines written to it in columns when flushed, as
// text/tabwriter does with a cell ended by a tab, but measures a cell by
// the columns a terminal gives it rather than by its characters: a label
// in Chinese or Japanese takes two a character, an accent written as a
// mark of its own none, so that the columns after such a label still line
// up. The text of a line after its last tab is written as it is.
type table struct {
	w       io.Writer
	padding int
	buf     bytes.Buffer
}

// newTable is a table writing to w with padding spaces after its widest
// cell of each column.
func newTable(w io.Writer, padding int) *table {
	return &table{w: w, padding: padding}
}

func (t *table) Write(b []byte) (int, error) { return t.buf.Write(b) }

// Flush writes out the lines written so far, in columns.
func (t *table) Flush() error {
	text := t.buf.String()
	t.buf.Reset()
	if text == "" {
		return nil
	}
	ended := strings.HasSuffix(text, "\n")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	rows := make([][]string, len(lines))
	var widths []int
	for i, line := range lines {
		rows[i] = strings.Split(line, "\t")
		for j, cell := range rows[i][:len(rows[i])-1] {
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], displayWidth(cell))
		}
	}
	var out strings.Builder
	for i, row := range rows {
		last := len(row) - 1
		for j, cell := range row[:last] {
			out.WriteString(cell)
			out.WriteString(strings.Repeat(" ", widths[j]-displayWidth(cell)+t.padding))
		}
		out.WriteString(row[last])
		if i < len(rows)-1 || ended {
			out.WriteByte('\n')
		}
	}
	_, err := io.WriteString(t.w, out.String())
	return err
}

// displayWidth is how many columns a terminal gives s.
func displayWidth(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// runeWidth is how many columns a terminal gives r: none to a mark that
// joins the character before it and to an invisible format character,
// two to a wide East Asian character, one to any other.
func runeWidth(r rune) int {
	switch {
	case unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf):
		return 0
	case r >= 0x1160 && r <= 0x11ff:
		// Hangul's medial vowels and final consonants, which join the
		// syllable's initial.
		return 0
	}
	switch width.LookupRune(r).Kind() {
	case width.EastAsianWide, width.EastAsianFullwidth:
		return 2
	}
	return 1
}
